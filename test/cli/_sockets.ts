// Shared helpers for the inspection tests (scan, port-info, owner lookup): real listeners held
// by the test process, and ways to run trop where its probes fail or an address family is
// missing. Not a test file itself.
import { spawnSync } from "node:child_process"
import * as dgram from "node:dgram"
import * as fs from "node:fs"
import * as net from "node:net"
import * as os from "node:os"
import * as path from "node:path"
import { asNobody as nobodyCli } from "../support/asNobody.js"
import { BIN, cleanEnv, type Result, type RunOptions } from "../support/cli.js"

export type Host = "127.0.0.1" | "::1" | "0.0.0.0" | "::"

/**
 * Listeners opened by this process. `tcp`/`udp` resolve with the bound port (pass 0 to let the
 * OS choose). IPv6 sockets are v6-only unless `dualStack` is asked for.
 */
export class Sockets {
  private readonly closers: Array<() => Promise<void>> = []

  tcp(host: Host, port = 0, options: { readonly dualStack?: boolean } = {}): Promise<number> {
    return new Promise((resolve, reject) => {
      const server = net.createServer()
      server.once("error", reject)
      server.listen({ host, port, ipv6Only: host.includes(":") && options.dualStack !== true, exclusive: true }, () => {
        const address = server.address()
        this.closers.push(() => new Promise((done) => server.close(() => done())))
        if (address === null || typeof address === "string") reject(new Error("no TCP address"))
        else resolve(address.port)
      })
    })
  }

  udp(host: Host, port = 0): Promise<number> {
    return new Promise((resolve, reject) => {
      const ipv6 = host.includes(":")
      const socket = dgram.createSocket({ type: ipv6 ? "udp6" : "udp4", reuseAddr: false, ipv6Only: ipv6 })
      socket.once("error", reject)
      socket.bind({ address: host, port, exclusive: true }, () => {
        this.closers.push(() => new Promise((done) => socket.close(() => done())))
        resolve(socket.address().port)
      })
    })
  }

  /** All four localhost sockets on one port, opened in reverse probe order on purpose. */
  async allLocalhost(port: number): Promise<void> {
    await this.udp("::1", port)
    await this.tcp("::1", port)
    await this.udp("127.0.0.1", port)
    await this.tcp("127.0.0.1", port)
  }

  async closeAll(): Promise<void> {
    const closers = this.closers.splice(0)
    await Promise.all(closers.map((close) => close()))
  }
}

/** A port the OS just handed out and that was released again (free a moment ago). */
export const recentlyFreePort = async (): Promise<number> => {
  const s = new Sockets()
  const port = await s.tcp("127.0.0.1")
  await s.closeAll()
  return port
}

/**
 * The owner trop must report for sockets of this process (docs/concepts.md). The process
 * name is what the kernel calls it; vitest renames its workers ("node (vitest 1)"), so the
 * files that check names call `useNodeTitle` to be plain `node` again.
 */
export const SELF = { pid: process.pid, name: "node", user: os.userInfo().username } as const

export const useNodeTitle = () => {
  const previous = process.title
  process.title = "node"
  return () => {
    process.title = previous
  }
}

/** The kernel's name for this process (/proc/<pid>/comm), for preconditions. */
export const commOfSelf = (): string => fs.readFileSync(`/proc/${process.pid}/comm`, "utf8").replace(/\n$/, "")

const succeeds = (command: string, args: ReadonlyArray<string>): string | undefined => {
  const r = spawnSync(command, args, { encoding: "utf8", timeout: 10_000 })
  return r.status === 0 ? r.stdout : undefined
}

/** What a bind of TCP `host:port` gives in a Node process (`node`) run by `prefix` (e.g. setpriv). */
const bindCode = (prefix: ReadonlyArray<string>, host: string, port: number, node = process.execPath): string | undefined => {
  const script = `const s=require("net").createServer();s.once("error",e=>{console.log(e.code);process.exit(0)});` +
    `s.listen({host:${JSON.stringify(host)},port:${port},ipv6Only:${host.includes(":")}},()=>{console.log("OK");s.close()})`
  const [command, ...rest] = [...prefix, node, "-e", script]
  return command === undefined ? undefined : succeeds(command, rest)?.trim()
}

export interface Runner {
  readonly run: (args: ReadonlyArray<string>, options?: RunOptions) => Result
}

/** How to start `trop args...`: the program and its arguments. */
type Command = (args: ReadonlyArray<string>) => { readonly file: string; readonly args: ReadonlyArray<string> }

/** `trop` from the checkout, behind `prefix` (e.g. `unshare -n`), or as this user without one. */
const fromCheckout = (prefix: ReadonlyArray<string>): Command => (args) => {
  const [file, ...rest] = [...prefix, process.execPath, BIN, ...args]
  if (file === undefined) throw new Error("no command")
  return { file, args: rest }
}

const runWith = (command: Command, dataDir: string, work: string): Runner["run"] => (args, options = {}) => {
  const c = command(["--data-dir", dataDir, ...args])
  const r = spawnSync(c.file, c.args, { cwd: options.cwd ?? work, env: cleanEnv(options.env), input: "", encoding: "utf8" })
  return { code: r.status, stdout: r.stdout, stderr: r.stderr }
}

/** Opens the sandbox to `nobody`: its directories and any database this process seeded. */
const openUp = (sb: { readonly root: string; readonly dataDir: string; readonly work: string }) => {
  fs.mkdirSync(sb.dataDir, { recursive: true })
  for (const dir of [sb.root, sb.dataDir]) fs.chmodSync(dir, 0o777)
  fs.chmodSync(sb.work, 0o755)
  for (const file of fs.readdirSync(sb.dataDir)) fs.chmodSync(path.join(sb.dataDir, file), 0o666)
}

/**
 * Runs trop as `nobody` (a copy nobody can read: ../support/asNobody.ts) while this process is
 * root, so that trop can neither write the root-owned work directory nor read this process's
 * /proc/<pid>/fd. Returns a reason string when that is impossible.
 */
export const asNobody = (sb: { readonly root: string; readonly dataDir: string; readonly work: string }): Runner | string => {
  const nobody = nobodyCli()
  if (typeof nobody === "string") return nobody
  openUp(sb)
  return { run: runWith(nobody.command, sb.dataDir, sb.work) }
}

/**
 * Runs trop where binding `ports` (below 1024) fails with EACCES: as this user when it is not
 * root, else as `nobody` through setpriv. Returns a reason string when that is impossible.
 */
export const withoutPrivileges = (
  sb: { readonly root: string; readonly dataDir: string; readonly work: string },
  ports: ReadonlyArray<number>
): Runner | string => {
  if (process.platform !== "linux") return "EACCES below 1024 is set up for Linux only"
  const start = Number(fs.readFileSync("/proc/sys/net/ipv4/ip_unprivileged_port_start", "utf8").trim())
  if (ports.some((p) => p >= start)) return `net.ipv4.ip_unprivileged_port_start is ${start}: no EACCES on ${ports.join(", ")}`
  const root = process.getuid?.() === 0
  const nobody = root ? nobodyCli() : undefined
  if (typeof nobody === "string") return nobody
  for (const port of ports) {
    for (const host of ["127.0.0.1", "::1"]) {
      const code = nobody === undefined ? bindCode([], host, port) : bindCode(nobody.prefix, host, port, nobody.node)
      if (code !== "EACCES") return `binding ${host}:${port} ${root ? "as nobody " : ""}gives ${code ?? "nothing"}, not EACCES`
    }
  }
  if (nobody === undefined) return { run: runWith(fromCheckout([]), sb.dataDir, sb.work) }
  openUp(sb)
  return { run: runWith(nobody.command, sb.dataDir, sb.work) }
}

/**
 * Runs trop in a fresh network namespace (`unshare -n`), where the IPv6 loopback address does
 * not exist (EADDRNOTAVAIL) but 127.0.0.1 binds. Returns a reason string when unavailable.
 */
export const withoutIpv6 = (sb: { readonly dataDir: string; readonly work: string }, port: number): Runner | string => {
  if (process.platform !== "linux") return "network namespaces are Linux only"
  if (succeeds("unshare", ["-n", "true"]) === undefined) return "cannot create a network namespace (unshare -n)"
  const v6 = bindCode(["unshare", "-n"], "::1", port)
  if (v6 !== "EADDRNOTAVAIL") return `[::1]:${port} in a fresh namespace gives ${v6 ?? "nothing"}, not EADDRNOTAVAIL`
  if (bindCode(["unshare", "-n"], "127.0.0.1", port) !== "OK") return "127.0.0.1 does not bind in a fresh namespace"
  return { run: runWith(fromCheckout(["unshare", "-n"]), sb.dataDir, sb.work) }
}
