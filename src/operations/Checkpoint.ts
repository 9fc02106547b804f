import * as Context from "effect/Context"
import * as Effect from "effect/Effect"

/**
 * Named points inside write transactions, after part of the writes, where a fault test can
 * stop the process while it holds the write lock. Nothing here acts: the default does
 * nothing, and only the test build of the CLI (src/cli/FaultHook.ts) provides one that does.
 */
export class Checkpoint extends Context.Reference<Checkpoint>()("trop/Checkpoint", {
  defaultValue: () => ({ reached: (_name: string): Effect.Effect<void> => Effect.void })
}) {}

/** Announces `name`; returns at once unless a fault test stopped it. */
export const reached = (name: string): Effect.Effect<void> => Effect.flatMap(Checkpoint, (c) => c.reached(name))
