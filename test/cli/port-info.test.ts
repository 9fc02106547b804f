import * as fs from "node:fs"
import * as path from "node:path"
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest"
import {
  dbFile,
  expectError,
  expectOk,
  expectUsageError,
  makeSandbox,
  type Result,
  type Sandbox,
  seed,
  T0_TEXT,
  T1_TEXT
} from "./_helpers.js"
import { asNobody, commOfSelf, SELF, Sockets, useNodeTitle, withoutIpv6, withoutPrivileges } from "./_sockets.js"

/**
 * `trop port-info <PORT>` (docs/cli.md, docs/concepts.md) with real listeners opened
 * by this test process. Private port range of this file: 33080-33099 (plus the privileged
 * ports 1020-1021 for probe failures). Every listener is closed after its test.
 */

let sb: Sandbox
let sockets: Sockets
let restoreTitle: () => void
beforeAll(() => {
  restoreTitle = useNodeTitle()
})
afterAll(() => restoreTitle())
beforeEach(() => {
  sb = makeSandbox()
  sockets = new Sockets()
})
afterEach(async () => {
  await sockets.closeAll()
  sb.cleanup()
})

const info = (port: number | string, ...args: Array<string>): Result => sb.run(["port-info", String(port), ...args])

type ProbeName = "tcp4" | "udp4" | "tcp4w" | "udp4w" | "tcp6" | "udp6" | "tcp6w" | "udp6w"
const AT: Record<ProbeName, string> = {
  tcp4: "TCP IPv4 localhost at 127.0.0.1",
  udp4: "UDP IPv4 localhost at 127.0.0.1",
  tcp4w: "TCP IPv4 wildcard at 0.0.0.0",
  udp4w: "UDP IPv4 wildcard at 0.0.0.0",
  tcp6: "TCP IPv6 localhost at ::1",
  udp6: "UDP IPv6 localhost at ::1",
  tcp6w: "TCP IPv6 wildcard at ::",
  udp6w: "UDP IPv6 wildcard at ::"
}

const evidence = (probe: ProbeName, owner: { pid: string; name: string; user: string; status: string } = {
  pid: String(SELF.pid),
  name: SELF.name,
  user: SELF.user,
  status: "available"
}) => [
  `  - ${AT[probe]}`,
  `    Process ID: ${owner.pid}`,
  `    Process: ${owner.name}`,
  `    User: ${owner.user}`,
  `    Owner metadata: ${owner.status}`
]

const occupancy = (...lines: Array<string>) => ["", "Occupancy status:", ...lines]
const inUse = (...probes: Array<ProbeName>) => occupancy("  Port is currently in use", ...probes.flatMap((p) => evidence(p)))
const AVAILABLE = occupancy("  Port is available")
const NOT_CHECKED = occupancy("  Not checked: the effective policy disabled every probe")
const notReserved = (port: number) => `Port ${port} is not reserved`
const text = (...lines: Array<string>) => lines.join("\n") + "\n"

describe("preconditions of this file", () => {
  it("this process is called `node`", () => {
    expect(commOfSelf()).toBe("node")
  })
})

describe("the reservation report (docs/cli.md)", () => {
  it("a tagged reservation with project and task: every line, in order", () => {
    const dir = sb.dir("projects", "shop")
    seed(sb, [{ path: dir, tag: "web", port: 33080, project: "shop", task: "feature-1" }])
    expectOk(
      info(33080),
      text(
        "Port: 33080",
        `Path: ${dir}`,
        "Tag: web",
        "Project: shop",
        "Task: feature-1",
        `Created: ${T0_TEXT}`,
        `Last used: ${T1_TEXT}`,
        "Path exists: yes"
      )
    )
  })

  it("Tag, Project and Task lines appear only when set", () => {
    const missing = path.join(sb.root, "gone")
    seed(sb, [
      { path: missing, port: 33081 },
      { path: sb.work, port: 33082, task: "t" },
      { path: sb.work, tag: "api", port: 33083, project: "p" }
    ])
    const base = (port: number, p: string, ...middle: Array<string>) =>
      text(`Port: ${port}`, `Path: ${p}`, ...middle, `Created: ${T0_TEXT}`, `Last used: ${T1_TEXT}`)
    expectOk(info(33081), base(33081, missing) + "Path exists: no\n")
    expectOk(info(33082), base(33082, sb.work, "Task: t") + "Path exists: yes\n")
    expectOk(info(33083), base(33083, sb.work, "Tag: api", "Project: p") + "Path exists: yes\n")
  })

  it("Path exists follows symlinks, and any file type counts", () => {
    const target = sb.dir("target")
    const link = path.join(sb.root, "link")
    fs.symlinkSync(target, link)
    const dangling = path.join(sb.root, "dangling")
    fs.symlinkSync(path.join(sb.root, "nowhere"), dangling)
    const file = path.join(sb.root, "file.txt")
    fs.writeFileSync(file, "x")
    seed(sb, [{ path: link, port: 33084 }, { path: dangling, port: 33085 }, { path: file, port: 33086 }])
    const exists = (port: number) => info(port).stdout.split("\n").find((l) => l.startsWith("Path exists: "))
    expect(info(33084).stdout).toContain(`Path: ${link}\n`) // shown as stored, not resolved
    expect(exists(33084)).toBe("Path exists: yes")
    expect(exists(33085)).toBe("Path exists: no")
    expect(exists(33086)).toBe("Path exists: yes")
  })

  it("an unreserved port; a leading + is tolerated; --quiet changes nothing; the database is auto-created", () => {
    expectOk(info(33087), text(notReserved(33087)))
    expect(fs.existsSync(dbFile(sb.dataDir))).toBe(true)
    expectOk(info("+33087"), text(notReserved(33087)))
    expectOk(info(33087, "--quiet"), text(notReserved(33087)))
    expectOk(sb.run(["--quiet", "port-info", "33087", "--include-occupancy"]), text(notReserved(33087), ...AVAILABLE))
  })

  it("with auto-init disabled and no database: exit 3", () => {
    expectError(info(33087, "--disable-autoinit"), 3, "Data directory not found (use --data-dir or enable auto-init)")
  })
})

describe("--include-occupancy (docs/cli.md, docs/concepts.md)", () => {
  it("a free port is available, reserved or not", () => {
    seed(sb, [{ path: sb.work, port: 33088 }])
    expectOk(info(33089, "--include-occupancy"), text(notReserved(33089), ...AVAILABLE))
    const r = info(33088, "--include-occupancy")
    expectOk(
      r,
      text(
        "Port: 33088",
        `Path: ${sb.work}`,
        `Created: ${T0_TEXT}`,
        `Last used: ${T1_TEXT}`,
        "Path exists: yes",
        ...AVAILABLE
      )
    )
  })

  it("in use: one evidence block per probe that found it, with this process as owner", async () => {
    const dir = sb.dir("svc")
    seed(sb, [{ path: dir, tag: "db", port: 33090, project: "p" }])
    await sockets.udp("::1", 33090)
    await sockets.tcp("127.0.0.1", 33090)
    expectOk(
      info(33090, "--include-occupancy"),
      text(
        "Port: 33090",
        `Path: ${dir}`,
        "Tag: db",
        "Project: p",
        `Created: ${T0_TEXT}`,
        `Last used: ${T1_TEXT}`,
        "Path exists: yes",
        "",
        "Occupancy status:",
        "  Port is currently in use",
        "  - TCP IPv4 localhost at 127.0.0.1",
        `    Process ID: ${SELF.pid}`,
        "    Process: node",
        `    User: ${SELF.user}`,
        "    Owner metadata: available",
        "  - UDP IPv6 localhost at ::1",
        `    Process ID: ${SELF.pid}`,
        "    Process: node",
        `    User: ${SELF.user}`,
        "    Owner metadata: available"
      )
    )
  })

  it("evidence comes in probe order: IPv4 then IPv6, TCP then UDP, localhost then wildcard", async () => {
    await sockets.allLocalhost(33091)
    expectOk(info(33091, "--include-occupancy"), text(notReserved(33091), ...inUse("tcp4", "udp4", "tcp6", "udp6")))
    expectOk(
      info(33091, "--include-occupancy", "--check-all-interfaces"),
      text(notReserved(33091), ...inUse("tcp4", "udp4", "tcp4w", "udp4w", "tcp6", "udp6", "tcp6w", "udp6w"))
    )
  })

  it("v6-only and wildcard holders: seen by exactly the probes they block", async () => {
    await sockets.tcp("::1", 33092)
    await sockets.udp("0.0.0.0", 33093)
    await sockets.tcp("::", 33094)
    expectOk(info(33092, "--include-occupancy"), text(notReserved(33092), ...inUse("tcp6")))
    expectOk(info(33092, "--include-occupancy", "--check-all-interfaces"), text(notReserved(33092), ...inUse("tcp6", "tcp6w")))
    expectOk(info(33093, "--include-occupancy"), text(notReserved(33093), ...inUse("udp4")))
    expectOk(info(33093, "--include-occupancy", "--check-all-interfaces"), text(notReserved(33093), ...inUse("udp4", "udp4w")))
    expectOk(info(33094, "--include-occupancy"), text(notReserved(33094), ...inUse("tcp6")))
  })

  it("the policy flags drop probes", async () => {
    await sockets.allLocalhost(33095)
    await sockets.tcp("127.0.0.1", 33096)
    const with_ = (port: number, ...flags: Array<string>) => info(port, "--include-occupancy", ...flags)
    expectOk(with_(33095, "--skip-tcp"), text(notReserved(33095), ...inUse("udp4", "udp6")))
    expectOk(with_(33095, "--skip-udp"), text(notReserved(33095), ...inUse("tcp4", "tcp6")))
    expectOk(with_(33095, "--skip-ipv4"), text(notReserved(33095), ...inUse("tcp6", "udp6")))
    expectOk(with_(33095, "--skip-ipv6", "--skip-udp", "--check-all-interfaces"), text(notReserved(33095), ...inUse("tcp4", "tcp4w")))
    expectOk(with_(33096, "--skip-tcp"), text(notReserved(33096), ...AVAILABLE))
    expectOk(with_(33096, "--skip-ipv4"), text(notReserved(33096), ...AVAILABLE))
    expectOk(
      sb.run(["port-info", "33096", "--include-occupancy"], { env: { TROP_SKIP_IPV4: "true" } }),
      text(notReserved(33096), ...AVAILABLE)
    )
  })

  it("Not checked when the effective policy disables every probe, even for a port in use", async () => {
    await sockets.allLocalhost(33097)
    const expected = text(notReserved(33097), ...NOT_CHECKED)
    expectOk(info(33097, "--include-occupancy", "--skip-occupancy-check"), expected)
    expectOk(info(33097, "--include-occupancy", "--skip-tcp", "--skip-udp"), expected)
    expectOk(info(33097, "--include-occupancy", "--skip-ipv4", "--skip-ipv6", "--check-all-interfaces"), expected)
    expectOk(sb.run(["port-info", "33097", "--include-occupancy"], { env: { TROP_SKIP_OCCUPANCY_CHECK: "1" } }), expected)
    fs.writeFileSync(path.join(sb.work, "trop.yaml"), "occupancy_check:\n  skip: true\n")
    expectOk(info(33097, "--include-occupancy"), expected)
    expectOk(info(33097, "--include-occupancy", "--check-all-interfaces"), expected)
    // Without --include-occupancy there is no occupancy section at all.
    expectOk(info(33097), text(notReserved(33097)))
  })
})

describe("arguments (docs/cli.md)", () => {
  it("every occupancy flag requires --include-occupancy (usage error, exit 4)", () => {
    for (const flag of ["--skip-occupancy-check", "--skip-tcp", "--skip-udp", "--skip-ipv6", "--skip-ipv4", "--check-all-interfaces"]) {
      expectUsageError(info(33098, flag), flag, "--include-occupancy")
    }
  })

  it("PORT 0 is exit 4 with trop's own message", () => {
    expectError(info(0), 4, "Invalid arguments: invalid port 0: port 0 is invalid")
    expectError(info(0, "--include-occupancy"), 4, "Invalid arguments: invalid port 0: port 0 is invalid")
  })

  it("a PORT that is not an integer in 0..65535, or no PORT at all, is a usage error", () => {
    expectUsageError(info(70000), "70000")
    expectUsageError(info(65536), "65536")
    expectUsageError(info("abc"), "abc")
    expectUsageError(info("5000x"), "5000x")
    expectUsageError(info("-1"))
    expectUsageError(sb.run(["port-info"]), "PORT")
    expectUsageError(sb.run(["port-info", "33098", "33099"]), "33099")
    expectUsageError(info(33098, "--bogus"), "--bogus")
  })
})

describe("owners and probe failures that trop cannot fully see", () => {
  it("another user's socket: user known, pid and name unavailable → Owner metadata: partial", async (ctx) => {
    const nobody = asNobody(sb)
    if (typeof nobody === "string") return ctx.skip(nobody)
    await sockets.tcp("127.0.0.1", 33098)
    expectOk(
      nobody.run(["port-info", "33098", "--include-occupancy"]),
      text(
        notReserved(33098),
        ...occupancy(
          "  Port is currently in use",
          ...evidence("tcp4", { pid: "unavailable", name: "unavailable", user: SELF.user, status: "partial" })
        )
      )
    )
  })

  it("EACCES below 1024: possibly occupied, then one `probe failed` line per probe in probe order (docs/concepts.md)", (ctx) => {
    const runner = withoutPrivileges(sb, [1020])
    if (typeof runner === "string") return ctx.skip(runner)
    // The reason is the operating system's message: not part of the contract.
    const failed = (probe: ProbeName) => new RegExp(`^ {2}- ${AT[probe].replaceAll(".", "\\.")}: probe failed: \\S.*$`)
    const check = (args: Array<string>, probes: Array<ProbeName>) => {
      const r = runner.run(["port-info", "1020", "--include-occupancy", ...args])
      expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: "" })
      const lines = r.stdout.split("\n")
      expect(lines.slice(0, 4)).toEqual([notReserved(1020), "", "Occupancy status:", "  Port is possibly occupied (occupancy probe failed)"])
      expect(lines.length).toBe(4 + probes.length + 1)
      expect(lines[lines.length - 1]).toBe("")
      probes.forEach((p, i) => expect(lines[4 + i]).toMatch(failed(p)))
    }
    check([], ["tcp4", "udp4", "tcp6", "udp6"])
    check(["--check-all-interfaces"], ["tcp4", "udp4", "tcp4w", "udp4w", "tcp6", "udp6", "tcp6w", "udp6w"])
    check(["--skip-udp", "--skip-ipv6", "--quiet"], ["tcp4"])
  })

  it("an address family missing on the host: skipped with one warning on stderr, unless --quiet (docs/concepts.md)", (ctx) => {
    const runner = withoutIpv6(sb, 33099)
    if (typeof runner === "string") return ctx.skip(runner)
    const r = runner.run(["port-info", "33099", "--include-occupancy"])
    expect({ code: r.code, stdout: r.stdout }).toEqual({ code: 0, stdout: text(notReserved(33099), ...AVAILABLE) })
    expect(r.stderr).toMatch(
      /^Warning: skipping IPv6 occupancy probes: address family unavailable on this host \(TCP IPv6 localhost bind at \[::1\]:33099 failed: \S[^\n]*\)\n$/
    )
    expectOk(runner.run(["port-info", "33099", "--include-occupancy", "--quiet"]), text(notReserved(33099), ...AVAILABLE))
    // No probes, no warning.
    expectOk(runner.run(["port-info", "33099"]), text(notReserved(33099)))
  })
})
