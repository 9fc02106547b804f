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
import { CurrentTransaction, HeldConnection } from "../../src/store/Transaction.js"
import { tempDirScoped } from "../fixtures/Fixtures.js"
import { committed } from "../support/sqlite.js"

/** `Trop.layer` on a fresh data directory: no user environment, no bind probes. */
const sandbox = Effect.gen(function*() {
  const root = yield* tempDirScoped("trop-turns-")
  const cwd = nodePath.join(root, "work")
  fs.mkdirSync(cwd)
  const dataDir = nodePath.join(root, "data")
  const layer = Trop.layer({ dataDir, cwd, env: {}, occupancy: { skip: true }, busyTimeoutSeconds: 5 })
  return { layer, file: nodePath.join(dataDir, "trop.db") }
})

const committedTags = (file: string) => committed(file, "SELECT tag FROM reservations ORDER BY tag")

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
    Effect.gen(function*() {
      const s = yield* sandbox
      yield* Effect.gen(function*() {
        const trop = yield* Trop
        const gate = yield* Deferred.make<void>()
        const inside = yield* Deferred.make<void>()
        const holder = yield* Effect.fork(trop.withSqlClient(Effect.gen(function*() {
          yield* trop.reserve({ tag: "a" })
          yield* Deferred.succeed(inside, undefined)
          yield* Deferred.await(gate)
          yield* trop.reserve({ tag: "b" })
        })))
        yield* Deferred.await(inside)
        const waiter = yield* Effect.fork(Effect.zip(trop.reserve({ tag: "c" }), trop.list()))
        // It cannot run while the holder's transaction is open on the connection.
        expect(Option.isNone(yield* settled(waiter))).toBe(true)
        expect(committedTags(s.file)).toEqual([])
        yield* Deferred.succeed(gate, undefined)
        yield* Fiber.join(holder)
        const [, listed] = yield* Fiber.join(waiter)
        expect(listed.map((r) => r.tag)).toEqual(["a", "b", "c"])
        expect(committedTags(s.file)).toEqual(["a", "b", "c"])
      }).pipe(Effect.provide(s.layer))
    }))

  it.scopedLive("a call interrupted while it waits for its turn takes nothing; the holder and later calls go on", () =>
    Effect.gen(function*() {
      const s = yield* sandbox
      yield* Effect.gen(function*() {
        const trop = yield* Trop
        const gate = yield* Deferred.make<void>()
        const inside = yield* Deferred.make<void>()
        const holder = yield* Effect.fork(trop.withSqlClient(Effect.gen(function*() {
          yield* trop.reserve({ tag: "a" })
          yield* Deferred.succeed(inside, undefined)
          yield* Deferred.await(gate)
        })))
        yield* Deferred.await(inside)
        const interrupted = yield* Effect.fork(trop.reserve({ tag: "x" }))
        const waiting = yield* Effect.fork(trop.reserve({ tag: "c" }))
        expect(Option.isNone(yield* settled(interrupted))).toBe(true)
        expect(Exit.isInterrupted(yield* Fiber.interrupt(interrupted))).toBe(true)
        yield* Deferred.succeed(gate, undefined)
        yield* Fiber.join(holder)
        yield* Fiber.join(waiting)
        yield* trop.reserve({ tag: "d" })
        expect(committedTags(s.file)).toEqual(["a", "c", "d"])
      }).pipe(Effect.provide(s.layer))
    }))

  it.scopedLive("a call interrupted inside its transaction rolls back; the caller's context is as it was and the service goes on", () =>
    Effect.gen(function*() {
      const s = yield* sandbox
      yield* Effect.gen(function*() {
        const trop = yield* Trop
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
        expect(committedTags(s.file)).toEqual([])
        yield* trop.reserve({ tag: "y" })
        expect((yield* trop.list()).map((r) => r.tag)).toEqual(["y"])
      }).pipe(Effect.provide(s.layer))
    }))

  it.scopedLive("after a call, committed or failed, nothing of its transaction is left in the caller's context", () =>
    Effect.gen(function*() {
      const s = yield* sandbox
      yield* Effect.gen(function*() {
        const trop = yield* Trop
        yield* trop.reserve({ tag: "a" })
        expect(yield* leftovers).toEqual([])
        const failed = yield* Effect.exit(trop.withSqlClient(Effect.zipRight(trop.reserve({ tag: "b" }), Effect.fail("boom"))))
        expect(Exit.isFailure(failed)).toBe(true)
        expect(yield* leftovers).toEqual([])
        yield* trop.transaction(trop.reserve({ tag: "c" }))
        expect(yield* leftovers).toEqual([])
        expect(committedTags(s.file)).toEqual(["a", "c"])
      }).pipe(Effect.provide(s.layer))
    }))
})
