import fc from "fast-check"
import { describe, expect, it } from "vitest"
import type { Addition } from "../../src/config/ExclusionList.js"
import { add, compact, covers, format } from "../../src/config/ExclusionList.js"
import type { ExclusionEntry } from "../../src/config/Validate.js"

/**
 * Port-set arithmetic of `excluded_ports`: the merge of `exclude` and compaction
 * (docs/concepts.md). Ports are drawn from a small window so that overlaps and adjacency are common.
 */

const RUNS = { numRuns: 200 }

const entryIn = (lo: number, hi: number): fc.Arbitrary<ExclusionEntry> =>
  fc.tuple(fc.integer({ min: lo, max: hi }), fc.integer({ min: 0, max: 6 })).map(([start, width]) => ({
    start,
    end: Math.min(hi, start + width)
  }))

const entry = fc.oneof(
  { weight: 5, arbitrary: entryIn(1, 60) },
  // Occasionally near the top of the port space, to exercise the `end + 1` arithmetic.
  { weight: 1, arbitrary: entryIn(65525, 65535) }
)
const entries = fc.array(entry, { maxLength: 12 })
/** A list as `exclude` sees it: unparsable items are `undefined` and must stay untouched. */
const existingList = fc.array(fc.option(entry, { nil: undefined, freq: 6 }), { maxLength: 12 })

const portsOf = (list: ReadonlyArray<ExclusionEntry | undefined>): ReadonlySet<number> => {
  const set = new Set<number>()
  for (const e of list) {
    if (e === undefined) continue
    for (let p = e.start; p <= e.end; p++) set.add(p)
  }
  return set
}

const sorted = (s: ReadonlySet<number>) => [...s].sort((a, b) => a - b)

/** Overlap or adjacency, written independently of the implementation. */
const touching = (a: ExclusionEntry, b: ExclusionEntry) =>
  portsOf([a]).size > 0 && [...portsOf([a])].some((p) => portsOf([b]).has(p) || portsOf([b]).has(p + 1) || portsOf([b]).has(p - 1))

/** The indices of the existing entries connected to `entry` through chains of touching entries. */
const component = (existing: ReadonlyArray<ExclusionEntry | undefined>, e: ExclusionEntry): ReadonlyArray<number> => {
  const members: Array<ExclusionEntry> = [e]
  const found = new Set<number>()
  let grew = true
  while (grew) {
    grew = false
    existing.forEach((x, i) => {
      if (x === undefined || found.has(i)) return
      if (members.some((m) => touching(m, x))) {
        found.add(i)
        members.push(x)
        grew = true
      }
    })
  }
  return [...found].sort((a, b) => a - b)
}

/** The list after applying an addition the way `exclude` writes it (docs/concepts.md). */
const applied = (
  existing: ReadonlyArray<ExclusionEntry | undefined>,
  addition: Extract<Addition, { _tag: "Merged" }>
): ReadonlyArray<ExclusionEntry | undefined> => {
  if (addition.absorbed.length === 0) return [...existing, addition.entry]
  return existing.flatMap((x, i) =>
    addition.absorbed.includes(i) ? (i === addition.absorbed[0] ? [addition.entry] : []) : [x]
  )
}

describe("compact (docs/concepts.md)", () => {
  it("never changes the set of excluded ports", () => {
    fc.assert(
      fc.property(entries, (list) => {
        expect(sorted(portsOf(compact(list)))).toEqual(sorted(portsOf(list)))
      }),
      RUNS
    )
  })

  it("is idempotent", () => {
    fc.assert(
      fc.property(entries, (list) => {
        const once = compact(list)
        expect(compact(once)).toEqual(once)
      }),
      RUNS
    )
  })

  it("is sorted ascending with no two overlapping or adjacent entries (maximal runs)", () => {
    fc.assert(
      fc.property(entries, (list) => {
        const out = compact(list)
        for (const e of out) expect(e.start).toBeLessThanOrEqual(e.end)
        for (let i = 1; i < out.length; i++) {
          const prev = out[i - 1]
          const cur = out[i]
          if (prev === undefined || cur === undefined) throw new Error("unreachable")
          // A gap of at least one port that is not excluded separates consecutive runs.
          expect(cur.start).toBeGreaterThan(prev.end + 1)
        }
      }),
      RUNS
    )
  })

  it("has exactly as many entries as maximal runs of consecutive ports", () => {
    fc.assert(
      fc.property(entries, (list) => {
        const ports = sorted(portsOf(list))
        const runs = ports.filter((p, i) => i === 0 || ports[i - 1] !== p - 1).length
        expect(compact(list)).toHaveLength(runs)
      }),
      RUNS
    )
  })

  it("examples", () => {
    expect(compact([])).toEqual([])
    expect(compact([{ start: 9000, end: 9000 }, { start: 8080, end: 8082 }, { start: 8083, end: 8084 }, { start: 8081, end: 8081 }]))
      .toEqual([{ start: 8080, end: 8084 }, { start: 9000, end: 9000 }])
    expect(compact([{ start: 5, end: 5 }, { start: 5, end: 5 }])).toEqual([{ start: 5, end: 5 }])
    expect(compact([{ start: 65535, end: 65535 }, { start: 65534, end: 65534 }])).toEqual([{ start: 65534, end: 65535 }])
    expect(compact([{ start: 1, end: 1 }, { start: 3, end: 3 }])).toEqual([{ start: 1, end: 1 }, { start: 3, end: 3 }])
  })

  it("format: singles as numbers, runs as A..B", () => {
    expect(format({ start: 9000, end: 9000 })).toBe("9000")
    expect(format({ start: 8080, end: 8084 })).toBe("8080..8084")
  })
})

describe("add (docs/concepts.md)", () => {
  it("AlreadyCovered exactly when one existing entry covers the whole new entry", () => {
    fc.assert(
      fc.property(existingList, entry, (existing, e) => {
        const coveredByOne = existing.some((x) => x !== undefined && portsOf([e]).size > 0 &&
          [...portsOf([e])].every((p) => portsOf([x]).has(p)))
        expect(add(existing, e)._tag).toBe(coveredByOne ? "AlreadyCovered" : "Merged")
        if (coveredByOne) expect(existing.some((x) => x !== undefined && covers(x, e))).toBe(true)
      }),
      RUNS
    )
  })

  it("is Merged (not a no-op) when the new entry is covered only by several entries together", () => {
    const r = add([{ start: 10, end: 12 }, { start: 13, end: 15 }], { start: 11, end: 14 })
    expect(r).toEqual({ _tag: "Merged", entry: { start: 10, end: 15 }, absorbed: [0, 1] })
  })

  it("the resulting set is exactly old ∪ new: nothing outside it changes", () => {
    fc.assert(
      fc.property(existingList, entry, (existing, e) => {
        const r = add(existing, e)
        const expected = sorted(new Set([...portsOf(existing), ...portsOf([e])]))
        const after = r._tag === "AlreadyCovered" ? existing : applied(existing, r)
        expect(sorted(portsOf(after))).toEqual(expected)
      }),
      RUNS
    )
  })

  it("absorbed entries are exactly those transitively touching the new entry; the merged entry spans them", () => {
    fc.assert(
      fc.property(existingList, entry, (existing, e) => {
        const r = add(existing, e)
        if (r._tag === "AlreadyCovered") return
        const expected = component(existing, e)
        expect(r.absorbed).toEqual(expected)
        const members = [e, ...expected.map((i) => existing[i]).filter((x): x is ExclusionEntry => x !== undefined)]
        expect(r.entry).toEqual({
          start: Math.min(...members.map((m) => m.start)),
          end: Math.max(...members.map((m) => m.end))
        })
      }),
      RUNS
    )
  })

  it("after the merge no remaining entry touches the merged entry; unparsable items are never absorbed", () => {
    fc.assert(
      fc.property(existingList, entry, (existing, e) => {
        const r = add(existing, e)
        if (r._tag === "AlreadyCovered") return
        for (const i of r.absorbed) expect(existing[i]).toBeDefined()
        existing.forEach((x, i) => {
          if (x !== undefined && !r.absorbed.includes(i)) expect(touching(x, r.entry)).toBe(false)
        })
        // Untouched entries keep their position relative to each other; undefined ones survive.
        const after = applied(existing, r)
        expect(after.filter((x) => x === undefined)).toHaveLength(existing.filter((x) => x === undefined).length)
      }),
      RUNS
    )
  })

  it("examples (docs/concepts.md)", () => {
    const spec = [{ start: 8080, end: 8080 }, { start: 9000, end: 9000 }]
    expect(add(spec, { start: 8081, end: 8081 })).toEqual({ _tag: "Merged", entry: { start: 8080, end: 8081 }, absorbed: [0] })
    expect(add(spec, { start: 8080, end: 8080 })).toEqual({ _tag: "AlreadyCovered" })
    expect(add(spec, { start: 8500, end: 8500 })).toEqual({ _tag: "Merged", entry: { start: 8500, end: 8500 }, absorbed: [] })
    // Chains: 3..4 touches 5, which touches 6..7, which touches 8: all absorbed, 20 is not.
    expect(add([{ start: 8, end: 8 }, { start: 20, end: 20 }, { start: 6, end: 7 }, { start: 1, end: 1 }], { start: 3, end: 5 }))
      .toEqual({ _tag: "Merged", entry: { start: 3, end: 8 }, absorbed: [0, 2] })
    // Adjacent below and above.
    expect(add([{ start: 1, end: 4 }, { start: 6, end: 9 }], { start: 5, end: 5 }))
      .toEqual({ _tag: "Merged", entry: { start: 1, end: 9 }, absorbed: [0, 1] })
    expect(add([undefined, { start: 6, end: 9 }], { start: 5, end: 5 }))
      .toEqual({ _tag: "Merged", entry: { start: 5, end: 9 }, absorbed: [1] })
    expect(add([{ start: 65535, end: 65535 }], { start: 65534, end: 65534 }))
      .toEqual({ _tag: "Merged", entry: { start: 65534, end: 65535 }, absorbed: [0] })
    expect(add([{ start: 1, end: 1 }], { start: 3, end: 3 }))
      .toEqual({ _tag: "Merged", entry: { start: 3, end: 3 }, absorbed: [] })
  })
})
