import Sqlite from "better-sqlite3"
import { createHash } from "node:crypto"
import * as fs from "node:fs"
import * as path from "node:path"
import { afterEach, describe, expect, it } from "vitest"
import type { Result } from "../support/cli.js"
import { tempDir, tropAsync } from "../support/cli.js"
import { SCHEMA_V2 } from "../fixtures/SchemaV2Sql.js"
import { exhaustedHint, lockHint } from "../cli/_hints.js"

/**
 * Lifecycle commands racing as real processes against one database (docs/database.md):
 * the automatic cleanup inside reserve, prune against concurrent writers, and a failed
 * migrate that must leave the database untouched.
 */

// Private port range of this file.
const MIN = 32500
const MAX = 32599

const roots: Array<string> = []
afterEach(() => {
  for (const d of roots.splice(0)) fs.rmSync(d, { recursive: true, force: true })
})

const setup = () => {
  const root = tempDir("trop-lifecycle-")
  roots.push(root)
  const dataDir = path.join(root, "data")
  const dir = (...segments: Array<string>) => {
    const p = path.join(root, ...segments)
    fs.mkdirSync(p, { recursive: true })
    return p
  }
  const env = { HOME: root, TROP_PORT_MIN: String(MIN), TROP_PORT_MAX: String(MAX), TROP_BUSY_TIMEOUT: "60" }
  const run = (args: ReadonlyArray<string>, cwd = root) => tropAsync(["--data-dir", dataDir, ...args], { cwd, env })
  return { root, dataDir, dir, run }
}


interface Row {
  readonly path: string
  readonly tag?: string
  readonly port: number
}

/** Writes a schema-v2 database with `rows` (timestamps: now). */
const seed = (dataDir: string, rows: ReadonlyArray<Row>) => {
  fs.mkdirSync(dataDir, { recursive: true })
  const db = new Sqlite(path.join(dataDir, "trop.db"))
  try {
    db.transaction(() => {
      for (const s of SCHEMA_V2) db.prepare(s).run()
      const t = Math.floor(Date.now() / 1000)
      const insert = db.prepare(
        "INSERT INTO reservations (path, tag, port, project, task, created_at, last_used_at) VALUES (?, ?, ?, NULL, NULL, ?, ?)"
      )
      for (const r of rows) insert.run(r.path, r.tag ?? "", r.port, t, t)
    }).immediate()
  } finally {
    db.close()
  }
}

const stored = (dataDir: string) => {
  const db = new Sqlite(path.join(dataDir, "trop.db"), { readonly: true })
  try {
    return db.prepare("SELECT path, tag, port FROM reservations ORDER BY path, tag").all() as Array<
      { path: string; tag: string; port: number }
    >
  } finally {
    db.close()
  }
}

const noStackTraces = (results: ReadonlyArray<Result>) => {
  for (const r of results) expect(r.stderr).not.toMatch(/^\s+at /m)
}

describe("automatic cleanup under contention (docs/concepts.md, docs/database.md)", () => {
  it("20 processes race for a full range with one prunable reservation: exactly one wins the stale port, 19 fail as exhausted, none time out", async () => {
    const { dataDir, dir, root, run } = setup()
    const lo = MIN + 10
    const hi = lo + 2
    const live1 = dir("live1")
    const live2 = dir("live2")
    const stale = path.join(root, "stale") // never created: prunable
    seed(dataDir, [
      { path: live1, port: lo },
      { path: stale, port: lo + 1 },
      { path: live2, port: hi }
    ])
    const works = Array.from({ length: 20 }, (_, i) => dir("racers", `r${String(i).padStart(2, "0")}`))
    const results = await Promise.all(works.map((cwd) => run(["reserve", "--min", String(lo), "--max", String(hi)], cwd)))
    noStackTraces(results)
    expect(results.filter((r) => r.code === 2)).toEqual([])
    const winners = results.filter((r) => r.code === 0)
    const losers = results.filter((r) => r.code !== 0)
    expect(winners).toHaveLength(1)
    expect(winners[0]?.stdout).toBe(`${lo + 1}\n`)
    expect(winners[0]?.stderr).toBe(
      "Warning: Automatic cleanup after initial port exhaustion pruned 1 and expired 0 reservation(s); allocation succeeded on the single retry.\n"
    )
    expect(losers).toHaveLength(19)
    for (const r of losers) {
      expect({ code: r.code, stdout: r.stdout, stderr: r.stderr }).toEqual({
        code: 6,
        stdout: "",
        stderr:
          `Error: port range ${lo}-${hi} exhausted after cleanup: remaining blockers after the single retry: reserved; automatic cleanup pruned 0 and expired 0 reservation(s); automatic pruning and expiration enabled\n` +
          `hint: ${exhaustedHint(3, `${lo}-${hi}`, "rolled back")}\n`
      })
    }
    const winnerDir = works[results.findIndex((r) => r.code === 0)]
    expect(stored(dataDir)).toEqual(
      [
        { path: live1, tag: "", port: lo },
        { path: live2, tag: "", port: hi },
        { path: winnerDir, tag: "", port: lo + 1 }
      ].sort((a, b) => Buffer.compare(Buffer.from(a.path ?? ""), Buffer.from(b.path ?? "")))
    )
  }, 180_000)
})

describe("prune racing writers (docs/concepts.md, docs/database.md)", () => {
  it("prunes and autocleans interleaved with 10 reserves never delete a fresh row; each stale row is removed exactly once", async () => {
    const { dataDir, dir, root, run } = setup()
    const staleCount = 6
    seed(
      dataDir,
      Array.from({ length: staleCount }, (_, i) => ({ path: path.join(root, "gone", String(i)), port: MIN + 80 + i }))
    )
    const fresh = Array.from({ length: 10 }, (_, i) => dir("fresh", `f${i}`))
    const cleaners = async () => {
      const out: Array<Result> = []
      for (const command of ["prune", "autoclean", "prune", "prune"]) {
        const [a, b] = await Promise.all([run([command]), run(["prune"])])
        if (a !== undefined) out.push(a)
        if (b !== undefined) out.push(b)
      }
      return out
    }
    const [reserves, cleanups] = await Promise.all([
      Promise.all(fresh.map((cwd, i) => run(i % 2 === 0 ? ["reserve"] : ["reserve", "--tag", "t"], cwd))),
      cleaners()
    ])
    noStackTraces([...reserves, ...cleanups])
    expect(reserves.map((r) => r.code)).toEqual(reserves.map(() => 0))
    expect(cleanups.map((r) => r.code)).toEqual(cleanups.map(() => 0))
    const ports = reserves.map((r) => Number(r.stdout.trim()))
    expect(new Set(ports).size).toBe(10)
    // Sum of what every cleaner reported = the stale rows, each counted once.
    let removed = 0
    for (const r of cleanups) {
      const m = /^Removed (\d+) (?:reservation\(s\) for non-existent paths|total reservation\(s\) \(pruned: \d+, expired: 0\))\n$/.exec(
        r.stderr
      )
      expect(m, r.stderr).not.toBeNull()
      removed += Number(m?.[1])
    }
    expect(removed).toBe(staleCount)
    // Every reserved directory still has its row, with the port it was given.
    const rows = stored(dataDir)
    expect(rows.map((r) => [r.path, r.tag, r.port])).toEqual(
      fresh.map((p, i) => [p, i % 2 === 0 ? "" : "t", ports[i]])
    )
  }, 180_000)
})

describe("lifecycle commands take the write lock; readers do not (docs/database.md)", () => {
  it("with another connection holding BEGIN IMMEDIATE, prune/expire/autoclean/migrate (dry runs too) exit 2 and commit nothing; list-projects still reads", async () => {
    const { dataDir, root, run } = setup()
    const gone = path.join(root, "gone")
    seed(dataDir, [{ path: gone, port: MIN + 1 }])
    const holder = new Sqlite(path.join(dataDir, "trop.db"))
    holder.pragma("journal_mode = WAL")
    holder.prepare("BEGIN IMMEDIATE").run()
    let results: Array<Result>
    try {
      results = await Promise.all([
        run(["--busy-timeout", "0", "prune"]),
        run(["--busy-timeout", "0", "expire", "--days", "1"]),
        run(["--busy-timeout", "0", "autoclean"]),
        run(["--busy-timeout", "0", "migrate", "--from", gone, "--to", path.join(root, "x")]),
        run(["--busy-timeout", "0", "migrate", "--from", gone, "--to", path.join(root, "x"), "--dry-run"]),
        run(["--busy-timeout", "0", "prune", "--dry-run"]),
        run(["--busy-timeout", "0", "autoclean", "--dry-run", "--quiet"]),
        run(["--busy-timeout", "0", "list-projects"]),
        run(["--busy-timeout", "0", "list", "--format", "csv"])
      ])
    } finally {
      holder.prepare("ROLLBACK").run()
      holder.close()
    }
    noStackTraces(results)
    const timeout = `Error: database lock timeout while starting an immediate database transaction after 0s\nhint: ${lockHint(0)}\n`
    const writers = results.slice(0, 7)
    for (const r of writers.slice(0, 5)) expect({ code: r.code, stdout: r.stdout, stderr: r.stderr }).toEqual({ code: 2, stdout: "", stderr: timeout })
    for (const r of writers.slice(5)) {
      // a dry run's header may precede the error line
      expect([r.code, r.stdout, r.stderr.endsWith(timeout), r.stderr.match(/^Error: /gm)?.length]).toEqual([2, "", true, 1])
    }
    expect(results[7]).toEqual({ code: 0, stdout: "", stderr: "" })
    expect(results[8]?.code).toBe(0)
    expect(results[8]?.stdout).toContain(`${MIN + 1},${gone},`)
    // Nothing was committed: the prunable row is still there.
    expect(stored(dataDir)).toEqual([{ path: gone, tag: "", port: MIN + 1 }])
  }, 180_000)
})

describe("a failed migrate changes nothing (docs/concepts.md)", () => {
  const hash = (file: string) => createHash("sha256").update(fs.readFileSync(file)).digest("hex")
  const checkpoint = (dataDir: string) => {
    const db = new Sqlite(path.join(dataDir, "trop.db"))
    try {
      db.pragma("wal_checkpoint(TRUNCATE)")
    } finally {
      db.close()
    }
  }

  it("conflicting migrates without --force (run concurrently with readers) leave the database byte-identical", async () => {
    const { dataDir, root, run } = setup()
    const src = path.join(root, "src")
    const dst = path.join(root, "dst")
    seed(dataDir, [
      { path: src, port: MIN + 1 },
      { path: src, tag: "web", port: MIN + 2 },
      { path: dst, port: MIN + 3 },
      { path: path.join(src, "child"), port: MIN + 4 }
    ])
    // Let trop switch the file to WAL once, then take the reference bytes.
    const first = await run(["list", "--format", "json"])
    expect(first.code).toBe(0)
    checkpoint(dataDir)
    const file = path.join(dataDir, "trop.db")
    const before = hash(file)
    const migrates = [
      ["migrate", "--from", src, "--to", dst],
      ["migrate", "--from", src, "--to", dst, "--recursive"],
      ["migrate", "--from", src, "--to", dst, "--dry-run"],
      ["migrate", "--from", src, "--to", path.join(src, "child"), "--recursive", "--force"],
      ["migrate", "--from", path.join(root, "nothing"), "--to", dst]
    ]
    const results = await Promise.all([
      ...migrates.map((args) => run(args)),
      run(["list", "--format", "json"]),
      run(["list-projects"])
    ])
    noStackTraces(results)
    const [m1, m2, m3, m4, m5, list] = results
    const conflict = (n: number) =>
      `Error: reservation conflict: Found ${n} conflicting reservation(s) at destination. Use --force to overwrite.\n`
    expect([m1?.code, m1?.stderr]).toEqual([6, conflict(1)])
    expect([m2?.code, m2?.stderr]).toEqual([6, conflict(1)])
    expect([m3?.code, m3?.stderr]).toEqual([6, conflict(1)])
    expect([m4?.code, m4?.stderr]).toEqual([
      6,
      "Error: reservation conflict: migration source and destination overlap: 1 destination key(s) are themselves being migrated; choose a destination outside the migrated set\n"
    ])
    expect([m5?.code, m5?.stderr]).toEqual([6, `Error: not found: reservation at ${path.join(root, "nothing")}\n`])
    expect(list?.stdout).toBe(first.stdout)
    const after = await run(["list", "--format", "json"])
    expect(after.stdout).toBe(first.stdout)
    checkpoint(dataDir)
    expect(hash(file)).toBe(before)
  }, 180_000)
})
