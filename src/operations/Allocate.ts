import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import * as dgram from "node:dgram"
import * as net from "node:net"
import type { Exclusions } from "../domain/Exclusions.js"
import { isExcluded } from "../domain/Exclusions.js"
import type { Port } from "../domain/Port.js"
import type { PortRange } from "../domain/PortRange.js"
import { ports } from "../domain/PortRange.js"
import type { Reservation } from "../domain/Reservation.js"
import type { ReservationKey } from "../domain/ReservationKey.js"
import type { OccupancyPolicy, Probe } from "../probe/Policy.js"
import { probes } from "../probe/Policy.js"
import { describeFailure, Occupancy } from "../probe/Occupancy.js"

/** Why a port cannot be handed out; the first failing check wins (docs/concepts.md). */
export type Blocker =
  | { readonly _tag: "reserved" }
  | { readonly _tag: "excluded" }
  | { readonly _tag: "occupied" }
  | { readonly _tag: "possibly occupied"; readonly description: string }

/** What allocation checks a port against. */
export interface Availability {
  /** Ports held by keys other than the one being reserved. */
  readonly reserved: ReadonlySet<number>
  readonly exclusions: Exclusions
  readonly policy: OccupancyPolicy
}

/** Which guards an explicitly preferred port may skip. */
export interface Bypass {
  readonly ignoreExclusions: boolean
  readonly ignoreOccupied: boolean
}

const NO_BYPASS: Bypass = { ignoreExclusions: false, ignoreOccupied: false }

const RESERVED: Blocker = { _tag: "reserved" }
const EXCLUDED: Blocker = { _tag: "excluded" }

/** The checks that need no probe: reserved by another key ▸ excluded (unless bypassed). */
const fixedBlocker = (port: Port, availability: Availability, bypass: Bypass): Blocker | undefined =>
  availability.reserved.has(port)
    ? RESERVED
    : !bypass.ignoreExclusions && isExcluded(availability.exclusions, port)
    ? EXCLUDED
    : undefined

/** What the probes of `port` say: occupied ▸ possibly occupied ▸ nothing. */
const probedBlocker = (port: Port, policy: OccupancyPolicy): Effect.Effect<Option.Option<Blocker>, never, Occupancy> =>
  Effect.flatMap(Occupancy, (occupancy) => occupancy.check(port, policy)).pipe(
    Effect.map((o): Option.Option<Blocker> => {
      if (o.inUse.length > 0) return Option.some({ _tag: "occupied" })
      const [failure] = o.failures
      return failure === undefined
        ? Option.none()
        : Option.some({ _tag: "possibly occupied", description: describeFailure(port, failure) })
    })
  )

/**
 * The first check `port` fails: reserved by another key ▸ excluded ▸ occupied ▸ possibly
 * occupied. Probes run only for ports that pass the first two checks.
 */
export const blockerOf = (
  port: Port,
  availability: Availability,
  bypass: Bypass = NO_BYPASS
): Effect.Effect<Option.Option<Blocker>, never, Occupancy> => {
  const fixed = fixedBlocker(port, availability, bypass)
  if (fixed !== undefined) return Effect.succeedSome(fixed)
  if (bypass.ignoreOccupied) return Effect.succeedNone
  return probedBlocker(port, availability.policy)
}

/** Every port of the range was unavailable; why, for the exhaustion message. */
export interface Exhaustion {
  readonly kinds: ReadonlySet<Blocker["_tag"]>
  /** The lowest possibly-occupied port and its probe failure (docs/concepts.md). */
  readonly firstPossiblyOccupied: Option.Option<{ readonly port: Port; readonly description: string }>
}

const KIND_ORDER: ReadonlyArray<Blocker["_tag"]> = ["reserved", "excluded", "occupied", "possibly occupied"]

/** `reserved, occupied, possibly occupied (port P: ...)` or `unavailable` (docs/concepts.md). */
export const formatBlockers = (exhaustion: Exhaustion): string => {
  const parts = KIND_ORDER.filter((kind) => exhaustion.kinds.has(kind)).map((kind) =>
    kind === "possibly occupied"
      ? Option.match(exhaustion.firstPossiblyOccupied, {
        onNone: () => kind,
        onSome: ({ description, port }) => `${kind} (port ${port}: ${description})`
      })
      : kind
  )
  return parts.length === 0 ? "unavailable" : parts.join(", ")
}

/**
 * The forward scan (docs/concepts.md): the lowest available port of the range. When none
 * is, every port has been classified, which is exactly what the exhaustion reports.
 */
export const scan = (
  range: PortRange,
  availability: Availability
): Effect.Effect<Either.Either<Port, Exhaustion>, never, Occupancy> =>
  Effect.gen(function*() {
    const kinds = new Set<Blocker["_tag"]>()
    let firstPossiblyOccupied: Exhaustion["firstPossiblyOccupied"] = Option.none()
    for (const port of ports(range)) {
      // Reserved and excluded ports are passed over without an effect each: in a data
      // directory with many reservations the scan runs under the write lock.
      const fixed = fixedBlocker(port, availability, NO_BYPASS)
      const blocker = fixed === undefined ? yield* probedBlocker(port, availability.policy) : Option.some(fixed)
      if (Option.isNone(blocker)) return Either.right(port)
      kinds.add(blocker.value._tag)
      if (blocker.value._tag === "possibly occupied" && Option.isNone(firstPossiblyOccupied)) {
        firstPossiblyOccupied = Option.some({ port, description: blocker.value.description })
      }
    }
    return Either.left({ kinds, firstPossiblyOccupied })
  })

/**
 * Why a preferred port was not granted (docs/concepts.md): another key holds it (`holder`), it is
 * excluded, in use or possibly in use, or the key keeps the port it already has (`kept`).
 */
export type Refusal =
  | { readonly _tag: "reserved"; readonly holder: ReservationKey }
  | { readonly _tag: "excluded" }
  | { readonly _tag: "occupied" }
  | { readonly _tag: "possibly occupied"; readonly description: string }
  | { readonly _tag: "kept" }

/** A preferred port that was not granted, and why. */
export interface PreferredRefused {
  readonly port: Port
  readonly refusal: Refusal
}

/** The refusal of `blocker`; a reserved port's holder is looked up among `others` (the rows that block). */
export const refusal = (port: Port, blocker: Blocker, others: ReadonlyArray<Reservation>): Option.Option<Refusal> => {
  if (blocker._tag !== "reserved") return Option.some(blocker)
  return Option.map(Option.fromNullable(others.find((r) => r.port === port)), (r) => ({ _tag: "reserved", holder: r.key }))
}

/** What `allocate` was asked for. */
export interface AllocationRequest {
  readonly preferred: Option.Option<Port>
  readonly bypass: Bypass
  readonly range: PortRange
  readonly availability: Availability
}

/** An allocation's outcome, and why the preferred port (if any) was passed over. */
export interface Explained {
  readonly result: Either.Either<Port, Exhaustion>
  readonly preferredBlocker: Option.Option<Blocker>
}

/** `allocate`, also telling why the preferred port (if any) was passed over. */
export const allocateExplained = (request: AllocationRequest): Effect.Effect<Explained, never, Occupancy> =>
  Option.match(request.preferred, {
    onNone: () =>
      Effect.map(scan(request.range, request.availability), (result): Explained => ({ result, preferredBlocker: Option.none() })),
    onSome: (port) =>
      Effect.flatMap(blockerOf(port, request.availability, request.bypass), (preferredBlocker): Effect.Effect<Explained, never, Occupancy> =>
        Option.isNone(preferredBlocker)
          ? Effect.succeed({ result: Either.right(port), preferredBlocker })
          : Effect.map(scan(request.range, request.availability), (result) => ({ result, preferredBlocker })))
  })

/**
 * A preferred port if it is available (anywhere in 1..65535, docs/concepts.md), else the forward scan.
 * The bypass flags apply to the preferred port only; another key's port is never taken.
 */
export const allocate = (request: AllocationRequest): Effect.Effect<Either.Either<Port, Exhaustion>, never, Occupancy> =>
  Effect.map(allocateExplained(request), ({ result }) => result)

/** Binds and closes a socket of `probe`'s kind on port 0 (the system's choice); every outcome is ignored. */
const bindAnyPort = (probe: Probe): Promise<void> =>
  new Promise((resolve) => {
    const done = () => resolve()
    try {
      const ipv6Only = probe.family === "ipv6"
      if (probe.protocol === "tcp") {
        const server = net.createServer()
        server.once("error", () => {
          server.close()
          done()
        })
        server.listen({ host: probe.address, port: 0, ipv6Only, exclusive: true }, () => server.close(done))
        return
      }
      const socket = dgram.createSocket({ type: ipv6Only ? "udp6" : "udp4", reuseAddr: false, ipv6Only })
      socket.once("error", () => {
        try {
          socket.close()
        } catch {
          // Closed already: nothing to release.
        }
        done()
      })
      socket.bind({ address: probe.address, port: 0, exclusive: true }, () => socket.close(done))
    } catch {
      done()
    }
  })

/**
 * Readies this process for the probes of `policy`, before a reservation takes the write
 * lock: the first bind of each kind costs a process milliseconds of one-time work (loading
 * and compiling Node's socket and address code), which would otherwise be spent under the
 * lock, probing the candidate port. It binds one socket of each probe's kind to port 0, so
 * the system picks a free port and no port anyone uses is touched, and closes it at once.
 * Decides nothing and reports nothing: the real probes run under the lock (docs/database.md).
 */
export const warmUpProbes = (policy: OccupancyPolicy): Effect.Effect<void> => {
  const list = probes(policy)
  return list.length === 0 ? Effect.void : Effect.promise(() => Promise.all(list.map(bindAnyPort)).then(() => undefined))
}
