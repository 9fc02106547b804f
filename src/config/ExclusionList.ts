import type { ExclusionEntry } from "./Validate.js"

/**
 * Port-set arithmetic on `excluded_ports` entries (docs/concepts.md). Entries are
 * valid (1 <= start <= end) here; callers validate first.
 */

export const covers = (outer: ExclusionEntry, inner: ExclusionEntry): boolean =>
  outer.start <= inner.start && inner.end <= outer.end

const touches = (a: ExclusionEntry, b: ExclusionEntry): boolean => a.start <= b.end + 1 && a.end >= b.start - 1

/** What adding `entry` to a list does. Indices refer to `existing`; unparsable entries are `undefined`. */
export type Addition =
  | { readonly _tag: "AlreadyCovered" }
  | {
    readonly _tag: "Merged"
    /** The entry written, at the position of the first absorbed entry or appended. */
    readonly entry: ExclusionEntry
    /** Indices of the entries it replaces, ascending; empty means append. */
    readonly absorbed: ReadonlyArray<number>
  }

/**
 * Adds `entry`: a no-op when one existing entry already covers it; otherwise it absorbs
 * every entry that overlaps or is adjacent to it, repeatedly, so the result never holds
 * two touching entries where there was one new port range.
 */
export const add = (existing: ReadonlyArray<ExclusionEntry | undefined>, entry: ExclusionEntry): Addition => {
  if (existing.some((e) => e !== undefined && covers(e, entry))) return { _tag: "AlreadyCovered" }
  let merged = entry
  const absorbed = new Set<number>()
  let grew = true
  while (grew) {
    grew = false
    for (const [i, e] of existing.entries()) {
      if (e === undefined || absorbed.has(i) || !touches(e, merged)) continue
      absorbed.add(i)
      merged = { start: Math.min(merged.start, e.start), end: Math.max(merged.end, e.end) }
      grew = true
    }
  }
  return { _tag: "Merged", entry: merged, absorbed: [...absorbed].sort((a, b) => a - b) }
}

/** The minimal sorted list with the same port set: maximal runs of consecutive ports. */
export const compact = (entries: ReadonlyArray<ExclusionEntry>): ReadonlyArray<ExclusionEntry> => {
  const sorted = [...entries].sort((a, b) => a.start - b.start || a.end - b.end)
  const runs: Array<{ start: number; end: number }> = []
  for (const e of sorted) {
    const last = runs[runs.length - 1]
    if (last !== undefined && e.start <= last.end + 1) last.end = Math.max(last.end, e.end)
    else runs.push({ start: e.start, end: e.end })
  }
  return runs
}

/** `8080..8084` or `9000`, the way `Would save: [...]` lists entries. */
export const format = (entry: ExclusionEntry): string =>
  entry.start === entry.end ? String(entry.start) : `${entry.start}..${entry.end}`
