import Sqlite from "better-sqlite3"
import { spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { afterEach, beforeEach, describe, expect, it } from "vitest"
import { asNobody, NOBODY } from "../support/asNobody.js"
import { type Result, tropAsync } from "../support/cli.js"
import { dbFile, makeSandbox, type Sandbox } from "./_helpers.js"

/**
 * Read-only access to trop.db leaves nothing behind. SQLite reads a WAL database through
 * its -wal and -shm files; a process that may not write trop.db must not leave them
 * (with trop.db's read-only mode) for a later writer to trip over. The suite runs as
 * root, whom file modes do not stop, so trop runs as `nobody`, from a copy of the build
 * that nobody can read (the checkout may be private): ../support/asNobody.ts.
 */

// Private port range of this file.
const MIN = 33800
const MAX = 33899

const repo = fileURLToPath(new URL("../..", import.meta.url))

const nobody = asNobody()

let sb: Sandbox
beforeEach(() => {
  sb = makeSandbox([MIN, MAX])
  // nobody must reach the data directory, the work directory and its HOME.
  fs.chmodSync(sb.root, 0o755)
  fs.chownSync(sb.home, NOBODY, NOBODY)
})
afterEach(() => sb.cleanup())

const asNobodyOrFail = () => {
  if (typeof nobody === "string") throw new Error(nobody)
  return nobody
}

const runAsNobody = (args: ReadonlyArray<string>): Result =>
  asNobodyOrFail().run(["--data-dir", sb.dataDir, ...args], { cwd: sb.work, env: sb.baseEnv })

const runAsNobodyAsync = (args: ReadonlyArray<string>): Promise<Result> =>
  asNobodyOrFail().runAsync(["--data-dir", sb.dataDir, ...args], { cwd: sb.work, env: sb.baseEnv })

/** A data directory owned by nobody holding one reservation of `sb.work`, trop.db made read-only. */
const readOnlyDatabase = () => {
  const made = sb.run(["reserve"])
  expect(made.code, made.stderr).toBe(0)
  for (const p of [sb.dataDir, dbFile(sb.dataDir)]) fs.chownSync(p, NOBODY, NOBODY)
  fs.chmodSync(dbFile(sb.dataDir), 0o444)
  expect(fs.readdirSync(sb.dataDir)).toEqual(["trop.db"])
  return Number(made.stdout)
}

const files = () => fs.readdirSync(sb.dataDir).sort()

const ok = (r: Result) => {
  expect(r.code, r.stderr).toBe(0)
  return r.stdout
}

describe.skipIf(typeof nobody === "string")(`a trop.db this process may not write${typeof nobody === "string" ? ` — SKIPPED: ${nobody}` : ""}`, () => {
  it("list leaves no -wal/-shm behind; after chmod 644 a reserve works", () => {
    const port = readOnlyDatabase()
    expect(ok(runAsNobody(["list"]))).toContain(`${port}\t`)
    expect(files()).toEqual(["trop.db"])
    fs.chmodSync(dbFile(sb.dataDir), 0o644)
    expect(ok(runAsNobody(["reserve", "--path", path.join(sb.work, "later")]))).toMatch(/^\d+\n$/)
    expect(files()).toEqual(["trop.db"])
  })

  it("dry runs, lookups and validation work as before and leave nothing behind", () => {
    const port = readOnlyDatabase()
    const dryRun = runAsNobody(["reserve", "--dry-run", "--path", path.join(sb.work, "new")])
    expect(dryRun.code, dryRun.stderr).toBe(0)
    expect(dryRun.stderr).toContain("Reserve port")
    ok(runAsNobody(["autoclean", "--dry-run"]))
    expect(ok(runAsNobody(["assert-reservation"]))).toBe(`${port}\n`)
    expect(ok(runAsNobody(["port-info", String(port)]))).toContain(`Path: ${sb.work}`)
    ok(runAsNobody(["assert-data-dir", "--validate"]))
    ok(runAsNobody(["list-projects"]))
    expect(files()).toEqual(["trop.db"])
  })

  it("a write fails as before (attempt to write a readonly database) and leaves nothing behind", () => {
    readOnlyDatabase()
    const r = runAsNobody(["reserve", "--path", path.join(sb.work, "new")])
    expect(r.code).toBe(6)
    expect(r.stderr).toContain("attempt to write a readonly database")
    expect(files()).toEqual(["trop.db"])
  })

  it("rows a live writer holds in its WAL are read; its files stay as they were", () => {
    readOnlyDatabase()
    const writer = new Sqlite(dbFile(sb.dataDir))
    try {
      writer.pragma("wal_autocheckpoint = 0")
      writer.prepare("INSERT INTO reservations (path, tag, port, project, task, created_at, last_used_at) VALUES (?, '', ?, NULL, NULL, 1, 1)")
        .run(path.join(sb.work, "in-wal"), MAX)
      const before = files()
      expect(before).toEqual(["trop.db", "trop.db-shm", "trop.db-wal"])
      expect(ok(runAsNobody(["list"]))).toContain(`${MAX}\t`)
      expect(files()).toEqual(before)
    } finally {
      writer.close()
    }
  })

  it("a crashed writer's WAL without its -shm is read, and nothing is added", () => {
    readOnlyDatabase()
    // A writer killed before its checkpoint leaves its committed rows in the -wal.
    const script = [
      "const db = new (require('better-sqlite3'))(process.argv[1])",
      "db.pragma('wal_autocheckpoint = 0')",
      `db.prepare("INSERT INTO reservations (path, tag, port, project, task, created_at, last_used_at) VALUES ('/crashed', '', ${MAX}, NULL, NULL, 1, 1)").run()`,
      "process.kill(process.pid, 'SIGKILL')"
    ].join(";")
    spawnSync(process.execPath, ["-e", script, dbFile(sb.dataDir)], { cwd: repo })
    fs.rmSync(`${dbFile(sb.dataDir)}-shm`)
    expect(files()).toEqual(["trop.db", "trop.db-wal"])
    expect(ok(runAsNobody(["list"]))).toContain(`${MAX}\t`)
    expect(files()).toEqual(["trop.db", "trop.db-wal"])
  })

  it("reads while a writer commits and checkpoints: every read succeeds, each a consistent state", async () => {
    readOnlyDatabase()
    // root may write the 0444 file; each run opens, commits, checkpoints and removes its -wal/-shm.
    const writer = (async () => {
      for (let i = 0; i < 15; i++) {
        const r = await tropAsync(["--data-dir", sb.dataDir, "--busy-timeout", "60", "reserve", "--path", path.join(sb.work, `w${i}`)], {
          cwd: sb.work,
          env: sb.baseEnv
        })
        expect(r.code, r.stderr).toBe(0)
      }
    })()
    const reader = (async () => {
      const counts: Array<number> = []
      for (let i = 0; i < 15; i++) {
        const r = await runAsNobodyAsync(["--busy-timeout", "60", "list", "--format", "json"])
        expect(r.code, r.stderr).toBe(0)
        counts.push((JSON.parse(r.stdout) as ReadonlyArray<unknown>).length)
      }
      return counts
    })()
    const [, counts] = await Promise.all([writer, reader])
    // Rows only ever appear: each read saw a committed state, never a torn copy.
    expect([...counts].sort((a, b) => a - b)).toEqual(counts)
    // A reader open while the writer closes keeps the writer from removing its -wal/-shm
    // (SQLite's rule); the writer's next run does.
    expect(sb.run(["list"]).code).toBe(0)
    expect(files()).toEqual(["trop.db"])
  }, 180_000)
})
