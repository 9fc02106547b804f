// Waiting for the write lock with real processes (docs/database.md, "Waiting for the lock"):
// a reserve that finds the lock held waits for it in SQLite's busy handler and gets it when
// the holder lets go; one that never gets it fails after its busy timeout exactly as
// before; and a burst of processes starting at once, with the default busy timeout, all get
// distinct ports with no lock timeout.
import Sqlite from "better-sqlite3"
import { performance } from "node:perf_hooks"
import * as fs from "node:fs"
import * as path from "node:path"
import { afterEach, describe, expect, it } from "vitest"
import type { Result, Running } from "../support/cli.js"
import { startTrop, tempDir, tropAsync } from "../support/cli.js"
import { waitingForLock } from "../support/lockWait.js"

const roots: Array<string> = []
const running: Array<Running> = []
const holders: Array<Sqlite.Database> = []
afterEach(() => {
  for (const r of running.splice(0)) r.kill()
  for (const h of holders.splice(0)) {
    if (h.inTransaction) h.exec("ROLLBACK")
    h.close()
  }
  for (const r of roots.splice(0)) fs.rmSync(r, { recursive: true, force: true })
})

/** A data directory with its database created, and `count` fresh working directories (`work` the first). */
const setup = async (count: number) => {
  const root = tempDir("trop-lockwait-")
  roots.push(root)
  const dataDir = path.join(root, "data")
  const works = Array.from({ length: count }, (_, i) => {
    const dir = path.join(root, `w${String(i).padStart(2, "0")}`)
    fs.mkdirSync(dir)
    return dir
  })
  const created = await tropAsync(["--data-dir", dataDir, "list"], { cwd: root })
  expect(created.code, created.stderr).toBe(0)
  const [work] = works
  if (work === undefined) throw new Error("no working directory")
  return { root, dataDir, file: path.join(dataDir, "trop.db"), works, work }
}

/** Another connection holding the write lock (a BEGIN IMMEDIATE of its own). */
const holdLock = (file: string) => {
  const holder = new Sqlite(file, { timeout: 0 })
  holders.push(holder)
  holder.exec("BEGIN IMMEDIATE")
  return holder
}

const rows = (file: string) => {
  const db = new Sqlite(file, { readonly: true })
  try {
    return db.prepare("SELECT path, port FROM reservations ORDER BY path").all() as Array<{ path: string; port: number }>
  } finally {
    db.close()
  }
}

const noStackTraces = (results: ReadonlyArray<Result>) => {
  for (const r of results) expect(r.stderr).not.toMatch(/^\s+at /m)
}

describe("a reserve that finds the write lock held (docs/database.md)", () => {
  it("waits for it (seen asleep in SQLite's busy handler) and reserves once the holder lets go", async () => {
    const { dataDir, file, work } = await setup(1)
    const holder = holdLock(file)
    const waiter = startTrop(["--data-dir", dataDir, "--busy-timeout", "60", "reserve"], { cwd: work })
    running.push(waiter)
    await waitingForLock(waiter, file)
    expect(waiter.exited()).toBe(false)
    holder.exec("COMMIT")
    const r = await waiter.done
    expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: "" })
    expect(rows(file)).toEqual([{ path: work, port: Number(r.stdout.trim()) }])
  }, 180_000)

  it("never gets it: exit 2 with the same message as ever, after the whole busy timeout; nothing printed or committed", async () => {
    const { dataDir, file, work } = await setup(1)
    holdLock(file)
    const started = performance.now()
    const waiter = startTrop(["--data-dir", dataDir, "--busy-timeout", "2", "reserve"], { cwd: work })
    running.push(waiter)
    await waitingForLock(waiter, file)
    const r = await waiter.done
    const elapsed = performance.now() - started
    expect(r).toEqual({
      code: 2,
      stdout: "",
      stderr: "Error: database lock timeout while starting an immediate database transaction after 2s\n" +
        "hint: another process held the database lock for 2s; retry, or raise --busy-timeout\n"
    })
    // It cannot have given up before its deadline (started after the spawn); the upper bound
    // only rules out a second budget on a loaded machine.
    expect(elapsed).toBeGreaterThanOrEqual(2000)
    expect(elapsed).toBeLessThan(60_000)
    expect(rows(file)).toEqual([])
  }, 180_000)
})

describe("a burst of reserves with the default busy timeout (docs/database.md)", () => {
  it("20 processes started at once, twice: no lock timeout, distinct ports, one row per process at the port it printed", async () => {
    const { dataDir, file, works } = await setup(40)
    const results: Array<Result> = []
    for (const round of [works.slice(0, 20), works.slice(20)]) {
      results.push(...await Promise.all(round.map((cwd) => tropAsync(["--data-dir", dataDir, "reserve"], { cwd }))))
    }
    noStackTraces(results)
    expect(results.map((r) => ({ code: r.code, stderr: r.stderr }))).toEqual(results.map(() => ({ code: 0, stderr: "" })))
    const ports = results.map((r) => Number(r.stdout.trim()))
    expect(new Set(ports).size).toBe(40)
    expect(rows(file)).toEqual(works.map((w, i) => ({ path: w, port: ports[i] })))
  }, 300_000)
})
