import { Effect, Option } from "effect"
import * as os from "node:os"
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest"
import type { Owner } from "../../src/probe/Owners.js"
import { lookup, status, UNKNOWN } from "../../src/probe/Owners.js"
import type { Probe } from "../../src/probe/Policy.js"
import { commOfSelf, recentlyFreePort, Sockets, useNodeTitle } from "../cli/_sockets.js"

/**
 * Owner lookup from /proc (docs/concepts.md): the socket tables /proc/net/{tcp,tcp6,udp,udp6}
 * give the inode and uid of whatever holds a port, /proc/<pid>/fd leads to the process.
 * Real listeners of this process on ports chosen by the OS.
 */

const probe = (protocol: "tcp" | "udp", address: "127.0.0.1" | "0.0.0.0" | "::1" | "::"): Probe => ({
  protocol,
  family: address.includes(":") ? "ipv6" : "ipv4",
  scope: address === "0.0.0.0" || address === "::" ? "wildcard" : "localhost",
  address
})

const ME: Owner = { pid: Option.some(process.pid), name: Option.some("node"), user: Option.some(os.userInfo().username) }

const ownerOf = (p: Probe, port: number): Owner => {
  const [owner] = Effect.runSync(lookup([{ probe: p, port }]))
  if (owner === undefined) throw new Error("lookup returned nothing")
  return owner
}

let sockets: Sockets
let restoreTitle: () => void
beforeAll(() => {
  restoreTitle = useNodeTitle()
  sockets = new Sockets()
})
afterAll(() => restoreTitle())
afterEach(() => sockets.closeAll())

describe("status (docs/concepts.md)", () => {
  it("available when pid, name and user are known; partial when some; unavailable when none", () => {
    expect(status(ME)).toBe("available")
    expect(status({ ...ME, pid: Option.none() })).toBe("partial")
    expect(status({ pid: Option.none(), name: Option.none(), user: Option.some("root") })).toBe("partial")
    expect(status({ pid: Option.some(1), name: Option.none(), user: Option.none() })).toBe("partial")
    expect(status(UNKNOWN)).toBe("unavailable")
  })
})

describe.runIf(process.platform === "linux")("lookup on Linux (/proc)", () => {
  it("precondition: this process is called node", () => {
    expect(commOfSelf()).toBe("node")
  })

  it("a TCP listener on 127.0.0.1 belongs to this process, name and user included", async () => {
    const port = await sockets.tcp("127.0.0.1")
    expect(ownerOf(probe("tcp", "127.0.0.1"), port)).toEqual(ME)
    // The IPv4 wildcard probe collides with it too.
    expect(ownerOf(probe("tcp", "0.0.0.0"), port)).toEqual(ME)
  })

  it("UDP sockets on ::1 and 127.0.0.1 (udp6/udp tables)", async () => {
    const v6 = await sockets.udp("::1")
    expect(ownerOf(probe("udp", "::1"), v6)).toEqual(ME)
    expect(ownerOf(probe("udp", "::"), v6)).toEqual(ME)
    const v4 = await sockets.udp("127.0.0.1")
    expect(ownerOf(probe("udp", "127.0.0.1"), v4)).toEqual(ME)
  })

  it("wildcard holders block the localhost probe of their family; a dual-stack socket blocks both families", async () => {
    const any4 = await sockets.tcp("0.0.0.0")
    expect(ownerOf(probe("tcp", "127.0.0.1"), any4)).toEqual(ME)
    const any6 = await sockets.tcp("::")
    expect(ownerOf(probe("tcp", "::1"), any6)).toEqual(ME)
    const dual = await sockets.tcp("::", 0, { dualStack: true })
    expect(ownerOf(probe("tcp", "127.0.0.1"), dual)).toEqual(ME)
    expect(ownerOf(probe("tcp", "::1"), dual)).toEqual(ME)
  })

  it("a socket of the other family or protocol is not evidence", async () => {
    const port = await sockets.tcp("127.0.0.1")
    expect(ownerOf(probe("tcp", "::1"), port)).toEqual(UNKNOWN)
    expect(ownerOf(probe("udp", "127.0.0.1"), port)).toEqual(UNKNOWN)
    const v6 = await sockets.udp("::1")
    expect(ownerOf(probe("udp", "127.0.0.1"), v6)).toEqual(UNKNOWN)
    expect(ownerOf(probe("tcp", "::1"), v6)).toEqual(UNKNOWN)
  })

  it("an unknown port gives unavailable", async () => {
    const port = await recentlyFreePort()
    const owner = ownerOf(probe("tcp", "127.0.0.1"), port)
    expect(owner).toEqual(UNKNOWN)
    expect(status(owner)).toBe("unavailable")
  })

  it("many requests at once: one owner per request, in request order", async () => {
    const a = await sockets.tcp("127.0.0.1")
    const b = await sockets.udp("::1")
    const free = await recentlyFreePort()
    const owners = Effect.runSync(lookup([
      { probe: probe("udp", "::1"), port: b },
      { probe: probe("tcp", "127.0.0.1"), port: free },
      { probe: probe("tcp", "127.0.0.1"), port: a },
      { probe: probe("tcp", "::1"), port: a }
    ]))
    expect(owners).toEqual([ME, UNKNOWN, ME, UNKNOWN])
  })

  it("no requests: nothing to read", () => {
    expect(Effect.runSync(lookup([]))).toEqual([])
  })
})
