import Sqlite from "better-sqlite3"
import * as fs from "node:fs"
import * as net from "node:net"
import * as path from "node:path"
import { afterEach, beforeEach, describe, expect, it } from "vitest"
import { Either } from "effect"
import YAML from "yaml"
import * as GroupOutput from "../../src/cli/commands/GroupOutput.js"
import type { RunOptions } from "../support/cli.js"
import type { Result, Sandbox } from "./_helpers.js"
import { ageRows, dbFile, expectError, expectRecent, exists, fmt, makeSandbox, T0, T1, withDb } from "./_helpers.js"
import { expectHinted, lockHint, preferredWarning, unrelatedHint } from "./_hints.js"

/** The way out of an incompatible group that always exists. */
const FORCE_HINT = "pass --force to reserve the whole group anew (its ports may change)"
/** ... and the one for a stray single reservation. */
const releaseHint = (dir: string, tag: string) => `${FORCE_HINT}, or release a stray single reservation: trop release --path ${dir} --tag ${tag}`

/**
 * `reserve-group` and `autoreserve` end to end (docs/cli.md, docs/output-formats.md;
 * docs/concepts.md). Private port range of this file: 28100-28199.
 */
const MIN = 28100
const MAX = 28199

let sb: Sandbox
beforeEach(() => {
  sb = makeSandbox([MIN, MAX])
})
afterEach(() => sb.cleanup())

/** Shell auto-detection inputs (docs/output-formats.md) removed unless a test sets them. */
const NO_SHELL = { ZSH_VERSION: undefined, FISH_VERSION: undefined, PSModulePath: undefined, SHELL: undefined }

const run = (args: ReadonlyArray<string>, options: RunOptions = {}): Result =>
  sb.run(args, { ...options, env: { ...NO_SHELL, ...options.env } })

/** Writes a YAML file (objects through the `yaml` package, strings verbatim); returns its path. */
const write = (file: string, content: unknown): string => {
  fs.mkdirSync(path.dirname(file), { recursive: true })
  fs.writeFileSync(file, typeof content === "string" ? content : YAML.stringify(content))
  return file
}

const group = (services: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
  ...extra,
  reservations: { services }
})

interface Row {
  readonly path: string
  readonly tag: string
  readonly port: number
  readonly project: string | null
  readonly task: string | null
  readonly created_at: number
  readonly last_used_at: number
}

/** Every stored row (read-only), or null when the database does not exist. */
const rows = (): Array<Row> | null => {
  if (!exists(dbFile(sb.dataDir))) return null
  const db = new Sqlite(dbFile(sb.dataDir), { readonly: true })
  try {
    return db.prepare("SELECT path, tag, port, project, task, created_at, last_used_at FROM reservations ORDER BY path, tag")
      .all() as Array<Row>
  } finally {
    db.close()
  }
}

const portsAt = (dir: string) => Object.fromEntries((rows() ?? []).filter((r) => r.path === dir).map((r) => [r.tag, r.port]))

const ok = (r: Result, stdout: string, stderr: string) => {
  expect({ code: r.code, stdout: r.stdout, stderr: r.stderr }).toEqual({ code: 0, stdout, stderr })
}

/** Five services whose tag order (UTF-8 bytes) differs from JS object order: "10" < "9" < "api-v2" < "web" < "é". */
const FIVE = group({
  web: {},
  "api-v2": { offset: 1 },
  "10": { offset: 2, env: "TEN" },
  "9": { offset: 3, env: "NINE" },
  "é": { offset: 4, env: "E_ACUTE" }
})
const FIVE_NAMES: ReadonlyArray<readonly [string, number]> = [
  ["TEN", MIN + 2],
  ["NINE", MIN + 3],
  ["API_V2", MIN + 1],
  ["WEB", MIN],
  ["E_ACUTE", MIN + 4]
]
const lines = (f: (name: string, port: number) => string) => FIVE_NAMES.map(([n, p]) => f(n, p)).join("\n") + "\n"
const BASH = lines((n, p) => `export ${n}=${p}`)
const FISH = lines((n, p) => `set -x ${n} ${p}`)
const POWERSHELL = lines((n, p) => `$env:${n}="${p}"`)
const DOTENV = lines((n, p) => `${n}=${p}`)
const JSON_TEXT = `{\n  "10": ${MIN + 2},\n  "9": ${MIN + 3},\n  "api-v2": ${MIN + 1},\n  "web": ${MIN},\n  "é": ${MIN + 4}\n}\n`
const HUMAN = `Reserved ports:\n  10: ${MIN + 2}\n  9: ${MIN + 3}\n  api-v2: ${MIN + 1}\n  web: ${MIN}\n  é: ${MIN + 4}\n`
const RESERVED5 = "Reserved 5 ports.\n"

describe("output formats and shells (docs/output-formats.md)", () => {
  beforeEach(() => {
    write(path.join(sb.work, "trop.yaml"), FIVE)
  })

  it("export defaults to bash without any shell hint; rows are stored at the file's directory", () => {
    ok(run(["reserve-group", "trop.yaml"]), BASH, RESERVED5)
    expect(portsAt(sb.work)).toEqual({ "10": MIN + 2, "9": MIN + 3, "api-v2": MIN + 1, web: MIN, "é": MIN + 4 })
    ok(run(["reserve-group", "trop.yaml", "--format", "export"]), BASH, RESERVED5)
    // list's output_format does not leak into group formats
    ok(run(["reserve-group", "trop.yaml"], { env: { TROP_OUTPUT_FORMAT: "json" } }), BASH, RESERVED5)
  })

  it("--shell, case-insensitive, with aliases", () => {
    const cases: ReadonlyArray<readonly [string, string]> = [
      ["bash", BASH],
      ["sh", BASH],
      ["zsh", BASH],
      ["ZSH", BASH],
      ["fish", FISH],
      ["powershell", POWERSHELL],
      ["PWSH", POWERSHELL],
      ["ps", POWERSHELL]
    ]
    for (const [shell, expected] of cases) {
      const r = run(["reserve-group", "trop.yaml", "--shell", shell], { env: { FISH_VERSION: "3.7" } })
      expect({ shell, code: r.code, stdout: r.stdout, stderr: r.stderr }).toEqual({ shell, code: 0, stdout: expected, stderr: RESERVED5 })
    }
  })

  it("auto-detection: ZSH_VERSION ▸ FISH_VERSION ▸ PSModulePath ▸ $SHELL ▸ bash", () => {
    const cases: ReadonlyArray<readonly [Record<string, string>, string]> = [
      [{ ZSH_VERSION: "5.9", FISH_VERSION: "3.7", PSModulePath: "/x", SHELL: "/usr/bin/fish" }, BASH],
      [{ FISH_VERSION: "3.7", PSModulePath: "/x", SHELL: "/bin/zsh" }, FISH],
      [{ FISH_VERSION: "", SHELL: "/bin/bash" }, FISH],
      [{ PSModulePath: "/x", SHELL: "/usr/bin/fish" }, POWERSHELL],
      [{ SHELL: "/usr/bin/zsh" }, BASH],
      [{ SHELL: "/usr/local/bin/fish" }, FISH],
      [{ SHELL: "/opt/microsoft/pwsh" }, POWERSHELL],
      [{ SHELL: "/opt/powershell/bin/thing" }, POWERSHELL],
      [{ SHELL: "/bin/tcsh" }, BASH],
      [{}, BASH]
    ]
    for (const [env, expected] of cases) {
      const r = run(["reserve-group", "trop.yaml"], { env })
      expect({ env, code: r.code, stdout: r.stdout }).toEqual({ env, code: 0, stdout: expected })
    }
  })

  it("dotenv, json keyed by tag in tag order (integer-like tags too), human", () => {
    ok(run(["reserve-group", "trop.yaml", "--format", "dotenv"], { env: { SHELL: "/bin/fish" } }), DOTENV, RESERVED5)
    ok(run(["reserve-group", "trop.yaml", "--format", "json"]), JSON_TEXT, RESERVED5)
    ok(run(["autoreserve", "--format", "human"]), HUMAN, `Discovered config: ${JSON.stringify(path.join(sb.work, "trop.yaml"))}\n${RESERVED5}`)
  })

  it("--format is case-sensitive: JSON is a usage error", () => {
    const r = run(["reserve-group", "trop.yaml", "--format", "JSON"])
    expect(r.code).toBe(4)
    expect(r.stdout).toBe("")
    expect(rows()).toBeNull()
  })

  it("--quiet suppresses stderr only; stdout still carries the allocation", () => {
    ok(run(["--quiet", "reserve-group", "trop.yaml"]), BASH, "")
    ok(run(["autoreserve", "--quiet", "--format", "json"]), JSON_TEXT, "")
  })
})

describe("stderr lines (docs/cli.md)", () => {
  it("autoreserve prints Discovered config as a JSON string literal, then Reserved N ports.", () => {
    const dir = sb.dir("work", 'q"uo\\te dir')
    const file = write(path.join(dir, "trop.yaml"), group({ web: {} }))
    const r = run(["autoreserve"], { cwd: dir })
    ok(r, `export WEB=${MIN}\n`, `Discovered config: ${JSON.stringify(file)}\nReserved 1 ports.\n`)
    expect(r.stderr).toContain('q\\"uo\\\\te dir')
  })

  it("autoreserve from a subdirectory discovers the group above and stores it at the file's directory", () => {
    write(path.join(sb.work, "trop.yaml"), group({ web: {}, api: { offset: 1 } }))
    const sub = sb.dir("work", "a", "b")
    ok(
      run(["autoreserve"], { cwd: sub }),
      `export API=${MIN + 1}\nexport WEB=${MIN}\n`,
      `Discovered config: ${JSON.stringify(path.join(sb.work, "trop.yaml"))}\nReserved 2 ports.\n`
    )
    expect(portsAt(sb.work)).toEqual({ api: MIN + 1, web: MIN })
    expect(portsAt(sub)).toEqual({})
  })
})

describe("dry runs (docs/cli.md, docs/concepts.md)", () => {
  const plan = (...items: ReadonlyArray<string>) =>
    `Dry run - would perform the following actions:\n${items.map((l, i) => `  ${i + 1}. ${l}\n`).join("")}`

  it("fresh reserve-group and autoreserve dry runs print the plan and create no database", () => {
    write(path.join(sb.work, "trop.yaml"), FIVE)
    const w = sb.work
    const reserveLines = [
      `Reserve port ${MIN + 2} for ${w}:10`,
      `Reserve port ${MIN + 3} for ${w}:9`,
      `Reserve port ${MIN + 1} for ${w}:api-v2`,
      `Reserve port ${MIN} for ${w}:web`,
      `Reserve port ${MIN + 4} for ${w}:é`
    ]
    ok(run(["reserve-group", "./trop.yaml", "--dry-run"]), "", plan("Reserve group of services from ./trop.yaml", ...reserveLines))
    ok(
      run(["autoreserve", "--dry-run"]),
      "",
      plan(`Discovered config: ${path.join(w, "trop.yaml")}`, "Reserve group of services from config", ...reserveLines)
    )
    ok(run(["reserve-group", "trop.yaml", "--dry-run", "--quiet"]), "", "")
    // with auto-init disabled, the dry run fails exactly as the real run would
    const missing = "Data directory not found (use --data-dir or enable auto-init)"
    expectError(run(["--disable-autoinit", "autoreserve", "--dry-run"]), 3, missing)
    expectError(run(["reserve-group", "trop.yaml", "--dry-run"], { env: { TROP_DISABLE_AUTOINIT: "true" } }), 3, missing)
    expectError(run(["reserve-group", "trop.yaml", "--disable-autoinit"]), 3, missing)
    expect(exists(sb.dataDir)).toBe(false)
  })

  it("refresh and forced-replacement dry runs change nothing; Release lines come first", () => {
    const file = write(path.join(sb.work, "trop.yaml"), group({ web: {}, api: { offset: 1 } }))
    ok(run(["reserve-group", "trop.yaml"]), `export API=${MIN + 1}\nexport WEB=${MIN}\n`, "Reserved 2 ports.\n")
    ageRows(sb.dataDir, T0, T1)
    const before = rows()
    const w = sb.work
    ok(
      run(["reserve-group", "trop.yaml", "--dry-run"]),
      "",
      plan(
        "Reserve group of services from trop.yaml",
        `Refresh reservation ${w}:api on port ${MIN + 1}`,
        `Refresh reservation ${w}:web on port ${MIN}`
      )
    )
    ok(
      run(["autoreserve", "--dry-run"]),
      "",
      plan(
        `Discovered config: ${file}`,
        "Reserve group of services from config",
        `Refresh reservation ${w}:api on port ${MIN + 1}`,
        `Refresh reservation ${w}:web on port ${MIN}`
      )
    )
    write(file, group({ web: { offset: 2 }, api: { offset: 1 }, db: { offset: 3 } }))
    expectHinted(
      run(["reserve-group", "trop.yaml", "--dry-run"]),
      6,
      `reservation conflict: existing group at ${w} is incompatible: requested service set does not match stored service set`,
      `the stored group at ${w} lacks 'db'`,
      FORCE_HINT
    )
    ok(
      run(["reserve-group", "trop.yaml", "--dry-run", "--force"]),
      "",
      plan(
        "Reserve group of services from trop.yaml",
        `Release reservation ${w}:api on port ${MIN + 1}`,
        `Release reservation ${w}:web on port ${MIN}`,
        `Reserve port ${MIN + 1} for ${w}:api`,
        `Reserve port ${MIN + 3} for ${w}:db`,
        `Reserve port ${MIN + 2} for ${w}:web`
      )
    )
    ok(
      run(["autoreserve", "--dry-run", "--force"]),
      "",
      plan(
        `Discovered config: ${file}`,
        "Reserve group of services from config",
        `Release reservation ${w}:api on port ${MIN + 1}`,
        `Release reservation ${w}:web on port ${MIN}`,
        `Reserve port ${MIN + 1} for ${w}:api`,
        `Reserve port ${MIN + 3} for ${w}:db`,
        `Reserve port ${MIN + 2} for ${w}:web`
      )
    )
    expect(rows()).toEqual(before)
  })

  it("checks run before the dry run: no group, empty group, base out of range, path guard", () => {
    write(path.join(sb.work, "none.yaml"), { project: "p" })
    expectError(
      run(["reserve-group", "none.yaml", "--dry-run"]),
      6,
      "validation error for 'reservations': Effective configuration does not contain a reservation group"
    )
    write(path.join(sb.work, "empty.yaml"), { reservations: { services: {} } })
    expectError(
      run(["reserve-group", "empty.yaml", "--dry-run"]),
      6,
      "validation error for 'reservations.services': Reservation group must contain at least one service"
    )
    write(path.join(sb.work, "base.yaml"), { reservations: { base: MAX + 1, services: { web: {} } } })
    expectError(
      run(["reserve-group", "base.yaml", "--dry-run"]),
      6,
      `validation error for 'reservations.base': Base port ${MAX + 1} must be within port range ${MIN}..${MAX}`
    )
    const other = write(path.join(sb.root, "other", "g.yaml"), group({ web: {} }))
    expectHinted(
      run(["reserve-group", other, "--dry-run"]),
      1,
      `path relationship violation: ${path.join(sb.root, "other")} and ${sb.work} are unrelated paths`,
      unrelatedHint
    )
    expect(exists(sb.dataDir)).toBe(false)
  })
})

describe("refresh, idempotency and alternation (docs/concepts.md)", () => {
  it("re-reserving is idempotent: same stdout, same ports, created_at kept, last_used_at refreshed", () => {
    write(path.join(sb.work, "trop.yaml"), FIVE)
    ok(run(["reserve-group", "trop.yaml"]), BASH, RESERVED5)
    ageRows(sb.dataDir, T0, T1)
    ok(run(["reserve-group", "trop.yaml"]), BASH, RESERVED5)
    const after = rows() ?? []
    expect(after).toHaveLength(5)
    for (const r of after) {
      expect(r.created_at).toBe(T0)
      expectRecent(fmt(r.last_used_at))
    }
    // one timestamp for the whole refresh
    expect(new Set(after.map((r) => r.last_used_at)).size).toBe(1)
  })

  it("alternating reserve-group and autoreserve gives byte-identical stdout and keeps created_at", () => {
    const file = write(path.join(sb.work, "trop.yaml"), group({ web: {}, api: { offset: 1 }, db: { offset: 2, preferred: MIN + 50 } }))
    const first = run(["autoreserve", "--format", "json"])
    expect(first.code, first.stderr).toBe(0)
    ageRows(sb.dataDir, T0, T1)
    const sub = sb.dir("work", "sub")
    const runs = [
      run(["reserve-group", "trop.yaml", "--format", "json"]),
      run(["autoreserve", "--format", "json"], { cwd: sub }),
      run(["reserve-group", file, "--format", "json"], { cwd: sub }),
      run(["autoreserve", "--format", "json"])
    ]
    for (const r of runs) expect({ code: r.code, stdout: r.stdout }).toEqual({ code: 0, stdout: first.stdout })
    expect(first.stdout).toBe(`{\n  "api": ${MIN + 1},\n  "db": ${MIN + 50},\n  "web": ${MIN}\n}\n`)
    const after = rows() ?? []
    expect(after.map((r) => [r.tag, r.created_at])).toEqual([["api", T0], ["db", T0], ["web", T0]])
    for (const r of after) expect(r.last_used_at).not.toBe(T1)
  })
})

describe("changed shapes and --force (docs/concepts.md)", () => {
  const setup = () => {
    const file = write(path.join(sb.work, "trop.yaml"), group({ web: {}, api: { offset: 1 } }))
    ok(run(["reserve-group", "trop.yaml", "--task", "t1"]), `export API=${MIN + 1}\nexport WEB=${MIN}\n`, "Reserved 2 ports.\n")
    const single = run(["reserve"])
    expect(single.code, single.stderr).toBe(0)
    ageRows(sb.dataDir, T0, T1)
    return { file, before: rows() }
  }
  const conflict = (reason: string) => `reservation conflict: existing group at ${sb.work} is incompatible: ${reason}`

  it("tagged single reservations at the group's directory count as members", () => {
    const file = write(path.join(sb.work, "trop.yaml"), group({ web: {} }))
    expect(run(["reserve", "--tag", "web", "--port", String(MIN + 7)]).stdout).toBe(`${MIN + 7}\n`)
    ageRows(sb.dataDir, T0, T1)
    // adopted: the stored port fits base + offset, so it is refreshed, not moved
    ok(run(["autoreserve", "--quiet"]), `export WEB=${MIN + 7}\n`, "")
    expect((rows() ?? []).map((r) => [r.tag, r.port, r.created_at])).toEqual([["web", MIN + 7, T0]])
    expect(run(["reserve", "--tag", "extra"]).code).toBe(0)
    // The hints name the tags that differ, and the ways out: --force, or releasing the stray one.
    expectHinted(
      run(["autoreserve"]),
      6,
      conflict("requested service set does not match stored service set"),
      `the stored group at ${sb.work} has 'extra', which the configuration does not list`,
      releaseHint(sb.work, "extra")
    )
    write(file, group({ web: {}, api: { offset: 1 } }))
    expectHinted(
      run(["reserve-group", "trop.yaml"]),
      6,
      conflict("requested service set does not match stored service set"),
      `the stored group at ${sb.work} lacks 'api' and has 'extra', which the configuration does not list`,
      releaseHint(sb.work, "extra")
    )
    expect((rows() ?? []).map((r) => r.tag)).toEqual(["extra", "web"])
  })

  it("a partial group (service added) fails with exit 6 and writes nothing", () => {
    const { before, file } = setup()
    write(file, group({ web: {}, api: { offset: 1 }, db: { offset: 2 } }))
    const lacksDb = `the stored group at ${sb.work} lacks 'db'`
    expectHinted(run(["reserve-group", "trop.yaml"]), 6, conflict("requested service set does not match stored service set"), lacksDb, FORCE_HINT)
    expectHinted(run(["autoreserve"]), 6, conflict("requested service set does not match stored service set"), lacksDb, FORCE_HINT)
    write(file, group({ web: {} }))
    expectHinted(
      run(["reserve-group", "trop.yaml"]),
      6,
      conflict("requested service set does not match stored service set"),
      `the stored group at ${sb.work} has 'api', which the configuration does not list`,
      releaseHint(sb.work, "api")
    )
    expect(rows()).toEqual(before)
  })

  it("changed offsets or base fail with exit 6 and write nothing", () => {
    const file = write(path.join(sb.work, "trop.yaml"), { reservations: { base: MIN + 10, services: { web: {}, api: { offset: 1 } } } })
    ok(run(["reserve-group", "trop.yaml"]), `export API=${MIN + 11}\nexport WEB=${MIN + 10}\n`, "Reserved 2 ports.\n")
    ageRows(sb.dataDir, T0, T1)
    const before = rows()
    write(file, { reservations: { base: MIN + 20, services: { web: {}, api: { offset: 1 } } } })
    // Same tags: only --force gets past it.
    expectHinted(run(["reserve-group", "trop.yaml"]), 6, conflict("a stored service mapping is outside the current scan range"), FORCE_HINT)
    write(file, group({ web: { offset: 5 }, api: { offset: 1 } }))
    expectHinted(
      run(["autoreserve"]),
      6,
      conflict(`stored offset mappings imply different bases (${MIN + 5} and ${MIN + 10})`),
      FORCE_HINT
    )
    expect(rows()).toEqual(before)
  })

  it("--force replaces: new mapping and created_at, metadata inherited, the untagged row untouched", () => {
    const { file } = setup()
    write(file, group({ web: { offset: 5 }, api: { offset: 1 }, db: { offset: 3 } }))
    const r = run(["reserve-group", "trop.yaml", "--force"])
    // untagged row holds 32102 (reserved after the group): base 32100 → api 32101, db 32103, web 32105
    ok(r, `export API=${MIN + 1}\nexport DB=${MIN + 3}\nexport WEB=${MIN + 5}\n`, "Reserved 3 ports.\n")
    const after = rows() ?? []
    expect(after.map((x) => [x.tag, x.port, x.task, x.created_at === T0])).toEqual([
      ["", MIN + 2, null, true],
      ["api", MIN + 1, "t1", false],
      ["db", MIN + 3, "t1", false],
      ["web", MIN + 5, "t1", false]
    ])
    // the replacement is now the stored group: refreshed, not replaced again
    ok(run(["autoreserve", "--quiet"]), `export API=${MIN + 1}\nexport DB=${MIN + 3}\nexport WEB=${MIN + 5}\n`, "")
  })

  it("--force with stored rows disagreeing on task and no --task → exit 6, nothing written", () => {
    const { file } = setup()
    withDb(sb.dataDir, (db) => db.prepare("UPDATE reservations SET task = 't2' WHERE tag = 'web'").run())
    const before = rows()
    write(file, group({ web: {}, api: { offset: 1 }, db: { offset: 2 } }))
    expectError(
      run(["reserve-group", "trop.yaml", "--force"]),
      6,
      "reservation conflict: stored rows disagree on task; provide an explicit value when forcing a shape replacement"
    )
    expect(rows()).toEqual(before)
    expect(run(["reserve-group", "trop.yaml", "--force", "--task", "t3", "--quiet"]).code).toBe(0)
    expect((rows() ?? []).filter((r) => r.tag !== "").map((r) => r.task)).toEqual(["t3", "t3", "t3"])
  })
})

describe("metadata (docs/concepts.md, docs/cli.md)", () => {
  it("--task is stored, kept when omitted, sticky when changed; TROP_TASK feeds it", () => {
    write(path.join(sb.work, "trop.yaml"), group({ web: {} }))
    expect(run(["reserve-group", "trop.yaml", "--task", " t1 "]).code).toBe(0)
    expect(run(["reserve-group", "trop.yaml"]).code).toBe(0)
    expect(run(["autoreserve", "--task", "t1"]).code).toBe(0)
    expect(run(["autoreserve"], { env: { TROP_TASK: "t1" } }).code).toBe(0)
    expect((rows() ?? []).map((r) => r.task)).toEqual(["t1"])
    const before = rows()
    expectError(
      run(["reserve-group", "trop.yaml", "--task", "t2"]),
      1,
      `cannot change sticky field 'task': Cannot change group task from 't1' to 't2' without --force or --allow-task-change (group at ${sb.work})`
    )
    expectError(
      run(["autoreserve"], { env: { TROP_TASK: "t2" } }),
      1,
      `cannot change sticky field 'task': Cannot change group task from 't1' to 't2' without --force or --allow-task-change (group at ${sb.work})`
    )
    expect(rows()).toEqual(before)
    expect(run(["autoreserve", "--task", "t2", "--allow-task-change"]).code).toBe(0)
    expect((rows() ?? []).map((r) => r.task)).toEqual(["t2"])
  })

  it("blank --task → exit 6; TROP_TASK=\"\" → exit 7; nothing written", () => {
    write(path.join(sb.work, "trop.yaml"), group({ web: {} }))
    expectError(run(["reserve-group", "trop.yaml", "--task", "  "]), 6, "validation error for 'task': Cannot be empty or only whitespace")
    expectError(run(["autoreserve", "--task="]), 6, "validation error for 'task': Cannot be empty or only whitespace")
    expectError(
      run(["reserve-group", "trop.yaml"], { env: { TROP_TASK: "" } }),
      7,
      "Configuration error: validation error for 'task (TROP_TASK)': Cannot be empty or only whitespace"
    )
    expectError(
      run(["autoreserve", "--dry-run"], { env: { TROP_TASK: "" } }),
      7,
      "Configuration error: validation error for 'task (TROP_TASK)': Cannot be empty or only whitespace"
    )
    expect(rows() ?? []).toEqual([])
  })

  it("a group --task has no length limit, only trimming and non-emptiness (docs/configuration.md)", () => {
    write(path.join(sb.work, "trop.yaml"), group({ web: {} }))
    const long = "t".repeat(300)
    ok(run(["autoreserve", "--quiet", "--task", ` ${long} `]), `export WEB=${MIN}\n`, "")
    expect((rows() ?? []).map((r) => r.task)).toEqual([long])
  })

  it("the project comes from the configuration and is sticky", () => {
    const file = write(path.join(sb.work, "trop.yaml"), group({ web: {} }, { project: "a" }))
    expect(run(["autoreserve"]).code).toBe(0)
    write(file, group({ web: {} }, { project: "b" }))
    const before = rows()
    expectError(
      run(["reserve-group", "trop.yaml"]),
      1,
      `cannot change sticky field 'project': Cannot change group project from 'a' to 'b' without --force or --allow-project-change (group at ${sb.work})`
    )
    expect(rows()).toEqual(before)
    expect(run(["reserve-group", "trop.yaml", "--allow-change"]).code).toBe(0)
    expect((rows() ?? []).map((r) => r.project)).toEqual(["b"])
    // no project in the configuration: the stored one is kept
    write(file, group({ web: {} }))
    expect(run(["autoreserve"]).code).toBe(0)
    expect((rows() ?? []).map((r) => r.project)).toEqual(["b"])
  })
})

describe("configuration sources (docs/configuration.md, docs/concepts.md)", () => {
  it("trop.local.yaml's group replaces trop.yaml's (autoreserve and reserve-group trop.yaml)", () => {
    write(path.join(sb.work, "trop.yaml"), group({ web: {}, api: { offset: 1 } }, { project: "base" }))
    const local = write(path.join(sb.work, "trop.local.yaml"), group({ db: { offset: 3 } }))
    ok(run(["autoreserve"]), `export DB=${MIN + 3}\n`, `Discovered config: ${JSON.stringify(local)}\nReserved 1 ports.\n`)
    ok(run(["reserve-group", "trop.yaml"]), `export DB=${MIN + 3}\n`, "Reserved 1 ports.\n")
    expect((rows() ?? []).map((r) => [r.path, r.tag, r.project])).toEqual([[sb.work, "db", "base"]])
  })

  it("a trop.local.yaml that does not touch reservations: the group and its file come from trop.yaml", () => {
    const file = write(path.join(sb.work, "trop.yaml"), group({ web: {} }, { project: "base" }))
    write(path.join(sb.work, "trop.local.yaml"), { project: "mine" })
    ok(run(["autoreserve"]), `export WEB=${MIN}\n`, `Discovered config: ${JSON.stringify(file)}\nReserved 1 ports.\n`)
    expect((rows() ?? []).map((r) => [r.path, r.tag, r.project])).toEqual([[sb.work, "web", "mine"]])
  })

  it("reservations: null in trop.local.yaml clears the group → exit 6 before any database access", () => {
    write(path.join(sb.work, "trop.yaml"), group({ web: {} }))
    write(path.join(sb.work, "trop.local.yaml"), "reservations: null\n")
    const message = "validation error for 'reservations': Effective configuration does not contain a reservation group"
    expectError(run(["autoreserve"]), 6, message)
    expectError(run(["reserve-group", "trop.yaml"]), 6, message)
    expectError(run(["reserve-group", "trop.local.yaml"]), 6, message)
    write(path.join(sb.work, "trop.local.yaml"), "reservations:\n")
    expectError(run(["autoreserve"]), 6, message)
    expect(exists(sb.dataDir)).toBe(false)
  })

  it("reservations: null in the user config.yaml is inert; a group there is a configuration error", () => {
    write(path.join(sb.dataDir, "config.yaml"), "reservations: null\n")
    write(path.join(sb.work, "trop.yaml"), group({ web: {} }))
    ok(run(["reserve-group", "trop.yaml"]), `export WEB=${MIN}\n`, "Reserved 1 ports.\n")
    const user = write(path.join(sb.dataDir, "config.yaml"), group({ db: {} }))
    expectError(
      run(["autoreserve"]),
      7,
      `Configuration error: validation error for 'reservations (${user})': reservations are only valid in trop.yaml/trop.local.yaml, not user config.yaml`
    )
  })

  it("reserve-group of a file not named trop.yaml loads it alone at trop.yaml precedence", () => {
    // A broken trop.yaml in the working directory is never read; neither is the sibling trop.local.yaml.
    write(path.join(sb.work, "trop.yaml"), "ports: [\n")
    const dir = sb.dir("work", "svc")
    write(path.join(dir, "trop.local.yaml"), "reservations: null\nproject: local\n")
    write(path.join(dir, "group.yaml"), group({ web: {} }, { ports: { min: MIN + 60, max: MAX } }))
    write(path.join(sb.dataDir, "config.yaml"), { ports: { min: MIN + 50, max: MAX } })
    const env = { TROP_PORT_MIN: undefined, TROP_PORT_MAX: undefined }
    ok(run(["reserve-group", "svc/group.yaml"], { env }), `export WEB=${MIN + 60}\n`, "Reserved 1 ports.\n")
    expect((rows() ?? []).map((r) => [r.path, r.tag, r.port, r.project])).toEqual([[dir, "web", MIN + 60, null]])
    // the environment still overrides the named file: the stored port is now below the range
    expectHinted(
      run(["reserve-group", "svc/group.yaml"], { env: { TROP_PORT_MIN: String(MIN + 70), TROP_PORT_MAX: undefined } }),
      6,
      `reservation conflict: existing group at ${dir} is incompatible: a stored service mapping is outside the current scan range`,
      FORCE_HINT
    )
  })

  it("reserve-group of a file named trop.yaml also loads its trop.local.yaml sibling", () => {
    write(path.join(sb.work, "trop.yaml"), "ports: [\n")
    const dir = sb.dir("work", "svc")
    write(path.join(dir, "trop.yaml"), group({ web: {} }))
    write(path.join(dir, "trop.local.yaml"), { project: "local" })
    ok(run(["reserve-group", "svc/trop.yaml"]), `export WEB=${MIN}\n`, "Reserved 1 ports.\n")
    expect((rows() ?? []).map((r) => [r.path, r.project])).toEqual([[dir, "local"]])
  })

  it("the reservation path is the canonical directory of the file as typed (symlinked file not followed)", () => {
    const real = write(path.join(sb.root, "elsewhere", "real.yaml"), group({ web: {} }))
    fs.symlinkSync(real, path.join(sb.work, "link.yaml"))
    ok(run(["reserve-group", "link.yaml"]), `export WEB=${MIN}\n`, "Reserved 1 ports.\n")
    const target = sb.dir("work", "target")
    write(path.join(target, "g.yaml"), group({ api: {} }))
    fs.symlinkSync(target, path.join(sb.work, "alias"))
    ok(run(["reserve-group", "alias/g.yaml"]), `export API=${MIN + 1}\n`, "Reserved 1 ports.\n")
    expect((rows() ?? []).map((r) => [r.path, r.tag])).toEqual([[sb.work, "web"], [target, "api"]])
  })

  it("an invalid group definition is a configuration error (exit 7)", () => {
    const file = write(path.join(sb.work, "trop.yaml"), group({ "api server": {} }))
    expectError(
      run(["autoreserve"]),
      7,
      `Configuration error: validation error for 'reservations.services.tag (${file})': service tag cannot be converted to a portable environment-variable name; provide an explicit valid env mapping`
    )
    write(file, group({ web: { env: "1WEB" } }))
    expectError(
      run(["autoreserve"]),
      7,
      `Configuration error: validation error for 'reservations.services.env (${file})': must start with an ASCII letter or underscore`
    )
    write(file, group({ web: {}, api: { offset: 1, env: "web" } }))
    expectError(
      run(["reserve-group", "trop.yaml"]),
      7,
      `Configuration error: validation error for 'reservations.services.env (${file})': resolved environment-variable names must be unique when compared without ASCII case`
    )
    write(file, group({ web: {}, api: {} }))
    expectError(
      run(["autoreserve"]),
      7,
      `Configuration error: validation error for 'reservations.services.offset (${file})': Duplicate offset: 0`
    )
    write(file, { reservations: { base: 0, services: { web: {} } } })
    expectError(run(["autoreserve"]), 7, `Configuration error: validation error for 'reservations.base (${file})': Invalid port: 0`)
    expect(exists(sb.dataDir)).toBe(false)
  })
})

describe("argument and pre-flight errors (docs/cli.md)", () => {
  it("reserve-group: missing file or a directory → exit 4 before configuration", () => {
    const env = { TROP_PORT_MIN: "abc" }
    expectError(run(["reserve-group", "nope.yaml"], { env }), 4, "Invalid arguments: Configuration file not found: nope.yaml")
    sb.dir("work", "adir")
    expectError(run(["reserve-group", "adir"], { env }), 4, "Invalid arguments: Path is not a file: adir")
    expectError(run(["reserve-group", "./adir/", "--dry-run"]), 4, "Invalid arguments: Path is not a file: ./adir/")
    expect(exists(sb.dataDir)).toBe(false)
  })

  it("reserve-group: a path through a regular file does not exist either → exit 4 (not an internal error)", () => {
    write(path.join(sb.work, "trop.yaml"), group({ web: {} }))
    expectError(run(["reserve-group", "trop.yaml/g.yaml"]), 4, "Invalid arguments: Configuration file not found: trop.yaml/g.yaml")
    expect(exists(sb.dataDir)).toBe(false)
  })

  it("autoreserve without any project file → exit 4 naming the canonical working directory", () => {
    const real = sb.dir("plain", "dir")
    const alias = path.join(sb.root, "alias")
    fs.symlinkSync(real, alias)
    expectError(run(["autoreserve"], { cwd: alias }), 4, `Invalid arguments: No trop configuration file found (searched from: ${real})`)
    expectError(run(["autoreserve", "--dry-run"], { cwd: real }), 4, `Invalid arguments: No trop configuration file found (searched from: ${real})`)
    // a project file without a group is found, but has no group
    write(path.join(real, "trop.local.yaml"), { project: "p" })
    expectError(
      run(["autoreserve"], { cwd: real }),
      6,
      "validation error for 'reservations': Effective configuration does not contain a reservation group"
    )
    expect(exists(sb.dataDir)).toBe(false)
  })

  it("a bad --shell → exit 6 before the database is opened; not checked in a dry run", () => {
    write(path.join(sb.work, "trop.yaml"), group({ web: {} }))
    expectError(
      run(["reserve-group", "trop.yaml", "--shell", "tcsh"]),
      6,
      "validation error for 'shell': unknown shell type 'tcsh': supported shells are bash, zsh, fish, powershell"
    )
    expectError(
      run(["autoreserve", "--shell", "Fish-ish"]),
      6,
      "validation error for 'shell': unknown shell type 'Fish-ish': supported shells are bash, zsh, fish, powershell"
    )
    expect(exists(sb.dataDir)).toBe(false)
    const dry = run(["reserve-group", "trop.yaml", "--shell", "tcsh", "--dry-run"])
    expect(dry.code, dry.stderr).toBe(0)
    expect(dry.stderr).toContain(`Reserve port ${MIN} for ${sb.work}:web`)
  })
})

describe("the file argument is an explicit path (docs/concepts.md)", () => {
  it("~/file is expanded against HOME before the pre-flight check", () => {
    write(path.join(sb.home, "g.yaml"), group({ web: {} }))
    ok(run(["reserve-group", "~/g.yaml"], { cwd: sb.home }), `export WEB=${MIN}\n`, "Reserved 1 ports.\n")
    expect((rows() ?? []).map((r) => [r.path, r.tag])).toEqual([[sb.home, "web"]])
    expectError(run(["reserve-group", "~/nope.yaml"], { cwd: sb.home }), 4, "Invalid arguments: Configuration file not found: ~/nope.yaml")
  })
})

describe("occupancy (docs/concepts.md)", () => {
  it("an occupied port is never handed out, not even with --force; --skip-occupancy-check skips the probe", async () => {
    const server = net.createServer()
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject)
      server.listen(MIN, "127.0.0.1", () => resolve())
    })
    try {
      write(path.join(sb.work, "a", "trop.yaml"), group({ web: { preferred: MIN }, api: { offset: 1 } }))
      ok(
        run(["reserve-group", "a/trop.yaml", "--force"]),
        `export API=${MIN + 2}\nexport WEB=${MIN + 1}\n`,
        `${preferredWarning(MIN, "occupied", MIN + 1, "web")}Reserved 2 ports.\n`
      )
      write(path.join(sb.work, "b", "trop.yaml"), group({ web: { preferred: MIN } }))
      ok(run(["reserve-group", "b/trop.yaml", "--skip-occupancy-check"]), `export WEB=${MIN}\n`, "Reserved 1 ports.\n")
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()))
    }
  })
})

describe("path guard (docs/concepts.md)", () => {
  it("a group file in an unrelated directory → exit 1; --allow-unrelated-path and --force bypass", () => {
    const other = path.join(sb.root, "other")
    write(path.join(other, "g.yaml"), group({ web: {} }))
    const message = `path relationship violation: ${other} and ${sb.work} are unrelated paths`
    expectHinted(run(["reserve-group", "../other/g.yaml"]), 1, message, unrelatedHint)
    expect(rows() ?? []).toEqual([])
    ok(run(["reserve-group", "../other/g.yaml", "--allow-unrelated-path"]), `export WEB=${MIN}\n`, "Reserved 1 ports.\n")
    ok(run(["reserve-group", "../other/g.yaml", "--force"]), `export WEB=${MIN}\n`, "Reserved 1 ports.\n")
    ok(run(["reserve-group", "../other/g.yaml"], { env: { TROP_ALLOW_UNRELATED_PATH: "true" } }), `export WEB=${MIN}\n`, "Reserved 1 ports.\n")
    expect((rows() ?? []).map((r) => [r.path, r.tag])).toEqual([[other, "web"]])
  })
})

describe("atomicity of the output (docs/concepts.md, docs/database.md)", () => {
  it("stdout is printed only after commit: a lock timeout prints nothing and commits nothing", () => {
    write(path.join(sb.work, "trop.yaml"), group({ web: {}, api: { offset: 1 } }))
    expect(run(["list"]).code).toBe(0)
    const db = new Sqlite(dbFile(sb.dataDir))
    try {
      db.prepare("BEGIN IMMEDIATE").run()
      expectHinted(
        run(["--busy-timeout", "0", "reserve-group", "trop.yaml"]),
        2,
        "database lock timeout while starting an immediate database transaction after 0s",
        lockHint(0)
      )
      expectHinted(
        run(["autoreserve", "--busy-timeout", "0", "--dry-run"]),
        2,
        "database lock timeout while starting an immediate database transaction after 0s",
        lockHint(0)
      )
      db.prepare("ROLLBACK").run()
    } finally {
      db.close()
    }
    expect(rows()).toEqual([])
  })

  it("a group of many services is written completely in one transaction", () => {
    const services = Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`s${String(i).padStart(2, "0")}`, { offset: i }]))
    write(path.join(sb.work, "trop.yaml"), group(services))
    const r = run(["reserve-group", "trop.yaml", "--format", "dotenv"])
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout.split("\n").filter((l) => l !== "")).toHaveLength(30)
    expect(r.stderr).toBe("Reserved 30 ports.\n")
    expect((rows() ?? []).map((x) => x.port)).toEqual(Array.from({ length: 30 }, (_, i) => MIN + i))
  })
})

describe("tags from the YAML document", () => {
  it("service tags are trimmed; a tag needing an explicit env works with one", () => {
    write(path.join(sb.work, "trop.yaml"), group({ " api ": { offset: 1, env: "API" }, "-web": {}, "web--server": { offset: 2 } }))
    ok(run(["reserve-group", "trop.yaml", "--format", "json"]), `{\n  "-web": ${MIN},\n  "api": ${MIN + 1},\n  "web--server": ${MIN + 2}\n}\n`, "Reserved 3 ports.\n")
    ok(run(["reserve-group", "trop.yaml", "--format", "dotenv"]), `_WEB=${MIN}\nAPI=${MIN + 1}\nWEB__SERVER=${MIN + 2}\n`, "Reserved 3 ports.\n")
    expect((rows() ?? []).map((r) => r.tag)).toEqual(["-web", "api", "web--server"])
  })

  it("json escapes tags as JSON strings; human prints them raw", () => {
    write(path.join(sb.work, "trop.yaml"), group({ 'q"t\\': { env: "Q" }, "日本": { offset: 1, env: "JP" } }))
    ok(run(["reserve-group", "trop.yaml", "--format", "json"]), `{\n  "q\\"t\\\\": ${MIN},\n  "日本": ${MIN + 1}\n}\n`, "Reserved 2 ports.\n")
    ok(run(["reserve-group", "trop.yaml", "--format", "human"]), `Reserved ports:\n  q"t\\: ${MIN}\n  日本: ${MIN + 1}\n`, "Reserved 2 ports.\n")
  })

  it("a service keyed __proto__ (a valid identifier) is reserved, not silently dropped", () => {
    write(path.join(sb.work, "trop.yaml"), group({ web: { offset: 1 }, ["__proto__"]: { env: "PROTO" } }))
    const text = fs.readFileSync(path.join(sb.work, "trop.yaml"), "utf8")
    expect(text).toContain("__proto__")
    const r = run(["reserve-group", "trop.yaml"])
    expect({ code: r.code, stdout: r.stdout, stderr: r.stderr }).toEqual({
      code: 0,
      stdout: `export PROTO=${MIN}\nexport WEB=${MIN + 1}\n`,
      stderr: "Reserved 2 ports.\n"
    })
  })
})

describe("defensive validation at output time (docs/concepts.md; in-process)", () => {
  const entry = (tag: string, name: string, port: number) => ({ tag, name, port })
  const problemOf = (entries: ReadonlyArray<ReturnType<typeof entry>>, format: GroupOutput.GroupFormat) =>
    Either.match(GroupOutput.render(entries, format, "bash"), { onLeft: (e) => e.message, onRight: () => "rendered" })

  it("every format refuses a bad variable name without echoing it", () => {
    const cases: ReadonlyArray<readonly [string, string]> = [
      ["", "must not be empty and must match [A-Za-z_][A-Za-z0-9_]*"],
      ["A".repeat(256), "must not exceed 255 bytes"],
      ["1ABC", "must start with an ASCII letter or underscore"],
      ["X;rm -rf /", "must contain only ASCII letters, digits, and underscores"],
      ["A=B", "must contain only ASCII letters, digits, and underscores"],
      ["É", "must start with an ASCII letter or underscore"]
    ]
    for (const format of GroupOutput.FORMATS) {
      for (const [name, reason] of cases) {
        expect({ format, name, problem: problemOf([entry("ok", "OK", MIN), entry("t", name, MIN + 1)], format) }).toEqual({
          format,
          name,
          problem: `validation error for 'environment_variable': ${reason}`
        })
      }
      expect(problemOf([entry("a", "Web", MIN), entry("b", "WEB", MIN + 1)], format)).toBe(
        "validation error for 'environment_variable': resolved environment-variable names must be unique when compared without ASCII case"
      )
    }
  })

  it("renders each format exactly, in the given (tag) order", () => {
    const entries = [entry("10", "TEN", 8002), entry("9", "NINE", 8003), entry("api", "API_PORT", 8001)]
    const text = (format: GroupOutput.GroupFormat, shell: GroupOutput.Shell) =>
      Either.getOrElse(GroupOutput.render(entries, format, shell), (e) => e.message)
    expect(text("export", "bash")).toBe("export TEN=8002\nexport NINE=8003\nexport API_PORT=8001")
    expect(text("export", "zsh")).toBe("export TEN=8002\nexport NINE=8003\nexport API_PORT=8001")
    expect(text("export", "fish")).toBe("set -x TEN 8002\nset -x NINE 8003\nset -x API_PORT 8001")
    expect(text("export", "powershell")).toBe('$env:TEN="8002"\n$env:NINE="8003"\n$env:API_PORT="8001"')
    expect(text("dotenv", "fish")).toBe("TEN=8002\nNINE=8003\nAPI_PORT=8001")
    expect(text("json", "bash")).toBe('{\n  "10": 8002,\n  "9": 8003,\n  "api": 8001\n}')
    expect(text("human", "bash")).toBe("Reserved ports:\n  10: 8002\n  9: 8003\n  api: 8001")
  })

  it("shell parsing and detection", () => {
    for (const [raw, shell] of [["BASH", "bash"], ["Sh", "bash"], ["zsh", "zsh"], ["FISH", "fish"], ["PowerShell", "powershell"], ["pwsh", "powershell"], ["PS", "powershell"]] as const) {
      expect(Either.getOrElse(GroupOutput.parseShell(raw), (e) => e.message)).toBe(shell)
    }
    expect(Either.getOrElse(GroupOutput.parseShell("cmd"), (e) => e.message)).toBe(
      "validation error for 'shell': unknown shell type 'cmd': supported shells are bash, zsh, fish, powershell"
    )
    expect(GroupOutput.detectShell({})).toBe("bash")
    expect(GroupOutput.detectShell({ ZSH_VERSION: "", FISH_VERSION: "3" })).toBe("zsh")
    expect(GroupOutput.detectShell({ PSModulePath: "", SHELL: "/bin/zsh" })).toBe("powershell")
    expect(GroupOutput.detectShell({ SHELL: "/usr/bin/pwsh-preview" })).toBe("powershell")
  })
})
