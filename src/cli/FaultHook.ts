import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Schedule from "effect/Schedule"
import * as fs from "node:fs"
import type { Environment } from "../config/Env.js"
import { Checkpoint } from "../operations/Checkpoint.js"

/**
 * TEST BUILD ONLY. build.mjs replaces this module with NoFaultHook.ts in the shipped CLI
 * (dist/trop.cjs) and keeps it in the fault-injection build (dist/test/), so no installed
 * `trop` reads this variable.
 *
 * `TROP_TEST_CHECKPOINT=<name>:<marker file>`: at checkpoint `name` (inside its write
 * transaction) the command writes its pid to the marker and waits there until the test
 * deletes the marker (then it goes on to COMMIT) or kills it.
 */
const VARIABLE = "TROP_TEST_CHECKPOINT"

const stopAt = (name: string, marker: string) =>
  Layer.succeed(Checkpoint, {
    reached: (reached) =>
      reached !== name
        ? Effect.void
        : Effect.sync(() => fs.writeFileSync(marker, String(process.pid))).pipe(
          Effect.zipRight(Effect.repeat(Effect.sync(() => fs.existsSync(marker)), {
            schedule: Schedule.spaced("10 millis"),
            while: (present) => present
          })),
          Effect.asVoid
        )
  })

/** `effect` with the checkpoint the environment asks for, if any. */
export const withFaultHook = (env: Environment) => <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> => {
  const match = /^([^:]+):(.+)$/.exec(env[VARIABLE] ?? "")
  return match?.[1] !== undefined && match[2] !== undefined ? Effect.provide(effect, stopAt(match[1], match[2])) : effect
}
