import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as fs from "node:fs"
import * as os from "node:os"
import type { Probe } from "./Policy.js"

/**
 * Who holds a port (docs/concepts.md): process id, name and user, read from /proc on
 * Linux — /proc/net/{tcp,tcp6,udp,udp6} give the socket inode and owning uid,
 * /proc/<pid>/fd links lead from the inode to the process. Best effort: it never changes
 * what the bind probe found, and elsewhere everything is unavailable.
 */
export interface Owner {
  readonly pid: Option.Option<number>
  readonly name: Option.Option<string>
  readonly user: Option.Option<string>
}

export type OwnerStatus = "available" | "partial" | "unavailable"

export const UNKNOWN: Owner = { pid: Option.none(), name: Option.none(), user: Option.none() }

export const status = (o: Owner): OwnerStatus => {
  const known = [Option.isSome(o.pid), Option.isSome(o.name), Option.isSome(o.user)].filter(Boolean).length
  return known === 3 ? "available" : known === 0 ? "unavailable" : "partial"
}

interface SocketEntry {
  readonly protocol: "tcp" | "udp"
  readonly ipv6: boolean
  /** Normalized textual address: `127.0.0.1`, `0.0.0.0`, `::1`, `::`, `::ffff:127.0.0.1`. */
  readonly address: string
  readonly port: number
  readonly listening: boolean
  readonly uid: number
  readonly inode: number
}

const readOr = (path: string, fallback: string) => {
  try {
    return fs.readFileSync(path, "utf8")
  } catch {
    return fallback
  }
}

/** /proc/net addresses are 32-bit words in host (little-endian) order. */
const decodeAddress = (hex: string): string => {
  const words = hex.match(/.{8}/g) ?? []
  const bytes = words.flatMap((w) => (w.match(/../g) ?? []).reverse().map((b) => parseInt(b, 16)))
  if (bytes.length === 4) return bytes.join(".")
  const groups: Array<string> = []
  for (let i = 0; i < 16; i += 2) groups.push((((bytes[i] ?? 0) << 8) | (bytes[i + 1] ?? 0)).toString(16))
  if (groups.slice(0, 5).every((g) => g === "0") && groups[5] === "ffff") {
    return `::ffff:${bytes.slice(12).join(".")}`
  }
  // Shortest form is not needed: only the forms below are compared.
  const full = groups.join(":")
  if (full === "0:0:0:0:0:0:0:0") return "::"
  if (full === "0:0:0:0:0:0:0:1") return "::1"
  return full
}

const readTable = (protocol: "tcp" | "udp", ipv6: boolean): ReadonlyArray<SocketEntry> =>
  readOr(`/proc/net/${protocol}${ipv6 ? "6" : ""}`, "").split("\n").slice(1).flatMap((line) => {
    const fields = line.trim().split(/\s+/)
    const local = fields[1]
    if (local === undefined || fields.length < 10) return []
    const [address = "", port = "0"] = local.split(":")
    return [{
      protocol,
      ipv6,
      address: decodeAddress(address),
      port: parseInt(port, 16),
      listening: protocol === "udp" || fields[3] === "0A",
      uid: Number(fields[7]),
      inode: Number(fields[9])
    }]
  })

/** Whether a socket bound at `entry` makes a bind of `probe` fail. */
const blocks = (entry: SocketEntry, probe: Probe): boolean => {
  if (entry.protocol !== probe.protocol) return false
  if (probe.family === "ipv6") {
    return entry.ipv6 && (entry.address === probe.address || entry.address === "::" || probe.address === "::")
  }
  if (entry.ipv6) {
    // A dual-stack IPv6 socket also holds the IPv4 port.
    return entry.address === "::" || entry.address === `::ffff:${probe.address}`
  }
  return entry.address === probe.address || entry.address === "0.0.0.0" || probe.address === "0.0.0.0"
}

const userNames = (): ReadonlyMap<number, string> => {
  const names = new Map<number, string>()
  for (const line of readOr("/etc/passwd", "").split("\n")) {
    const [name, , uid] = line.split(":")
    if (name !== undefined && uid !== undefined && uid !== "") names.set(Number(uid), name)
  }
  try {
    names.set(os.userInfo().uid, os.userInfo().username)
  } catch {
    // No passwd entry for this process's user.
  }
  return names
}

/** inode → pid for the given socket inodes, by walking /proc/<pid>/fd (where permitted). */
const socketOwners = (inodes: ReadonlySet<number>): ReadonlyMap<number, number> => {
  const owners = new Map<number, number>()
  if (inodes.size === 0) return owners
  let pids: Array<string> = []
  try {
    pids = fs.readdirSync("/proc").filter((d) => /^[0-9]+$/.test(d))
  } catch {
    return owners
  }
  for (const pid of pids) {
    let fds: Array<string> = []
    try {
      fds = fs.readdirSync(`/proc/${pid}/fd`)
    } catch {
      continue
    }
    for (const fd of fds) {
      try {
        const match = /^socket:\[(\d+)\]$/.exec(fs.readlinkSync(`/proc/${pid}/fd/${fd}`))
        if (match?.[1] !== undefined && inodes.has(Number(match[1])) && !owners.has(Number(match[1]))) {
          owners.set(Number(match[1]), Number(pid))
        }
      } catch {
        // The fd closed meanwhile.
      }
    }
    if (owners.size === inodes.size) break
  }
  return owners
}

/**
 * Owners for many occupied probes at once: the socket tables and /proc are read once.
 * Returns the owner of each request, in order.
 */
export const lookup = (
  requests: ReadonlyArray<{ readonly probe: Probe; readonly port: number }>
): Effect.Effect<ReadonlyArray<Owner>> =>
  Effect.sync(() => {
    if (requests.length === 0 || process.platform !== "linux") return requests.map(() => UNKNOWN)
    const tables = [
      ...readTable("tcp", false),
      ...readTable("tcp", true),
      ...readTable("udp", false),
      ...readTable("udp", true)
    ]
    const entries = requests.map(({ port, probe }) => {
      const candidates = tables.filter((e) => e.port === port && e.inode !== 0 && blocks(e, probe))
      return candidates.find((e) => e.listening) ?? candidates[0]
    })
    const pids = socketOwners(new Set(entries.flatMap((e) => e === undefined ? [] : [e.inode])))
    const names = userNames()
    return entries.map((entry): Owner => {
      if (entry === undefined) return UNKNOWN
      const pid = Option.fromNullable(pids.get(entry.inode))
      return {
        pid,
        name: Option.flatMap(pid, (p) => Option.fromNullable(readOr(`/proc/${p}/comm`, "").trim() || undefined)),
        user: Option.fromNullable(names.get(entry.uid))
      }
    })
  })
