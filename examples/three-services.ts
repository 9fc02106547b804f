/**
 * Ports for a stack of three services (web, api, db), reserved all at once.
 *
 * Two ways, with the same guarantee — all three ports or none, never a port another
 * reservation holds:
 *   1. separate `reserve` calls inside `trop.transaction`, one database transaction;
 *   2. `trop.reserveGroup`: the services declared together, as in a `trop.yaml`, laid out
 *      as one base port plus fixed offsets, with an environment variable name each.
 * And what to do when another process holds trop's database lock for too long:
 * `Effect.catchTag("DatabaseBusy", ...)`.
 */
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import assert from "node:assert/strict"
import { Trop } from "trop"

const program = Effect.gen(function*() {
  const trop = yield* Trop

  // 1. One transaction: if any of the three failed, none would be stored.
  const [web, api, db] = yield* trop.transaction(
    Effect.all([trop.reserve({ tag: "web" }), trop.reserve({ tag: "api" }), trop.reserve({ tag: "db" })])
  )
  yield* Console.log({ web, api, db })
  assert.equal(new Set([web, api, db]).size, 3, "three distinct ports")

  // 2. A group. The same services in a trop.yaml would read:
  //      reservations:
  //        services:
  //          web: {}
  //          api: { offset: 1 }
  //          db: { offset: 2, env: DATABASE_PORT }
  //    and `trop.reserveGroup({ file: "trop.yaml" })` would reserve them at the file's
  //    directory. Inline, the group lives at `path` (default: the working directory; here a
  //    subdirectory, since the working directory already has web/api/db from step 1).
  const group = yield* trop.reserveGroup({
    path: "stack",
    services: { web: {}, api: { offset: 1 }, db: { offset: 2, env: "DATABASE_PORT" } }
  })
  // Ready to merge into a child process's environment: { API: "…", DATABASE_PORT: "…", WEB: "…" }
  yield* Console.log(group.env)
  const ports = group.services.map((s) => s.port)
  assert.equal(new Set(ports).size, 3, "three distinct ports")
  assert.deepEqual(Object.keys(group.env).sort(), ["API", "DATABASE_PORT", "WEB"])
  const port = (tag: string) => group.services.find((s) => s.tag === tag)!.port
  assert.equal(port("api"), port("web") + 1)
  assert.equal(port("db"), port("web") + 2)
  // Asking again returns the stored group unchanged.
  const again = yield* trop.reserveGroup({
    path: "stack",
    services: { web: {}, api: { offset: 1 }, db: { offset: 2, env: "DATABASE_PORT" } }
  })
  assert.equal(again.action, "refresh")
  assert.deepEqual(again.env, group.env)

  // 3. DatabaseBusy. trop waits for another process's write lock up to `busyTimeoutSeconds`
  //    (default 5), then fails with DatabaseBusy — a failure to handle, not a crash.
  const reserveCache = Effect.flatMap(Trop, (t) => t.reserve({ tag: "cache" })).pipe(
    Effect.map(Option.some),
    Effect.catchTag("DatabaseBusy", (error) =>
      Console.log(`trop is busy, starting without a cache: ${error.message}`).pipe(Effect.as(Option.none())))
  )
  // To see it happen: a second connection that does not wait at all, used while this
  // one holds the lock (inside a transaction), as another process would.
  const impatient = yield* Layer.build(Trop.layer({ busyTimeoutSeconds: 0 }))
  const whileLocked = yield* trop.transaction(Effect.provide(reserveCache, impatient))
  assert.ok(Option.isNone(whileLocked), "the second connection found the database locked")
  const afterwards = yield* Effect.provide(reserveCache, impatient)
  assert.ok(Option.isSome(afterwards), "once the lock is free, the reservation succeeds")
})

await Effect.runPromise(program.pipe(Effect.scoped, Effect.provide(Trop.layer())))
