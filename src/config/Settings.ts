import type * as Option from "effect/Option"
import type { Exclusions } from "../domain/Exclusions.js"
import type { Project, Task } from "../domain/Identifier.js"
import type { PortRange } from "../domain/PortRange.js"
import type { OccupancyPolicy } from "../probe/Policy.js"

/** How `list` prints its rows. */
export type OutputFormat = "table" | "json" | "csv" | "tsv"

/**
 * The effective configuration of one invocation, validated: the single value the
 * operations receive (docs/configuration.md). `config/Effective.ts` builds it from the layers.
 */
export interface Settings {
  readonly range: PortRange
  readonly exclusions: Exclusions
  readonly occupancy: OccupancyPolicy
  readonly project: Option.Option<Project>
  readonly task: Option.Option<Task>
  readonly allowUnrelatedPath: boolean
  /** `allow_change || allow_change_project` (docs/configuration.md). */
  readonly allowProjectChange: boolean
  readonly allowTaskChange: boolean
  readonly disableAutoinit: boolean
  readonly disableAutoprune: boolean
  readonly disableAutoexpire: boolean
  readonly expireAfterDays: number
  readonly busyTimeoutSeconds: number
  readonly outputFormat: OutputFormat
}
