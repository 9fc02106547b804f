import Sqlite from "better-sqlite3"
import * as fs from "node:fs"
import * as path from "node:path"
import { afterEach, describe, expect, it } from "vitest"
import type { Result } from "../support/cli.js"
import { tempDir, tropAsync } from "../support/cli.js"

/**
 * Many real processes against one database file: the write lock taken by BEGIN
 * IMMEDIATE must serialize them so that no port is handed out twice. Each gets a busy
 * timeout far beyond what twenty short transactions need on a loaded machine (never
 * reached unless a lock is never released).
 */
const BUSY = ["--busy-timeout", "60"]
const dirs: Array<string> = []
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true })
})

const setup = (count: number) => {
  const root = tempDir("trop-race-")
  dirs.push(root)
  const dataDir = path.join(root, "data")
  const works = Array.from({ length: count }, (_, i) => {
    const dir = path.join(root, `w${String(i).padStart(2, "0")}`)
    fs.mkdirSync(dir)
    return dir
  })
  return { dataDir, works }
}

const noStackTraces = (results: ReadonlyArray<Result>) => {
  for (const r of results) expect(r.stderr).not.toMatch(/^\s+at /m)
}

describe("concurrent reserve", () => {
  it("20 processes on 20 distinct paths all get distinct ports", async () => {
    const { dataDir, works } = setup(20)
    const results = await Promise.all(works.map((cwd) => tropAsync(["--data-dir", dataDir, ...BUSY, "reserve"], { cwd })))
    noStackTraces(results)
    expect(results.map((r) => r.code)).toEqual(results.map(() => 0))
    const ports = results.map((r) => Number(r.stdout.trim()))
    expect(new Set(ports).size).toBe(20)
    for (const p of ports) expect(p).toBeGreaterThanOrEqual(5000)
    const db = new Sqlite(path.join(dataDir, "trop.db"), { readonly: true })
    const rows = db.prepare("SELECT path, port FROM reservations ORDER BY path").all() as Array<{ path: string; port: number }>
    db.close()
    expect(rows.map((r) => r.path)).toEqual(works)
  }, 180_000)

  it("20 processes racing for 11 free ports: exactly 11 win, 9 fail cleanly as exhausted", async () => {
    const { dataDir, works } = setup(20)
    const results = await Promise.all(
      works.map((cwd) => tropAsync(["--data-dir", dataDir, ...BUSY, "reserve", "--min", "50000", "--max", "50010"], { cwd }))
    )
    noStackTraces(results)
    const winners = results.filter((r) => r.code === 0)
    const losers = results.filter((r) => r.code !== 0)
    expect(winners).toHaveLength(11)
    expect(new Set(winners.map((r) => r.stdout.trim())).size).toBe(11)
    expect(losers.map((r) => r.code)).toEqual(losers.map(() => 6))
    for (const r of losers) {
      expect(r.stdout).toBe("")
      expect(r.stderr).toMatch(/^Error: port range 50000-50010 exhausted after cleanup: remaining blockers after the single retry: reserved;/)
    }
  }, 180_000)

  it("10 processes opening the same fresh data directory all succeed on one schema", async () => {
    const { dataDir, works } = setup(10)
    const results = await Promise.all(works.map((cwd) => tropAsync(["--data-dir", dataDir, ...BUSY, "list"], { cwd })))
    noStackTraces(results)
    expect(results.map((r) => r.code)).toEqual(results.map(() => 0))
    const db = new Sqlite(path.join(dataDir, "trop.db"), { readonly: true })
    const version = db.prepare("SELECT value FROM metadata WHERE key = 'schema_version'").all()
    const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all()
    db.close()
    expect(version).toEqual([{ value: "2" }])
    expect(tables).toEqual([{ name: "metadata" }, { name: "reservations" }])
  }, 180_000)
})
