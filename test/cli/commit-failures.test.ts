// A transaction that cannot finish (issue: COMMIT failures as defects): the built CLI, as a
// child process, reports a typed one-line error with the right exit code (2 for a lock
// timeout, 6 with SQLite's reason for anything else) and leaves the database as it was.
// Before, each of these printed `Error: Failed to execute statement`, exit 6: a failed
// COMMIT, or the ROLLBACK after a statement SQLite had already rolled back, was a defect
// that hid SQLite's error.
import Sqlite from "better-sqlite3"
import { spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { afterEach, beforeEach, describe, expect, it } from "vitest"
import { buildV1 } from "../fixtures/SchemaV1.js"
import { stopAtCheckpoint } from "../support/checkpoint.js"
import { trop } from "../support/cli.js"
import { dbFile, expectError, expectOk, expectPort, makeSandbox, type Sandbox, withDb } from "./_helpers.js"
import { expectHinted, lockHint } from "./_hints.js"

const MIN = 41900
const MAX = 41999
const NO_PROBES = ["--skip-occupancy-check"]

let sb: Sandbox
const cleanups: Array<() => void> = []
beforeEach(() => {
  sb = makeSandbox([MIN, MAX])
})
afterEach(() => {
  for (const cleanup of cleanups.splice(0).reverse()) cleanup()
  sb.cleanup()
})

/** The data directory's file names and trop.db's bytes. */
const snapshot = (dataDir: string) => ({
  files: fs.readdirSync(dataDir).sort(),
  bytes: fs.readFileSync(dbFile(dataDir)).toString("base64")
})

const tags = (dataDir: string) =>
  withDb(dataDir, (db) => db.prepare("SELECT tag FROM reservations ORDER BY tag").pluck().all())

/** `trop --data-dir <dataDir> args...` in the sandbox (sb.run uses the sandbox's own data dir). */
const runIn = (dataDir: string, args: ReadonlyArray<string>) =>
  trop(["--data-dir", dataDir, ...args], { cwd: sb.work, env: sb.baseEnv })

const expectValid = (dataDir: string) => expectOk(runIn(dataDir, ["assert-data-dir", "--validate"]), "")

/**
 * `trop reserve --tag b` stopped inside its write transaction, after writing its row (the
 * `reserve` checkpoint of the test build): `fault` breaks the disk under it, then it goes on
 * to COMMIT. Returns how it ended.
 */
const reserveThroughFault = async (dataDir: string, fault: (pid: number) => void) => {
  const stopped = await stopAtCheckpoint({
    checkpoint: "reserve",
    args: ["--data-dir", dataDir, "reserve", "--tag", "b", ...NO_PROBES],
    cwd: sb.work,
    env: sb.baseEnv,
    scratch: sb.root
  })
  cleanups.push(stopped.kill)
  fault(stopped.pid)
  return stopped.resume()
}

/** `command args`, or why it cannot run here. */
const tryRun = (command: string, args: ReadonlyArray<string>): string | undefined => {
  const r = spawnSync(command, args, { encoding: "utf8" })
  if (r.error !== undefined) return `${command}: ${r.error.message}`
  return r.status === 0 ? undefined : `${command} ${args.join(" ")}: ${r.stderr.trim() || `exit ${r.status}`}`
}

describe("a COMMIT that fails: typed error, SQLite's reason, nothing committed", () => {
  it("a v1 database read by another connection: the migration's COMMIT times out → exit 2 naming the open; once the reader ends, the same command migrates", () => {
    fs.mkdirSync(sb.dataDir)
    const file = dbFile(sb.dataDir)
    buildV1(file, { extra: [`INSERT INTO reservations VALUES ('/w/a', 'a', ${MIN}, NULL, NULL, 1700000000, 1700000000)`] })
    const before = snapshot(sb.dataDir)
    // A SHARED lock: v1 keeps the rollback journal, so a writer can BEGIN IMMEDIATE (RESERVED)
    // and write, but its COMMIT needs the EXCLUSIVE lock this reader keeps it from.
    const reader = new Sqlite(file, { timeout: 0 })
    try {
      expect(reader.pragma("journal_mode", { simple: true })).toBe("delete")
      reader.exec("BEGIN")
      reader.prepare("SELECT count(*) FROM reservations").get()
      // What waits is the COMMIT: under this reader, another connection's BEGIN IMMEDIATE succeeds at once.
      const writer = new Sqlite(file, { timeout: 0 })
      writer.exec("BEGIN IMMEDIATE")
      writer.exec("ROLLBACK")
      writer.close()

      const blocked = sb.run(["--busy-timeout", "1", "reserve", ...NO_PROBES])
      expectHinted(blocked, 2, "database lock timeout while opening, configuring, or migrating the database after 1s", lockHint(1))
    } finally {
      reader.close()
    }
    expect(snapshot(sb.dataDir)).toEqual(before)

    expectPort(sb.run(["--busy-timeout", "1", "reserve", ...NO_PROBES]))
    withDb(sb.dataDir, (db) => {
      expect(db.prepare("SELECT value FROM metadata WHERE key = 'schema_version'").pluck().get()).toBe("2")
      expect(db.pragma("journal_mode", { simple: true })).toBe("wal")
    })
    expectValid(sb.dataDir)
  })

  it("a full filesystem at COMMIT (a 1 MiB tmpfs filled while trop is inside its transaction) → exit 6, `database or disk is full`; trop.db byte-identical", async (ctx) => {
    const mount = sb.dir("tmpfs")
    const refused = tryRun("mount", ["-t", "tmpfs", "-o", "size=1m", "tmpfs", mount])
    if (refused !== undefined) return ctx.skip(`mounting a small tmpfs needs privileges this run lacks (${refused})`)
    cleanups.push(() => spawnSync("umount", ["-l", mount]))
    const dataDir = path.join(mount, "data")
    expectPort(runIn(dataDir, ["reserve", "--tag", "a", ...NO_PROBES]))
    const before = snapshot(dataDir)
    const filler = path.join(mount, "filler")

    const r = await reserveThroughFault(dataDir, () => {
      // Every free block, so the COMMIT's first write to the -wal gets ENOSPC (SQLITE_FULL).
      const fd = fs.openSync(filler, "w")
      try {
        const chunk = Buffer.alloc(64 * 1024)
        for (;;) fs.writeSync(fd, chunk)
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== "ENOSPC") throw e
      } finally {
        fs.closeSync(fd)
      }
    })
    expectError(r, 6, "database error: database or disk is full")

    fs.rmSync(filler)
    expect(snapshot(dataDir)).toEqual(before)
    expectValid(dataDir)
    expect(tags(dataDir)).toEqual(["a"])
    expectPort(runIn(dataDir, ["reserve", "--tag", "b", ...NO_PROBES]))
    expect(tags(dataDir)).toEqual(["a", "b"])
  })

  it("a write error at COMMIT (the file-size limit lowered under trop with prlimit: EFBIG) → exit 6, `disk I/O error`; trop.db byte-identical", async (ctx) => {
    const missing = tryRun("prlimit", ["--version"])
    if (missing !== undefined) return ctx.skip(`needs util-linux prlimit (${missing})`)
    expectPort(sb.run(["reserve", "--tag", "a", ...NO_PROBES]))
    const before = snapshot(sb.dataDir)

    // 1 KiB: less than one -wal frame (header + page), more than nothing; Node ignores SIGXFSZ,
    // so the write fails with EFBIG instead of killing the process.
    const r = await reserveThroughFault(sb.dataDir, (pid) => {
      const refused = tryRun("prlimit", ["--pid", String(pid), "--fsize=1024"])
      if (refused !== undefined) throw new Error(refused)
    })
    expectError(r, 6, "database error: disk I/O error")

    expect(snapshot(sb.dataDir)).toEqual(before)
    expectValid(sb.dataDir)
    expect(tags(sb.dataDir)).toEqual(["a"])
  })

  it("a deleted -wal whose frames another connection still lists in the -shm: the read inside the write transaction fails (SQLite rolls back by itself) → exit 6, `disk I/O error`; nothing of trop's written", () => {
    expectPort(sb.run(["reserve", "--tag", "a", ...NO_PROBES]))
    const file = dbFile(sb.dataDir)
    // Committed to the -wal, not checkpointed, kept open: the -shm lists the frames.
    const holder = new Sqlite(file, { timeout: 5000 })
    try {
      expect(holder.pragma("journal_mode", { simple: true })).toBe("wal")
      holder.pragma("wal_autocheckpoint = 0")
      holder.prepare("UPDATE reservations SET task = 'holder' WHERE tag = 'a'").run()
      fs.rmSync(`${file}-wal`)

      const r = sb.run(["reserve", "--tag", "b", ...NO_PROBES])
      expectError(r, 6, "database error: disk I/O error")
    } finally {
      // The holder still has the deleted -wal open: closing checkpoints its update.
      holder.close()
    }
    expect(fs.readdirSync(sb.dataDir)).toEqual(["trop.db"])
    expectValid(sb.dataDir)
    expect(withDb(sb.dataDir, (db) => db.prepare("SELECT tag, task FROM reservations").all())).toEqual([
      { tag: "a", task: "holder" }
    ])
    expectPort(sb.run(["reserve", "--tag", "b", ...NO_PROBES]))
  })
})
