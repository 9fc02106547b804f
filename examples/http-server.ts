/**
 * An Effect HTTP server whose port comes from trop.
 *
 * trop hands out one port per (directory, tag) and remembers it in a small SQLite database
 * (`TROP_DATA_DIR`, else `~/.trop`). So this app asks for the port of (its working
 * directory, "http"): the first run allocates a free port, every later run — and anyone
 * else asking for the same thing, e.g. `trop reserve --tag http` in a shell — gets the same
 * one, and other directories (other checkouts, other agents) never get it.
 *
 *   node http-server.js   # prints the port, serves one request to itself, exits
 */
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import assert from "node:assert/strict"
import * as http from "node:http"
import { Trop } from "trop"

/** An HTTP server listening on `port` for as long as the enclosing scope is open. */
const listen = (port: number, handler: http.RequestListener) =>
  Effect.acquireRelease(
    Effect.async<http.Server, Error>((resume) => {
      const server = http.createServer(handler)
      server.once("error", (error) => resume(Effect.fail(error)))
      server.listen(port, "127.0.0.1", () => resume(Effect.succeed(server)))
    }),
    (server) =>
      Effect.async<void>((resume) => {
        server.close(() => resume(Effect.void))
        // fetch keeps its connection alive; drop it so that close() returns now.
        server.closeAllConnections()
      })
  )

/** One run of the app: reserve the port, serve on it, call it once, shut down. */
const app = Effect.gen(function*() {
  const trop = yield* Trop
  // No path: the working directory. The same request always gets the same port.
  const port = yield* trop.reserve({ tag: "http" })

  yield* listen(port, (_request, response) => response.end(`hello from port ${port}`))
  yield* Console.log(`listening on http://127.0.0.1:${port}/`)

  const body = yield* Effect.tryPromise(() => fetch(`http://127.0.0.1:${port}/`).then((r) => r.text()))
  assert.equal(body, `hello from port ${port}`)
  return port
}).pipe(
  // The server lives in this scope: it is closed when the run ends, however it ends.
  Effect.scoped
)

// Trop.layer() opens the trop database (and closes it after the run). Each run below
// builds the layer anew, as a restarted process would.
const first = await Effect.runPromise(app.pipe(Effect.provide(Trop.layer())))
const second = await Effect.runPromise(app.pipe(Effect.provide(Trop.layer())))
assert.equal(second, first, "a restarted app gets its port again")

// The reservation stays in the database until released (`trop release --tag http`).
const stored = await Effect.runPromise(
  Effect.flatMap(Trop, (trop) => trop.list({ tag: "http" })).pipe(Effect.provide(Trop.layer()))
)
assert.deepEqual(stored.map((r) => r.port), [first])
console.log(first)
