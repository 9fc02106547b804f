import * as fs from "node:fs"
import * as path from "node:path"
import { afterEach, beforeEach, describe, expect, it } from "vitest"
import {
  dbFile,
  expectError,
  expectOk,
  expectUsageError,
  exists,
  type JsonRow,
  listJson,
  makeSandbox,
  type Sandbox,
  seed,
  T0,
  T0_TEXT,
  T1,
  T1_TEXT,
  withDb
} from "./_helpers.js"

/**
 * `trop migrate` (docs/cli.md, docs/concepts.md): exact and recursive moves, preserved
 * columns, overlap and conflict handling, the exact plan printout, dry runs and --quiet.
 */

// Private port range of this file (migrate never probes; the rows need distinct ports).
const MIN = 32200
const MAX = 32299

let sb: Sandbox
beforeEach(() => {
  sb = makeSandbox([MIN, MAX])
})
afterEach(() => sb.cleanup())

/** A path under the sandbox root (need not exist: migrate never touches the filesystem). */
const p = (...segments: Array<string>) => path.join(sb.root, "w", ...segments)
const snapshot = () => withDb(sb.dataDir, (db) => db.prepare("SELECT * FROM reservations ORDER BY path, tag").all())
const key = (r: JsonRow) => (r.tag === null ? r.path : `${r.path}:${r.tag}`)

const plan = (from: string, to: string, mode: "exact" | "recursive") =>
  `Migration plan:\n  From: ${from}\n  To:   ${to}\n  Mode: ${mode}\n\n`

/** A typical data set: /w/a (untagged + web), /w/a/sub:x, /w/ab (not under /w/a), /w/other. */
const seedTypical = () => {
  seed(sb, [
    { path: p("a"), port: MIN, project: "proj", task: "t1", created_at: T0, last_used_at: T1 },
    { path: p("a"), tag: "web", port: MIN + 1, project: null, task: "t2", created_at: T0 + 5, last_used_at: T1 + 5 },
    { path: p("a", "sub"), tag: "x", port: MIN + 2, project: "sp", task: null, created_at: T0 + 10, last_used_at: T1 + 10 },
    { path: p("ab"), port: MIN + 3, project: "ab", created_at: T0, last_used_at: T1 },
    { path: p("other"), port: MIN + 4, created_at: T0, last_used_at: T1 }
  ])
}

describe("exact mode", () => {
  it("moves every tag at exactly --from, preserving port, project, task and both timestamps; the plan prints exactly", () => {
    seedTypical()
    const to = p("z", "new") // does not exist
    const r = sb.run(["migrate", "--from", p("a"), "--to", to])
    expectOk(
      r,
      "",
      plan(p("a"), to, "exact") +
        "Reservations to migrate (2):\n" +
        `  ${p("a")} -> ${to} (port ${MIN}, project: proj)\n` +
        `  ${p("a")} -> ${to} (port ${MIN + 1}, tag: web)\n` +
        "\n" +
        "Migration complete:\n" +
        "  Migrated: 2 reservation(s)\n"
    )
    expect(exists(to)).toBe(false)
    const rows = listJson(sb)
    expect(rows.map(key)).toEqual([p("a", "sub") + ":x", p("ab"), p("other"), to, `${to}:web`])
    expect(rows.find((x) => x.path === to && x.tag === null)).toEqual({
      created_at: T0_TEXT,
      last_used_at: T1_TEXT,
      path: to,
      port: MIN,
      project: "proj",
      tag: null,
      task: "t1"
    })
    expect(rows.find((x) => x.path === to && x.tag === "web")).toMatchObject({
      port: MIN + 1,
      project: null,
      task: "t2"
    })
    const raw = withDb(sb.dataDir, (db) =>
      db.prepare("SELECT tag, created_at, last_used_at FROM reservations WHERE path = ? ORDER BY tag").all(to))
    expect(raw).toEqual([
      { tag: "", created_at: T0, last_used_at: T1 },
      { tag: "web", created_at: T0 + 5, last_used_at: T1 + 5 }
    ])
  })

  it("no reservation exactly at --from → exit 6 'not found', even when descendants exist; nothing changes", () => {
    seedTypical()
    const before = snapshot()
    expectError(sb.run(["migrate", "--from", p("w-missing"), "--to", p("q")]), 6, `not found: reservation at ${p("w-missing")}`)
    // /w/a/sub has rows, but /w is not itself reserved
    expectError(sb.run(["migrate", "--from", p(), "--to", p("q")]), 6, `not found: reservation at ${p()}`)
    expectError(sb.run(["migrate", "--from", p(), "--to", p("q"), "--dry-run"]), 6, `not found: reservation at ${p()}`)
    expect(snapshot()).toEqual(before)
  })

  it("--from equal to --to is an overlap (docs/concepts.md), even with --force", () => {
    seedTypical()
    const before = snapshot()
    const msg =
      "reservation conflict: migration source and destination overlap: 2 destination key(s) are themselves being migrated; choose a destination outside the migrated set"
    expectError(sb.run(["migrate", "--from", p("a"), "--to", p("a")]), 6, msg)
    expectError(sb.run(["migrate", "--from", p("a"), "--to", p("a", ".", "x", ".."), "--force"]), 6, msg)
    expect(snapshot()).toEqual(before)
  })

  it("paths are normalized, not canonicalized: relative, '..' and trailing separators; symlinks kept", () => {
    const real = sb.dir("w", "real")
    const link = p("link")
    fs.symlinkSync(real, link)
    seed(sb, [{ path: link, port: MIN, created_at: T0, last_used_at: T1 }])
    // relative to the process working directory (sb.work = <root>/work)
    const r = sb.run(["migrate", "--from", "../w/./link/", "--to", "../w/x/../moved//", "--quiet"])
    expectOk(r, `${p("moved")}\n`, "")
    expect(listJson(sb).map(key)).toEqual([p("moved")])
  })
})

describe("recursive mode", () => {
  it("moves --from and its descendants component-wise (/w/a does not take /w/ab)", () => {
    seedTypical()
    const to = p("n", "b")
    expectOk(
      sb.run(["migrate", "--from", p("a"), "--to", to, "--recursive"]),
      "",
      plan(p("a"), to, "recursive") +
        "Reservations to migrate (3):\n" +
        `  ${p("a")} -> ${to} (port ${MIN}, project: proj)\n` +
        `  ${p("a")} -> ${to} (port ${MIN + 1}, tag: web)\n` +
        `  ${p("a", "sub")} -> ${path.join(to, "sub")} (port ${MIN + 2}, tag: x, project: sp)\n` +
        "\n" +
        "Migration complete:\n" +
        "  Migrated: 3 reservation(s)\n"
    )
    const rows = listJson(sb)
    expect(rows.map(key)).toEqual([p("ab"), to, `${to}:web`, `${path.join(to, "sub")}:x`, p("other")])
    expect(rows.find((x) => x.tag === "x")).toEqual({
      created_at: "2023-11-14 22:13:30",
      last_used_at: "2023-11-14 23:13:30",
      path: path.join(to, "sub"),
      port: MIN + 2,
      project: "sp",
      tag: "x",
      task: null
    })
  })

  it("recursive from a path with no reservation itself: only the descendants move", () => {
    seedTypical()
    const to = p("moved")
    expectOk(
      sb.run(["migrate", "--from", p("a", "sub"), "--to", to, "--recursive", "--quiet"]),
      `${to}\n`,
      ""
    )
    expect(listJson(sb).map(key)).toContain(`${to}:x`)
  })

  it("nothing at or under --from → exit 0, 'No reservations to migrate.'; --quiet still prints --to", () => {
    seedTypical()
    const before = snapshot()
    expectOk(
      sb.run(["migrate", "--from", p("nothing"), "--to", p("dest"), "--recursive"]),
      "",
      plan(p("nothing"), p("dest"), "recursive") + "No reservations to migrate.\n"
    )
    expectOk(
      sb.run(["migrate", "--from", p("nothing"), "--to", p("dest"), "--recursive", "--dry-run"]),
      "",
      plan(p("nothing"), p("dest"), "recursive") + "No reservations to migrate.\n"
    )
    expectOk(sb.run(["migrate", "--from", p("nothing"), "--to", p("dest"), "--recursive", "--quiet"]), `${p("dest")}\n`, "")
    expectOk(sb.run(["migrate", "--from", p("nothing"), "--to", p("dest"), "--recursive", "--quiet", "--dry-run"]), "", "")
    expect(snapshot()).toEqual(before)
  })

  it("a destination inside the migrated set is rejected as an overlap (docs/concepts.md), with and without --force", () => {
    seed(sb, [
      { path: p("a"), port: MIN, created_at: T0, last_used_at: T1 },
      { path: p("a", "b"), port: MIN + 1, created_at: T0, last_used_at: T1 },
      { path: p("a", "b"), tag: "t", port: MIN + 2, created_at: T0, last_used_at: T1 }
    ])
    const before = snapshot()
    const msg =
      "reservation conflict: migration source and destination overlap: 1 destination key(s) are themselves being migrated; choose a destination outside the migrated set"
    for (const extra of [[], ["--force"], ["--dry-run"], ["--force", "--dry-run"], ["--quiet"]]) {
      expectError(sb.run(["migrate", "--from", p("a"), "--to", p("a", "b"), "--recursive", ...extra]), 6, msg)
    }
    expect(snapshot()).toEqual(before)
  })
})

describe("destination conflicts", () => {
  const seedConflicts = () => {
    seed(sb, [
      { path: p("src"), port: MIN, project: "s", created_at: T0, last_used_at: T1 },
      { path: p("src"), tag: "web", port: MIN + 1, created_at: T0, last_used_at: T1 },
      { path: p("src"), tag: "api", port: MIN + 2, created_at: T0, last_used_at: T1 },
      { path: p("dst"), port: MIN + 10, project: "old", created_at: T0, last_used_at: T1 }, // conflicts (untagged)
      { path: p("dst"), tag: "web", port: MIN + 11, created_at: T0, last_used_at: T1 }, // conflicts
      { path: p("dst"), tag: "db", port: MIN + 12, created_at: T0, last_used_at: T1 } // no conflict: not migrated
    ])
  }

  it("without --force → exit 6 with the exact message, also on a dry run; nothing changes", () => {
    seedConflicts()
    const before = snapshot()
    const msg = "reservation conflict: Found 2 conflicting reservation(s) at destination. Use --force to overwrite."
    expectError(sb.run(["migrate", "--from", p("src"), "--to", p("dst")]), 6, msg)
    expectError(sb.run(["migrate", "--from", p("src"), "--to", p("dst"), "--dry-run"]), 6, msg)
    expectError(sb.run(["migrate", "--from", p("src"), "--to", p("dst"), "--quiet"]), 6, msg)
    expect(snapshot()).toEqual(before)
  })

  it("with --force: the dry run prints the conflicts section and changes nothing", () => {
    seedConflicts()
    const before = snapshot()
    const body =
      "Reservations to migrate (3):\n" +
      `  ${p("src")} -> ${p("dst")} (port ${MIN}, project: s)\n` +
      `  ${p("src")} -> ${p("dst")} (port ${MIN + 2}, tag: api)\n` +
      `  ${p("src")} -> ${p("dst")} (port ${MIN + 1}, tag: web)\n` +
      "\n" +
      "Conflicts at destination (2) (will be overwritten):\n" +
      `  ${p("dst")}\n` +
      `  ${p("dst")}\n` +
      "    (tag: web)\n" +
      "\n"
    expectOk(
      sb.run(["migrate", "--from", p("src"), "--to", p("dst"), "--force", "--dry-run"]),
      "",
      plan(p("src"), p("dst"), "exact") + body + "Dry run - no changes made.\n"
    )
    expectOk(sb.run(["migrate", "--from", p("src"), "--to", p("dst"), "--force", "--dry-run", "--quiet"]), "", "")
    expect(snapshot()).toEqual(before)

    expectOk(
      sb.run(["migrate", "--from", p("src"), "--to", p("dst"), "--force"]),
      "",
      plan(p("src"), p("dst"), "exact") + body + "Migration complete:\n  Migrated: 3 reservation(s)\n  Conflicts resolved: 2\n"
    )
    const rows = listJson(sb)
    expect(rows.map((r) => [key(r), r.port, r.project])).toEqual([
      [p("dst"), MIN, "s"],
      [`${p("dst")}:api`, MIN + 2, null],
      [`${p("dst")}:db`, MIN + 12, null],
      [`${p("dst")}:web`, MIN + 1, null]
    ])
  })

  it("--force --quiet prints only the destination", () => {
    seedConflicts()
    expectOk(sb.run(["migrate", "--from", p("src"), "--to", p("dst"), "--force", "--quiet"]), `${p("dst")}\n`, "")
    expect(listJson(sb).map((r) => r.port)).toEqual([MIN, MIN + 2, MIN + 12, MIN + 1])
  })
})

describe("dry run, quiet, arguments", () => {
  it("--dry-run prints the plan and 'Dry run - no changes made.', and changes nothing", () => {
    seedTypical()
    const before = snapshot()
    expectOk(
      sb.run(["migrate", "--from", p("a"), "--to", p("q"), "--dry-run"]),
      "",
      plan(p("a"), p("q"), "exact") +
        "Reservations to migrate (2):\n" +
        `  ${p("a")} -> ${p("q")} (port ${MIN}, project: proj)\n` +
        `  ${p("a")} -> ${p("q")} (port ${MIN + 1}, tag: web)\n` +
        "\n" +
        "Dry run - no changes made.\n"
    )
    expect(snapshot()).toEqual(before)
  })

  it("a dry run never creates the data directory or the database", () => {
    const dd = path.join(sb.root, "fresh-data")
    expectOk(
      sb.run(["migrate", "--data-dir", dd, "--from", p("a"), "--to", p("b"), "--recursive", "--dry-run"]),
      "",
      plan(p("a"), p("b"), "recursive") + "No reservations to migrate.\n"
    )
    expectError(
      sb.run(["migrate", "--data-dir", dd, "--from", p("a"), "--to", p("b"), "--dry-run"]),
      6,
      `not found: reservation at ${p("a")}`
    )
    expect(exists(dd)).toBe(false)
    expect(exists(dbFile(dd))).toBe(false)
    expectError(
      sb.run(["migrate", "--data-dir", dd, "--from", p("a"), "--to", p("b"), "--recursive", "--dry-run", "--disable-autoinit"]),
      3,
      "Data directory not found (use --data-dir or enable auto-init)"
    )
    expect(exists(dd)).toBe(false)
  })

  it("--quiet: a live run prints the normalized --to on stdout, a dry run prints nothing", () => {
    seedTypical()
    expectOk(sb.run(["migrate", "--from", p("a"), "--to", p("q", "..", "r") + "/", "--quiet", "--dry-run"]), "", "")
    expect(listJson(sb).map(key)).toContain(p("a"))
    expectOk(sb.run(["migrate", "--from", p("a"), "--to", p("q", "..", "r") + "/", "--quiet"]), `${p("r")}\n`, "")
    expect(listJson(sb).map(key)).toContain(p("r"))
  })

  // The database opens first, then both paths resolve, then the plan is made (docs/cli.md).
  const bad = "~nosuchtropuser/x"

  it("opens the database before resolving the paths: auto-init disabled and no trop.db → exit 3 even with an invalid --from", () => {
    expectError(
      sb.run(["migrate", "--from", bad, "--to", p("b"), "--disable-autoinit"]),
      3,
      "Data directory not found (use --data-dir or enable auto-init)"
    )
  })

  it("opens the database before resolving the paths: an invalid --to is exit 6 after the database was auto-created", () => {
    expectError(
      sb.run(["migrate", "--from", p("a"), "--to", bad]),
      6,
      `invalid path ${bad}: ~user syntax is not supported; use ~ or ~/path`
    )
    expect(exists(dbFile(sb.dataDir))).toBe(true)
  })

  it("--from and --to are required (usage error, exit 4)", () => {
    expectUsageError(sb.run(["migrate", "--to", p("b")]), "--from")
    expectUsageError(sb.run(["migrate", "--from", p("a")]), "--to")
    expectUsageError(sb.run(["migrate"]))
    expectUsageError(sb.run(["migrate", "--from", "--to", p("b")]))
    expect(exists(sb.dataDir)).toBe(false)
  })
})
