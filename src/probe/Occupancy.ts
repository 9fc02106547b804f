import { Context, Effect, Layer, Ref } from "effect"
import * as dgram from "node:dgram"
import * as net from "node:net"
import type { OccupancyPolicy, Probe } from "./Policy.js"
import { describe, familyLabel, probes, sockaddr } from "./Policy.js"

/** A probe that could not decide (D3): the port counts as possibly occupied. */
export interface ProbeFailure {
  readonly probe: Probe
  readonly reason: string
}

/** What the probes of one port found. */
export interface PortOccupancy {
  readonly port: number
  /** Probes that hit EADDRINUSE, in probe order. */
  readonly inUse: ReadonlyArray<Probe>
  /** Probes that failed otherwise, in probe order. */
  readonly failures: ReadonlyArray<ProbeFailure>
}

export type OccupancyStatus = "free" | "occupied" | "possibly occupied"

export const status = (o: PortOccupancy): OccupancyStatus =>
  o.inUse.length > 0 ? "occupied" : o.failures.length > 0 ? "possibly occupied" : "free"

/** `TCP IPv4 localhost bind at 127.0.0.1:80 failed: <reason>`, used in messages (semantics.md §6.3). */
export const describeFailure = (port: number, failure: ProbeFailure): string =>
  `${describe(failure.probe)} bind at ${sockaddr(failure.probe, port)} failed: ${failure.reason}`

/**
 * Tells whether ports are in use by binding real sockets. The live layer remembers
 * address families the host lacks, so each is skipped (and warned about) once per run.
 */
export class Occupancy extends Context.Tag("trop/Occupancy")<Occupancy, {
  readonly check: (port: number, policy: OccupancyPolicy) => Effect.Effect<PortOccupancy>
  /** Warnings collected so far (D3 family-unavailable notices), for the CLI to print. */
  readonly warnings: Effect.Effect<ReadonlyArray<string>>
}>() {
  /** Probes with real TCP/UDP sockets on the policy's addresses. */
  static readonly layer = Layer.effect(
    Occupancy,
    Effect.gen(function*() {
      const state = yield* Ref.make<{ readonly unavailable: ReadonlySet<string>; readonly warnings: ReadonlyArray<string> }>(
        { unavailable: new Set(), warnings: [] }
      )
      const check = (port: number, policy: OccupancyPolicy) =>
        Effect.gen(function*() {
          const { unavailable } = yield* Ref.get(state)
          const list = probes(policy).filter((p) => !unavailable.has(p.family))
          // Probes of one scope bind different sockets and run at once; a localhost and a
          // wildcard probe of the same protocol would collide, so the scopes take turns.
          const byScope = (scope: Probe["scope"]) =>
            Effect.forEach(list.filter((p) => p.scope === scope), (probe) => Effect.map(bind(probe, port), (outcome) => ({ probe, outcome })), {
              concurrency: "unbounded"
            })
          const results = [...yield* byScope("localhost"), ...yield* byScope("wildcard")]
          const order = (r: { readonly probe: Probe }) => list.indexOf(r.probe)
          results.sort((a, b) => order(a) - order(b))
          const inUse: Array<Probe> = []
          const failures: Array<ProbeFailure> = []
          for (const { outcome, probe } of results) {
            if (outcome._tag === "InUse") inUse.push(probe)
            else if (outcome._tag === "Failed") failures.push({ probe, reason: outcome.reason })
            else if (outcome._tag === "FamilyUnavailable") {
              yield* Ref.update(state, (s) =>
                s.unavailable.has(probe.family) ? s : {
                  unavailable: new Set([...s.unavailable, probe.family]),
                  warnings: [
                    ...s.warnings,
                    `skipping ${familyLabel(probe.family)} occupancy probes: address family unavailable on this host (${
                      describe(probe)
                    } bind at ${sockaddr(probe, port)} failed: ${outcome.reason})`
                  ]
                })
            }
          }
          return { port, inUse, failures }
        })
      return { check, warnings: Ref.get(state).pipe(Effect.map((s) => s.warnings)) }
    })
  )

  /** A test double: the given ports are in use on every probe, nothing else is. */
  static readonly Test = (occupied: Iterable<number>) => {
    const ports = new Set(occupied)
    return Layer.succeed(Occupancy, {
      check: (port, policy) =>
        Effect.succeed({ port, inUse: ports.has(port) ? probes(policy) : [], failures: [] }),
      warnings: Effect.succeed([])
    })
  }
}

type BindOutcome =
  | { readonly _tag: "Free" }
  | { readonly _tag: "InUse" }
  | { readonly _tag: "FamilyUnavailable"; readonly reason: string }
  | { readonly _tag: "Failed"; readonly reason: string }

const classify = (error: NodeJS.ErrnoException): BindOutcome => {
  switch (error.code) {
    case "EADDRINUSE":
      return { _tag: "InUse" }
    case "EADDRNOTAVAIL":
    case "EAFNOSUPPORT":
      return { _tag: "FamilyUnavailable", reason: error.message }
    default:
      return { _tag: "Failed", reason: error.message }
  }
}

/**
 * Binds a fresh socket without address reuse (IPv6 sockets v6-only) and closes it at
 * once (semantics.md §6.3-6.4). Never fails: every error is an outcome.
 */
const bind = (probe: Probe, port: number): Effect.Effect<BindOutcome> =>
  Effect.async<BindOutcome>((resume) => {
    const ipv6Only = probe.family === "ipv6"
    if (probe.protocol === "tcp") {
      const server = net.createServer()
      server.once("error", (e) => {
        server.close()
        resume(Effect.succeed(classify(e)))
      })
      server.listen({ host: probe.address, port, ipv6Only, exclusive: true }, () =>
        server.close(() => resume(Effect.succeed({ _tag: "Free" }))))
      return
    }
    const socket = dgram.createSocket({ type: ipv6Only ? "udp6" : "udp4", reuseAddr: false, ipv6Only })
    socket.once("error", (e) => {
      socket.close()
      resume(Effect.succeed(classify(e)))
    })
    socket.bind({ address: probe.address, port, exclusive: true }, () =>
      socket.close(() => resume(Effect.succeed({ _tag: "Free" }))))
  })
