import Sqlite from "better-sqlite3"
import { spawn } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { afterEach, beforeEach, describe, expect, it } from "vitest"
import { BIN, cleanEnv, type Result } from "../support/cli.js"
import { dbFile, expectOk, makeSandbox, type Sandbox } from "./_helpers.js"

/**
 * `init --overwrite` against a database another connection is writing to: it takes the
 * write lock first, waiting up to the busy timeout, and empties the database in place, so
 * the other writer's COMMIT lands in the file init then empties.
 */

let sb: Sandbox
beforeEach(() => {
  sb = makeSandbox()
})
afterEach(() => sb.cleanup())

const lines = (...l: Array<string>) => l.map((x) => `${x}\n`).join("")

/** A second connection in the middle of a write transaction: the write lock held, one row inserted. */
const holdWriteLock = (file: string) => {
  const holder = new Sqlite(file)
  holder.exec("BEGIN IMMEDIATE")
  holder.prepare(
    "INSERT INTO reservations (path, tag, port, project, task, created_at, last_used_at) VALUES ('/held', '', 5999, NULL, NULL, 1, 1)"
  ).run()
  return holder
}

const count = (db: Sqlite.Database): number => (db.prepare("SELECT count(*) AS n FROM reservations").get() as { n: number }).n

/**
 * Runs trop in the background; `waitFor(text)` resolves once stderr contains `text` or the
 * process has exited, whichever comes first (an event, never a delay).
 */
const background = (args: ReadonlyArray<string>) => {
  const child = spawn(process.execPath, [BIN, "--data-dir", sb.dataDir, ...args], {
    cwd: sb.work,
    env: cleanEnv(sb.baseEnv),
    stdio: ["ignore", "pipe", "pipe"]
  })
  let stdout = ""
  let stderr = ""
  let exited = false
  const waiters: Array<() => void> = []
  const wake = () => {
    for (const w of waiters.splice(0)) w()
  }
  child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d))
  child.stderr.setEncoding("utf8").on("data", (d: string) => {
    stderr += d
    wake()
  })
  const done = new Promise<Result>((resolve, reject) => {
    child.on("error", reject)
    child.on("close", (code) => {
      exited = true
      wake()
      resolve({ code, stdout, stderr })
    })
  })
  const waitFor = (text: string) =>
    new Promise<void>((resolve) => {
      const check = () => {
        if (exited || stderr.includes(text)) resolve()
        else waiters.push(check)
      }
      check()
    })
  return { done, waitFor, exited: () => exited, stderr: () => stderr }
}

describe("init --overwrite takes the write lock", () => {
  it("waits for a writer holding BEGIN IMMEDIATE, then empties the file that writer committed into", async () => {
    expect(sb.run(["init"]).code).toBe(0)
    const db = dbFile(sb.dataDir)
    const inode = fs.statSync(db).ino
    const holder = holdWriteLock(db)
    try {
      // --verbose announces the lock wait on stderr: the checkpoint that init is about to wait.
      const init = background(["--verbose", "--busy-timeout", "300", "init", "--overwrite"])
      await init.waitFor(`write lock of ${db}`)
      expect(init.exited(), `init finished while another connection held the write lock:\n${init.stderr()}`).toBe(false)
      holder.exec("COMMIT")
      const r = await init.done
      expect({ code: r.code, stdout: r.stdout }).toEqual({
        code: 0,
        stdout: lines(`Initialized trop in: ${sb.dataDir}`, "  - Recreated database")
      })
      // The holder's committed row was in the same file, and init emptied it afterwards.
      expect(count(holder)).toBe(0)
      expect(fs.statSync(db).ino).toBe(inode)
    } finally {
      holder.close()
    }
    const fresh = new Sqlite(db, { readonly: true })
    try {
      expect(count(fresh)).toBe(0)
      expect(fresh.prepare("SELECT value FROM metadata WHERE key = 'schema_version'").get()).toEqual({ value: "2" })
    } finally {
      fresh.close()
    }
  })

  it("gives up after the busy timeout with exit 2 and the lock-timeout message, changing nothing", async () => {
    expect(sb.run(["init"]).code).toBe(0)
    const db = dbFile(sb.dataDir)
    const holder = holdWriteLock(db)
    try {
      const r = await background(["--busy-timeout", "1", "init", "--overwrite"]).done
      expect(r).toEqual({
        code: 2,
        stdout: "",
        // The first line as before, then the lock timeout's hint.
        stderr: "Error: database lock timeout while starting an immediate database transaction after 1s\n" +
          "hint: another process held the database lock for 1s; retry, or raise --busy-timeout\n"
      })
      holder.exec("COMMIT")
      expect(count(holder)).toBe(1)
    } finally {
      holder.close()
    }
  })

  it("a file that is not a database is still replaced, as before", () => {
    fs.mkdirSync(sb.dataDir, { recursive: true })
    fs.writeFileSync(dbFile(sb.dataDir), "not a database, just text that is long enough to have a header\n".repeat(10))
    expectOk(sb.run(["init", "--overwrite"]), lines(`Initialized trop in: ${sb.dataDir}`, "  - Recreated database"))
    const fresh = new Sqlite(dbFile(sb.dataDir), { readonly: true })
    try {
      expect(count(fresh)).toBe(0)
    } finally {
      fresh.close()
    }
  })

  it("a database of another schema version is replaced by schema v2, as before", () => {
    fs.mkdirSync(sb.dataDir, { recursive: true })
    const old = new Sqlite(dbFile(sb.dataDir))
    old.exec("CREATE TABLE metadata (key TEXT PRIMARY KEY NOT NULL, value TEXT NOT NULL); INSERT INTO metadata VALUES ('schema_version', '9'); CREATE TABLE other (x); CREATE VIEW v AS SELECT x FROM other")
    old.close()
    expectOk(sb.run(["init", "--overwrite"]), lines(`Initialized trop in: ${sb.dataDir}`, "  - Recreated database"))
    const fresh = new Sqlite(dbFile(sb.dataDir), { readonly: true })
    try {
      expect(fresh.prepare("SELECT type, name FROM sqlite_master ORDER BY type, name").all()).toEqual([
        { type: "index", name: "idx_reservations_last_used" },
        { type: "index", name: "idx_reservations_port" },
        { type: "index", name: "idx_reservations_project" },
        { type: "index", name: "sqlite_autoindex_metadata_1" },
        { type: "index", name: "sqlite_autoindex_reservations_1" },
        { type: "index", name: "sqlite_autoindex_reservations_2" },
        { type: "table", name: "metadata" },
        { type: "table", name: "reservations" }
      ])
      expect(fresh.prepare("SELECT value FROM metadata WHERE key = 'schema_version'").get()).toEqual({ value: "2" })
    } finally {
      fresh.close()
    }
  })

  it("without a database, stale companions go: a valid stale WAL does not leak in, a symlinked one is not followed", () => {
    fs.mkdirSync(sb.dataDir, { recursive: true })
    const db = dbFile(sb.dataDir)
    // A WAL with committed, never checkpointed frames of another database.
    const other = new Sqlite(db)
    other.pragma("journal_mode = WAL")
    other.pragma("wal_autocheckpoint = 0")
    other.exec("CREATE TABLE leak (x); INSERT INTO leak VALUES ('stale')")
    const wal = path.join(sb.root, "stale-wal")
    fs.copyFileSync(`${db}-wal`, wal)
    other.close()
    fs.rmSync(db)
    fs.copyFileSync(wal, `${db}-wal`)
    const junk = path.join(sb.root, "junk-shm")
    fs.writeFileSync(junk, "junk\n")
    fs.rmSync(`${db}-shm`, { force: true })
    fs.symlinkSync(junk, `${db}-shm`)
    expectOk(sb.run(["init", "--overwrite"]), lines(`Initialized trop in: ${sb.dataDir}`, "  - Recreated database"))
    expect(fs.readFileSync(junk, "utf8")).toBe("junk\n")
    expect(fs.lstatSync(`${db}-shm`, { throwIfNoEntry: false })?.isSymbolicLink() ?? false).toBe(false)
    const fresh = new Sqlite(db, { readonly: true })
    try {
      expect(fresh.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all()).toEqual([
        { name: "metadata" },
        { name: "reservations" }
      ])
    } finally {
      fresh.close()
    }
    expect(sb.run(["list"]).code).toBe(0)
  })
})
