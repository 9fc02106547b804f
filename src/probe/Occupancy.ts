import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as dgram from "node:dgram"
import * as net from "node:net"
import type { Family, OccupancyPolicy, Probe } from "./Policy.js"
import { describe, familyLabel, probes, sockaddr } from "./Policy.js"

/** A probe that could not decide (docs/concepts.md): the port counts as possibly occupied. */
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

/** `TCP IPv4 localhost bind at 127.0.0.1:80 failed: <reason>`, used in messages (docs/concepts.md). */
export const describeFailure = (port: number, failure: ProbeFailure): string =>
  `${describe(failure.probe)} bind at ${sockaddr(failure.probe, port)} failed: ${failure.reason}`

/**
 * Tells whether ports are in use by binding real sockets. The live layer remembers
 * address families the host lacks, so each is skipped (and warned about) once per run.
 */
export class Occupancy extends Context.Tag("trop/Occupancy")<Occupancy, {
  readonly check: (port: number, policy: OccupancyPolicy) => Effect.Effect<PortOccupancy>
  /** Many ports at once (`scan`), in the order given. */
  readonly checkAll: (ports: ReadonlyArray<number>, policy: OccupancyPolicy) => Effect.Effect<ReadonlyArray<PortOccupancy>>
  /** Warnings collected so far (the family-unavailable notices of docs/concepts.md), for the CLI to print. */
  readonly warnings: Effect.Effect<ReadonlyArray<string>>
}>() {
  /** Probes with real TCP/UDP sockets on the policy's addresses. */
  static readonly live = (): Context.Tag.Service<Occupancy> => {
    const prober = makeProber()
    return {
      check: (port, policy) => Effect.promise(() => prober.check(port, policy)),
      checkAll: (ports, policy) => Effect.promise(() => prober.checkAll(ports, policy)),
      warnings: Effect.sync(() => [...prober.warnings])
    }
  }
  static readonly layer = Layer.sync(Occupancy, Occupancy.live)

  /** A service from a single-port `check` (test doubles): `checkAll` checks port by port. */
  static readonly fromCheck = (service: {
    readonly check: (port: number, policy: OccupancyPolicy) => Effect.Effect<PortOccupancy>
    readonly warnings?: Effect.Effect<ReadonlyArray<string>>
  }) =>
    Layer.succeed(Occupancy, {
      check: service.check,
      checkAll: (ports, policy) => Effect.forEach(ports, (port) => service.check(port, policy), { concurrency: CONCURRENCY }),
      warnings: service.warnings ?? Effect.succeed([])
    })

  /** A test double: the given ports are in use on every probe, nothing else is. */
  static readonly Test = (occupied: Iterable<number>) => {
    const ports = new Set(occupied)
    return Occupancy.fromCheck({
      check: (port, policy) => Effect.succeed({ port, inUse: ports.has(port) ? probes(policy) : [], failures: [] })
    })
  }
}

/** Ports probed at once by `checkAll`; each port's own probes run together too. */
const CONCURRENCY = 32

/** A policy's probes, split by scope once rather than per port. */
interface ProbePlan {
  readonly all: ReadonlyArray<Probe>
  readonly localhost: ReadonlyArray<Probe>
  readonly wildcard: ReadonlyArray<Probe>
}

const plan = (policy: OccupancyPolicy): ProbePlan => {
  const all = probes(policy)
  return { all, localhost: all.filter((p) => p.scope === "localhost"), wildcard: all.filter((p) => p.scope === "wildcard") }
}

const NONE: ReadonlyArray<never> = []

/**
 * The live prober, in plain promises: a scan binds thousands of sockets, and a fiber per
 * socket would cost more than the sockets themselves.
 */
const makeProber = () => {
  const unavailable = new Set<Family>()
  const warnings: Array<string> = []
  const available = (list: ReadonlyArray<Probe>) =>
    unavailable.size === 0 ? list : list.filter((p) => !unavailable.has(p.family))
  const checkPlanned = async (port: number, probes: ProbePlan): Promise<PortOccupancy> => {
    // Probes of one scope bind different sockets and run at once; a localhost and a
    // wildcard probe of the same protocol would collide, so the scopes take turns.
    const run = async (list: ReadonlyArray<Probe>) => {
      const outcomes = await Promise.all(list.map((probe) => bind(probe, port)))
      return outcomes.map((outcome, i) => ({ probe: list[i] as Probe, outcome }))
    }
    const results = [...await run(available(probes.localhost))]
    if (probes.wildcard.length > 0) results.push(...await run(available(probes.wildcard)))
    if (results.every((r) => r.outcome._tag === "Free")) return { port, inUse: NONE, failures: NONE }
    results.sort((a, b) => probes.all.indexOf(a.probe) - probes.all.indexOf(b.probe))
    const inUse: Array<Probe> = []
    const failures: Array<ProbeFailure> = []
    for (const { outcome, probe } of results) {
      if (outcome._tag === "InUse") inUse.push(probe)
      else if (outcome._tag === "Failed") failures.push({ probe, reason: outcome.reason })
      else if (outcome._tag === "FamilyUnavailable" && !unavailable.has(probe.family)) {
        unavailable.add(probe.family)
        warnings.push(
          `skipping ${familyLabel(probe.family)} occupancy probes: address family unavailable on this host (${
            describe(probe)
          } bind at ${sockaddr(probe, port)} failed: ${outcome.reason})`
        )
      }
    }
    return { port, inUse, failures }
  }
  const check = (port: number, policy: OccupancyPolicy) => checkPlanned(port, plan(policy))
  const checkAll = async (ports: ReadonlyArray<number>, policy: OccupancyPolicy) => {
    const probes = plan(policy)
    const results: Array<PortOccupancy> = new Array(ports.length)
    let next = 0
    const worker = async () => {
      for (let i = next++; i < ports.length; i = next++) results[i] = await checkPlanned(ports[i] ?? 0, probes)
    }
    await Promise.all(Array.from({ length: Math.min(CONCURRENCY, ports.length) }, worker))
    return results
  }
  return { check, checkAll, warnings }
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
 * once (docs/concepts.md). Never fails: every error is an outcome.
 */
const bind = (probe: Probe, port: number): Promise<BindOutcome> =>
  new Promise((resolve) => {
    const ipv6Only = probe.family === "ipv6"
    if (probe.protocol === "tcp") {
      const server = net.createServer()
      server.once("error", (e) => {
        server.close()
        resolve(classify(e))
      })
      server.listen({ host: probe.address, port, ipv6Only, exclusive: true }, () =>
        server.close(() => resolve({ _tag: "Free" })))
      return
    }
    const socket = dgram.createSocket({ type: ipv6Only ? "udp6" : "udp4", reuseAddr: false, ipv6Only })
    socket.once("error", (e) => {
      socket.close()
      resolve(classify(e))
    })
    socket.bind({ address: probe.address, port, exclusive: true }, () => socket.close(() => resolve({ _tag: "Free" })))
  })
