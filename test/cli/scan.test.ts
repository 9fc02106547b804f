import * as fs from "node:fs"
import * as path from "node:path"
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest"
import { expectError, expectUsageError, makeSandbox, type Result, type Sandbox, seed } from "./_helpers.js"
import { asNobody, commOfSelf, SELF, Sockets, useNodeTitle, withoutIpv6, withoutPrivileges } from "./_sockets.js"

/**
 * `trop scan` (docs/cli.md, docs/configuration.md, docs/concepts.md) against real listeners
 * opened by this test process. Private port range of this file: 33000-33079 (plus the
 * privileged ports 1020-1021 for probe failures). Every listener is closed after its test.
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

// ---------------------------------------------------------------------------------------------
// Expected rows, built from the documented wording.

type ProbeName = "tcp4" | "udp4" | "tcp4w" | "udp4w" | "tcp6" | "udp6" | "tcp6w" | "udp6w"
const PROBES: Record<ProbeName, readonly [string, string, string, string]> = {
  tcp4: ["tcp", "ipv4", "localhost", "127.0.0.1"],
  udp4: ["udp", "ipv4", "localhost", "127.0.0.1"],
  tcp4w: ["tcp", "ipv4", "wildcard", "0.0.0.0"],
  udp4w: ["udp", "ipv4", "wildcard", "0.0.0.0"],
  tcp6: ["tcp", "ipv6", "localhost", "::1"],
  udp6: ["udp", "ipv6", "localhost", "::1"],
  tcp6w: ["tcp", "ipv6", "wildcard", "::"],
  udp6w: ["udp", "ipv6", "wildcard", "::"]
}

interface Expected {
  readonly port: number
  readonly probe: ProbeName
  readonly reserved?: boolean
  /** `possibly occupied` rows (docs/concepts.md) have no owner. */
  readonly possibly?: boolean
}

const row = (port: number, probe: ProbeName, extra: { reserved?: boolean; possibly?: boolean } = {}): Expected => ({
  port,
  probe,
  ...extra
})

const statusOf = (e: Expected) =>
  `${e.possibly === true ? "possibly occupied" : "occupied"}${e.reserved === true ? " (reserved)" : ""}`

/** The eleven cells of a row in table/csv/tsv form (missing owner fields `unavailable`). */
interface OwnerFields {
  readonly pid: number
  readonly name: string
  readonly user: string
}

const cellsOf = (e: Expected, owner: OwnerFields = SELF) => {
  const [protocol, family, scope, address] = PROBES[e.probe]
  const known = e.possibly !== true
  return [
    String(e.port),
    statusOf(e),
    String(e.reserved === true),
    protocol,
    family,
    scope,
    address,
    known ? String(owner.pid) : "unavailable",
    known ? owner.name : "unavailable",
    known ? owner.user : "unavailable",
    known ? "available" : "unavailable"
  ]
}

const HEADER =
  "Port   Status               Reserved  Protocol  Family  Scope      Address         Process ID   Process          User             Owner Status"
const RULE = "-".repeat(145)
const WIDTHS = [6, 20, 9, 9, 7, 10, 15, 12, 16, 16]
const tableLine = (cells: ReadonlyArray<string>) => cells.map((c, i) => (i < WIDTHS.length ? c.padEnd(WIDTHS[i] ?? 0) : c)).join(" ")
const table = (rows: ReadonlyArray<Expected>) => [HEADER, RULE, ...rows.map((r) => tableLine(cellsOf(r)))].join("\n") + "\n"

const quote = (value: string, delimiter: string) =>
  value.includes(delimiter) || /["\r\n]/.test(value) ? `"${value.replaceAll("\"", "\"\"")}"` : value
const CSV_HEADER = "port,status,reserved,protocol,address_family,scope,address,process_id,process_name,user,owner_status"
const delimited = (rows: ReadonlyArray<Expected>, delimiter: "," | "\t", owner: OwnerFields = SELF) =>
  [CSV_HEADER.replaceAll(",", delimiter), ...rows.map((r) => cellsOf(r, owner).map((c) => quote(c, delimiter)).join(delimiter))].join("\n") +
  "\n"

const jsonOf = (rows: ReadonlyArray<Expected>) =>
  JSON.stringify(
    rows.map((e) => {
      const [protocol, family, scope, address] = PROBES[e.probe]
      const known = e.possibly !== true
      return {
        port: e.port,
        status: statusOf(e),
        reserved: e.reserved === true,
        protocol,
        address_family: family,
        scope,
        address,
        process_id: known ? SELF.pid : null,
        process_name: known ? SELF.name : null,
        user: known ? SELF.user : null,
        owner_status: known ? "available" : "unavailable"
      }
    }),
    null,
    2
  ) + "\n"

const found = (n: number) => `\nFound ${n} unreserved occupied port(s)\n`

const scan = (min: number, max: number, ...args: Array<string>): Result =>
  sb.run(["scan", "--min", String(min), "--max", String(max), ...args])

/** Exit 0 with exactly these streams. */
const expectScan = (r: Result, stdout: string, stderr: string) =>
  expect({ code: r.code, stdout: r.stdout, stderr: r.stderr }).toEqual({ code: 0, stdout, stderr })

/** The csv rows of a successful scan, without the header: `port/protocol/family/scope`. */
const csvRows = (r: Result): Array<string> => {
  expect(r.code, r.stderr).toBe(0)
  const [header, ...lines] = r.stdout.trimEnd().split("\n")
  expect(header).toBe(CSV_HEADER)
  return lines.map((l) => l.split(",").slice(0, 7).filter((_, i) => i !== 2 && i !== 6).join("/"))
}
const short = (port: number, probe: ProbeName, reserved = false) => {
  const [protocol, family, scope] = PROBES[probe]
  return [port, reserved ? "occupied (reserved)" : "occupied", protocol, family, scope].join("/")
}

// ---------------------------------------------------------------------------------------------

describe("preconditions of this file", () => {
  it("this process is called `node` and owns the sockets it opens", () => {
    expect(commOfSelf()).toBe("node")
    expect(SELF.pid).toBe(process.pid)
  })
})

describe("each listener shows up as exactly its rows, in probe order (docs/concepts.md)", () => {
  it("default policy: localhost TCP/UDP for IPv4 then IPv6; v6-only sockets are invisible to IPv4 probes and vice versa", async () => {
    await sockets.tcp("127.0.0.1", 33000)
    await sockets.udp("127.0.0.1", 33001)
    await sockets.tcp("::1", 33002) // v6-only: found by the IPv6 probe, not by the IPv4 one
    await sockets.udp("::1", 33003)
    await sockets.tcp("0.0.0.0", 33004) // the wildcard makes the 127.0.0.1 probe report occupied
    await sockets.tcp("::", 33005) // v6-only wildcard: the ::1 probe only
    await sockets.allLocalhost(33006) // opened in reverse order; rows come in probe order
    // 33007 stays free: no row
    await sockets.udp("0.0.0.0", 33008)
    await sockets.udp("::", 33009)
    await sockets.tcp("::", 33010, { dualStack: true }) // dual-stack: both families
    const r = scan(33000, 33011)
    expectScan(
      r,
      table([
        row(33000, "tcp4"),
        row(33001, "udp4"),
        row(33002, "tcp6"),
        row(33003, "udp6"),
        row(33004, "tcp4"),
        row(33005, "tcp6"),
        row(33006, "tcp4"),
        row(33006, "udp4"),
        row(33006, "tcp6"),
        row(33006, "udp6"),
        row(33008, "udp4"),
        row(33009, "udp6"),
        row(33010, "tcp4"),
        row(33010, "tcp6")
      ]),
      found(10)
    )
    // One row spelled out by hand, to pin the layout independently of the helper above.
    const line = r.stdout.split("\n")[2]
    expect(line).toBe(
      `33000  occupied             false     tcp       ipv4    localhost  127.0.0.1       ${String(SELF.pid).padEnd(12)} node             ${
        SELF.user.padEnd(16)
      } available`
    )
  })

  it("--check-all-interfaces: localhost TCP, UDP, then wildcard TCP, UDP, per family", async () => {
    await sockets.tcp("127.0.0.1", 33012)
    await sockets.udp("::1", 33013)
    await sockets.allLocalhost(33014)
    await sockets.tcp("0.0.0.0", 33015)
    await sockets.udp("::", 33016)
    const rows = [
      row(33012, "tcp4"),
      row(33012, "tcp4w"),
      row(33013, "udp6"),
      row(33013, "udp6w"),
      row(33014, "tcp4"),
      row(33014, "udp4"),
      row(33014, "tcp4w"),
      row(33014, "udp4w"),
      row(33014, "tcp6"),
      row(33014, "udp6"),
      row(33014, "tcp6w"),
      row(33014, "udp6w"),
      row(33015, "tcp4"),
      row(33015, "tcp4w"),
      row(33016, "udp6"),
      row(33016, "udp6w")
    ]
    expectScan(scan(33012, 33017, "--check-all-interfaces", "--format", "json"), jsonOf(rows), found(5))
    expectScan(scan(33012, 33017, "--check-all-interfaces"), table(rows), found(5))
  })
})

describe("the occupancy policy (docs/concepts.md, docs/cli.md)", () => {
  beforeEach(async () => {
    await sockets.allLocalhost(33018)
    await sockets.tcp("::1", 33019)
    await sockets.udp("127.0.0.1", 33020)
  })
  const all = (...args: Array<string>) => csvRows(scan(33018, 33020, "--format", "csv", ...args))

  it("each flag drops its probes", () => {
    expect(all()).toEqual([
      short(33018, "tcp4"),
      short(33018, "udp4"),
      short(33018, "tcp6"),
      short(33018, "udp6"),
      short(33019, "tcp6"),
      short(33020, "udp4")
    ])
    expect(all("--skip-tcp")).toEqual([short(33018, "udp4"), short(33018, "udp6"), short(33020, "udp4")])
    expect(all("--skip-udp")).toEqual([short(33018, "tcp4"), short(33018, "tcp6"), short(33019, "tcp6")])
    expect(all("--skip-ipv4")).toEqual([short(33018, "tcp6"), short(33018, "udp6"), short(33019, "tcp6")])
    expect(all("--skip-ipv6")).toEqual([short(33018, "tcp4"), short(33018, "udp4"), short(33020, "udp4")])
    expect(all("--skip-ipv6", "--skip-udp", "--check-all-interfaces")).toEqual([short(33018, "tcp4"), short(33018, "tcp4w")])
  })

  it("skipping both protocols or both families gives no rows and no Found line", () => {
    for (const flags of [["--skip-tcp", "--skip-udp"], ["--skip-ipv4", "--skip-ipv6", "--check-all-interfaces"]]) {
      expectScan(scan(33018, 33020, ...flags), table([]), "")
    }
  })

  it("the environment and the configuration set the same leaves", () => {
    const env = (vars: Record<string, string>) =>
      csvRows(sb.run(["scan", "--min", "33018", "--max", "33020", "--format", "csv"], { env: vars }))
    expect(env({ TROP_SKIP_TCP: "true" })).toEqual([short(33018, "udp4"), short(33018, "udp6"), short(33020, "udp4")])
    expect(env({ TROP_SKIP_IPV4: "1", TROP_CHECK_ALL_INTERFACES: "yes" })).toEqual([
      short(33018, "tcp6"),
      short(33018, "udp6"),
      short(33018, "tcp6w"),
      short(33018, "udp6w"),
      short(33019, "tcp6"),
      short(33019, "tcp6w")
    ])
    fs.writeFileSync(path.join(sb.work, "trop.yaml"), "occupancy_check:\n  skip_ip6: true\n  skip_udp: true\n")
    expect(env({})).toEqual([short(33018, "tcp4")])
  })

  it("occupancy_check.skip in trop.yaml or TROP_SKIP_OCCUPANCY_CHECK gives empty results", () => {
    expectScan(sb.run(["scan", "--min", "33018", "--max", "33020"], { env: { TROP_SKIP_OCCUPANCY_CHECK: "1" } }), table([]), "")
    expectScan(
      sb.run(["scan", "--min", "33018", "--max", "33020", "--format", "json"], { env: { TROP_SKIP_OCCUPANCY_CHECK: "true" } }),
      "[]\n",
      ""
    )
    fs.writeFileSync(path.join(sb.work, "trop.yaml"), "occupancy_check:\n  skip: true\n")
    expectScan(scan(33018, 33020, "--format", "csv"), CSV_HEADER + "\n", "")
    // A flag cannot turn probes back on: `skip` folds into every leaf.
    expectScan(scan(33018, 33020, "--check-all-interfaces", "--format", "tsv"), CSV_HEADER.replaceAll(",", "\t") + "\n", "")
  })

  it("scan has no --skip-occupancy-check option: usage error, exit 4", () => {
    expectUsageError(scan(33018, 33020, "--skip-occupancy-check"), "--skip-occupancy-check")
    expectUsageError(sb.run(["scan", "--skip-occupancy-check"]), "--skip-occupancy-check")
  })
})

describe("reserved and unreserved ports", () => {
  it("a reserved port in use is `occupied (reserved)`, a reserved free port has no row, and only unreserved ports are counted", async () => {
    seed(sb, [
      { path: path.join(sb.work, "a"), port: 33021 },
      { path: path.join(sb.work, "b"), tag: "api", port: 33022 }
    ])
    await sockets.tcp("127.0.0.1", 33021)
    await sockets.udp("::1", 33021)
    await sockets.tcp("::1", 33023)
    expectScan(
      scan(33021, 33024),
      table([row(33021, "tcp4", { reserved: true }), row(33021, "udp6", { reserved: true }), row(33023, "tcp6")]),
      found(1)
    )
    // Only reserved ports in use: no Found line at all.
    expectScan(scan(33021, 33022), table([row(33021, "tcp4", { reserved: true }), row(33021, "udp6", { reserved: true })]), "")
  })
})

describe("output formats (docs/cli.md, docs/output-formats.md)", () => {
  const rows = [row(33021, "tcp4", { reserved: true }), row(33021, "udp4", { reserved: true }), row(33022, "udp6")]
  beforeEach(async () => {
    seed(sb, [{ path: path.join(sb.work, "a"), port: 33021 }])
    await sockets.tcp("127.0.0.1", 33021)
    await sockets.udp("127.0.0.1", 33021)
    await sockets.udp("::1", 33022)
  })

  it("table (the default, whatever output_format says) and --format table", () => {
    expectScan(scan(33021, 33023), table(rows), found(1))
    expectScan(scan(33021, 33023, "--format", "table"), table(rows), found(1))
    // The default is `table`, not the effective output_format of `list` (docs/cli.md).
    expectScan(sb.run(["scan", "--min", "33021", "--max", "33023"], { env: { TROP_OUTPUT_FORMAT: "json" } }), table(rows), found(1))
  })

  it("json: pretty array, keys in declaration order, process_id a number", () => {
    const r = scan(33021, 33023, "--format", "json")
    expectScan(r, jsonOf(rows), found(1))
    const parsed = JSON.parse(r.stdout) as Array<Record<string, unknown>>
    expect(parsed.map((o) => Object.keys(o).join(","))).toEqual(
      rows.map(() => "port,status,reserved,protocol,address_family,scope,address,process_id,process_name,user,owner_status")
    )
    expect(r.stdout).toContain(`"process_id": ${SELF.pid},`)
    expect(r.stdout).toContain(`"reserved": true,`)
  })

  it("csv and tsv: header, one line per row", () => {
    expectScan(scan(33021, 33023, "--format", "csv"), delimited(rows, ","), found(1))
    expectScan(scan(33021, 33023, "--format", "tsv"), delimited(rows, "\t"), found(1))
    // Literal first data line, independent of the helpers.
    expect(scan(33021, 33023, "--format", "csv").stdout.split("\n")[1]).toBe(
      `33021,occupied (reserved),true,tcp,ipv4,localhost,127.0.0.1,${SELF.pid},node,${SELF.user},available`
    )
  })

  it("empty results: header (and rule) only; json `[]`", () => {
    expectScan(scan(33023, 33023), `${HEADER}\n${RULE}\n`, "")
    expectScan(scan(33023, 33023, "--format", "json"), "[]\n", "")
    expectScan(scan(33023, 33023, "--format", "csv"), `${CSV_HEADER}\n`, "")
    expectScan(scan(33023, 33023, "--format", "tsv"), `${CSV_HEADER.replaceAll(",", "\t")}\n`, "")
  })

  it("--format is case-sensitive (scan, unlike list)", () => {
    expectUsageError(scan(33021, 33023, "--format", "JSON"), "JSON")
  })

  it("minimal quoting of a process name with the delimiter, a quote or a tab", () => {
    const owner = (name: string): OwnerFields => ({ ...SELF, name })
    const check = (name: string, csv: string, tsv: string) => {
      process.title = name
      expect(commOfSelf()).toBe(name)
      const c = scan(33021, 33023, "--format", "csv")
      const t = scan(33021, 33023, "--format", "tsv")
      expectScan(c, delimited(rows, ",", owner(name)), found(1))
      expectScan(t, delimited(rows, "\t", owner(name)), found(1))
      expect(c.stdout.split("\n")[1]).toContain(`,${SELF.pid},${csv},${SELF.user},`)
      expect(t.stdout.split("\n")[1]).toContain(`\t${SELF.pid}\t${tsv}\t${SELF.user}\t`)
    }
    try {
      check("no,de", "\"no,de\"", "no,de")
      check("no\tde", "no\tde", "\"no\tde\"")
      check("say \"hi\"", "\"say \"\"hi\"\"\"", "\"say \"\"hi\"\"\"")
    } finally {
      process.title = "node"
    }
  })
})

describe("stderr: the Found line, --quiet, no progress on a pipe (docs/cli.md; Output)", () => {
  it("Found N after an empty line, also with --quiet; nothing when N = 0", async () => {
    await sockets.tcp("127.0.0.1", 33025)
    await sockets.udp("127.0.0.1", 33027)
    expectScan(scan(33025, 33027, "--format", "csv"), delimited([row(33025, "tcp4"), row(33027, "udp4")], ","), found(2))
    expectScan(scan(33025, 33027, "--format", "csv", "--quiet"), delimited([row(33025, "tcp4"), row(33027, "udp4")], ","), found(2))
    expectScan(sb.run(["--quiet", "scan", "--min", "33025", "--max", "33025"]), table([row(33025, "tcp4")]), found(1))
    expectScan(scan(33026, 33026), table([]), "")
    expectScan(scan(33026, 33026, "--quiet"), table([]), "")
  })

  it("no progress line when stderr is not a terminal, even over many ports", async () => {
    await sockets.tcp("127.0.0.1", 33079)
    const r = scan(33000, 33079)
    expectScan(r, table([row(33079, "tcp4")]), found(1))
    expect(r.stderr).not.toContain("\r")
    expect(r.stderr).not.toContain("Scanning")
  })
})

describe("the range (docs/cli.md)", () => {
  const userConfig = (text: string) => {
    fs.mkdirSync(sb.dataDir, { recursive: true })
    fs.writeFileSync(path.join(sb.dataDir, "config.yaml"), text)
  }

  it("the default maximum honours ports.max_offset", async () => {
    for (const p of [33030, 33033, 33034]) await sockets.tcp("127.0.0.1", p)
    fs.writeFileSync(path.join(sb.work, "trop.yaml"), "ports:\n  min: 33030\n  max_offset: 3\n")
    expect(csvRows(sb.run(["scan", "--format", "csv"]))).toEqual([short(33030, "tcp4"), short(33033, "tcp4")])
    // --min keeps the inherited offset: 33031..33034.
    expect(csvRows(sb.run(["scan", "--min", "33031", "--format", "csv"]))).toEqual([short(33033, "tcp4"), short(33034, "tcp4")])
    // --max replaces it.
    expect(csvRows(sb.run(["scan", "--max", "33030", "--format", "csv"]))).toEqual([short(33030, "tcp4")])
  })

  it("the defaults come from ports.min/ports.max of any layer", async () => {
    for (const p of [33030, 33032, 33033]) await sockets.tcp("127.0.0.1", p)
    userConfig("ports:\n  min: 33031\n  max: 33032\n")
    expect(csvRows(sb.run(["scan", "--format", "csv"]))).toEqual([short(33032, "tcp4")])
    expect(csvRows(sb.run(["scan", "--format", "csv"], { env: { TROP_PORT_MIN: "33030", TROP_PORT_MAX_OFFSET: "3" } }))).toEqual([
      short(33030, "tcp4"),
      short(33032, "tcp4"),
      short(33033, "tcp4")
    ])
  })

  it("--min 0 and min > max are configuration errors (exit 7)", () => {
    expectError(
      scan(0, 33030),
      7,
      "Configuration error: validation error for 'ports.min (<command line>)': Invalid port number: 0"
    )
    expectError(scan(33031, 33030), 7, "Configuration error: validation error for 'ports (<command line>)': max must be >= min")
    expectError(
      sb.run(["scan", "--min", "7001"]),
      7,
      "Configuration error: validation error for 'ports (<command line>)': max must be >= min"
    )
  })

  it("--min/--max must be integers in 0..65535 (usage error)", () => {
    expectUsageError(sb.run(["scan", "--min", "65536"]), "65536")
    expectUsageError(sb.run(["scan", "--max", "abc"]), "abc")
    expectUsageError(sb.run(["scan", "--min", "-1"]))
  })
})

describe("--autoexclude and --autocompact (docs/concepts.md, docs/configuration.md)", () => {
  const read = (file: string) => fs.readFileSync(file, "utf8")
  const added = (n: number, file: string) => `Added ${n} exclusions to ${file}\n`

  it("without a project file it writes <data-dir>/config.yaml, creating it with only the list", async () => {
    await sockets.tcp("127.0.0.1", 33041)
    await sockets.udp("::1", 33040)
    const file = path.join(sb.dataDir, "config.yaml")
    const r = scan(33040, 33042, "--autoexclude", "--format", "csv")
    expectScan(r, delimited([row(33040, "udp6"), row(33041, "tcp4")], ","), added(2, file) + found(2))
    expect(read(file)).toBe("excluded_ports:\n  - 33040\n  - 33041\n")
    // Now excluded as identical single entries: nothing new, the file is untouched, n still counts them.
    const before = fs.statSync(file).mtimeMs
    expectScan(scan(33040, 33042, "--autoexclude", "--format", "csv"), r.stdout, added(2, file) + found(2))
    expect(read(file)).toBe("excluded_ports:\n  - 33040\n  - 33041\n")
    expect(fs.statSync(file).mtimeMs).toBe(before)
  })

  it("writes trop.yaml in place: comments and other keys byte for byte; reserved, present and free ports skipped", async () => {
    const file = path.join(sb.work, "trop.yaml")
    const text = [
      "# Team settings -- keep this comment",
      "project: web   # inline comment",
      "excluded_ports:",
      "  - 33044 # already excluded as a single entry",
      "  - start: 33046",
      "    end: 33047",
      "",
      "# cleanup policy",
      "cleanup:",
      "  expire_after_days: 9",
      ""
    ].join("\n")
    fs.writeFileSync(file, text)
    seed(sb, [{ path: path.join(sb.work, "svc"), port: 33045 }])
    for (const p of [33043, 33044, 33045, 33046]) await sockets.tcp("127.0.0.1", p)
    const r = scan(33043, 33048, "--autoexclude")
    expectScan(
      r,
      table([row(33043, "tcp4"), row(33044, "tcp4"), row(33045, "tcp4", { reserved: true }), row(33046, "tcp4")]),
      added(3, file) + found(3)
    )
    // 33044 is already an identical single entry; 33046 is only inside a range, so it is added.
    expect(read(file)).toBe(
      [
        "# Team settings -- keep this comment",
        "project: web   # inline comment",
        "excluded_ports:",
        "  - 33044 # already excluded as a single entry",
        "  - start: 33046",
        "    end: 33047",
        "  - 33043",
        "  - 33046",
        "",
        "# cleanup policy",
        "cleanup:",
        "  expire_after_days: 9",
        ""
      ].join("\n")
    )
    expect(fs.existsSync(path.join(sb.dataDir, "config.yaml"))).toBe(false)
  })

  it("prefers trop.local.yaml over trop.yaml; a missing list is appended at the end of the root mapping", async () => {
    const project = path.join(sb.work, "trop.yaml")
    const local = path.join(sb.work, "trop.local.yaml")
    fs.writeFileSync(project, "# project\nexcluded_ports: [33049]\n")
    fs.writeFileSync(local, "# private overlay\nproject: mine # me\n")
    await sockets.tcp("127.0.0.1", 33050)
    expectScan(scan(33049, 33050, "--autoexclude"), table([row(33050, "tcp4")]), added(1, local) + found(1))
    expect(read(local)).toBe("# private overlay\nproject: mine # me\nexcluded_ports:\n  - 33050\n")
    expect(read(project)).toBe("# project\nexcluded_ports: [33049]\n")
  })

  it("--autocompact compacts the file's list after adding, and says so", async () => {
    const file = path.join(sb.work, "trop.yaml")
    fs.writeFileSync(file, "# keep\nexcluded_ports:\n  - 33051\n  - 33053\n  - 33056 # lone\nproject: p # after\n")
    await sockets.tcp("127.0.0.1", 33052)
    await sockets.udp("127.0.0.1", 33054)
    expectScan(
      scan(33051, 33055, "--autoexclude", "--autocompact"),
      table([row(33052, "tcp4"), row(33054, "udp4")]),
      added(2, file) + "Compacted 5 exclusions to 2\n" + found(2)
    )
    const after = read(file)
    expect(after.startsWith("# keep\nexcluded_ports:\n  - start: 33051\n    end: 33054\n")).toBe(true)
    expect(after).toContain("project: p # after\n")
    expect(after).toMatch(/excluded_ports:\n {2}- start: 33051\n {4}end: 33054\n {2}- 33056\b/)
  })

  it("--autocompact: flow sequences stay flow; nothing to compact → no Compacted line", async () => {
    const file = path.join(sb.work, "trop.yaml")
    fs.writeFileSync(file, "excluded_ports: [33051, 33053]\n")
    await sockets.tcp("127.0.0.1", 33052)
    expectScan(scan(33051, 33053, "--autoexclude", "--autocompact"), table([row(33052, "tcp4")]), added(1, file) + "Compacted 3 exclusions to 1\n" + found(1))
    expect(read(file)).toBe("excluded_ports: [{start: 33051, end: 33053}]\n")
    fs.writeFileSync(file, "excluded_ports:\n  - 33060\n")
    expectScan(scan(33052, 33052, "--autoexclude", "--autocompact"), table([row(33052, "tcp4")]), added(1, file) + found(1))
    expect(read(file)).toBe("excluded_ports:\n  - 33060\n  - 33052\n")
  })

  it("nothing to add: no message, no file; --autocompact alone or with nothing added compacts nothing", async () => {
    const file = path.join(sb.work, "trop.yaml")
    fs.writeFileSync(file, "excluded_ports:\n  - 33057\n  - 33058\n")
    expectScan(scan(33057, 33058, "--autoexclude", "--autocompact"), table([]), "")
    expectScan(scan(33057, 33058, "--autocompact"), table([]), "")
    expect(read(file)).toBe("excluded_ports:\n  - 33057\n  - 33058\n")
    fs.rmSync(file)
    expectScan(scan(33057, 33058, "--autoexclude"), table([]), "")
    expect(fs.existsSync(path.join(sb.dataDir, "config.yaml"))).toBe(false)
  })

  it("--quiet suppresses the notes but not the Found line; the file is still written", async () => {
    await sockets.tcp("127.0.0.1", 33059)
    const file = path.join(sb.work, "trop.yaml")
    fs.writeFileSync(file, "excluded_ports: [33058]\n")
    expectScan(scan(33058, 33059, "--autoexclude", "--autocompact", "--quiet"), table([row(33059, "tcp4")]), found(1))
    expect(read(file)).toBe("excluded_ports: [{start: 33058, end: 33059}]\n")
  })

  it("an existing user config.yaml is edited in place: a null list gets its value, comments stay", async () => {
    await sockets.tcp("::1", 33042)
    fs.mkdirSync(sb.dataDir, { recursive: true })
    const file = path.join(sb.dataDir, "config.yaml")
    fs.writeFileSync(file, "# user settings\nexcluded_ports:\n# the end\n")
    expectScan(scan(33042, 33042, "--autoexclude"), table([row(33042, "tcp6")]), added(1, file) + found(1))
    expect(read(file)).toBe("# user settings\nexcluded_ports:\n  - 33042\n# the end\n")
  })

  it("a failed write is exit 5 `I/O error`, with nothing on stdout and the file unchanged (docs/cli.md, docs/configuration.md)", async (ctx) => {
    const file = path.join(sb.work, "trop.yaml")
    fs.writeFileSync(file, "excluded_ports: [33040]\n")
    const nobody = asNobody(sb) // the work directory stays root-owned: nobody cannot write there
    if (typeof nobody === "string") return ctx.skip(nobody)
    await sockets.tcp("127.0.0.1", 33041)
    const r = nobody.run(["scan", "--min", "33040", "--max", "33041", "--autoexclude"])
    expect(r.code, r.stderr).toBe(5)
    expect(r.stderr).toMatch(/^Error: I\/O error: \S[^\n]*\n$/)
    expect(read(file)).toBe("excluded_ports: [33040]\n")
    expect(r.stdout).toBe("")
  })

  it("without --autoexclude nothing is written", async () => {
    await sockets.tcp("127.0.0.1", 33059)
    fs.writeFileSync(path.join(sb.work, "trop.yaml"), "# nothing\n")
    expectScan(scan(33059, 33059), table([row(33059, "tcp4")]), found(1))
    expect(read(path.join(sb.work, "trop.yaml"))).toBe("# nothing\n")
  })
})

describe("owner evidence that is only partly readable (docs/concepts.md)", () => {
  it("another user's socket: the user is known from /proc/net, pid and name are not → partial", async (ctx) => {
    const nobody = asNobody(sb)
    if (typeof nobody === "string") return ctx.skip(nobody)
    await sockets.tcp("127.0.0.1", 33070)
    const r = nobody.run(["scan", "--min", "33070", "--max", "33070", "--format", "json"])
    expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: found(1) })
    expect(JSON.parse(r.stdout)).toEqual([{
      port: 33070,
      status: "occupied",
      reserved: false,
      protocol: "tcp",
      address_family: "ipv4",
      scope: "localhost",
      address: "127.0.0.1",
      process_id: null,
      process_name: null,
      user: SELF.user,
      owner_status: "partial"
    }])
    const t = nobody.run(["scan", "--min", "33070", "--max", "33070"])
    expect(t.stdout.split("\n")[2]).toBe(
      `33070  occupied             false     tcp       ipv4    localhost  127.0.0.1       unavailable  unavailable      ${SELF.user.padEnd(16)} partial`
    )
  })
})

describe("probe failures (docs/concepts.md): possibly occupied ports", () => {
  const PORTS = [1020, 1021]

  it("EACCES below 1024: one row per failed probe, no owner, one warning, never counted or auto-excluded", (ctx) => {
    seed(sb, [{ path: path.join(sb.work, "a"), port: 1021 }])
    const runner = withoutPrivileges(sb, PORTS)
    if (typeof runner === "string") return ctx.skip(runner)
    const possibly = (port: number, reserved = false) =>
      (["tcp4", "udp4", "tcp6", "udp6"] as const).map((p) => row(port, p, { possibly: true, reserved }))
    const rows = [...possibly(1020), ...possibly(1021, true)]
    const warning =
      /^Warning: occupancy probes failed for 2 port\(s\), reported as possibly occupied; first failure: port 1020: TCP IPv4 localhost bind at 127\.0\.0\.1:1020 failed: \S[^\n]*\n$/

    const t = runner.run(["scan", "--min", "1020", "--max", "1021"])
    expect({ code: t.code, stdout: t.stdout }).toEqual({ code: 0, stdout: table(rows) })
    expect(t.stderr).toMatch(warning)
    expect(t.stdout).toContain("1020   possibly occupied    false     tcp       ipv4    localhost  127.0.0.1       unavailable  unavailable      unavailable      unavailable\n")
    expect(t.stdout).toContain("1021   possibly occupied (reserved) true      udp       ipv6    localhost  ::1             unavailable ")

    const j = runner.run(["scan", "--min", "1020", "--max", "1021", "--format", "json"])
    expect(j.stdout).toBe(jsonOf(rows))
    expect(j.stdout).toContain("\"process_id\": null,\n    \"process_name\": null,\n    \"user\": null,\n    \"owner_status\": \"unavailable\"")

    const c = runner.run(["scan", "--min", "1020", "--max", "1021", "--format", "csv", "--check-all-interfaces"])
    expect(c.stdout.split("\n").filter((l) => l.startsWith("1020,")).map((l) => l.split(",").slice(3, 6).join(" "))).toEqual([
      "tcp ipv4 localhost",
      "udp ipv4 localhost",
      "tcp ipv4 wildcard",
      "udp ipv4 wildcard",
      "tcp ipv6 localhost",
      "udp ipv6 localhost",
      "tcp ipv6 wildcard",
      "udp ipv6 wildcard"
    ])

    // --quiet drops the warning; possibly occupied ports are never auto-excluded nor counted.
    const q = runner.run(["scan", "--min", "1020", "--max", "1021", "--quiet", "--autoexclude"])
    expect({ code: q.code, stdout: q.stdout, stderr: q.stderr }).toEqual({ code: 0, stdout: table(rows), stderr: "" })
    const a = runner.run(["scan", "--min", "1020", "--max", "1020", "--autoexclude"])
    expect(a.code).toBe(0)
    expect(a.stderr).not.toContain("Added")
    expect(a.stderr).not.toContain("Found")
    expect(fs.existsSync(path.join(sb.dataDir, "config.yaml"))).toBe(false)
  })
})

describe("an address family missing on the host (docs/concepts.md)", () => {
  it("IPv6 probes are skipped with one warning per run; --quiet silences it", (ctx) => {
    const runner = withoutIpv6(sb, 33060)
    if (typeof runner === "string") return ctx.skip(runner)
    const r = runner.run(["scan", "--min", "33060", "--max", "33069"])
    expect({ code: r.code, stdout: r.stdout }).toEqual({ code: 0, stdout: table([]) })
    expect(r.stderr).toMatch(
      /^Warning: skipping IPv6 occupancy probes: address family unavailable on this host \(TCP IPv6 localhost bind at \[::1\]:330[6]\d failed: \S[^\n]*\)\n$/
    )
    const u = runner.run(["scan", "--min", "33060", "--max", "33069", "--skip-tcp"])
    expect(u.stderr).toMatch(/^Warning: skipping IPv6 occupancy probes: [^\n]*\(UDP IPv6 localhost bind at \[::1\]:\d+ failed: [^\n]+\)\n$/)
    const q = runner.run(["scan", "--min", "33060", "--max", "33069", "--quiet"])
    expect({ code: q.code, stdout: q.stdout, stderr: q.stderr }).toEqual({ code: 0, stdout: table([]), stderr: "" })
  })
})
