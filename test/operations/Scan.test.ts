import { describe, it } from "@effect/vitest"
import { Effect, Option } from "effect"
import * as os from "node:os"
import { afterAll, beforeAll, expect } from "vitest"
import type { ScanRow } from "../../src/operations/Scan.js"
import { scan } from "../../src/operations/Scan.js"
import type { PortOccupancy, ProbeFailure } from "../../src/probe/Occupancy.js"
import { Occupancy } from "../../src/probe/Occupancy.js"
import { UNKNOWN } from "../../src/probe/Owners.js"
import type { OccupancyPolicy, Probe } from "../../src/probe/Policy.js"
import { describe as describeProbe, probes } from "../../src/probe/Policy.js"
import { Sockets, useNodeTitle } from "../cli/_sockets.js"
import { range } from "../fixtures/Fixtures.js"

/**
 * The scan operation (docs/cli.md, docs/concepts.md) over Occupancy doubles. Ports
 * 61000-61999 are above the Linux ephemeral range, so the real owner lookup finds nothing there.
 */

const POLICY: OccupancyPolicy = { skipTcp: false, skipUdp: false, skipIpv4: false, skipIpv6: false, checkAllInterfaces: false }
const ALL = { ...POLICY, checkAllInterfaces: true }
const probeOf = (label: string, policy = ALL): Probe => {
  const found = probes(policy).find((p) => describeProbe(p) === label)
  if (found === undefined) throw new Error(`no probe ${label}`)
  return found
}

/** `61001 TCP IPv4 localhost occupied reserved`, one string per row. */
const summary = (rows: ReadonlyArray<ScanRow>) =>
  rows.map((r) => `${r.port} ${describeProbe(r.probe)} ${r.kind}${r.reserved ? " reserved" : ""}`)

const run = (min: number, max: number, policy: OccupancyPolicy, reserved: Iterable<number> = []) =>
  scan(range(min, max), policy, new Set(reserved))

let restoreTitle: () => void
beforeAll(() => {
  restoreTitle = useNodeTitle()
})
afterAll(() => restoreTitle())

describe("rows (Occupancy.Test)", () => {
  it.effect("one row per in-use probe, ordered by port then probe order; reserved flags; unreserved occupied ports", () =>
    Effect.gen(function*() {
      const result = yield* run(61000, 61005, POLICY, [61003, 61004])
      expect(summary(result.rows)).toEqual([
        "61001 TCP IPv4 localhost occupied",
        "61001 UDP IPv4 localhost occupied",
        "61001 TCP IPv6 localhost occupied",
        "61001 UDP IPv6 localhost occupied",
        "61003 TCP IPv4 localhost occupied reserved",
        "61003 UDP IPv4 localhost occupied reserved",
        "61003 TCP IPv6 localhost occupied reserved",
        "61003 UDP IPv6 localhost occupied reserved",
        "61005 TCP IPv4 localhost occupied",
        "61005 UDP IPv4 localhost occupied",
        "61005 TCP IPv6 localhost occupied",
        "61005 UDP IPv6 localhost occupied"
      ])
      expect(result.unreservedOccupied).toEqual([61001, 61005])
      expect(result.failedPorts).toBe(0)
      expect(result.firstFailure).toEqual(Option.none())
      // Nothing real holds these ports: the owner lookup finds nobody.
      for (const r of result.rows) expect(r.owner).toEqual(UNKNOWN)
    }).pipe(Effect.provide(Occupancy.Test([61005, 61001, 61003, 62000]))))

  it.effect("with check_all_interfaces: eight rows per port, wildcard after localhost in each family", () =>
    Effect.gen(function*() {
      const result = yield* run(61010, 61011, ALL)
      expect(summary(result.rows)).toEqual([
        "61011 TCP IPv4 localhost occupied",
        "61011 UDP IPv4 localhost occupied",
        "61011 TCP IPv4 wildcard occupied",
        "61011 UDP IPv4 wildcard occupied",
        "61011 TCP IPv6 localhost occupied",
        "61011 UDP IPv6 localhost occupied",
        "61011 TCP IPv6 wildcard occupied",
        "61011 UDP IPv6 wildcard occupied"
      ])
      expect(result.rows.map((r) => r.probe.address)).toEqual(["127.0.0.1", "127.0.0.1", "0.0.0.0", "0.0.0.0", "::1", "::1", "::", "::"])
      expect(result.unreservedOccupied).toEqual([61011])
    }).pipe(Effect.provide(Occupancy.Test([61011]))))

  it.effect("a policy that disables every probe finds nothing", () =>
    Effect.gen(function*() {
      for (const policy of [{ ...POLICY, skipTcp: true, skipUdp: true }, { ...ALL, skipIpv4: true, skipIpv6: true }]) {
        const result = yield* run(61020, 61022, policy)
        expect(result.rows).toEqual([])
        expect(result.unreservedOccupied).toEqual([])
      }
      const udpOnly = yield* run(61020, 61022, { ...POLICY, skipTcp: true, skipIpv6: true })
      expect(summary(udpOnly.rows)).toEqual(["61021 UDP IPv4 localhost occupied"])
    }).pipe(Effect.provide(Occupancy.Test([61021]))))

  it.effect("progress rises with every batch of ports and ends at the total", () =>
    Effect.gen(function*() {
      const calls: Array<readonly [number, number]> = []
      yield* scan(range(61000, 62200), POLICY, new Set(), (done, total) => Effect.sync(() => void calls.push([done, total])))
      expect(calls.length).toBeGreaterThan(1)
      expect(calls.every(([, total]) => total === 1201)).toBe(true)
      expect(calls.map(([done]) => done)).toEqual([...calls.map(([done]) => done)].sort((a, b) => a - b))
      expect(calls[calls.length - 1]).toEqual([1201, 1201])
    }).pipe(Effect.provide(Occupancy.Test([61031]))))
})

/** A double whose ports report the given in-use probes and failures (by probe label). */
const scripted = (script: Record<number, { readonly inUse?: ReadonlyArray<string>; readonly failed?: ReadonlyArray<string> }>) =>
  Occupancy.fromCheck({
    check: (port, policy) =>
      Effect.sync((): PortOccupancy => {
        const entry = script[port] ?? {}
        const allowed = (label: string) => probes(policy).some((p) => describeProbe(p) === label)
        return {
          port,
          inUse: (entry.inUse ?? []).filter(allowed).map((l) => probeOf(l)),
          failures: (entry.failed ?? []).filter(allowed).map((l): ProbeFailure => ({ probe: probeOf(l), reason: `boom ${port}` }))
        }
      }),
    warnings: Effect.succeed([])
  })

describe("probe failures (docs/concepts.md)", () => {
  it.effect("possibly occupied rows sit among occupied ones in probe order; only occupied ports are counted", () =>
    Effect.gen(function*() {
      const result = yield* run(61100, 61105, POLICY, [61104])
      expect(summary(result.rows)).toEqual([
        "61101 TCP IPv4 localhost possibly occupied",
        "61101 UDP IPv6 localhost occupied",
        "61102 UDP IPv4 localhost possibly occupied",
        "61102 TCP IPv6 localhost possibly occupied",
        "61103 TCP IPv4 localhost occupied",
        "61104 UDP IPv6 localhost possibly occupied reserved"
      ])
      expect(result.unreservedOccupied).toEqual([61101, 61103])
      expect(result.failedPorts).toBe(3)
      expect(result.firstFailure).toEqual(Option.some("port 61101: TCP IPv4 localhost bind at 127.0.0.1:61101 failed: boom 61101"))
      for (const r of result.rows.filter((x) => x.kind === "possibly occupied")) expect(r.owner).toEqual(UNKNOWN)
    }).pipe(Effect.provide(scripted({
      61101: { inUse: ["UDP IPv6 localhost"], failed: ["TCP IPv4 localhost"] },
      61102: { failed: ["TCP IPv6 localhost", "UDP IPv4 localhost"] },
      61103: { inUse: ["TCP IPv4 localhost"] },
      61104: { failed: ["UDP IPv6 localhost"] }
    }))))

  it.effect("the first failure is the lowest failed port's first probe; IPv6 sockaddrs are bracketed", () =>
    Effect.gen(function*() {
      const result = yield* run(61110, 61115, ALL)
      expect(result.failedPorts).toBe(2)
      expect(result.firstFailure).toEqual(Option.some("port 61112: UDP IPv6 wildcard bind at [::]:61112 failed: boom 61112"))
      expect(result.unreservedOccupied).toEqual([])
    }).pipe(Effect.provide(scripted({
      61114: { failed: ["TCP IPv4 localhost"] },
      61112: { failed: ["UDP IPv6 wildcard"] }
    }))))
})

describe("order under concurrency", () => {
  it.live("rows stay in port order however the probes of different ports finish", () =>
    Effect.gen(function*() {
      const occupied = new Set([61200, 61257, 61258, 61399])
      const layer = Occupancy.fromCheck({
        // Later ports answer sooner.
        check: (port, policy) =>
          Effect.as(Effect.sleep(`${(61400 - port) % 7} millis`), {
            port,
            inUse: occupied.has(port) ? probes(policy).slice(0, 1) : [],
            failures: []
          }),
        warnings: Effect.succeed([])
      })
      const result = yield* run(61200, 61399, POLICY).pipe(Effect.provide(layer))
      expect(result.rows.map((r) => r.port)).toEqual([61200, 61257, 61258, 61399])
      expect(result.unreservedOccupied).toEqual([61200, 61257, 61258, 61399])
    }))
})

describe("owners attach to the probe that found the port", () => {
  const sockets = new Sockets()
  it.live("a real TCP listener of this process: its row names this process, the other rows have no owner", () =>
    Effect.gen(function*() {
      const port = yield* Effect.promise(() => sockets.tcp("127.0.0.1"))
      const result = yield* run(port, port, POLICY).pipe(
        Effect.provide(Occupancy.Test([port])),
        Effect.ensuring(Effect.promise(() => sockets.closeAll()))
      )
      const me = { pid: Option.some(process.pid), name: Option.some("node"), user: Option.some(os.userInfo().username) }
      expect(result.rows.map((r) => [describeProbe(r.probe), r.owner])).toEqual([
        ["TCP IPv4 localhost", process.platform === "linux" ? me : UNKNOWN],
        ["UDP IPv4 localhost", UNKNOWN],
        ["TCP IPv6 localhost", UNKNOWN],
        ["UDP IPv6 localhost", UNKNOWN]
      ])
    }))
})
