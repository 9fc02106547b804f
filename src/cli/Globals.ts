import * as Either from "effect/Either"
import * as Option from "effect/Option"
import type { Env, Occurrences, Opt } from "./Opt.js"
import { decodeAll, flag, path, unsigned } from "./Opt.js"

const U32 = 4294967295

/** Options accepted before and after the subcommand name (docs/cli.md). */
export const globalOptions = {
  verbose: flag("verbose", "Enable verbose output"),
  quiet: flag("quiet", "Suppress non-essential output"),
  // TROP_DATA_DIR is applied after both positions merge (Session.dataDirectory), not here.
  dataDir: { ...path("data-dir", "Override the data directory location"), env: "TROP_DATA_DIR" },
  busyTimeout: unsigned("busy-timeout", "SECONDS", "Database lock wait in seconds; 0 disables waiting (max 2147483)", U32),
  disableAutoinit: {
    ...flag("disable-autoinit", "Disable automatic database initialization"),
    env: "TROP_DISABLE_AUTOINIT"
  }
} satisfies Record<string, Opt<unknown>>

export const globalList: ReadonlyArray<Opt<unknown>> = Object.values(globalOptions)

export interface GlobalValues {
  readonly verbose: boolean
  readonly quiet: boolean
  readonly dataDir: Option.Option<string>
  readonly busyTimeout: Option.Option<number>
  readonly disableAutoinit: boolean
}

/**
 * The global options of one position (before or after the subcommand name), decoded; or
 * every bad value's reason, in declaration order.
 */
export const decodeGlobals = (given: Occurrences, env: Env): Either.Either<GlobalValues, Array<string>> =>
  decodeAll(globalOptions, given, env)

/** Global options from both positions; the occurrence after the subcommand wins (docs/cli.md). */
export const mergeGlobals = (before: GlobalValues, after: GlobalValues): GlobalValues => ({
  verbose: before.verbose || after.verbose,
  quiet: before.quiet || after.quiet,
  dataDir: Option.orElse(after.dataDir, () => before.dataDir),
  busyTimeout: Option.orElse(after.busyTimeout, () => before.busyTimeout),
  disableAutoinit: before.disableAutoinit || after.disableAutoinit
})
