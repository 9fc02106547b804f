// Turns (src/store/Turns.ts): one holder at a time among live fibers, a free turn taken at
// once, waiters woken by a release, and interrupted waiters taking nothing.
import { describe, it } from "@effect/vitest"
import { Deferred, Effect, Exit, Fiber, FiberId, Option } from "effect"
import { expect } from "vitest"
import { Turns } from "../../src/store/Turns.js"

/** A fiber's state after the others have had their turns: done or still waiting. */
const settled = <A, E>(fiber: Fiber.RuntimeFiber<A, E>) => Effect.zipRight(Effect.sleep("20 millis"), Fiber.poll(fiber))

describe("Turns", () => {
  it.live("a waiter gets the turn when the holder releases it, not before", () =>
    Effect.gen(function*() {
      const turns = new Turns()
      yield* turns.take
      const waiter = yield* Effect.fork(turns.take)
      expect(Option.isNone(yield* settled(waiter))).toBe(true)
      yield* turns.release
      yield* Fiber.join(waiter)
      // The waiter holds it now: a third one waits in turn.
      const third = yield* Effect.fork(turns.take)
      expect(Option.isNone(yield* settled(third))).toBe(true)
      yield* turns.release
      yield* Fiber.join(third)
    }))

  it.live("an interrupted waiter takes nothing: the next waiter gets the turn", () =>
    Effect.gen(function*() {
      const turns = new Turns()
      yield* turns.take
      const interrupted = yield* Effect.fork(turns.take)
      const next = yield* Effect.fork(turns.take)
      expect(Option.isNone(yield* settled(interrupted))).toBe(true)
      expect(Exit.isInterrupted(yield* Fiber.interrupt(interrupted))).toBe(true)
      yield* turns.release
      yield* Fiber.join(next)
      yield* turns.release
      // Free again: taken at once.
      yield* turns.take
    }))

  it.live("a waiter woken and interrupted before it runs again takes nothing; the other waiter gets the turn", () =>
    Effect.gen(function*() {
      const turns = new Turns()
      yield* turns.take
      const woken = yield* Effect.fork(turns.take)
      const other = yield* Effect.fork(turns.take)
      expect(Option.isNone(yield* settled(woken))).toBe(true)
      // The release wakes both; the first is told to stop before it has run again.
      yield* Effect.zipRight(turns.release, Effect.sync(() => woken.unsafeInterruptAsFork(FiberId.none)))
      expect(Exit.isInterrupted(yield* Fiber.await(woken))).toBe(true)
      yield* Fiber.join(other).pipe(Effect.timeoutFail({ duration: "5 seconds", onTimeout: () => new Error("the turn was lost") }))
      yield* turns.release
      yield* turns.take
    }))

  it.live("many fibers, some interrupted while they wait: never two holders, every other one gets its turn", () =>
    Effect.gen(function*() {
      const turns = new Turns()
      let holders = 0
      let most = 0
      const served = new Set<number>()
      const use = (i: number) =>
        Effect.uninterruptibleMask((restore) =>
          Effect.zipRight(
            restore(turns.take),
            Effect.sync(() => {
              holders++
              most = Math.max(most, holders)
            }).pipe(
              Effect.zipRight(Effect.sleep(`${i % 3} millis`)),
              Effect.zipRight(Effect.sync(() => {
                holders--
                served.add(i)
              })),
              Effect.ensuring(turns.release)
            )
          ))
      const started = yield* Deferred.make<void>()
      const fibers = yield* Effect.forEach(
        Array.from({ length: 40 }, (_, i) => i),
        (i) => Effect.fork(Effect.zipRight(Deferred.await(started), use(i))),
        { concurrency: "unbounded" }
      )
      yield* Deferred.succeed(started, undefined)
      yield* Effect.sleep("5 millis")
      const doomed = (i: number) => i % 4 === 3
      yield* Effect.forEach(fibers.filter((_, i) => doomed(i)), (f) => Fiber.interrupt(f), { discard: true })
      yield* Effect.forEach(fibers, (f) => Fiber.await(f), { discard: true })
      expect(most).toBe(1)
      expect(holders).toBe(0)
      // Every fiber left alone had its turn (an interrupted one may have had it too), and
      // the turn is free at the end.
      for (const i of fibers.keys()) if (!doomed(i)) expect(served.has(i)).toBe(true)
      yield* turns.take
    }))
})
