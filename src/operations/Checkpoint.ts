import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as fs from "node:fs"

/**
 * Named points inside write transactions, after part of the writes, where a fault test
 * can freeze the process and SIGKILL it while it holds the write lock. A no-op unless the
 * CLI runs with `TROP_TEST_CHECKPOINT=<name>:<marker file>` (test-only; see README).
 */
export class Checkpoint extends Context.Reference<Checkpoint>()("trop/Checkpoint", {
  defaultValue: () => ({ reached: (_name: string): Effect.Effect<void> => Effect.void })
}) {
  /** Freezes at `name` after creating `marker`, so the test knows when to kill. */
  static readonly freezeAt = (name: string, marker: string) =>
    Layer.succeed(Checkpoint, {
      reached: (reached) =>
        reached === name ? Effect.zipRight(Effect.sync(() => fs.writeFileSync(marker, String(process.pid))), Effect.never) : Effect.void
    })
}

/** Announces `name`; returns at once unless a fault test froze it. */
export const reached = (name: string): Effect.Effect<void> => Effect.flatMap(Checkpoint, (c) => c.reached(name))
