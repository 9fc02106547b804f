import * as fs from "node:fs"
import * as path from "node:path"
import { afterEach, beforeEach, describe, expect, it } from "vitest"
import { asNobody, NOBODY } from "../support/asNobody.js"
import type { Result } from "../support/cli.js"
import {
  dbFile,
  expectError,
  expectOk,
  expectUsageError,
  exists,
  listJson,
  makeSandbox,
  type Sandbox,
  seed,
  type SeedRow,
  withDb
} from "./_helpers.js"

/**
 * `prune`, `expire`, `autoclean` end to end (docs/cli.md, docs/concepts.md): real
 * directories, symlinks and files on disk, rows seeded directly into the schema-v2 database so
 * the timestamps are under the test's control.
 */

// Private port range of this file (cleanup never probes, but the rows need distinct ports).
const MIN = 32000
const MAX = 32099
const DAY = 86_400

let sb: Sandbox
beforeEach(() => {
  sb = makeSandbox([MIN, MAX])
})
afterEach(() => sb.cleanup())

const now = () => Math.floor(Date.now() / 1000)

/** A directory tree for the rows: `root/name`. */
const at = (...segments: Array<string>) => path.join(sb.root, "t", ...segments)
const mkdir = (...segments: Array<string>) => {
  const p = at(...segments)
  fs.mkdirSync(p, { recursive: true })
  return p
}

/** stderr without the `[trop] ` diagnostic log lines that `--verbose` adds (docs/cli.md). */
const withoutLogs = (stderr: string) =>
  stderr.split("\n").filter((l) => !l.startsWith("[trop] ")).join("\n")

/** A verbose run: exit 0, nothing on stdout, and exactly `lines` on stderr apart from the log. */
const expectVerbose = (r: Result, lines: ReadonlyArray<string>) => {
  expect({ code: r.code, stdout: r.stdout, stderr: withoutLogs(r.stderr) }).toEqual({
    code: 0,
    stdout: "",
    stderr: lines.map((l) => `${l}\n`).join("")
  })
}

const paths = () => listJson(sb).map((r) => (r.tag === null ? r.path : `${r.path}:${r.tag}`))

const row = (p: string, port: number, extra: Partial<SeedRow> = {}): SeedRow => {
  const t = now()
  return { path: p, port, created_at: t, last_used_at: t, ...extra }
}

describe("prune: classification of stored paths (docs/concepts.md)", () => {
  /** Every prunable kind next to two kept ones. Names sort in the order listed. */
  const layout = () => {
    const live = mkdir("a-live")
    const gone = mkdir("b-gone")
    fs.rmSync(gone, { recursive: true })
    const dangling = at("c-dangling")
    fs.symlinkSync(at("nowhere"), dangling)
    fs.writeFileSync(at("d-file"), "x")
    const toFile = at("e-link-to-file")
    fs.symlinkSync(at("d-file"), toFile)
    const notDir = at("d-file", "child") // a path component is a regular file → ENOTDIR
    const toDir = at("f-link-to-dir")
    fs.symlinkSync(live, toDir)
    const tooLong = at("g-" + "x".repeat(300)) // ENAMETOOLONG: invalid on this host
    const nul = at("h-nul\u0000byte") // rejected by the platform outright: invalid on this host
    return { live, gone, dangling, file: at("d-file"), toFile, notDir, toDir, tooLong, nul }
  }

  it("prunes deleted dirs, dangling symlinks, files, symlinks to files, ENOTDIR, over-long and NUL paths; keeps directories and symlinks to them", () => {
    const l = layout()
    seed(sb, [
      row(l.live, MIN),
      row(l.live, MIN + 1, { tag: "web" }),
      row(l.gone, MIN + 2),
      row(l.gone, MIN + 3, { tag: "api" }),
      row(l.dangling, MIN + 4),
      row(l.file, MIN + 5),
      row(l.notDir, MIN + 6),
      row(l.toFile, MIN + 7),
      row(l.toDir, MIN + 8),
      row(l.tooLong, MIN + 9),
      row(l.nul, MIN + 10)
    ])
    expectOk(sb.run(["prune"]), "", "Removed 8 reservation(s) for non-existent paths\n")
    expect(paths()).toEqual([l.live, `${l.live}:web`, l.toDir])
    // Nothing left to prune: a second run reports 0.
    expectOk(sb.run(["prune"]), "", "Removed 0 reservation(s) for non-existent paths\n")
    expect(paths()).toEqual([l.live, `${l.live}:web`, l.toDir])
  })

  it("prune ignores age: an ancient row on a live directory is kept", () => {
    const live = mkdir("live")
    seed(sb, [row(live, MIN, { created_at: 0, last_used_at: 0 })])
    expectOk(sb.run(["prune"]), "", "Removed 0 reservation(s) for non-existent paths\n")
    expect(paths()).toEqual([live])
  })

  it("a symlink loop is kept with the exact warning and advice (prune and autoclean, not expire)", () => {
    const loop = at("loop")
    fs.mkdirSync(at())
    fs.symlinkSync(loop, loop)
    const gone = at("zz-gone")
    seed(sb, [row(loop, MIN, { created_at: 0, last_used_at: 0 }), row(gone, MIN + 1)])
    const warning = (r: Result) => {
      const first = r.stderr.split("\n")[0] ?? ""
      const prefix = `Warning: could not inspect reserved directory ${loop} (symlink loop: `
      const suffix = "); reservation preserved by prune. Repair the symlink loop, then retry."
      expect(first.startsWith(prefix), first).toBe(true)
      expect(first.endsWith(suffix), first).toBe(true)
      // The OS message in between is not part of the contract, but it is there.
      expect(first.length).toBeGreaterThan(prefix.length + suffix.length)
      return first
    }

    // Dry run first: header, then the warning, then the summary.
    const dry = sb.run(["prune", "--dry-run"])
    expect(dry.code).toBe(0)
    expect(dry.stdout).toBe("")
    const dryLines = dry.stderr.split("\n")
    expect(dryLines[0]).toBe("[DRY RUN] Scanning for reservations with non-existent paths...")
    const w = warning({ ...dry, stderr: dryLines.slice(1).join("\n") })
    expect(dry.stderr).toBe(
      `[DRY RUN] Scanning for reservations with non-existent paths...\n${w}\n[DRY RUN] Would remove 1 reservation(s) for non-existent paths\n` +
        `  - Port ${MIN + 1}: ${gone} (tag: none, project: none)\n`
    )

    // --quiet: the count only, no warning.
    expectOk(sb.run(["prune", "--dry-run", "--quiet"]), "1\n", "")

    const live = sb.run(["prune"])
    expect(live.code).toBe(0)
    expect(live.stdout).toBe("")
    expect(live.stderr).toBe(`${warning(live)}\nRemoved 1 reservation(s) for non-existent paths\n`)
    expect(paths()).toEqual([loop])

    // expire never prints inspection warnings (and does not look at paths at all).
    const loopAge = Math.floor(now() / DAY)
    expectOk(
      sb.run(["expire", "--days", "1", "--dry-run"]),
      "",
      "[DRY RUN] Scanning for reservations unused for 1 days...\n[DRY RUN] Would expire 1 reservation(s) older than 1 days\n" +
        `  - Port ${MIN}: ${loop} (${loopAge} days old, project: none)\n`
    )

    // autoclean prints the warning; the loop row is old, so it is expired (not pruned).
    const auto = sb.run(["autoclean", "--dry-run"])
    expect(auto.code).toBe(0)
    const autoLines = auto.stderr.split("\n")
    expect(autoLines[0]).toBe("[DRY RUN] Performing combined cleanup...")
    const aw = warning({ ...auto, stderr: autoLines.slice(1).join("\n") })
    expect(auto.stderr).toBe(
      `[DRY RUN] Performing combined cleanup...\n${aw}\n[DRY RUN] Would remove 1 total reservation(s) (pruned: 0, expired: 1)\n` +
        `\nExpired reservations:\n  - Port ${MIN}: ${loop} (${loopAge} days old)\n`
    )
    expect(paths()).toEqual([loop])
  })

  it("--quiet prints the count on stdout only when it is > 0, never anything on stderr", () => {
    const gone = at("gone")
    const live = mkdir("live")
    seed(sb, [row(gone, MIN), row(gone, MIN + 1, { tag: "x" }), row(live, MIN + 2)])
    expectOk(sb.run(["prune", "--quiet"]), "2\n", "")
    expect(paths()).toEqual([live])
    expectOk(sb.run(["prune", "--quiet"]), "", "")
    // --quiet wins over --verbose.
    expectOk(sb.run(["prune", "--quiet", "--verbose"]), "", "")
  })

  it("--verbose lists every removed row in (path, tag) order with 'value'/none metadata", () => {
    const gone1 = at("a-gone")
    const gone2 = at("b-gone")
    const live = mkdir("c-live")
    seed(sb, [
      row(gone2, MIN + 5, { project: "proj", task: "t" }),
      row(gone1, MIN + 3, { tag: "web" }),
      row(gone1, MIN + 4),
      row(gone1, MIN + 2, { tag: "api", project: "p q" }),
      row(live, MIN + 6)
    ])
    const lines = [
      `  - Port ${MIN + 4}: ${gone1} (tag: none, project: none)`,
      `  - Port ${MIN + 2}: ${gone1} (tag: 'api', project: 'p q')`,
      `  - Port ${MIN + 3}: ${gone1} (tag: 'web', project: none)`,
      `  - Port ${MIN + 5}: ${gone2} (tag: none, project: 'proj')`
    ]
    expectVerbose(sb.run(["prune", "--verbose", "--dry-run"]), [
      "[DRY RUN] Scanning for reservations with non-existent paths...",
      "[DRY RUN] Would remove 4 reservation(s):",
      ...lines
    ])
    expect(paths()).toHaveLength(5)
    expectVerbose(sb.run(["prune", "--verbose"]), ["Removed 4 reservation(s):", ...lines])
    expect(paths()).toEqual([live])
    expectVerbose(sb.run(["prune", "--verbose"]), ["Removed 0 reservation(s):"])
  })

  it("--dry-run deletes nothing and, without a database, creates nothing", () => {
    const gone = at("gone")
    const missingDataDir = path.join(sb.root, "no-data")
    const r = sb.run(["prune", "--data-dir", missingDataDir, "--dry-run"])
    expectOk(r, "", "[DRY RUN] Scanning for reservations with non-existent paths...\n[DRY RUN] Would remove 0 reservation(s) for non-existent paths\n")
    expect(exists(missingDataDir)).toBe(false)
    for (const command of ["expire", "autoclean"]) {
      expect(sb.run([command, "--data-dir", missingDataDir, "--dry-run"]).code).toBe(0)
      expect(exists(missingDataDir)).toBe(false)
    }
    // With auto-init disabled a dry run fails exactly like the real run (docs/configuration.md).
    for (const command of ["prune", "expire", "autoclean"]) {
      const failed = sb.run([command, "--data-dir", missingDataDir, "--dry-run", "--disable-autoinit", "--quiet"])
      expectError(failed, 3, "Data directory not found (use --data-dir or enable auto-init)")
    }
    expect(exists(missingDataDir)).toBe(false)

    seed(sb, [row(gone, MIN), row(gone, MIN + 1, { tag: "t" })])
    expectOk(
      sb.run(["prune", "--dry-run"]),
      "",
      "[DRY RUN] Scanning for reservations with non-existent paths...\n[DRY RUN] Would remove 2 reservation(s) for non-existent paths\n" +
        `  - Port ${MIN}: ${gone} (tag: none, project: none)\n  - Port ${MIN + 1}: ${gone} (tag: 't', project: none)\n`
    )
    expectOk(sb.run(["prune", "--dry-run", "--quiet"]), "2\n", "")
    expect(paths()).toEqual([gone, `${gone}:t`])
  })
})

/**
 * Unreadable directories. The suite runs as root, for whom chmod does not block `stat`, so
 * trop runs as `nobody` (from a copy nobody can read: ../support/asNobody.ts).
 */
describe("prune: permission denied (docs/concepts.md)", () => {
  it("an uninspectable path (EACCES) is kept with the exact warning and advice", (ctx) => {
    const nobody = asNobody()
    if (typeof nobody === "string") return ctx.skip(nobody)
    const runAsNobody = (args: ReadonlyArray<string>, cwd: string, env: Record<string, string | undefined>) =>
      nobody.run(args, { cwd, env })
    // Everything trop touches must be reachable by nobody; only `locked` is not.
    fs.chmodSync(sb.root, 0o755)
    const locked = mkdir("locked")
    const inner = mkdir("locked", "inner")
    const gone = at("gone")
    fs.chmodSync(at(), 0o755)
    fs.chmodSync(locked, 0o700) // owned by root: nobody may not search it
    seed(sb, [row(inner, MIN), row(locked, MIN + 1), row(gone, MIN + 2)])
    const home = path.join(sb.root, "nobody-home")
    fs.mkdirSync(home)
    for (const p of [sb.dataDir, ...fs.readdirSync(sb.dataDir).map((f) => path.join(sb.dataDir, f)), home]) {
      fs.chownSync(p, NOBODY, NOBODY)
    }
    const env = { ...sb.baseEnv, HOME: home }
    const args = ["--data-dir", sb.dataDir]
    const message = (r: Result) => {
      const first = r.stderr.split("\n")[0] ?? ""
      const prefix = `Warning: could not inspect reserved directory ${inner} (permission denied: `
      const suffix = "); reservation preserved by prune. Restore access to the path and its parents, then retry."
      expect(first.startsWith(prefix), r.stderr).toBe(true)
      expect(first.endsWith(suffix), r.stderr).toBe(true)
      return first
    }
    const prune = runAsNobody([...args, "prune"], sb.work, env)
    expect(prune.code, prune.stderr).toBe(0)
    expect(prune.stdout).toBe("")
    expect(prune.stderr).toBe(`${message(prune)}\nRemoved 1 reservation(s) for non-existent paths\n`)

    const quiet = runAsNobody([...args, "autoclean", "--quiet"], sb.work, env)
    expect({ code: quiet.code, stdout: quiet.stdout, stderr: quiet.stderr }).toEqual({ code: 0, stdout: "", stderr: "" })

    const auto = runAsNobody([...args, "autoclean"], sb.work, env)
    expect(auto.code, auto.stderr).toBe(0)
    expect(auto.stderr).toBe(`${message(auto)}\nRemoved 0 total reservation(s) (pruned: 0, expired: 0)\n`)
    // Both the unreadable path and its (readable) parent are kept.
    expect(paths()).toEqual([locked, inner])
  })
})

describe("expire (docs/cli.md, docs/concepts.md)", () => {
  /** Rows relative to the current time; the directories do not exist (expire never prunes). */
  const seedAges = () => {
    const t = now()
    const rows = {
      old40: { path: at("a-old40"), port: MIN + 10, project: "proj", created_at: t - 50 * DAY, last_used_at: t - 40 * DAY },
      justOver: { path: at("b-just-over"), port: MIN + 11, created_at: t, last_used_at: t - 30 * DAY - 1 },
      justUnder: { path: at("c-just-under"), port: MIN + 12, created_at: t - 90 * DAY, last_used_at: t - 30 * DAY + 120 },
      future: { path: at("d-future"), port: MIN + 13, created_at: t, last_used_at: t + 400 * DAY },
      fresh: { path: at("e-fresh"), port: MIN + 14, created_at: 0, last_used_at: t },
      old31: { path: at("f-old31"), port: MIN + 15, tag: "web", created_at: t, last_used_at: t - 31 * DAY - 5 }
    }
    seed(sb, Object.values(rows))
    return rows
  }

  it("removes rows unused for more than 30 days by default; created_at and future last_used_at never matter", () => {
    const r = seedAges()
    expectOk(sb.run(["expire"]), "", "Expired 3 reservation(s) older than 30 days\n")
    expect(paths()).toEqual([r.justUnder.path, r.future.path, r.fresh.path])
    expectOk(sb.run(["expire"]), "", "Expired 0 reservation(s) older than 30 days\n")
  })

  it("--verbose lists the expired rows by last_used_at ascending with whole-day ages", () => {
    const r = seedAges()
    const items = [
      `  - Port ${MIN + 10}: ${r.old40.path} (40 days old, project: 'proj')`,
      `  - Port ${MIN + 15}: ${r.old31.path} (31 days old, project: none)`,
      `  - Port ${MIN + 11}: ${r.justOver.path} (30 days old, project: none)`
    ]
    expectVerbose(sb.run(["expire", "--verbose", "--dry-run"]), [
      "[DRY RUN] Scanning for reservations unused for 30 days...",
      "[DRY RUN] Would expire 3 reservation(s) older than 30 days:",
      ...items
    ])
    expect(paths()).toHaveLength(6)
    expectVerbose(sb.run(["expire", "--verbose"]), ["Expired 3 reservation(s) older than 30 days:", ...items])
    expect(paths()).toHaveLength(3)
    expectVerbose(sb.run(["expire", "--verbose"]), ["Expired 0 reservation(s) older than 30 days:"])
  })

  it("--dry-run: header, count and the rows (as --verbose lists them), nothing deleted; --quiet prints the count only when > 0", () => {
    const r = seedAges()
    expectOk(
      sb.run(["expire", "--dry-run"]),
      "",
      "[DRY RUN] Scanning for reservations unused for 30 days...\n[DRY RUN] Would expire 3 reservation(s) older than 30 days\n" +
        `  - Port ${MIN + 10}: ${r.old40.path} (40 days old, project: 'proj')\n` +
        `  - Port ${MIN + 15}: ${r.old31.path} (31 days old, project: none)\n` +
        `  - Port ${MIN + 11}: ${r.justOver.path} (30 days old, project: none)\n`
    )
    expectOk(sb.run(["expire", "--dry-run", "--quiet"]), "3\n", "")
    expect(paths()).toHaveLength(6)
    expectOk(sb.run(["expire", "--quiet"]), "3\n", "")
    expect(paths()).toHaveLength(3)
    expectOk(sb.run(["expire", "--quiet"]), "", "")
    expectOk(sb.run(["expire", "--quiet", "--dry-run"]), "", "")
  })

  it("--days ▸ TROP_EXPIRE_AFTER_DAYS ▸ trop.yaml cleanup.expire_after_days ▸ config.yaml ▸ 30", () => {
    const t = now()
    const ages = [7, 15, 25, 35, 45]
    seed(
      sb,
      ages.map((d, i) => ({ path: at(`age-${d}`), port: MIN + 20 + i, created_at: t, last_used_at: t - d * DAY - 60 }))
    )
    const dry = (days: number, n: number) =>
      `[DRY RUN] Scanning for reservations unused for ${days} days...\n[DRY RUN] Would expire ${n} reservation(s) older than ${days} days\n` +
      ages.map((d, i) => ({ d, i })).filter(({ d }) => d > days).reverse()
        .map(({ d, i }) => `  - Port ${MIN + 20 + i}: ${at(`age-${d}`)} (${d} days old, project: none)\n`).join("")
    expectOk(sb.run(["expire", "--dry-run"]), "", dry(30, 2))
    fs.writeFileSync(path.join(sb.dataDir, "config.yaml"), "cleanup:\n  expire_after_days: 40\n")
    expectOk(sb.run(["expire", "--dry-run"]), "", dry(40, 1))
    fs.writeFileSync(path.join(sb.work, "trop.yaml"), "cleanup:\n  expire_after_days: 10\n")
    expectOk(sb.run(["expire", "--dry-run"]), "", dry(10, 4))
    expectOk(sb.run(["expire", "--dry-run"], { env: { TROP_EXPIRE_AFTER_DAYS: "20" } }), "", dry(20, 3))
    expectOk(sb.run(["expire", "--dry-run", "--days", "5"], { env: { TROP_EXPIRE_AFTER_DAYS: "20" } }), "", dry(5, 5))
    expectOk(sb.run(["expire", "--dry-run", "--days=44"], { env: { TROP_EXPIRE_AFTER_DAYS: "20" } }), "", dry(44, 1))
    expect(paths()).toHaveLength(5)
    // Live run with the env threshold deletes exactly the three older rows.
    expectOk(sb.run(["expire"], { env: { TROP_EXPIRE_AFTER_DAYS: "20" } }), "", "Expired 3 reservation(s) older than 20 days\n")
    expect(paths()).toEqual([at("age-15"), at("age-7")])
  })

  it("--days 0 → exit 7 with the exact message (expire and autoclean), nothing deleted", () => {
    seedAges()
    const msg = "Configuration error: validation error for 'cleanup.expire_after_days (<command line>)': Must be > 0"
    expectError(sb.run(["expire", "--days", "0"]), 7, msg)
    expectError(sb.run(["expire", "--days", "0", "--dry-run"]), 7, msg)
    expectError(sb.run(["autoclean", "--days", "0"]), 7, msg)
    expectError(sb.run(["autoclean", "--days=0", "--quiet"]), 7, msg)
    expectError(
      sb.run(["expire"], { env: { TROP_EXPIRE_AFTER_DAYS: "0" } }),
      7,
      "Configuration error: validation error for 'cleanup.expire_after_days (TROP_EXPIRE_AFTER_DAYS)': Must be > 0"
    )
    expect(paths()).toHaveLength(6)
  })

  it("--days must be a u32 (usage error, exit 4); a bad TROP_EXPIRE_AFTER_DAYS is exit 7", () => {
    for (const bad of ["-1", "abc", "4294967296"]) expectUsageError(sb.run(["expire", `--days=${bad}`]), "--days")
    expectUsageError(sb.run(["autoclean", "--days=1.5"]), "--days")
    expectUsageError(sb.run(["prune", "--days", "3"]), "--days")
    expectError(
      sb.run(["expire"], { env: { TROP_EXPIRE_AFTER_DAYS: "abc" } }),
      7,
      "Configuration error: validation error for 'TROP_EXPIRE_AFTER_DAYS': Must be a positive integer"
    )
    // A leading '+' is tolerated; the largest u32 is accepted.
    expectOk(sb.run(["expire", "--dry-run", "--days", "+3"]), "", "[DRY RUN] Scanning for reservations unused for 3 days...\n[DRY RUN] Would expire 0 reservation(s) older than 3 days\n")
    expectOk(
      sb.run(["expire", "--dry-run", "--days", "4294967295"]),
      "",
      "[DRY RUN] Scanning for reservations unused for 4294967295 days...\n[DRY RUN] Would expire 0 reservation(s) older than 4294967295 days\n"
    )
    expect(exists(sb.dataDir)).toBe(false)
  })

  it("the threshold applies to last_used_at only, with one 'now' for the whole run", () => {
    const live = mkdir("live")
    const t = now()
    seed(sb, [
      { path: live, port: MIN, created_at: t - 100 * DAY, last_used_at: t - 2 * DAY + 600 },
      { path: live, tag: "b", port: MIN + 1, created_at: t, last_used_at: t - 2 * DAY - 1 }
    ])
    expectOk(sb.run(["expire", "--days", "2"]), "", "Expired 1 reservation(s) older than 2 days\n")
    expect(paths()).toEqual([live])
  })
})

describe("autoclean (docs/cli.md)", () => {
  const seedMixed = () => {
    const t = now()
    const live = mkdir("b-live")
    const rows = {
      goneOld: { path: at("a-gone"), port: MIN + 30, created_at: t, last_used_at: t - 100 * DAY }, // both: counted as pruned
      goneFresh: { path: at("a-gone"), tag: "web", port: MIN + 31, created_at: t, last_used_at: t },
      liveOld: { path: live, port: MIN + 32, project: "p", created_at: t, last_used_at: t - 45 * DAY },
      liveOlder: { path: live, tag: "z", port: MIN + 33, created_at: t, last_used_at: t - 60 * DAY },
      liveFresh: { path: live, tag: "fresh", port: MIN + 34, created_at: t, last_used_at: t - 29 * DAY }
    }
    seed(sb, Object.values(rows))
    return { live, ...rows }
  }

  it("normal output: total with pruned and expired counts; a row matching both counts once, as pruned", () => {
    const r = seedMixed()
    expectOk(sb.run(["autoclean"]), "", "Removed 4 total reservation(s) (pruned: 2, expired: 2)\n")
    expect(paths()).toEqual([`${r.live}:fresh`])
    expectOk(sb.run(["autoclean"]), "", "Removed 0 total reservation(s) (pruned: 0, expired: 0)\n")
  })

  it("--verbose: the summary block, then the pruned and the expired listings", () => {
    const r = seedMixed()
    const body = [
      "  Pruned: 2 (non-existent paths)",
      "  Expired: 2 (old reservations)",
      "",
      "Pruned reservations:",
      `  - Port ${MIN + 30}: ${r.goneOld.path}`,
      `  - Port ${MIN + 31}: ${r.goneFresh.path}`,
      "",
      "Expired reservations:",
      `  - Port ${MIN + 33}: ${r.live} (60 days old)`,
      `  - Port ${MIN + 32}: ${r.live} (45 days old)`
    ]
    expectVerbose(sb.run(["autoclean", "--verbose", "--dry-run"]), [
      "[DRY RUN] Performing combined cleanup...",
      "[DRY RUN] Would remove 4 total reservation(s):",
      ...body
    ])
    expect(paths()).toHaveLength(5)
    expectVerbose(sb.run(["autoclean", "--verbose"]), ["Removed 4 total reservation(s):", ...body])
    expect(paths()).toEqual([`${r.live}:fresh`])
    expectVerbose(sb.run(["autoclean", "--verbose"]), [
      "Removed 0 total reservation(s):",
      "  Pruned: 0 (non-existent paths)",
      "  Expired: 0 (old reservations)"
    ])
  })

  it("--verbose with only expired rows has no 'Pruned reservations' section", () => {
    const live = mkdir("live")
    const t = now()
    seed(sb, [{ path: live, port: MIN, created_at: t, last_used_at: t - 3 * DAY - 1 }])
    expectVerbose(sb.run(["autoclean", "--verbose", "--days", "3"]), [
      "Removed 1 total reservation(s):",
      "  Pruned: 0 (non-existent paths)",
      "  Expired: 1 (old reservations)",
      "",
      "Expired reservations:",
      `  - Port ${MIN}: ${live} (3 days old)`
    ])
  })

  it("--dry-run (the rows as --verbose lists them) and --quiet; --days overrides the configured threshold", () => {
    const r = seedMixed()
    const pruned = `\nPruned reservations:\n  - Port ${MIN + 30}: ${r.goneOld.path}\n  - Port ${MIN + 31}: ${r.goneFresh.path}\n`
    expectOk(
      sb.run(["autoclean", "--dry-run"]),
      "",
      "[DRY RUN] Performing combined cleanup...\n[DRY RUN] Would remove 4 total reservation(s) (pruned: 2, expired: 2)\n" + pruned +
        `\nExpired reservations:\n  - Port ${MIN + 33}: ${r.live} (60 days old)\n  - Port ${MIN + 32}: ${r.live} (45 days old)\n`
    )
    expectOk(sb.run(["autoclean", "--dry-run", "--quiet"]), "4\n", "")
    // A larger threshold expires only the 60-day row; a smaller one all three live rows.
    expectOk(
      sb.run(["autoclean", "--dry-run", "--days", "50"], { env: { TROP_EXPIRE_AFTER_DAYS: "1" } }),
      "",
      "[DRY RUN] Performing combined cleanup...\n[DRY RUN] Would remove 3 total reservation(s) (pruned: 2, expired: 1)\n" + pruned +
        `\nExpired reservations:\n  - Port ${MIN + 33}: ${r.live} (60 days old)\n`
    )
    fs.writeFileSync(path.join(sb.work, "trop.yaml"), "cleanup:\n  expire_after_days: 20\n")
    expectOk(sb.run(["autoclean", "--dry-run", "--quiet"]), "5\n", "")
    expect(paths()).toHaveLength(5)
    expectOk(sb.run(["autoclean", "--quiet", "--days", "50"]), "3\n", "")
    expect(paths()).toEqual([r.live, `${r.live}:fresh`])
    expectOk(sb.run(["autoclean", "--quiet", "--days", "50"]), "", "")
  })

  it("deletes nothing on a dry run: the database rows are untouched", () => {
    seedMixed()
    const snapshot = () => withDb(sb.dataDir, (db) => db.prepare("SELECT * FROM reservations ORDER BY path, tag").all())
    const before = snapshot()
    expect(sb.run(["autoclean", "--dry-run"]).code).toBe(0)
    expect(sb.run(["prune", "--dry-run"]).code).toBe(0)
    expect(sb.run(["expire", "--dry-run", "--days", "1"]).code).toBe(0)
    expect(snapshot()).toEqual(before)
    expect(exists(dbFile(sb.dataDir))).toBe(true)
  })
})
