import * as fs from "node:fs"
import * as path from "node:path"
import { afterEach, beforeEach, describe, expect, it } from "vitest"
import {
  ageRows,
  dbFile,
  expectError,
  expectOk,
  expectPort,
  expectRecent,
  expectUsageError,
  exists,
  listJson,
  makeSandbox,
  type Sandbox,
  T0,
  T0_TEXT,
  T1,
  T1_TEXT,
  withDb
} from "./_helpers.js"
import { expectHinted, preferredWarning, unrelatedHint } from "./_hints.js"

// Private port range of this file (see _helpers.ts).
const MIN = 21000
const MAX = 21099

let sb: Sandbox
beforeEach(() => {
  sb = makeSandbox([MIN, MAX])
})
afterEach(() => sb.cleanup())

const TAG_MSG = "Invalid arguments: validation error for 'tag': tag must be non-empty after trimming whitespace"

describe("reserve: basics", () => {
  it("prints only the port on stdout, stores the canonical cwd untagged and creates the database", () => {
    expect(exists(sb.dataDir)).toBe(false)
    expectOk(sb.run(["reserve"]), `${MIN}\n`)
    expect(exists(dbFile(sb.dataDir))).toBe(true)
    const rows = listJson(sb)
    expect(rows).toHaveLength(1)
    expect(rows[0]).toMatchObject({ path: sb.work, port: MIN, tag: null, project: null, task: null })
    expectRecent(rows[0]!.created_at)
    expect(rows[0]!.last_used_at).toBe(rows[0]!.created_at)
  })

  it("is idempotent: same port, last_used_at refreshed, created_at kept, no new row", () => {
    const first = expectPort(sb.run(["reserve"]))
    ageRows(sb.dataDir, T0, T1)
    expectOk(sb.run(["reserve"]), `${first}\n`)
    const rows = listJson(sb)
    expect(rows).toHaveLength(1)
    expect(rows[0]!.created_at).toBe(T0_TEXT)
    expect(rows[0]!.last_used_at).not.toBe(T1_TEXT)
    expectRecent(rows[0]!.last_used_at)
  })

  it("gives distinct ports to distinct tags; tags are trimmed", () => {
    const untagged = expectPort(sb.run(["reserve"]))
    const web = expectPort(sb.run(["reserve", "--tag", "web"]))
    const api = expectPort(sb.run(["reserve", "--tag", "api"]))
    expect(new Set([untagged, web, api]).size).toBe(3)
    expect([untagged, web, api]).toEqual([MIN, MIN + 1, MIN + 2])
    expectOk(sb.run(["reserve", "--tag", "  web\t"]), `${web}\n`)
    const rows = listJson(sb)
    expect(rows.map((r) => [r.tag, r.port])).toEqual([[null, untagged], ["api", api], ["web", web]])
  })

  it("blank --tag is exit 4 with the exact message and writes nothing", () => {
    expectError(sb.run(["reserve", "--tag", "   "]), 4, TAG_MSG)
    expectError(sb.run(["reserve", "--tag", ""]), 4, TAG_MSG)
    expect(listJson(sb)).toEqual([])
  })

  it("--tag= (empty value in the = form) is the same blank tag (docs/cli.md: both forms are equivalent)", () => {
    expectError(sb.run(["reserve", "--tag="]), 4, TAG_MSG)
  })

  it("--quiet still prints the port", () => {
    expectOk(sb.run(["reserve", "--quiet"]), `${MIN}\n`)
    expectOk(sb.run(["--quiet", "reserve", "--tag", "x"]), `${MIN + 1}\n`)
  })

  it("an empty --path is a usage error (a value is required)", () => {
    expectUsageError(sb.run(["reserve", "--path", ""]), "--path")
  })

  it("TROP_PATH selects the path; --path beats TROP_PATH", () => {
    const envPath = path.join(sb.work, "from-env")
    expectPort(sb.run(["reserve"], { env: { TROP_PATH: envPath } }))
    const flagPath = path.join(sb.work, "from-flag")
    expectPort(sb.run(["reserve", "--path", flagPath], { env: { TROP_PATH: envPath } }))
    expect(listJson(sb).map((r) => r.path)).toEqual([envPath, flagPath])
  })
})

describe("reserve: preferred port (docs/concepts.md)", () => {
  it("grants a free preferred port inside the range", () => {
    expectOk(sb.run(["reserve", "--port", String(MIN + 50)]), `${MIN + 50}\n`)
  })

  it("grants a free preferred port outside the range", () => {
    expectOk(sb.run(["reserve", "--port", "29999"]), "29999\n")
    expect(listJson(sb)[0]!.port).toBe(29999)
  })

  it("falls back to the scan when another key holds the preferred port, with a warning naming the holder", () => {
    expectOk(sb.run(["reserve", "--port", String(MIN + 50)]), `${MIN + 50}\n`)
    expectOk(
      sb.run(["reserve", "--tag", "b", "--port", String(MIN + 50)]),
      `${MIN}\n`,
      preferredWarning(MIN + 50, `reserved by ${sb.work}`, MIN)
    )
  })

  it("ignores --port for an existing key without --overwrite, with a warning", () => {
    expectOk(sb.run(["reserve"]), `${MIN}\n`)
    expectOk(
      sb.run(["reserve", "--port", String(MIN + 70)]),
      `${MIN}\n`,
      preferredWarning(MIN + 70, "the reservation exists and keeps its port; --overwrite reallocates it", MIN)
    )
    expect(listJson(sb).map((r) => r.port)).toEqual([MIN])
  })

  it.each([
    ["abc", "Invalid port number: 'abc' is not a valid number"],
    ["0", "Invalid port number: port 0 is reserved and cannot be used"],
    ["70000", "Invalid port number: 70000 is greater than maximum port 65535"]
  ])("--port %s is exit 4 with the exact message", (value, msg) => {
    expectError(sb.run(["reserve", "--port", value]), 4, `Invalid arguments: ${msg}`)
  })
})

describe("reserve: --min/--max", () => {
  it.each([
    ["--min", "abc", "Invalid port number: 'abc' is not a valid number"],
    ["--min", "0", "Invalid port number: port 0 is reserved and cannot be used"],
    ["--min", "70000", "Invalid port number: 70000 is greater than maximum port 65535"],
    ["--max", "x1", "Invalid port number: 'x1' is not a valid number"],
    ["--max", "0", "Invalid port number: port 0 is reserved and cannot be used"],
    ["--max", "65536", "Invalid port number: 65536 is greater than maximum port 65535"]
  ])("%s %s is exit 4 with the exact message, before anything is created", (flag, value, msg) => {
    expectError(sb.run(["reserve", flag, value]), 4, `Invalid arguments: invalid ${flag} value: ${msg}`)
    expect(exists(sb.dataDir)).toBe(false)
  })

  it("min > max is exit 4 with the exact message", () => {
    expectError(
      sb.run(["reserve", "--min", "6000", "--max", "5000"]),
      4,
      "Invalid arguments: Invalid port range: min (6000) must be less than or equal to max (5000)"
    )
  })

  it("--min/--max are checked before the configuration (an invalid TROP_* variable)", () => {
    expectError(
      sb.run(["reserve", "--min", "abc"], { env: { TROP_OUTPUT_FORMAT: "xml" } }),
      4,
      "Invalid arguments: invalid --min value: Invalid port number: 'abc' is not a valid number"
    )
  })

  it("--min 8000 alone keeps the default max 7000 and fails configuration validation (exit 7)", () => {
    expectError(
      sb.run(["reserve", "--min", "8000"], { env: { TROP_PORT_MIN: undefined, TROP_PORT_MAX: undefined } }),
      7,
      "Configuration error: validation error for 'ports (<command line>)': max must be >= min"
    )
  })

  it("the default range starts at 5000 when nothing overrides it", () => {
    // --max only: the default min (5000) is kept.
    const port = expectPort(sb.run(["reserve", "--max", "5010"], { env: { TROP_PORT_MIN: undefined, TROP_PORT_MAX: undefined } }))
    expect(port).toBeGreaterThanOrEqual(5000)
    expect(port).toBeLessThanOrEqual(5010)
  })

  it("--min/--max restrict the scan", () => {
    expectOk(sb.run(["reserve", "--min", String(MIN + 90), "--max", String(MIN + 95)]), `${MIN + 90}\n`)
    expectOk(sb.run(["reserve", "--tag", "t", "--min", String(MIN + 90), "--max", String(MIN + 95)]), `${MIN + 91}\n`)
  })
})

describe("reserve: --overwrite and --force", () => {
  it("--overwrite rescans from the range minimum (may move lower) and keeps created_at", () => {
    expectOk(sb.run(["reserve", "--port", String(MIN + 50)]), `${MIN + 50}\n`)
    ageRows(sb.dataDir, T0, T1)
    expectOk(sb.run(["reserve", "--overwrite"]), `${MIN}\n`)
    const [row] = listJson(sb)
    expect(row).toMatchObject({ port: MIN, created_at: T0_TEXT })
    expectRecent(row!.last_used_at)
  })

  it("--overwrite honours a free preferred port", () => {
    expectOk(sb.run(["reserve"]), `${MIN}\n`)
    expectOk(sb.run(["reserve", "--overwrite", "--port", String(MIN + 60)]), `${MIN + 60}\n`)
    expect(listJson(sb).map((r) => r.port)).toEqual([MIN + 60])
  })

  it("--force reallocates, bypasses sticky checks, but never steals another key's port", () => {
    expectOk(sb.run(["reserve", "--tag", "other", "--port", String(MIN + 80)]), `${MIN + 80}\n`)
    expectOk(sb.run(["reserve", "--project", "a"]), `${MIN}\n`)
    expectOk(sb.run(["reserve", "--force", "--project", "b", "--port", String(MIN + 70)]), `${MIN + 70}\n`)
    expectOk(
      sb.run(["reserve", "--force", "--port", String(MIN + 80)]),
      `${MIN}\n`,
      preferredWarning(MIN + 80, `reserved by ${sb.work}:other`, MIN)
    )
    const rows = listJson(sb)
    expect(rows.map((r) => [r.tag, r.port, r.project])).toEqual([[null, MIN, "b"], ["other", MIN + 80, null]])
  })
})

describe("reserve: sticky project/task (docs/concepts.md)", () => {
  const projectMsg = (from: string, to: string) =>
    `cannot change sticky field 'project': Cannot change project from ${from} to ${to} without --force or --allow-project-change`
  const taskMsg = (from: string, to: string) =>
    `cannot change sticky field 'task': Cannot change task from ${from} to ${to} without --force or --allow-task-change`

  it("refuses a project change (exit 1) without writing, and preserves it when omitted", () => {
    expectOk(sb.run(["reserve", "--project", "  a  "]), `${MIN}\n`)
    ageRows(sb.dataDir, T0, T1)
    expectError(sb.run(["reserve", "--project", "b"]), 1, projectMsg("'a'", "'b'"))
    expect(listJson(sb)[0]).toMatchObject({ project: "a", last_used_at: T1_TEXT })
    expectOk(sb.run(["reserve", "--project", "a"]), `${MIN}\n`)
    expectOk(sb.run(["reserve"]), `${MIN}\n`)
    expect(listJson(sb)[0]!.project).toBe("a")
  })

  it("--allow-project-change, --allow-change and --force permit a project change", () => {
    expectPort(sb.run(["reserve", "--project", "a"]))
    expectOk(sb.run(["reserve", "--project", "b", "--allow-project-change"]), `${MIN}\n`)
    expect(listJson(sb)[0]!.project).toBe("b")
    expectOk(sb.run(["reserve", "--project", "c", "--allow-change"]), `${MIN}\n`)
    expectOk(sb.run(["reserve", "--project", "d", "--force"]), `${MIN}\n`)
    expect(listJson(sb)[0]!.project).toBe("d")
  })

  it("--clear-project is a change that needs permission; none→value too", () => {
    expectPort(sb.run(["reserve", "--project", "a"]))
    expectError(sb.run(["reserve", "--clear-project"]), 1, projectMsg("'a'", "none"))
    expectOk(sb.run(["reserve", "--clear-project", "--allow-project-change"]), `${MIN}\n`)
    expect(listJson(sb)[0]!.project).toBeNull()
    expectError(sb.run(["reserve", "--project", "z"]), 1, projectMsg("none", "'z'"))
  })

  it("--project with --clear-project is a usage error", () => {
    expectUsageError(sb.run(["reserve", "--project", "x", "--clear-project"]), "--project", "--clear-project")
  })

  it("task is sticky too, with its own permission; project is checked before task", () => {
    expectOk(sb.run(["reserve", "--tag", "web", "--task", "t1", "--project", "p"]), `${MIN}\n`)
    expectError(sb.run(["reserve", "--tag", "web", "--task", "t2"]), 1, taskMsg("'t1'", "'t2'"))
    expectError(
      sb.run(["reserve", "--tag", "web", "--task", "t2", "--allow-project-change"]),
      1,
      taskMsg("'t1'", "'t2'")
    )
    expectError(sb.run(["reserve", "--tag", "web", "--task", "t2", "--project", "q"]), 1, projectMsg("'p'", "'q'"))
    expectOk(sb.run(["reserve", "--tag", "web", "--task", "t2", "--allow-task-change"]), `${MIN}\n`)
    expectError(sb.run(["reserve", "--tag", "web", "--clear-task"]), 1, taskMsg("'t2'", "none"))
    expectOk(sb.run(["reserve", "--tag", "web", "--clear-task", "--allow-change"]), `${MIN}\n`)
    expect(listJson(sb)[0]).toMatchObject({ project: "p", task: null })
  })

  it("TROP_PROJECT and TROP_TASK set metadata of a new key and are sticky afterwards", () => {
    const env = { TROP_PROJECT: "envproj", TROP_TASK: "envtask" }
    expectOk(sb.run(["reserve"], { env }), `${MIN}\n`)
    expect(listJson(sb)[0]).toMatchObject({ project: "envproj", task: "envtask" })
    expectError(sb.run(["reserve"], { env: { TROP_PROJECT: "other" } }), 1, projectMsg("'envproj'", "'other'"))
    expectError(sb.run(["reserve"], { env: { TROP_TASK: "other" } }), 1, taskMsg("'envtask'", "'other'"))
    expectOk(sb.run(["reserve", "--project", "envproj"], { env: { TROP_PROJECT: "other" } }), `${MIN}\n`)
  })

  it("TROP_ALLOW_PROJECT_CHANGE / TROP_ALLOW_CHANGE_TASK / TROP_ALLOW_CHANGE permit changes from the environment", () => {
    expectPort(sb.run(["reserve", "--project", "a", "--task", "t"]))
    expectOk(sb.run(["reserve", "--project", "b"], { env: { TROP_ALLOW_PROJECT_CHANGE: "true" } }), `${MIN}\n`)
    expectOk(sb.run(["reserve", "--task", "u"], { env: { TROP_ALLOW_CHANGE_TASK: "1" } }), `${MIN}\n`)
    expectOk(sb.run(["reserve", "--project", "c", "--task", "v"], { env: { TROP_ALLOW_CHANGE: "YES" } }), `${MIN}\n`)
    expectError(
      sb.run(["reserve", "--task", "w"], { env: { TROP_ALLOW_PROJECT_CHANGE: "true" } }),
      1,
      taskMsg("'v'", "'w'")
    )
    expect(listJson(sb)[0]).toMatchObject({ project: "c", task: "v" })
  })

  it("--clear-project overrides TROP_PROJECT for a new key", () => {
    expectOk(sb.run(["reserve", "--clear-project"], { env: { TROP_PROJECT: "envproj" } }), `${MIN}\n`)
    expect(listJson(sb)[0]!.project).toBeNull()
  })

  it("invalid project/task values are configuration errors (exit 7)", () => {
    expectError(
      sb.run(["reserve", "--project", "   "]),
      7,
      "Configuration error: validation error for 'project (<command line>)': Cannot be empty or only whitespace"
    )
    expectError(
      sb.run(["reserve"], { env: { TROP_TASK: "" } }),
      7,
      "Configuration error: validation error for 'task (TROP_TASK)': Cannot be empty or only whitespace"
    )
    expect(exists(sb.dataDir)).toBe(false)
  })

  it("project/task are limited to 255 bytes after trimming (multi-byte characters count as bytes)", () => {
    const tooLong = (field: string) =>
      `Configuration error: validation error for '${field} (<command line>)': Cannot exceed 255 characters`
    expectError(sb.run(["reserve", "--project", "a".repeat(256)]), 7, tooLong("project"))
    expectError(sb.run(["reserve", "--project", "é".repeat(128)]), 7, tooLong("project"))
    expectError(sb.run(["reserve", "--task", "t".repeat(256)]), 7, tooLong("task"))
    expectError(
      sb.run(["reserve"], { env: { TROP_PROJECT: "p".repeat(300) } }),
      7,
      "Configuration error: validation error for 'project (TROP_PROJECT)': Cannot exceed 255 characters"
    )
    expectOk(sb.run(["reserve", "--project", `  ${"a".repeat(255)}  `]), `${MIN}\n`)
    expect(listJson(sb)[0]!.project).toBe("a".repeat(255))
  })

  it("a permitted metadata change keeps the port and created_at and refreshes last_used_at", () => {
    expectOk(sb.run(["reserve", "--port", String(MIN + 30)]), `${MIN + 30}\n`)
    ageRows(sb.dataDir, T0, T1)
    expectOk(sb.run(["reserve", "--project", "p", "--task", "t", "--allow-change"]), `${MIN + 30}\n`)
    const [row] = listJson(sb)
    expect(row).toMatchObject({ port: MIN + 30, project: "p", task: "t", created_at: T0_TEXT })
    expectRecent(row!.last_used_at)
  })
})

describe("reserve: path guard (docs/concepts.md)", () => {
  const violation = (target: string, cwd: string) =>
    `path relationship violation: ${target} and ${cwd} are unrelated paths`

  it("an unrelated --path is exit 1 with the exact message; nothing written", () => {
    const other = path.join(sb.root, "elsewhere")
    expectHinted(sb.run(["reserve", "--path", other]), 1, violation(other, sb.work), unrelatedHint)
    expect(listJson(sb)).toEqual([])
  })

  it("ancestor and descendant paths are allowed (need not exist)", () => {
    expectPort(sb.run(["reserve", "--path", sb.root]))
    expectPort(sb.run(["reserve", "--path", path.join(sb.work, "sub", "deeper")]))
    expectPort(sb.run(["reserve", "--path", "/"]))
    expect(listJson(sb).map((r) => r.path)).toEqual(["/", sb.root, path.join(sb.work, "sub", "deeper")])
  })

  it("--allow-unrelated-path, TROP_ALLOW_UNRELATED_PATH=1 and --force bypass the guard", () => {
    const other = path.join(sb.root, "elsewhere")
    expectOk(sb.run(["reserve", "--path", other, "--allow-unrelated-path"]), `${MIN}\n`)
    expectOk(sb.run(["reserve", "--path", other, "--tag", "e"], { env: { TROP_ALLOW_UNRELATED_PATH: "1" } }), `${MIN + 1}\n`)
    expectOk(sb.run(["reserve", "--path", other, "--tag", "f", "--force"]), `${MIN + 2}\n`)
    expectHinted(
      sb.run(["reserve", "--path", other, "--tag", "g"], { env: { TROP_ALLOW_UNRELATED_PATH: "false" } }),
      1,
      violation(other, sb.work),
      unrelatedHint
    )
  })

  it("/x/a and /x/ab are unrelated (component-wise comparison)", () => {
    const a = sb.dir("a")
    const ab = path.join(sb.root, "ab")
    expectHinted(sb.run(["reserve", "--path", ab], { cwd: a }), 1, violation(ab, a), unrelatedHint)
  })

  it("a lexically unrelated path that physically lies under the cwd is allowed", () => {
    const real = sb.dir("work", "real")
    const link = path.join(sb.root, "link")
    fs.symlinkSync(real, link)
    expectPort(sb.run(["reserve", "--path", path.join(link, "sub")]))
    expect(listJson(sb).map((r) => r.path)).toEqual([path.join(link, "sub")])
  })
})

describe("reserve: path normalization (docs/concepts.md)", () => {
  it("an explicit symlinked --path keeps the symlink spelling", () => {
    const real = sb.dir("work", "real")
    const link = path.join(sb.work, "link")
    fs.symlinkSync(real, link)
    expectPort(sb.run(["reserve", "--path", link]))
    expect(listJson(sb).map((r) => r.path)).toEqual([link])
  })

  it("the implicit cwd reached through a symlink is stored canonicalized", () => {
    const real = sb.dir("work", "real")
    const link = path.join(sb.work, "link")
    fs.symlinkSync(real, link)
    expectPort(sb.run(["reserve"], { cwd: link, env: { PWD: link } }))
    expect(listJson(sb).map((r) => r.path)).toEqual([real])
  })

  it("relative explicit paths are resolved lexically against the cwd", () => {
    expectPort(sb.run(["reserve", "--path", "./sub/../other//x/."]))
    expect(listJson(sb).map((r) => r.path)).toEqual([path.join(sb.work, "other", "x")])
  })

  it("~ and ~/rest expand from HOME", () => {
    expectPort(sb.run(["reserve", "--path", "~", "--allow-unrelated-path"]))
    expectPort(sb.run(["reserve", "--path", "~/proj/./x/..", "--allow-unrelated-path"]))
    expect(listJson(sb).map((r) => r.path)).toEqual([sb.home, path.join(sb.home, "proj")])
  })

  it("~user is exit 6 with the exact message", () => {
    expectError(
      sb.run(["reserve", "--path", "~user/x"]),
      6,
      "invalid path ~user/x: ~user syntax is not supported; use ~ or ~/path"
    )
  })

  it("too many '..' is exit 6 with the exact message", () => {
    expectError(
      sb.run(["reserve", "--path", "/a/../.."]),
      6,
      "invalid path /a/../..: Path contains too many '..' components (escapes root)"
    )
    const deep = Array.from({ length: 80 }, () => "..").join("/")
    expectError(
      sb.run(["reserve", "--path", deep]),
      6,
      `invalid path ${deep}: Path contains too many '..' components (escapes root)`
    )
  })

  it("check order: configuration (7) before path (6) before tag (4) before --port (4)", () => {
    expectError(
      sb.run(["reserve", "--path", "~user", "--project", " "]),
      7,
      "Configuration error: validation error for 'project (<command line>)': Cannot be empty or only whitespace"
    )
    expectError(
      sb.run(["reserve", "--path", "~user", "--tag", " "]),
      6,
      "invalid path ~user: ~user syntax is not supported; use ~ or ~/path"
    )
    expectError(sb.run(["reserve", "--tag", " ", "--port", "abc"]), 4, TAG_MSG)
    // ... and all of them before the database is opened (auto-init disabled, no trop.db → would be 3)
    expectError(
      sb.run(["reserve", "--port", "abc", "--disable-autoinit"]),
      4,
      "Invalid arguments: Invalid port number: 'abc' is not a valid number"
    )
    expectError(sb.run(["reserve", "--tag", " ", "--disable-autoinit"]), 4, TAG_MSG)
  })
})

describe("reserve: --dry-run (docs/cli.md)", () => {
  it("prints the plan on stderr, nothing on stdout, and creates no data dir or database", () => {
    expectOk(
      sb.run(["reserve", "--dry-run", "--tag", "web"]),
      "",
      `Dry run - would perform the following actions:\n  1. Reserve port ${MIN} for ${sb.work}:web\n`
    )
    expect(exists(sb.dataDir)).toBe(false)
    fs.mkdirSync(sb.dataDir)
    expectOk(
      sb.run(["reserve", "--dry-run"]),
      "",
      `Dry run - would perform the following actions:\n  1. Reserve port ${MIN} for ${sb.work}\n`
    )
    expect(exists(dbFile(sb.dataDir))).toBe(false)
  })

  it("an existing key is planned as a refresh and nothing changes", () => {
    expectPort(sb.run(["reserve"]))
    ageRows(sb.dataDir, T0, T1)
    expectOk(
      sb.run(["reserve", "--dry-run"]),
      "",
      `Dry run - would perform the following actions:\n  1. Refresh reservation ${sb.work} on port ${MIN}\n`
    )
    expectOk(
      sb.run(["reserve", "--dry-run", "--tag", "new"]),
      "",
      `Dry run - would perform the following actions:\n  1. Reserve port ${MIN + 1} for ${sb.work}:new\n`
    )
    expect(listJson(sb)).toEqual([
      { created_at: T0_TEXT, last_used_at: T1_TEXT, path: sb.work, port: MIN, project: null, tag: null, task: null }
    ])
  })

  it("raises the same errors as the real run", () => {
    expectPort(sb.run(["reserve", "--project", "a"]))
    expectError(
      sb.run(["reserve", "--dry-run", "--project", "b"]),
      1,
      "cannot change sticky field 'project': Cannot change project from 'a' to 'b' without --force or --allow-project-change"
    )
    const other = path.join(sb.root, "elsewhere")
    expectHinted(
      sb.run(["reserve", "--dry-run", "--path", other]),
      1,
      `path relationship violation: ${other} and ${sb.work} are unrelated paths`,
      unrelatedHint
    )
  })

  it("--quiet suppresses the plan", () => {
    expectOk(sb.run(["reserve", "--dry-run", "--quiet"]), "", "")
    expect(exists(sb.dataDir)).toBe(false)
  })
})

describe("reserve: stored rows", () => {
  it("stores untagged as '' and timestamps as whole seconds (schema v2)", () => {
    expectPort(sb.run(["reserve"]))
    expectPort(sb.run(["reserve", "--tag", "web"]))
    const rows = withDb(sb.dataDir, (db) =>
      db.prepare("SELECT tag, typeof(created_at) AS t, created_at = last_used_at AS same FROM reservations ORDER BY tag").all()
    )
    expect(rows).toEqual([
      { tag: "", t: "integer", same: 1 },
      { tag: "web", t: "integer", same: 1 }
    ])
  })
})
