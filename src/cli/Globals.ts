import { Command, Options } from "@effect/cli"
import * as Option from "effect/Option"
import type { Opt } from "./Opt.js"
import { flag, path, unsigned } from "./Opt.js"

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

export const globalParser: Options.Options<GlobalValues> = Options.all({
  verbose: globalOptions.verbose.parser,
  quiet: globalOptions.quiet.parser,
  dataDir: globalOptions.dataDir.parser,
  busyTimeout: globalOptions.busyTimeout.parser,
  disableAutoinit: globalOptions.disableAutoinit.parser
})

/** The root command: it only carries the global options given before the subcommand. */
export const root = Command.make("trop", { globals: globalParser })

/** Global options from both positions; the occurrence after the subcommand wins (docs/cli.md). */
export const mergeGlobals = (before: GlobalValues, after: GlobalValues): GlobalValues => ({
  verbose: before.verbose || after.verbose,
  quiet: before.quiet || after.quiet,
  dataDir: Option.orElse(after.dataDir, () => before.dataDir),
  busyTimeout: Option.orElse(after.busyTimeout, () => before.busyTimeout),
  disableAutoinit: before.disableAutoinit || after.disableAutoinit
})
