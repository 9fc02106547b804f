import { describe, it } from "@effect/vitest"
import { Effect } from "effect"
import * as dgram from "node:dgram"
import * as net from "node:net"
import { expect } from "vitest"
import type { PortOccupancy } from "../../src/probe/Occupancy.js"
import { Occupancy, status } from "../../src/probe/Occupancy.js"
import type { OccupancyPolicy } from "../../src/probe/Policy.js"
import { describe as describeProbe } from "../../src/probe/Policy.js"

/**
 * The live probe against real listeners on loopback ports chosen by the OS (port 0).
 * Every listener is closed when its test's scope closes.
 */

const DEFAULT: OccupancyPolicy = { skipTcp: false, skipUdp: false, skipIpv4: false, skipIpv6: false, checkAllInterfaces: false }

const tcpListener = (host: string, port = 0) =>
  Effect.acquireRelease(
    Effect.async<{ readonly server: net.Server; readonly port: number }, Error>((resume) => {
      const server = net.createServer()
      server.once("error", (e) => resume(Effect.fail(e)))
      server.listen({ host, port, ipv6Only: host.includes(":") }, () => {
        const address = server.address()
        if (address === null || typeof address === "string") resume(Effect.fail(new Error("no address")))
        else resume(Effect.succeed({ server, port: address.port }))
      })
    }),
    ({ server }) => Effect.async<void>((resume) => void server.close(() => resume(Effect.void)))
  )

const udpSocket = (type: "udp4" | "udp6", address: string, port = 0) =>
  Effect.acquireRelease(
    Effect.async<{ readonly socket: dgram.Socket; readonly port: number }, Error>((resume) => {
      const socket = dgram.createSocket({ type, ipv6Only: type === "udp6" })
      socket.once("error", (e) => resume(Effect.fail(e)))
      socket.bind({ address, port }, () => resume(Effect.succeed({ socket, port: socket.address().port })))
    }),
    ({ socket }) => Effect.async<void>((resume) => void socket.close(() => resume(Effect.void)))
  )

const check = (port: number, policy: OccupancyPolicy = DEFAULT) =>
  Effect.flatMap(Occupancy, (o) => o.check(port, policy)).pipe(Effect.provide(Occupancy.layer))

const inUse = (o: PortOccupancy) => o.inUse.map(describeProbe)

/** A port that was free a moment ago (the OS picked it, we released it). */
const recentlyFreePort = Effect.scoped(Effect.map(tcpListener("127.0.0.1"), (l) => l.port))

describe("Occupancy.layer (real sockets)", () => {
  it.scopedLive("a TCP listener on 127.0.0.1 makes the IPv4 TCP probe report occupied", () =>
    Effect.gen(function*() {
      const { port } = yield* tcpListener("127.0.0.1")
      const o = yield* check(port)
      expect(inUse(o)).toEqual(["TCP IPv4 localhost"])
      expect(o.failures).toEqual([])
      expect(status(o)).toBe("occupied")
    }))

  it.scopedLive("a TCP listener on the IPv4 wildcard address is seen by the localhost probe", () =>
    Effect.gen(function*() {
      const { port } = yield* tcpListener("0.0.0.0")
      const o = yield* check(port)
      expect(inUse(o)).toContain("TCP IPv4 localhost")
      expect(status(o)).toBe("occupied")
    }))

  it.scopedLive("a TCP listener on ::1 makes only the IPv6 TCP probe report occupied (v6-only probes)", () =>
    Effect.gen(function*() {
      const { port } = yield* tcpListener("::1")
      const o = yield* check(port)
      expect(inUse(o)).toEqual(["TCP IPv6 localhost"])
    }))

  it.scopedLive("UDP sockets on 127.0.0.1 and ::1 are seen by the UDP probes", () =>
    Effect.gen(function*() {
      const v4 = yield* udpSocket("udp4", "127.0.0.1")
      expect(inUse(yield* check(v4.port))).toEqual(["UDP IPv4 localhost"])
      const v6 = yield* udpSocket("udp6", "::1")
      expect(inUse(yield* check(v6.port))).toEqual(["UDP IPv6 localhost"])
    }))

  it.scopedLive("every probe is attempted: TCP and UDP holders on both families are all reported, in probe order", () =>
    Effect.gen(function*() {
      const { port } = yield* tcpListener("127.0.0.1")
      yield* udpSocket("udp4", "127.0.0.1", port)
      yield* tcpListener("::1", port)
      yield* udpSocket("udp6", "::1", port)
      const o = yield* check(port, { ...DEFAULT, checkAllInterfaces: true })
      expect(inUse(o)).toEqual([
        "TCP IPv4 localhost",
        "UDP IPv4 localhost",
        "TCP IPv4 wildcard",
        "UDP IPv4 wildcard",
        "TCP IPv6 localhost",
        "UDP IPv6 localhost",
        "TCP IPv6 wildcard",
        "UDP IPv6 wildcard"
      ])
    }))

  it.scopedLive("skipped protocols and families are not probed", () =>
    Effect.gen(function*() {
      const { port } = yield* tcpListener("127.0.0.1")
      expect(status(yield* check(port, { ...DEFAULT, skipTcp: true }))).toBe("free")
      expect(status(yield* check(port, { ...DEFAULT, skipIpv4: true }))).toBe("free")
      expect(inUse(yield* check(port, { ...DEFAULT, skipUdp: true, skipIpv6: true }))).toEqual(["TCP IPv4 localhost"])
    }))

  it.scopedLive("a free port is free, and the probes leave it free (sockets closed at once)", () =>
    Effect.gen(function*() {
      const port = yield* recentlyFreePort
      const o = yield* check(port)
      expect(o).toEqual({ port, inUse: [], failures: [] })
      // We can take the port ourselves right after probing it, on every probed address.
      yield* tcpListener("127.0.0.1", port)
      yield* udpSocket("udp4", "127.0.0.1", port)
      yield* tcpListener("::1", port)
      yield* udpSocket("udp6", "::1", port)
    }))

  it.scopedLive("with check_all_interfaces a free port is still free (the probes must not collide with each other)", () =>
    Effect.gen(function*() {
      const port = yield* recentlyFreePort
      const o = yield* check(port, { ...DEFAULT, checkAllInterfaces: true })
      expect(inUse(o)).toEqual([])
      expect(status(o)).toBe("free")
    }))
})

describe("Occupancy.Test", () => {
  it.effect("reports the given ports occupied on every probe and nothing else", () =>
    Effect.gen(function*() {
      const occupancy = yield* Occupancy
      const taken = yield* occupancy.check(5001, DEFAULT)
      expect(taken.inUse.length).toBe(4)
      expect(status(taken)).toBe("occupied")
      expect(status(yield* occupancy.check(5002, DEFAULT))).toBe("free")
      expect(yield* occupancy.warnings).toEqual([])
    }).pipe(Effect.provide(Occupancy.Test([5001]))))
})
