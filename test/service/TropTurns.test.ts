// The service holds its connection for its lifetime (`Transaction.lease`) and its calls take
// turns on it: a call waits while another fiber's transaction is open (here held open by a
// program waiting on a gate), a call interrupted while it waits takes nothing, and a call
// interrupted inside its transaction rolls back and leaves the caller's context as it was.
// On a real database file, with live fibers.
import { describe, it } from "@effect/vitest"
import * as SqlClient from "@effect/sql/SqlClient"
import { Deferred, Effect, Exit, Fiber, Option } from "effect"
import * as fs from "node:fs"
import * as nodePath from "node:path"
import { expect } from "vitest"
import { Trop } from "../../src/Trop.js"
import type { TropService } from "../../src/Trop.js"
import { CurrentTransaction, HeldConnection } from "../../src/store/Transaction.js"
import { tempDirScoped } from "../fixtures/Fixtures.js"
import { committed } from "../support/sqlite.js"

/**
 * `body` with `Trop.layer` on a fresh data directory (no user environment, no bind probes)
 * and what tags its database holds, committed.
 */
const withService = <A, E>(body: (trop: TropService, committedTags: () => Array<unknown>) => Effect.Effect<A, E>) =>
  Effect.gen(function*() {
    const root = yield* tempDirScoped("trop-turns-")
    const cwd = nodePath.join(root, "work")
    fs.mkdirSync(cwd)
    const dataDir = nodePath.join(root, "data")
    const file = nodePath.join(dataDir, "trop.db")
    const layer = Trop.layer({ dataDir, cwd, env: {}, occupancy: { skip: true }, busyTimeoutSeconds: 5 })
    return yield* Effect.flatMap(Trop, (trop) =>
      body(trop, () => committed(file, "SELECT tag FROM reservations ORDER BY tag"))).pipe(Effect.provide(layer))
  })

/**
 * A fiber whose transaction stays open, after reserving tag "a", until `letGo` runs, and
 * then runs `after` in it; returned once the transaction is open.
 */
const holdTransaction = (trop: TropService, after: Effect.Effect<unknown, unknown> = Effect.void) =>
  Effect.gen(function*() {
    const gate = yield* Deferred.make<void>()
    const inside = yield* Deferred.make<void>()
    const fiber = yield* Effect.fork(trop.withSqlClient(Effect.gen(function*() {
      yield* trop.reserve({ tag: "a" })
      yield* Deferred.succeed(inside, undefined)
      yield* Deferred.await(gate)
      yield* after
    })))
    yield* Deferred.await(inside)
    return { fiber, letGo: Deferred.succeed(gate, undefined) }
  })

/** What a finished transaction would have left in the fiber's context: nothing. */
const leftovers: Effect.Effect<ReadonlyArray<string>> = Effect.map(
  Effect.all({
    CurrentTransaction: Effect.serviceOption(CurrentTransaction),
    HeldConnection: Effect.serviceOption(HeldConnection),
    TransactionConnection: Effect.serviceOption(SqlClient.TransactionConnection)
  }),
  (found) => Object.entries(found).flatMap(([name, o]: [string, Option.Option<unknown>]) => Option.isSome(o) ? [name] : [])
)

/** A fiber's state after the others have had their turns: done or still waiting. */
const settled = <A, E>(fiber: Fiber.RuntimeFiber<A, E>) =>
  Effect.zipRight(Effect.sleep("50 millis"), Fiber.poll(fiber))

describe("calls on one service take turns on its connection", () => {
  it.scopedLive("a call waits while another fiber's transaction is open, then runs after its commit", () =>
    withService((trop, committedTags) =>
      Effect.gen(function*() {
        const holder = yield* holdTransaction(trop, trop.reserve({ tag: "b" }))
        const waiter = yield* Effect.fork(Effect.zip(trop.reserve({ tag: "c" }), trop.list()))
        // It cannot run while the holder's transaction is open on the connection.
        expect(Option.isNone(yield* settled(waiter))).toBe(true)
        expect(committedTags()).toEqual([])
        yield* holder.letGo
        yield* Fiber.join(holder.fiber)
        const [, listed] = yield* Fiber.join(waiter)
        expect(listed.map((r) => r.tag)).toEqual(["a", "b", "c"])
        expect(committedTags()).toEqual(["a", "b", "c"])
      })
    ))

  it.scopedLive("a call interrupted while it waits for its turn takes nothing; the holder and later calls go on", () =>
    withService((trop, committedTags) =>
      Effect.gen(function*() {
        const holder = yield* holdTransaction(trop)
        const interrupted = yield* Effect.fork(trop.reserve({ tag: "x" }))
        const waiting = yield* Effect.fork(trop.reserve({ tag: "c" }))
        expect(Option.isNone(yield* settled(interrupted))).toBe(true)
        expect(Exit.isInterrupted(yield* Fiber.interrupt(interrupted))).toBe(true)
        yield* holder.letGo
        yield* Fiber.join(holder.fiber)
        yield* Fiber.join(waiting)
        yield* trop.reserve({ tag: "d" })
        expect(committedTags()).toEqual(["a", "c", "d"])
      })
    ))

  it.scopedLive("a call interrupted inside its transaction rolls back; the caller's context is as it was and the service goes on", () =>
    withService((trop, committedTags) =>
      Effect.gen(function*() {
        const inside = yield* Deferred.make<void>()
        const seen = yield* Deferred.make<readonly [Exit.Exit<never, unknown>, ReadonlyArray<string>]>()
        // The call is interrupted; the rest of the fiber (uninterruptible) looks at its context.
        const caller = yield* Effect.fork(Effect.uninterruptibleMask((restore) =>
          Effect.zip(
            Effect.exit(restore(trop.withSqlClient(Effect.gen(function*() {
              yield* trop.reserve({ tag: "x" })
              yield* Deferred.succeed(inside, undefined)
              return yield* Effect.never
            })))),
            leftovers
          ).pipe(Effect.flatMap((result) => Deferred.succeed(seen, result)))
        ))
        yield* Deferred.await(inside)
        yield* Fiber.interrupt(caller)
        const [exit, left] = yield* Deferred.await(seen)
        expect(Exit.isInterrupted(exit)).toBe(true)
        expect(left).toEqual([])
        expect(committedTags()).toEqual([])
        yield* trop.reserve({ tag: "y" })
        expect((yield* trop.list()).map((r) => r.tag)).toEqual(["y"])
      })
    ))

  it.scopedLive("after a call, committed or failed, nothing of its transaction is left in the caller's context", () =>
    withService((trop, committedTags) =>
      Effect.gen(function*() {
        yield* trop.reserve({ tag: "a" })
        expect(yield* leftovers).toEqual([])
        const failed = yield* Effect.exit(trop.withSqlClient(Effect.zipRight(trop.reserve({ tag: "b" }), Effect.fail("boom"))))
        expect(Exit.isFailure(failed)).toBe(true)
        expect(yield* leftovers).toEqual([])
        yield* trop.transaction(trop.reserve({ tag: "c" }))
        expect(yield* leftovers).toEqual([])
        expect(committedTags()).toEqual(["a", "c"])
      })
    ))
})
