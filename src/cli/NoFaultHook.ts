import type * as Effect from "effect/Effect"
import type { Environment } from "../config/Env.js"
import type * as FaultHook from "./FaultHook.js"

/**
 * What the shipped CLI (dist/trop.cjs) gets instead of FaultHook.ts (see build.mjs): no
 * test hook at all, whatever the environment says.
 */
export const withFaultHook: typeof FaultHook.withFaultHook = (_env: Environment) => <A, E, R>(effect: Effect.Effect<A, E, R>) => effect
