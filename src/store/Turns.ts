import * as Effect from "effect/Effect"

/**
 * Turns on one thing, for fibers: one holder at a time. A free turn is taken in the step
 * that asks for it (Effect's Semaphore suspends the fiber even then, about ten steps per
 * turn), which matters on a path taken once per call of the library.
 *
 * `release` wakes every waiter and each checks again, as Effect's Semaphore does: a waiter
 * interrupted after it was woken then takes nothing, and the others still get their turn.
 */
export class Turns {
  private busy = false
  private readonly waiting = new Set<() => void>()

  /** Waits for the turn (interruptibly) and takes it. */
  readonly take: Effect.Effect<void> = Effect.suspend(() => this.tryTake() ? Effect.void : this.wait)

  /** Gives the turn back. Only its holder calls this, once per `take`. */
  readonly release: Effect.Effect<void> = Effect.sync(() => {
    this.busy = false
    for (const wake of [...this.waiting]) wake()
  })

  private tryTake(): boolean {
    if (this.busy) return false
    this.busy = true
    return true
  }

  private readonly wait: Effect.Effect<void> = Effect.async<void>((resume) => {
    if (this.tryTake()) return resume(Effect.void)
    const wake = () => {
      this.waiting.delete(wake)
      resume(this.take)
    }
    this.waiting.add(wake)
    return Effect.sync(() => this.waiting.delete(wake))
  })
}
