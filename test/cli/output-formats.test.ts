import { spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest"
import { BIN, cleanEnv, type Result } from "../support/cli.js"
import {
  expectError,
  expectOk,
  expectRecent,
  expectUsageError,
  listJson,
  makeSandbox,
  type Sandbox,
  seed,
  T0_TEXT,
  T1_TEXT
} from "./_helpers.js"
import { SELF, Sockets, useNodeTitle } from "./_sockets.js"

/**
 * `--format json` of reserve, release, port-info, prune, expire and autoclean; `release
 * --port`; `list` aligned on a terminal (docs/output-formats.md). Private port range of
 * this file: 35300-35399.
 */

const MIN = 35300
const MAX = 35399
const DAY = 86_400

let sb: Sandbox
let sockets: Sockets
let restoreTitle: () => void
beforeAll(() => {
  restoreTitle = useNodeTitle()
})
afterAll(() => restoreTitle())
beforeEach(() => {
  sb = makeSandbox([MIN, MAX])
  sockets = new Sockets()
})
afterEach(async () => {
  await sockets.closeAll()
  sb.cleanup()
})

/** JSON as trop prints it: two-space indentation, one final newline. */
const json = (value: unknown) => JSON.stringify(value, null, 2) + "\n"

/** A reservation in the shape of `list --format json`, seeded with T0/T1 timestamps. */
const row = (p: string, port: number, extra: { tag?: string; project?: string; task?: string } = {}) => ({
  created_at: T0_TEXT,
  last_used_at: T1_TEXT,
  path: p,
  port,
  project: extra.project ?? null,
  tag: extra.tag ?? null,
  task: extra.task ?? null
})

/**
 * A path relationship violation: exit 1, nothing on stdout, the exact error line, then the
 * hint naming --allow-unrelated-path (its wording belongs to the error messages' tests).
 */
const expectUnrelated = (r: Result, other: string, cwd: string) => {
  expect({ code: r.code, stdout: r.stdout }).toEqual({ code: 1, stdout: "" })
  const [first, hint, ...rest] = r.stderr.split("\n")
  expect(first).toBe(`Error: path relationship violation: ${other} and ${cwd} are unrelated paths`)
  expect(hint).toMatch(/^hint: .*--allow-unrelated-path/)
  expect(rest).toEqual([""])
}

/** Parses a reserve JSON document, checks its timestamps are now, and returns it with them replaced by "now". */
const reserveJson = (r: Result): Record<string, unknown> => {
  expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: "" })
  const doc = JSON.parse(r.stdout) as Record<string, unknown>
  expect(r.stdout).toBe(json(doc))
  expectRecent(doc.created_at as string)
  expectRecent(doc.last_used_at as string)
  return { ...doc, created_at: "now", last_used_at: "now" }
}

describe("--format", () => {
  it("takes text or json (case-sensitive); anything else is a usage error", () => {
    for (const command of [["reserve"], ["release"], ["port-info", "5000"], ["prune"], ["expire"], ["autoclean"]]) {
      expectUsageError(sb.run([...command, "--format", "xml"]), "invalid value 'xml' for '--format", "text, json")
      expectUsageError(sb.run([...command, "--format", "JSON"]), "invalid value 'JSON' for '--format")
    }
  })

  it("--format text is the default output; output_format and TROP_OUTPUT_FORMAT stay list-only", () => {
    const env = { TROP_OUTPUT_FORMAT: "json" }
    expectOk(sb.run(["reserve", "--tag", "web"], { env }), `${MIN}\n`)
    expectOk(sb.run(["reserve", "--tag", "web", "--format", "text"], { env }), `${MIN}\n`)
    fs.writeFileSync(path.join(sb.work, "trop.yaml"), "output_format: json\n")
    expectOk(sb.run(["reserve", "--tag", "web"]), `${MIN}\n`)
    expect(sb.run(["port-info", String(MIN)], { env }).stdout).toMatch(/^Port: /)
    expectOk(sb.run(["prune"], { env }), "", "Removed 0 reservation(s) for non-existent paths\n")
    expectOk(sb.run(["release", "--tag", "web"], { env }), "", "Released reservation successfully\n")
    // list still follows the configuration.
    expectOk(sb.run(["list"]), "[]\n")
  })
})

describe("reserve --format json", () => {
  it("a new reservation, a refresh, and a reallocation that replaces a port", () => {
    const base = { cleanup: null, created_at: "now", dry_run: false, last_used_at: "now", path: sb.work, project: null, task: null }
    const first = sb.run(["reserve", "--tag", "web", "--format", "json"])
    expect(Object.keys(JSON.parse(first.stdout))).toEqual([
      "action",
      "cleanup",
      "created_at",
      "dry_run",
      "last_used_at",
      "path",
      "port",
      "previous_port",
      "project",
      "tag",
      "task"
    ])
    expect(reserveJson(first)).toEqual({ ...base, action: "allocate", port: MIN, previous_port: null, tag: "web" })
    expect(reserveJson(sb.run(["reserve", "--tag", "web", "--format", "json"]))).toEqual({
      ...base,
      action: "refresh",
      port: MIN,
      previous_port: MIN,
      tag: "web"
    })
    const moved = sb.run(["reserve", "--tag", "web", "--overwrite", "--port", String(MIN + 7), "--format", "json"])
    expect(reserveJson(moved)).toEqual({ ...base, action: "allocate", port: MIN + 7, previous_port: MIN, tag: "web" })
    expect(listJson(sb).map((r) => r.port)).toEqual([MIN + 7])
  })

  it("--dry-run: the planned reservation with dry_run true on stdout, nothing on stderr, nothing stored", () => {
    const r = sb.run(["reserve", "--dry-run", "--format", "json"])
    expect(reserveJson(r)).toEqual({
      action: "allocate",
      cleanup: null,
      created_at: "now",
      dry_run: true,
      last_used_at: "now",
      path: sb.work,
      port: MIN,
      previous_port: null,
      project: null,
      tag: null,
      task: null
    })
    expect(listJson(sb)).toEqual([])
  })

  it("--quiet keeps the JSON document", () => {
    const r = sb.run(["reserve", "--quiet", "--format", "json"])
    expect(reserveJson(r)).toMatchObject({ action: "allocate", port: MIN })
  })

  it("the automatic cleanup of an exhausted range is in the document; its warning stays on stderr", () => {
    const gone = path.join(sb.root, "gone")
    seed(sb, [{ path: gone, port: MIN, tag: "old" }])
    const r = sb.run(["reserve", "--format", "json"], { env: { TROP_PORT_MAX: String(MIN) } })
    expect(r.code, r.stderr).toBe(0)
    expect(r.stderr).toBe(
      "Warning: Automatic cleanup after initial port exhaustion pruned 1 and expired 0 reservation(s); allocation succeeded on the single retry.\n"
    )
    const doc = JSON.parse(r.stdout) as Record<string, unknown>
    expect(r.stdout).toBe(json(doc))
    expect(doc.cleanup).toEqual({ expired: [], pruned: [row(gone, MIN, { tag: "old" })] })
    expect(doc.port).toBe(MIN)
    expect(doc.action).toBe("allocate")
  })

  it("errors are unchanged: stderr and the exit code, nothing on stdout", () => {
    const other = sb.dir("elsewhere")
    expectUnrelated(sb.run(["reserve", "--path", other, "--format", "json"], { cwd: sb.dir("here") }), other, path.join(sb.root, "here"))
  })
})

describe("release --format json", () => {
  it("the released rows; an empty list and the warning when nothing matched", () => {
    seed(sb, [
      { path: sb.work, port: MIN + 1, tag: "web", project: "p" },
      { path: sb.work, port: MIN + 2 }
    ])
    expectOk(
      sb.run(["release", "--format", "json"]),
      json({ dry_run: false, released: [row(sb.work, MIN + 2), row(sb.work, MIN + 1, { tag: "web", project: "p" })] })
    )
    expect(listJson(sb)).toEqual([])
    expectOk(
      sb.run(["release", "--tag", "web", "--format", "json"]),
      json({ dry_run: false, released: [] }),
      `Warning: No reservation found for ${sb.work}:web (already released)\n`
    )
    expectOk(sb.run(["release", "--tag", "web", "--format", "json", "--quiet"]), json({ dry_run: false, released: [] }))
  })

  it("--dry-run and --recursive", () => {
    const sub = sb.dir("work", "sub")
    seed(sb, [{ path: sb.work, port: MIN + 1 }, { path: sub, port: MIN + 2, tag: "db", task: "t" }])
    const all = [row(sb.work, MIN + 1), row(sub, MIN + 2, { tag: "db", task: "t" })]
    expectOk(sb.run(["release", "--recursive", "--dry-run", "--format", "json"]), json({ dry_run: true, released: all }))
    expect(listJson(sb)).toHaveLength(2)
    expectOk(sb.run(["release", "--recursive", "--format", "json"]), json({ dry_run: false, released: all }))
    expect(listJson(sb)).toEqual([])
  })
})

describe("release --port", () => {
  it("releases the reservation holding the port, whatever its path and tag; the others stay", () => {
    const sub = sb.dir("work", "sub")
    seed(sb, [{ path: sb.work, port: MIN + 1, tag: "a" }, { path: sub, port: MIN + 2, tag: "b" }])
    expectOk(sb.run(["release", "--port", String(MIN + 2)]), "", "Released reservation successfully\n")
    expect(listJson(sb).map((r) => r.port)).toEqual([MIN + 1])
  })

  it("an unreserved port: the already-released message and warning, exit 0 (also with a leading +)", () => {
    seed(sb, [{ path: sb.work, port: MIN + 1 }])
    expectOk(
      sb.run(["release", "--port", `+${MIN + 3}`]),
      "",
      `No reservation found (already released)\nWarning: No reservation found for port ${MIN + 3} (already released)\n`
    )
    expectOk(sb.run(["release", "--port", String(MIN + 3), "--quiet"]), "", "")
    expect(listJson(sb)).toHaveLength(1)
  })

  it("the path guard applies to the row's path; --allow-unrelated-path, TROP_ALLOW_UNRELATED_PATH and --force bypass it", () => {
    const other = sb.dir("other")
    seed(sb, [
      { path: other, port: MIN + 1 },
      { path: other, port: MIN + 2, tag: "x" },
      { path: other, port: MIN + 3, tag: "y" },
      { path: other, port: MIN + 4, tag: "z" }
    ])
    expectUnrelated(sb.run(["release", "--port", String(MIN + 1)]), other, sb.work)
    expectUnrelated(sb.run(["release", "--port", String(MIN + 1), "--dry-run"]), other, sb.work)
    expectUnrelated(sb.run(["release", "--port", String(MIN + 1), "--format", "json"]), other, sb.work)
    expect(listJson(sb)).toHaveLength(4)
    expectOk(sb.run(["release", "--port", String(MIN + 1), "--allow-unrelated-path"]), "", "Released reservation successfully\n")
    expectOk(
      sb.run(["release", "--port", String(MIN + 2)], { env: { TROP_ALLOW_UNRELATED_PATH: "true" } }),
      "",
      "Released reservation successfully\n"
    )
    expectOk(sb.run(["release", "--port", String(MIN + 3), "--force"]), "", "Released reservation successfully\n")
    // From the row's own directory it is related.
    expectOk(sb.run(["release", "--port", String(MIN + 4)], { cwd: other }), "", "Released reservation successfully\n")
    expect(listJson(sb)).toEqual([])
  })

  it("TROP_PATH is not consulted", () => {
    const sub = sb.dir("work", "sub")
    seed(sb, [{ path: sub, port: MIN + 1, tag: "b" }])
    expectOk(
      sb.run(["release", "--port", String(MIN + 1)], { env: { TROP_PATH: "/nonexistent/unrelated" } }),
      "",
      "Released reservation successfully\n"
    )
  })

  it("--dry-run names the row and deletes nothing; --format json gives it as data", () => {
    const sub = sb.dir("work", "sub")
    seed(sb, [{ path: sub, port: MIN + 1, tag: "b" }])
    expectOk(
      sb.run(["release", "--port", String(MIN + 1), "--dry-run"]),
      "",
      `Dry run - would perform the following actions:\n  1. Delete reservation for ${sub}:b\n`
    )
    expectOk(
      sb.run(["release", "--port", String(MIN + 1), "--dry-run", "--format", "json"]),
      json({ dry_run: true, released: [row(sub, MIN + 1, { tag: "b" })] })
    )
    expect(listJson(sb)).toHaveLength(1)
    expectOk(
      sb.run(["release", "--port", String(MIN + 1), "--format", "json"]),
      json({ dry_run: false, released: [row(sub, MIN + 1, { tag: "b" })] })
    )
    expect(listJson(sb)).toEqual([])
  })

  it("cannot be combined with --path, --tag, --untagged-only or --recursive (usage error)", () => {
    for (const extra of [["--path", "."], ["--tag", "web"], ["--untagged-only"], ["--recursive"]]) {
      expectUsageError(
        sb.run(["release", "--port", String(MIN), ...extra]),
        `the argument '--port' cannot be used with '${extra[0]}'`
      )
    }
  })

  it("an invalid port is exit 4 with reserve's --port messages", () => {
    expectError(sb.run(["release", "--port", "abc"]), 4, "Invalid arguments: Invalid port number: 'abc' is not a valid number")
    expectError(sb.run(["release", "--port", "0"]), 4, "Invalid arguments: Invalid port number: port 0 is reserved and cannot be used")
    expectError(
      sb.run(["release", "--port", "70000"]),
      4,
      "Invalid arguments: Invalid port number: 70000 is greater than maximum port 65535"
    )
  })
})

describe("port-info --format json", () => {
  it("a reservation: its fields, path_exists; occupancy null unless asked", () => {
    const gone = path.join(sb.root, "gone")
    seed(sb, [
      { path: sb.work, port: MIN + 1, tag: "db", project: "p", task: "t" },
      { path: gone, port: MIN + 2 }
    ])
    expectOk(
      sb.run(["port-info", String(MIN + 1), "--format", "json"]),
      json({
        occupancy: null,
        port: MIN + 1,
        reservation: {
          created_at: T0_TEXT,
          last_used_at: T1_TEXT,
          path: sb.work,
          path_exists: true,
          port: MIN + 1,
          project: "p",
          tag: "db",
          task: "t"
        }
      })
    )
    expectOk(
      sb.run(["port-info", String(MIN + 2), "--format", "json"]),
      json({
        occupancy: null,
        port: MIN + 2,
        reservation: {
          created_at: T0_TEXT,
          last_used_at: T1_TEXT,
          path: gone,
          path_exists: false,
          port: MIN + 2,
          project: null,
          tag: null,
          task: null
        }
      })
    )
  })

  it("an unreserved port: reservation null; occupancy available, in use, or not checked", async () => {
    const none = { failures: [], in_use: [] }
    expectOk(sb.run(["port-info", String(MIN + 5), "--format", "json"]), json({ occupancy: null, port: MIN + 5, reservation: null }))
    expectOk(
      sb.run(["port-info", String(MIN + 5), "--format", "json", "--include-occupancy"]),
      json({ occupancy: { ...none, status: "available" }, port: MIN + 5, reservation: null })
    )
    expectOk(
      sb.run(["port-info", String(MIN + 5), "--format", "json", "--include-occupancy", "--skip-tcp", "--skip-udp"]),
      json({ occupancy: { ...none, status: "not_checked" }, port: MIN + 5, reservation: null })
    )
    await sockets.tcp("127.0.0.1", MIN + 5)
    expectOk(
      sb.run(["port-info", String(MIN + 5), "--format", "json", "--include-occupancy"]),
      json({
        occupancy: {
          failures: [],
          in_use: [{
            address: "127.0.0.1",
            family: "ipv4",
            owner_metadata: "available",
            pid: SELF.pid,
            process: SELF.name,
            protocol: "tcp",
            scope: "localhost",
            user: SELF.user
          }],
          status: "in_use"
        },
        port: MIN + 5,
        reservation: null
      })
    )
  })
})

describe("prune, expire, autoclean --format json", () => {
  const now = () => Math.floor(Date.now() / 1000)
  const seedMixed = () => {
    const t = now()
    const gone = path.join(sb.root, "a-gone")
    const live = sb.dir("b-live")
    seed(sb, [
      { path: gone, port: MIN + 1, tag: "web", project: "p", last_used_at: t },
      { path: live, port: MIN + 2, last_used_at: t - 40 * DAY },
      { path: live, port: MIN + 3, tag: "fresh", last_used_at: t }
    ])
    const stamp = (s: number) => new Date(s * 1000).toISOString().slice(0, 19).replace("T", " ")
    return {
      gone: { ...row(gone, MIN + 1, { tag: "web", project: "p" }), last_used_at: stamp(t) },
      old: { ...row(live, MIN + 2), last_used_at: stamp(t - 40 * DAY) }
    }
  }

  it("prune: the pruned rows; --dry-run deletes nothing; --quiet keeps the document", () => {
    const r = seedMixed()
    const doc = (dry: boolean) => json({ dry_run: dry, expire_after_days: null, expired: [], pruned: [r.gone] })
    expectOk(sb.run(["prune", "--dry-run", "--format", "json"]), doc(true))
    expect(listJson(sb)).toHaveLength(3)
    expectOk(sb.run(["prune", "--format", "json"]), doc(false))
    expect(listJson(sb)).toHaveLength(2)
    expectOk(
      sb.run(["prune", "--format", "json", "--quiet"]),
      json({ dry_run: false, expire_after_days: null, expired: [], pruned: [] })
    )
  })

  it("expire and autoclean: the threshold used and the rows removed", () => {
    const r = seedMixed()
    expectOk(
      sb.run(["expire", "--dry-run", "--format", "json"]),
      json({ dry_run: true, expire_after_days: 30, expired: [r.old], pruned: [] })
    )
    const verbose = sb.run(["autoclean", "--dry-run", "--days", "50", "--format", "json", "--verbose"])
    expect({ code: verbose.code, stdout: verbose.stdout }).toEqual({
      code: 0,
      stdout: json({ dry_run: true, expire_after_days: 50, expired: [], pruned: [r.gone] })
    })
    expectOk(sb.run(["autoclean", "--format", "json"]), json({ dry_run: false, expire_after_days: 30, expired: [r.old], pruned: [r.gone] }))
    expect(listJson(sb)).toHaveLength(1)
    expectOk(sb.run(["expire", "--quiet", "--format", "json"]), json({ dry_run: false, expire_after_days: 30, expired: [], pruned: [] }))
  })
})

describe("dry runs list the rows they would remove", () => {
  it("prune, expire and autoclean, after their unchanged summary line", () => {
    const t = Math.floor(Date.now() / 1000)
    const gone = path.join(sb.root, "a-gone")
    const live = sb.dir("b-live")
    seed(sb, [
      { path: gone, port: MIN + 1, tag: "web", project: "p", created_at: t, last_used_at: t },
      { path: live, port: MIN + 2, project: "q", created_at: t, last_used_at: t - 40 * DAY - 60 }
    ])
    expectOk(
      sb.run(["prune", "--dry-run"]),
      "",
      "[DRY RUN] Scanning for reservations with non-existent paths...\n" +
        "[DRY RUN] Would remove 1 reservation(s) for non-existent paths\n" +
        `  - Port ${MIN + 1}: ${gone} (tag: 'web', project: 'p')\n`
    )
    expectOk(
      sb.run(["expire", "--dry-run"]),
      "",
      "[DRY RUN] Scanning for reservations unused for 30 days...\n" +
        "[DRY RUN] Would expire 1 reservation(s) older than 30 days\n" +
        `  - Port ${MIN + 2}: ${live} (40 days old, project: 'q')\n`
    )
    expectOk(
      sb.run(["autoclean", "--dry-run"]),
      "",
      "[DRY RUN] Performing combined cleanup...\n" +
        "[DRY RUN] Would remove 2 total reservation(s) (pruned: 1, expired: 1)\n" +
        `\nPruned reservations:\n  - Port ${MIN + 1}: ${gone}\n` +
        `\nExpired reservations:\n  - Port ${MIN + 2}: ${live} (40 days old)\n`
    )
    expect(listJson(sb)).toHaveLength(2)
    // The real runs print the summary only, as before.
    expectOk(sb.run(["autoclean"]), "", "Removed 2 total reservation(s) (pruned: 1, expired: 1)\n")
  })
})

/** Runs `trop args...` with stdout (and stderr) on a pseudo-terminal, via util-linux `script`. */
const onTerminal = (args: ReadonlyArray<string>): Result => {
  const quote = (s: string) => `'${s.replaceAll("'", "'\\''")}'`
  const command = [process.execPath, BIN, "--data-dir", sb.dataDir, ...args].map(quote).join(" ")
  const r = spawnSync("script", ["-qec", command, "/dev/null"], {
    cwd: sb.work,
    env: cleanEnv(sb.baseEnv),
    input: "",
    encoding: "utf8"
  })
  return { code: r.status, stdout: r.stdout.replaceAll("\r\n", "\n"), stderr: r.stderr }
}

const scriptMissing = spawnSync("script", ["--version"]).status !== 0

describe("list on a terminal", () => {
  it.skipIf(scriptMissing)("pads the table's columns (display width, CJK counted double); piped output stays tab-separated", () => {
    const wide = sb.dir("日本")
    const mine = sb.dir("home", "proj")
    seed(sb, [
      { path: wide, port: MIN + 1, tag: "api-server", project: "p" },
      { path: mine, port: MIN + 12, task: "feature-x" }
    ])
    const header = ["PORT", "PATH", "TAG", "PROJECT", "TASK", "CREATED_AT", "LAST_USED_AT"]
    // By path: `${root}/home/proj` sorts before `${root}/日本`.
    const rows = [
      [String(MIN + 12), "~/proj", "-", "-", "feature-x", T0_TEXT, T1_TEXT],
      [String(MIN + 1), wide, "api-server", "p", "-", T0_TEXT, T1_TEXT]
    ]
    expectOk(sb.run(["list"]), [header, ...rows].map((cells) => cells.join("\t")).join("\n") + "\n")
    const pathWidth = wide.length + 2 // two wide characters, one extra column each
    const line = (cells: ReadonlyArray<string>, pathPad: number) =>
      [
        (cells[0] ?? "").padEnd(5),
        (cells[1] ?? "") + " ".repeat(pathPad),
        (cells[2] ?? "").padEnd(10),
        (cells[3] ?? "").padEnd(7),
        (cells[4] ?? "").padEnd(9),
        (cells[5] ?? "").padEnd(19),
        cells[6]
      ].join("  ")
    expectOk(
      onTerminal(["list"]),
      [
        line(header, pathWidth - "PATH".length),
        line(rows[0] ?? [], pathWidth - "~/proj".length),
        line(rows[1] ?? [], 0)
      ].join("\n") + "\n"
    )
    // Only the table is aligned: the other formats are the same on a terminal.
    for (const format of ["json", "csv", "tsv"]) {
      expect(onTerminal(["list", "--format", format]).stdout).toBe(sb.run(["list", "--format", format]).stdout)
    }
  })

  it.skipIf(scriptMissing)("an empty table on a terminal is its aligned header; piped, its tab-separated one", () => {
    expectOk(onTerminal(["list"]), "PORT  PATH  TAG  PROJECT  TASK  CREATED_AT  LAST_USED_AT\n")
    expectOk(sb.run(["list"]), "PORT\tPATH\tTAG\tPROJECT\tTASK\tCREATED_AT\tLAST_USED_AT\n")
  })
})
