import type * as Port from "./Port.js"

/** One excluded port (start = end) or inclusive range, already validated (1 <= start <= end). */
export interface ExcludedRange {
  readonly start: Port.Port
  readonly end: Port.Port
}

/** The union of every `excluded_ports` entry of every configuration layer. */
export type Exclusions = ReadonlyArray<ExcludedRange>

export const empty: Exclusions = []

export const isExcluded = (exclusions: Exclusions, port: number): boolean =>
  exclusions.some((r) => port >= r.start && port <= r.end)
