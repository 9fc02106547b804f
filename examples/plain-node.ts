/**
 * trop from plain Node, without Effect: `trop/promise` has the same methods as the Effect
 * service, returning Promises.
 *
 * A failure rejects with trop's own error — an `Error` subclass with a `_tag` naming what
 * went wrong (`InvalidValue`, `DatabaseBusy`, `PortRangeExhausted`, ...) and a readable
 * `message` — not an Effect wrapper. Branch on `_tag`, or use `instanceof` with the
 * classes exported here.
 */
import assert from "node:assert/strict"
import { InvalidValue, openTrop } from "trop/promise"

// Opens the trop database: TROP_DATA_DIR, else ~/.trop. Paths default to process.cwd().
const trop = await openTrop()
try {
  // The port of (this directory, "worker"); asking again gives the same one.
  const port = await trop.reserve({ tag: "worker" })
  assert.equal(await trop.reserve({ tag: "worker" }), port)
  console.log(`worker port: ${port}`)

  const rows = await trop.list({ path: trop.cwd })
  assert.deepEqual(rows.map((r) => [r.tag, r.port]), [["worker", port]])

  // A bad request rejects with a tagged error.
  const rejection: unknown = await trop.reserve({ port: 0 }).then(
    () => assert.fail("port 0 is not a port"),
    (error: unknown) => error
  )
  // The error itself: not Effect's FiberFailure wrapper (what `Effect.runPromise` rejects
  // with), but trop's InvalidValue, an Error with a stack and a message.
  assert.ok(rejection instanceof Error)
  assert.ok(rejection instanceof InvalidValue)
  assert.equal(rejection.constructor, InvalidValue)
  assert.equal(rejection._tag, "InvalidValue")
  assert.equal(rejection.field, "port")
  console.log(`refused: ${rejection.message}`)

  // The usual shape of handling: switch on the tag.
  const advice = (error: unknown) => {
    switch (error instanceof Error && "_tag" in error ? error._tag : undefined) {
      case "InvalidValue":
        return "fix the request"
      case "DatabaseBusy":
        return "another process holds trop's lock: try again"
      default:
        return "unexpected"
    }
  }
  assert.equal(advice(rejection), "fix the request")

  // release resolves to what it deleted.
  const released = await trop.release({ tag: "worker" })
  assert.deepEqual(released.map((r) => r.port), [port])
  assert.deepEqual(await trop.list({ path: trop.cwd }), [])
} finally {
  // Closes the database. (Or: `await using trop = await openTrop()`.)
  await trop.close()
}

// After close, calls reject.
await assert.rejects(trop.list(), /closed/)

// `await using` closes it at the end of the block, even on a throw.
{
  await using scoped = await openTrop()
  assert.equal(typeof (await scoped.reserve({ tag: "once" })), "number")
  await scoped.release({ tag: "once" })
}
