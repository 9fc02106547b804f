import { describe, it } from "@effect/vitest"
import { Effect, Either, Option } from "effect"
import fc from "fast-check"
import { expect } from "vitest"
import type { Exclusions } from "../../src/domain/Exclusions.js"
import { isExcluded } from "../../src/domain/Exclusions.js"
import type { Availability, Blocker, Exhaustion } from "../../src/operations/Allocate.js"
import { allocate, blockerOf, formatBlockers, scan } from "../../src/operations/Allocate.js"
import { Occupancy } from "../../src/probe/Occupancy.js"
import type { OccupancyPolicy, Probe } from "../../src/probe/Policy.js"
import { probes } from "../../src/probe/Policy.js"
import { port, range } from "../fixtures/Fixtures.js"

const POLICY: OccupancyPolicy = { skipTcp: false, skipUdp: false, skipIpv4: false, skipIpv6: false, checkAllInterfaces: false }
const TCP4: Probe = probes(POLICY)[0] ?? { protocol: "tcp", family: "ipv4", scope: "localhost", address: "127.0.0.1" }

/**
 * An Occupancy double that records which ports were probed; `failing` ports have a probe
 * failure (possibly occupied), `occupied` ports are in use.
 */
const recordingOccupancy = (occupied: ReadonlySet<number>, failing: ReadonlySet<number> = new Set()) => {
  const probed: Array<number> = []
  const layer = Occupancy.fromCheck({
    check: (p: number, policy: OccupancyPolicy) =>
      Effect.sync(() => {
        probed.push(p)
        return {
          port: p,
          inUse: occupied.has(p) ? probes(policy) : [],
          failures: failing.has(p) ? [{ probe: TCP4, reason: "EACCES: permission denied" }] : []
        }
      }),
    warnings: Effect.succeed([])
  })
  return { layer, probed }
}

const availability = (reserved: Iterable<number>, exclusions: Exclusions = []): Availability => ({
  reserved: new Set(reserved),
  exclusions,
  policy: POLICY
})

const ex = (start: number, end = start) => ({ start: port(start), end: port(end) })

describe("blockerOf: reserved ▸ excluded ▸ occupied ▸ possibly occupied (docs/concepts.md)", () => {
  it.effect("the first failing check names the blocker", () =>
    Effect.gen(function*() {
      const a = availability([5000], [ex(5000, 5001)])
      const kind = (p: number) => Effect.map(blockerOf(port(p), a), Option.map((b) => b._tag))
      expect(yield* kind(5000)).toEqual(Option.some("reserved"))
      expect(yield* kind(5001)).toEqual(Option.some("excluded"))
      expect(yield* kind(5002)).toEqual(Option.some("occupied"))
      expect(yield* kind(5003)).toEqual(Option.some("possibly occupied"))
      expect(yield* kind(5004)).toEqual(Option.none())
    }).pipe(Effect.provide(recordingOccupancy(new Set([5000, 5001, 5002]), new Set([5003])).layer)))

  it.effect("a possibly-occupied blocker carries the probe failure sentence", () =>
    Effect.gen(function*() {
      const b = yield* blockerOf(port(5003), availability([]))
      expect(b).toEqual(Option.some({
        _tag: "possibly occupied",
        description: "TCP IPv4 localhost bind at 127.0.0.1:5003 failed: EACCES: permission denied"
      }))
    }).pipe(Effect.provide(recordingOccupancy(new Set(), new Set([5003])).layer)))

  it.effect("probes run only for ports that pass the reservation and exclusion checks", () => {
    const occupancy = recordingOccupancy(new Set([5003]))
    return Effect.gen(function*() {
      const result = yield* scan(range(5000, 5010), availability([5000, 5002], [ex(5001), ex(5004, 5005)]))
      expect(result).toEqual(Either.right(5006))
      expect(occupancy.probed).toEqual([5003, 5006])
    }).pipe(Effect.provide(occupancy.layer))
  })

  it.effect("ignore_occupied runs no probe at all for the preferred port (probe failures bypassed too)", () => {
    const occupancy = recordingOccupancy(new Set([6000]), new Set([6000]))
    return Effect.gen(function*() {
      const result = yield* allocate({
        preferred: Option.some(port(6000)),
        bypass: { ignoreExclusions: false, ignoreOccupied: true },
        range: range(5000, 5001),
        availability: availability([])
      })
      expect(result).toEqual(Either.right(6000))
      expect(occupancy.probed).toEqual([])
    }).pipe(Effect.provide(occupancy.layer))
  })
})

describe("formatBlockers (docs/concepts.md)", () => {
  const exhaustion = (kinds: ReadonlyArray<Blocker["_tag"]>, first?: { port: number; description: string }): Exhaustion => ({
    kinds: new Set(kinds),
    firstPossiblyOccupied: first === undefined ? Option.none() : Option.some({ port: port(first.port), description: first.description })
  })

  it("joins the kinds present in the fixed order, whatever order they were met in", () => {
    expect(formatBlockers(exhaustion(["occupied", "excluded", "reserved"]))).toBe("reserved, excluded, occupied")
    expect(formatBlockers(exhaustion(["occupied"]))).toBe("occupied")
    expect(formatBlockers(exhaustion(["excluded", "reserved"]))).toBe("reserved, excluded")
  })

  it("names the lowest possibly-occupied port and its failure", () => {
    expect(
      formatBlockers(
        exhaustion(["possibly occupied", "reserved"], { port: 5001, description: "UDP IPv6 localhost bind at [::1]:5001 failed: boom" })
      )
    ).toBe("reserved, possibly occupied (port 5001: UDP IPv6 localhost bind at [::1]:5001 failed: boom)")
  })

  it("an empty range has no blockers: `unavailable`", () => {
    expect(formatBlockers(exhaustion([]))).toBe("unavailable")
  })

  it.prop(
    "every subset of kinds is listed in the order reserved, excluded, occupied, possibly occupied",
    [fc.shuffledSubarray(["reserved", "excluded", "occupied", "possibly occupied"] as const)],
    ([kinds]) => {
      const text = formatBlockers(exhaustion(kinds, { port: 1, description: "d" }))
      const ORDER = ["reserved", "excluded", "occupied", "possibly occupied"] as const
      const spelled = { reserved: "reserved", excluded: "excluded", occupied: "occupied", "possibly occupied": "possibly occupied (port 1: d)" }
      const expected = ORDER.filter((k) => kinds.includes(k)).map((k) => spelled[k])
      expect(text).toBe(expected.length === 0 ? "unavailable" : expected.join(", "))
    }
  )

  it.effect("scan reports the lowest possibly-occupied port of an exhausted range", () =>
    Effect.gen(function*() {
      const result = yield* scan(range(5000, 5004), availability([5000]))
      expect(Either.isLeft(result)).toBe(true)
      if (Either.isLeft(result)) {
      expect(formatBlockers(result.left)).toBe(
        "reserved, occupied, possibly occupied (port 5002: TCP IPv4 localhost bind at 127.0.0.1:5002 failed: EACCES: permission denied)"
      )
      }
    }).pipe(Effect.provide(recordingOccupancy(new Set([5001, 5003]), new Set([5002, 5004])).layer)))
})

// Properties ------------------------------------------------------------------------------

interface Scenario {
  readonly min: number
  readonly max: number
  readonly reserved: ReadonlyArray<number>
  readonly occupied: ReadonlyArray<number>
  readonly exclusions: Exclusions
}

const clampPort = (n: number) => Math.min(65535, Math.max(1, n))

/** A small range somewhere in 1..65535 (often at the edges) with blockers in and around it. */
const scenario: fc.Arbitrary<Scenario> = fc
  .record({
    min: fc.oneof(fc.integer({ min: 1, max: 65535 }), fc.constantFrom(1, 65535, 65520)),
    size: fc.integer({ min: 0, max: 24 }),
    reserved: fc.array(fc.integer({ min: -3, max: 28 }), { maxLength: 20 }),
    occupied: fc.array(fc.integer({ min: -3, max: 28 }), { maxLength: 20 }),
    exclusions: fc.array(fc.tuple(fc.integer({ min: -3, max: 28 }), fc.integer({ min: 0, max: 6 })), { maxLength: 4 })
  })
  .map(({ exclusions, min, occupied, reserved, size }) => {
    const max = Math.min(65535, min + size)
    return {
      min,
      max,
      reserved: reserved.map((o) => clampPort(min + o)),
      occupied: occupied.map((o) => clampPort(min + o)),
      exclusions: exclusions.map(([o, w]) => ex(clampPort(min + o), clampPort(min + o + w)))
    }
  })

/** The reference model: the first failing check of a port, or undefined when available. */
const model = (s: Scenario) => {
  const reserved = new Set(s.reserved)
  const occupied = new Set(s.occupied)
  const blocker = (p: number, bypass = { ignoreExclusions: false, ignoreOccupied: false }) =>
    reserved.has(p)
      ? "reserved"
      : !bypass.ignoreExclusions && isExcluded(s.exclusions, p)
      ? "excluded"
      : !bypass.ignoreOccupied && occupied.has(p)
      ? "occupied"
      : undefined
  const rangePorts = Array.from({ length: s.max - s.min + 1 }, (_, i) => s.min + i)
  const lowest = rangePorts.find((p) => blocker(p) === undefined)
  const kinds = new Set(rangePorts.map((p) => blocker(p)).filter((k) => k !== undefined))
  return { blocker, lowest, kinds }
}

/** Runs synchronously: Occupancy.Test never waits, and this keeps 200 runs cheap. */
const run = <A>(s: Scenario, effect: Effect.Effect<A, never, Occupancy>): A =>
  Effect.runSync(effect.pipe(Effect.provide(Occupancy.Test(s.occupied))))

describe("scan and allocate properties (docs/concepts.md)", () => {
  it.prop(
    "scan returns the LOWEST port that is not reserved, excluded or occupied; exhaustion exactly when none exists",
    [scenario],
    ([s]) => {
      const result = run(s, scan(range(s.min, s.max), availability(s.reserved, s.exclusions)))
      const m = model(s)
      if (m.lowest === undefined) {
        expect(Either.isLeft(result)).toBe(true)
        if (Either.isLeft(result)) {
          // Every port of the range was classified: exactly the kinds present.
          expect([...result.left.kinds].sort()).toEqual([...m.kinds].sort())
          expect(Option.isNone(result.left.firstPossiblyOccupied)).toBe(true)
        }
      } else {
        expect(result).toEqual(Either.right(m.lowest))
      }
    },
    { fastCheck: { numRuns: 200 } }
  )

  it.prop(
    "a preferred port anywhere in 1..65535 is honoured when available; bypass flags apply to it only; another key's port is never taken",
    [
      scenario,
      fc.oneof(fc.integer({ min: 1, max: 65535 }), fc.integer({ min: -3, max: 28 })),
      fc.boolean(),
      fc.boolean()
    ],
    ([s, preferredRaw, ignoreExclusions, ignoreOccupied]) => {
      // Small values are offsets into the scenario so the preferred port often meets a blocker.
      const preferred = preferredRaw <= 28 ? clampPort(s.min + preferredRaw) : preferredRaw
      const bypass = { ignoreExclusions, ignoreOccupied }
      const result = run(
        s,
        allocate({
          preferred: Option.some(port(preferred)),
          bypass,
          range: range(s.min, s.max),
          availability: availability(s.reserved, s.exclusions)
        })
      )
      const m = model(s)
      const expected = m.blocker(preferred, bypass) === undefined ? preferred : m.lowest
      if (expected === undefined) expect(Either.isLeft(result)).toBe(true)
      else expect(result).toEqual(Either.right(expected))
      // Whatever happens, a port held by another key is never handed out, and the scan
      // part never uses the bypass flags.
      if (Either.isRight(result)) {
        expect(s.reserved.includes(result.right)).toBe(false)
        if (result.right !== preferred) expect(m.blocker(result.right)).toBeUndefined()
      }
    },
    { fastCheck: { numRuns: 200 } }
  )

  it.prop(
    "without a preferred port, allocate is the scan",
    [scenario],
    ([s]) => {
      const a = availability(s.reserved, s.exclusions)
      const viaAllocate = run(
        s,
        allocate({ preferred: Option.none(), bypass: { ignoreExclusions: true, ignoreOccupied: true }, range: range(s.min, s.max), availability: a })
      )
      const viaScan = run(s, scan(range(s.min, s.max), a))
      expect(Either.getRight(viaAllocate)).toEqual(Either.getRight(viaScan))
      expect(Either.isLeft(viaAllocate)).toBe(Either.isLeft(viaScan))
    },
    { fastCheck: { numRuns: 100 } }
  )
})

describe("preferred port examples (docs/concepts.md)", () => {
  const request = (preferred: number, bypass = { ignoreExclusions: false, ignoreOccupied: false }) =>
    allocate({
      preferred: Option.some(port(preferred)),
      bypass,
      range: range(5000, 5010),
      availability: availability([9000], [ex(8080)])
    }).pipe(Effect.provide(Occupancy.Test([8443, 5000])))

  it.effect("outside the range, free → used", () =>
    Effect.map(request(65535), (r) => expect(r).toEqual(Either.right(65535))))
  it.effect("excluded → scan; with ignore_exclusions → used", () =>
    Effect.gen(function*() {
      expect(yield* request(8080)).toEqual(Either.right(5001))
      expect(yield* request(8080, { ignoreExclusions: true, ignoreOccupied: false })).toEqual(Either.right(8080))
      // The narrow flags are independent.
      expect(yield* request(8080, { ignoreExclusions: false, ignoreOccupied: true })).toEqual(Either.right(5001))
    }))
  it.effect("occupied → scan; with ignore_occupied → used", () =>
    Effect.gen(function*() {
      expect(yield* request(8443)).toEqual(Either.right(5001))
      expect(yield* request(8443, { ignoreExclusions: false, ignoreOccupied: true })).toEqual(Either.right(8443))
      expect(yield* request(8443, { ignoreExclusions: true, ignoreOccupied: false })).toEqual(Either.right(5001))
    }))
  it.effect("reserved by another key → scan, even with every bypass", () =>
    Effect.map(request(9000, { ignoreExclusions: true, ignoreOccupied: true }), (r) => expect(r).toEqual(Either.right(5001))))
})
