/**
 * Composing trop's `reserve` program inside another Effect app: the app asks trop for the
 * stable port of (its directory, "dev-server"), then serves HTTP on it. Another process
 * running `trop reserve --tag dev-server` in the same directory gets the same port.
 */
import * as SqlClient from "@effect/sql/SqlClient"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import * as http from "node:http"
import { AbsolutePath, Config, Database, GitInfo, Identifier, Metadata, Occupancy, Reserve } from "trop"

/** Reserves the app's port in one immediate transaction (plan + execute together). */
const reservePort = (dataDir: string, directory: AbsolutePath) =>
  Effect.gen(function*() {
    const settings = yield* Either.match(Config.resolve({ env: {}, commandLine: {} }), {
      onLeft: Effect.fail,
      onRight: Effect.succeed
    })
    const sql = yield* SqlClient.SqlClient
    return yield* sql.withTransaction(Reserve.reserve({
      key: { path: directory, tag: Option.some(Identifier.Tag.make("dev-server")) },
      cwd: directory,
      preferred: Option.none(),
      project: Metadata.set(Identifier.Project.make("example-app")),
      task: Metadata.preserve,
      overwrite: false,
      force: false,
      ignoreOccupied: false,
      ignoreExclusions: false
    }, settings))
  }).pipe(
    Effect.provide(Database.layer({ file: Database.databaseFile(dataDir), busyTimeoutSeconds: 5, autoInit: true })),
    Effect.provide(Occupancy.layer),
    Effect.provide(GitInfo.layer)
  )

/** Serves one request on the reserved port and returns what the client read. */
const serveOnce = (port: number) =>
  Effect.acquireRelease(
    Effect.async<http.Server>((resume) => {
      const server = http.createServer((_, res) => res.end(`hello from port ${port}\n`))
      server.listen(port, "127.0.0.1", () => resume(Effect.succeed(server)))
    }),
    (server) =>
      Effect.async<void>((resume) => {
        server.close(() => resume(Effect.void))
      })
  ).pipe(
    Effect.flatMap(() => Effect.promise(() => fetch(`http://127.0.0.1:${port}/`).then((r) => r.text()))),
    Effect.scoped
  )

/** The whole app: reserve, serve, report. */
export const app = (dataDir: string, directory: AbsolutePath) =>
  Effect.gen(function*() {
    const port = yield* reservePort(dataDir, directory)
    const reply = yield* serveOnce(port)
    return { port, reply }
  })
