import * as Option from "effect/Option"
import type { OccupancyCheck } from "../probe/Policy.js"
import type { ConfigLayer, ExclusionEntry, Merged, Source } from "./Effective.js"
import { addExclusions, COMMAND_LINE, setMax, setMin } from "./Effective.js"
import type { OutputFormat } from "./Settings.js"

/**
 * Options the user actually passed that override configuration (docs/configuration.md). Each sets
 * exactly its own leaf; boolean flags can only turn a setting on.
 */
export interface CommandLineSettings {
  readonly busyTimeoutSeconds?: number | undefined
  readonly disableAutoinit?: boolean | undefined
  readonly project?: string | undefined
  readonly clearProject?: boolean | undefined
  readonly task?: string | undefined
  readonly clearTask?: boolean | undefined
  readonly min?: number | undefined
  readonly max?: number | undefined
  readonly allowUnrelatedPath?: boolean | undefined
  readonly allowProjectChange?: boolean | undefined
  readonly allowTaskChange?: boolean | undefined
  readonly allowChange?: boolean | undefined
  readonly disableAutoprune?: boolean | undefined
  readonly disableAutoexpire?: boolean | undefined
  readonly occupancy?: Partial<OccupancyCheck> | undefined
  readonly outputFormat?: OutputFormat | undefined
  readonly expireAfterDays?: number | undefined
  /** Added to the exclusions of every other layer (library options; the CLI has no such option). */
  readonly exclusions?: ReadonlyArray<ExclusionEntry> | undefined
}

/**
 * The command-line layers, the last two: options override every file and variable.
 * `source` names them in errors: `<command line>`, or the library's `<options>`.
 */
export const layer = (cli: CommandLineSettings, source: Source = COMMAND_LINE): ConfigLayer => (m: Merged): Merged => {
  const fromCommandLine = <A>(value: A) => ({ value, source })
  let r = m
  if (cli.busyTimeoutSeconds !== undefined) r = { ...r, maximumLockWaitSeconds: fromCommandLine(cli.busyTimeoutSeconds) }
  if (cli.disableAutoinit) r = { ...r, disableAutoinit: true }
  if (cli.project !== undefined) r = { ...r, project: Option.some(fromCommandLine(cli.project)) }
  if (cli.min !== undefined) r = setMin(r, cli.min, source)
  if (cli.max !== undefined) r = setMax(r, cli.max, source)
  if (cli.exclusions !== undefined) r = addExclusions(r, cli.exclusions, source)
  if (cli.allowUnrelatedPath) r = { ...r, allowUnrelatedPath: true }
  if (cli.allowProjectChange) r = { ...r, allowChangeProject: true }
  if (cli.allowTaskChange) r = { ...r, allowChangeTask: true }
  if (cli.allowChange) r = { ...r, allowChange: true }
  if (cli.disableAutoprune) r = { ...r, disableAutoprune: true }
  if (cli.disableAutoexpire) r = { ...r, disableAutoexpire: true }
  for (const [leaf, on] of Object.entries(cli.occupancy ?? {})) {
    if (on) r = { ...r, occupancyCheck: { ...r.occupancyCheck, [leaf]: true } }
  }
  if (cli.outputFormat !== undefined) r = { ...r, outputFormat: cli.outputFormat }
  if (cli.expireAfterDays !== undefined) r = { ...r, expireAfterDays: fromCommandLine(cli.expireAfterDays) }
  // Metadata intents come last (layer 7).
  if (cli.clearProject) r = { ...r, project: Option.none() }
  if (cli.task !== undefined) r = { ...r, task: Option.some(fromCommandLine(cli.task)) }
  if (cli.clearTask) r = { ...r, task: Option.none() }
  return r
}
