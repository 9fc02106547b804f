// `assert-data-dir` end to end (docs/cli.md, docs/configuration.md, docs/database.md): the existence
// check, read-only validation of every kind of broken database, and lock handling. The
// command must never create or modify anything.
import Sqlite from "better-sqlite3"
import { spawnSync } from "node:child_process"
import { createHash } from "node:crypto"
import * as fs from "node:fs"
import { createRequire } from "node:module"
import * as path from "node:path"
import { afterEach, beforeEach, describe, expect, it } from "vitest"
import { startTrop } from "../support/cli.js"
import { waitingForLock } from "../support/lockWait.js"
import { dbFile, expectError, expectOk, expectPort, makeSandbox, type Sandbox, seed, withDb } from "./_helpers.js"
import { expectHinted, lockHint } from "./_hints.js"

const MIN = 41200
const MAX = 41299

let sb: Sandbox
beforeEach(() => {
  sb = makeSandbox([MIN, MAX])
})
afterEach(() => sb.cleanup())

const RECOVERY =
  "Make a copy before recovery; restore a known-good database or delete the disposable database and recreate its reservations. trop did not modify or repair the stored data"
const STACK = /^\s+at\s/m

const digest = (file: string) => `sha256:${createHash("sha256").update(fs.readFileSync(file)).digest("hex")}`

/** Every file below `dir` with a digest of its bytes (null when `dir` does not exist). */
const state = (dir: string): Record<string, string> | null => {
  const top = fs.lstatSync(dir, { throwIfNoEntry: false })
  if (top === undefined) return null
  if (top.isSymbolicLink()) return { ".": `-> ${fs.readlinkSync(dir)}` }
  if (top.isFile()) return { ".": digest(dir) }
  const out: Record<string, string> = {}
  const walk = (d: string, prefix: string) => {
    for (const entry of fs.readdirSync(d, { withFileTypes: true })) {
      const rel = path.join(prefix, entry.name)
      const full = path.join(d, entry.name)
      if (entry.isDirectory()) {
        out[`${rel}/`] = "<dir>"
        walk(full, rel)
      } else if (entry.isSymbolicLink()) {
        out[rel] = `-> ${fs.readlinkSync(full)}`
      } else {
        out[rel] = digest(full)
      }
    }
  }
  walk(dir, "")
  return out
}

/** Runs `assert-data-dir ...args` and checks that nothing under the data dir changed. */
const assertDataDir = (args: ReadonlyArray<string>, env: Record<string, string> = {}) => {
  const before = state(sb.dataDir)
  const r = sb.run(["assert-data-dir", ...args], { env })
  expect(state(sb.dataDir), "assert-data-dir changed the data directory").toEqual(before)
  expect(r.stderr).not.toMatch(STACK)
  return r
}

const notFound = () => `Assertion failed: data directory not found at ${sb.dataDir}`
const exists = () => `Assertion failed: data directory exists at ${sb.dataDir}`
const noDb = () =>
  `database corruption detected: the selected data directory does not contain ${dbFile(sb.dataDir)}; restore a known-good database or recreate disposable reservations. trop did not initialize or modify the data directory`

/** A valid schema-v2 database in the data dir (rollback journal, like a copied file). */
const validDb = () => seed(sb, [{ path: "/w/a", port: MIN }, { path: "/w/a", tag: "web", port: MIN + 1, project: "SECRET-PROJECT" }])

describe("without --validate: does the path exist (any file type)", () => {
  it("missing → exit 1; --not → exit 0; nothing created", () => {
    expectError(assertDataDir([]), 1, notFound())
    expectOk(assertDataDir(["--not"]), "")
    expect(fs.existsSync(sb.dataDir)).toBe(false)
  })

  it("an existing directory → exit 0; --not → exit 1", () => {
    fs.mkdirSync(sb.dataDir)
    expectOk(assertDataDir([]), "")
    expectError(assertDataDir(["--not"]), 1, exists())
    expect(fs.readdirSync(sb.dataDir)).toEqual([])
  })

  it("a regular file or a symlink at the path counts as existing", () => {
    fs.writeFileSync(sb.dataDir, "not a directory")
    expectOk(assertDataDir([]), "")
    expectError(assertDataDir(["--not"]), 1, exists())
    fs.rmSync(sb.dataDir)
    const target = sb.dir("elsewhere")
    fs.symlinkSync(target, sb.dataDir)
    expectOk(assertDataDir([]), "")
    expectError(assertDataDir(["--not"]), 1, exists())
  })

  it("does not look at trop.db at all, and does not resolve configuration (scope None)", () => {
    fs.mkdirSync(sb.dataDir)
    fs.writeFileSync(dbFile(sb.dataDir), "garbage")
    expectOk(assertDataDir([], { TROP_OUTPUT_FORMAT: "xml" }), "")
    // the same invalid environment is a configuration error once --validate switches to Discover
    const r = assertDataDir(["--validate"], { TROP_OUTPUT_FORMAT: "xml" })
    expect(r.code).toBe(7)
    expect(r.stdout).toBe("")
    expect(r.stderr).toMatch(/^Error: Configuration error: /)
  })

  it("--data-dir after the subcommand is the same option and wins", () => {
    const other = sb.dir("other-data")
    expectOk(sb.run(["assert-data-dir", "--data-dir", other]), "")
    expectError(sb.run(["assert-data-dir", "--data-dir", other, "--not"]), 1, `Assertion failed: data directory exists at ${other}`)
  })
})

describe("--validate: existence, then a read-only validation", () => {
  it("a missing directory is simply 'not found' (exit 1; --not → exit 0); nothing created", () => {
    expectError(assertDataDir(["--validate"]), 1, notFound())
    expectOk(assertDataDir(["--validate", "--not"]), "")
    expect(fs.existsSync(sb.dataDir)).toBe(false)
  })

  it("a directory without trop.db → exit 6 with the exact message, also with --not; nothing created", () => {
    fs.mkdirSync(sb.dataDir)
    expectError(assertDataDir(["--validate"]), 6, noDb())
    expectError(assertDataDir(["--validate", "--not"]), 6, noDb())
    expect(fs.readdirSync(sb.dataDir)).toEqual([])
  })

  it("a valid database → exit 0; --not → exit 1 'exists'", () => {
    validDb()
    expectOk(assertDataDir(["--validate"]), "")
    expectError(assertDataDir(["--validate", "--not"]), 1, exists())
  })

  it("a database trop itself created and used validates, and validating leaves no -wal/-shm/-journal behind", () => {
    expectPort(sb.run(["reserve"]))
    expectPort(sb.run(["reserve", "--tag", "web"]))
    expect(fs.readdirSync(sb.dataDir).sort()).toEqual(["trop.db"])
    expectOk(assertDataDir(["--validate", "--busy-timeout", "0"]), "")
    expect(fs.readdirSync(sb.dataDir).sort()).toEqual(["trop.db"])
  })

  it("an empty (0-byte) trop.db is not initialized: corruption, still 0 bytes", () => {
    fs.mkdirSync(sb.dataDir)
    fs.writeFileSync(dbFile(sb.dataDir), "")
    const r = assertDataDir(["--validate"])
    expect(r.code).toBe(6)
    expect(r.stdout).toBe("")
    expect(r.stderr).toMatch(
      /^Error: database corruption detected: schema metadata cannot be read because its key\/value columns are missing; .*trop did not modify or repair the stored data\n$/
    )
    expect(fs.statSync(dbFile(sb.dataDir)).size).toBe(0)
  })
})

describe("--validate on broken databases: exit 6, also with --not, file untouched", () => {
  const corrupt = (name: string, make: () => void, message: string | RegExp) => {
    it(name, () => {
      make()
      for (const args of [["--validate"], ["--validate", "--not"]]) {
        const r = assertDataDir(args)
        expect(r.code, r.stderr).toBe(6)
        expect(r.stdout).toBe("")
        if (typeof message === "string") expect(r.stderr).toBe(`Error: ${message}\n`)
        else expect(r.stderr).toMatch(message)
        expect(r.stderr).not.toContain("SECRET")
      }
    })
  }

  corrupt("a text file", () => {
    fs.mkdirSync(sb.dataDir)
    fs.writeFileSync(dbFile(sb.dataDir), "hello, this is not a database\n".repeat(100))
  }, /^Error: database corruption detected: SQLite reported physical database corruption: .+\. Make a copy before recovery; .*trop did not modify or repair the stored data\n$/)

  corrupt("schema version 3", () => {
    validDb()
    withDb(sb.dataDir, (db) => db.prepare("UPDATE metadata SET value = '3' WHERE key = 'schema_version'").run())
  }, "unsupported schema version: expected 2, found 3")

  corrupt("schema v1 (validation never migrates)", () => {
    fs.mkdirSync(sb.dataDir)
    withDb(sb.dataDir, (db) =>
      db.exec(`
        CREATE TABLE metadata (key TEXT PRIMARY KEY NOT NULL, value TEXT NOT NULL);
        CREATE TABLE reservations (path TEXT NOT NULL, tag TEXT, port INTEGER NOT NULL UNIQUE, project TEXT, task TEXT,
          created_at INTEGER NOT NULL, last_used_at INTEGER NOT NULL, PRIMARY KEY (path, tag));
        CREATE INDEX idx_reservations_port ON reservations(port);
        CREATE INDEX idx_reservations_project ON reservations(project);
        CREATE INDEX idx_reservations_last_used ON reservations(last_used_at);
        INSERT INTO metadata (key, value) VALUES ('schema_version', '1');
        INSERT INTO reservations VALUES ('/v1', NULL, ${MIN}, NULL, NULL, 1, 1);`))
  }, "database schema migration required from version 1 to 2: validation is read-only; reopen the database writable to apply the ordered migration, or validate a writable migrated copy")

  corrupt("a row with an untrimmed project (value never printed)", () => {
    validDb()
    withDb(sb.dataDir, (db) => db.prepare("UPDATE reservations SET project = ' SECRET-PROJECT' WHERE tag = 'web'").run())
  }, `database corruption detected: table=reservations, field=project, key=path="/w/a", tag="web": optional identifier must be NULL or exact trimmed nonempty text. ${RECOVERY}`)

  corrupt("a non-normal stored path", () => {
    validDb()
    withDb(sb.dataDir, (db) => db.prepare("UPDATE reservations SET path = '/w/x/../a' WHERE tag = ''").run())
  }, `database corruption detected: table=reservations, field=path, key=path="/w/x/../a", tag=<untagged>: path must already be in its absolute lexical-normal form. ${RECOVERY}`)

  corrupt("a missing named index", () => {
    validDb()
    withDb(sb.dataDir, (db) => db.exec("DROP INDEX idx_reservations_last_used"))
  }, /^Error: database corruption detected: schema v2 required index idx_reservations_last_used must be a non-unique, non-partial index .*trop did not modify or repair the stored data\n$/)

  corrupt("a table that is not STRICT", () => {
    fs.mkdirSync(sb.dataDir)
    withDb(sb.dataDir, (db) =>
      db.exec(`
        CREATE TABLE metadata (key TEXT PRIMARY KEY NOT NULL, value TEXT NOT NULL);
        CREATE TABLE reservations (path TEXT NOT NULL, tag TEXT NOT NULL, port INTEGER NOT NULL UNIQUE, project TEXT, task TEXT,
          created_at INTEGER NOT NULL, last_used_at INTEGER NOT NULL, PRIMARY KEY (path, tag));
        INSERT INTO metadata (key, value) VALUES ('schema_version', '2');`))
  }, /^Error: database corruption detected: schema v2 table columns or STRICT status do not match the required layout; .*trop did not modify or repair the stored data\n$/)
})

describe("--validate reads the WAL of a live database without writing", () => {
  it("a corrupt row committed only to the WAL (another connection open) is found; database and WAL bytes unchanged", () => {
    validDb()
    const writer = new Sqlite(dbFile(sb.dataDir))
    try {
      writer.pragma("journal_mode = WAL")
      writer.pragma("wal_autocheckpoint = 0")
      writer.prepare("INSERT INTO reservations VALUES ('relative/path', '', ?, NULL, NULL, 1, 1)").run(MIN + 5)
      expect(fs.statSync(`${dbFile(sb.dataDir)}-wal`).size).toBeGreaterThan(0)
      const db = fs.readFileSync(dbFile(sb.dataDir))
      const wal = fs.readFileSync(`${dbFile(sb.dataDir)}-wal`)
      const r = sb.run(["assert-data-dir", "--validate", "--busy-timeout", "0"])
      expectError(
        r,
        6,
        `database corruption detected: table=reservations, field=path, key=path="relative/path", tag=<untagged>: path must be absolute. ${RECOVERY}`
      )
      expect(fs.readFileSync(dbFile(sb.dataDir)).equals(db)).toBe(true)
      expect(fs.readFileSync(`${dbFile(sb.dataDir)}-wal`).equals(wal)).toBe(true)
      expect(fs.existsSync(`${dbFile(sb.dataDir)}-journal`)).toBe(false)
    } finally {
      writer.close()
    }
  })
})

/** Runs `statements` in a separate Node process on the sandbox database, which then SIGKILLs itself. */
const killedWriter = (setup: string, statements: string) => {
  const sqlite = createRequire(import.meta.url).resolve("better-sqlite3")
  const script = `const S = require(${JSON.stringify(sqlite)}); const db = new S(${JSON.stringify(dbFile(sb.dataDir))});
${setup}; ${statements}; process.kill(process.pid, "SIGKILL")`
  const r = spawnSync(process.execPath, ["-e", script], { encoding: "utf8" })
  expect(r.signal, r.stderr).toBe("SIGKILL")
}

describe("--validate never creates or modifies files left by a crashed writer (docs/cli.md, docs/database.md)", () => {
  it("WAL with committed frames but no -shm: validates; database and WAL bytes unchanged", () => {
    expectPort(sb.run(["reserve"]))
    killedWriter("db.pragma('wal_autocheckpoint = 0')", `db.prepare("INSERT INTO reservations VALUES ('/w/wal-only', '', ${MIN + 7}, NULL, NULL, 1, 1)").run()`)
    fs.rmSync(`${dbFile(sb.dataDir)}-shm`, { force: true })
    expect(fs.readdirSync(sb.dataDir).sort()).toEqual(["trop.db", "trop.db-wal"])
    const db = fs.readFileSync(dbFile(sb.dataDir))
    const wal = fs.readFileSync(`${dbFile(sb.dataDir)}-wal`)
    // Known exception (README): to read a WAL, SQLite needs its wal-index and creates the
    // missing -shm even for a read-only handle; the data files stay byte-identical.
    expectOk(sb.run(["assert-data-dir", "--validate"]), "")
    expect(fs.readFileSync(dbFile(sb.dataDir)).equals(db)).toBe(true)
    expect(fs.readFileSync(`${dbFile(sb.dataDir)}-wal`).equals(wal)).toBe(true)
  })

  it("a hot rollback journal is not rolled back by validation: trop.db bytes unchanged, journal kept", () => {
    seed(sb, [])
    withDb(sb.dataDir, (db) => {
      const insert = db.prepare("INSERT INTO reservations VALUES (?, '', ?, NULL, NULL, 1, 1)")
      db.transaction(() => {
        for (let i = 1; i <= 1500; i++) insert.run(`/w/${"x".repeat(40)}/${i}`, i)
      })()
    })
    // A writer with a tiny page cache spills changed pages into trop.db, then dies mid-transaction.
    killedWriter("db.pragma('cache_size = 2'); db.exec('BEGIN')", "db.exec('UPDATE reservations SET last_used_at = 5')")
    expect(fs.readdirSync(sb.dataDir).sort()).toEqual(["trop.db", "trop.db-journal"])
    const r = assertDataDir(["--validate", "--busy-timeout", "0"])
    expect(r.code).not.toBe(2)
    expect(r.stdout).toBe("")
  })
})

describe("lock handling (docs/database.md, docs/configuration.md)", () => {
  it("another connection holding BEGIN IMMEDIATE does not block validation in WAL mode, even with --busy-timeout 0", () => {
    expectPort(sb.run(["reserve"]))
    const holder = new Sqlite(dbFile(sb.dataDir), { timeout: 0 })
    try {
      holder.prepare("BEGIN IMMEDIATE").run()
      holder.prepare("INSERT INTO reservations VALUES ('/uncommitted', '', ?, NULL, NULL, 1, 1)").run(MIN + 9)
      expectOk(sb.run(["assert-data-dir", "--validate", "--busy-timeout", "0"]), "")
      expectError(sb.run(["assert-data-dir", "--validate", "--not", "--busy-timeout", "0"]), 1, exists())
    } finally {
      holder.prepare("ROLLBACK").run()
      holder.close()
    }
  })

  it("an EXCLUSIVE lock with --busy-timeout 0 → exit 2 naming the validation; nothing changed", () => {
    validDb()
    const before = state(sb.dataDir)
    const holder = new Sqlite(dbFile(sb.dataDir), { timeout: 0 })
    try {
      expect(holder.pragma("journal_mode", { simple: true })).toBe("delete")
      holder.prepare("BEGIN EXCLUSIVE").run()
      expectHinted(
        sb.run(["assert-data-dir", "--validate", "--busy-timeout", "0"]),
        2,
        "database lock timeout while opening and validating the database after 0s",
        lockHint(0)
      )
      // TROP_BUSY_TIMEOUT feeds the same setting
      expectHinted(
        sb.run(["assert-data-dir", "--validate", "--not"], { env: { TROP_BUSY_TIMEOUT: "0" } }),
        2,
        "database lock timeout while opening and validating the database after 0s",
        lockHint(0)
      )
    } finally {
      holder.prepare("ROLLBACK").run()
      holder.close()
    }
    expect(state(sb.dataDir)).toEqual(before)
  })

  it("with a busy timeout, validation waits for an EXCLUSIVE lock to go away and then passes", async () => {
    validDb()
    const holder = new Sqlite(dbFile(sb.dataDir), { timeout: 0 })
    holder.prepare("BEGIN EXCLUSIVE").run()
    const validation = startTrop(["--data-dir", sb.dataDir, "assert-data-dir", "--validate", "--busy-timeout", "60"], {
      cwd: sb.work,
      env: sb.baseEnv
    })
    try {
      // Seen asleep in SQLite's busy handler while the lock is held: it waits, it has not failed.
      await waitingForLock(validation, dbFile(sb.dataDir))
      expect(validation.exited()).toBe(false)
    } catch (e) {
      validation.kill()
      throw e
    } finally {
      holder.prepare("ROLLBACK").run()
      holder.close()
    }
    expectOk(await validation.done, "")
  })
})
