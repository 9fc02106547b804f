// Fault injection with real processes and real files (docs/database.md, docs/configuration.md):
// a writer SIGKILLed inside its write transaction, broken database files, and
// lock contention. Uses the TROP_TEST_CHECKPOINT=<name>:<marker> hook of the test build
// (FAULTS_BIN), which stops a write transaction after its first write and writes the process
// id to <marker>.
import Sqlite from "better-sqlite3"
import { type ChildProcess, spawn } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { afterEach, beforeEach, describe, expect, it } from "vitest"
import { cleanEnv, FAULTS_BIN, type Result, type Running, startTrop, tropAsync } from "../support/cli.js"
import { waitingForLock } from "../support/lockWait.js"
import { dbFile, expectError, expectOk, expectPort, listJson, makeSandbox, type Sandbox, seed, withDb } from "./_helpers.js"
import { lockHint } from "./_hints.js"

const MIN = 41400
const MAX = 41499

let sb: Sandbox
const children: Array<ChildProcess> = []
const running: Array<Running> = []
beforeEach(() => {
  sb = makeSandbox([MIN, MAX])
})
afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL")
  for (const r of running.splice(0)) r.kill()
  sb.cleanup()
})

const STACK = /^\s+at\s/m
const LOCK = "database lock timeout while starting an immediate database transaction after 0s"
const RECOVERY =
  "Make a copy before recovery; restore a known-good database or delete the disposable database and recreate its reservations. trop did not modify or repair the stored data"
const NO_PROBES = ["--skip-occupancy-check"]

const GROUP_YAML = "reservations:\n  services:\n    web: {}\n    api: { offset: 1 }\n    db: { offset: 2 }\n"

/** A project directory with a three-service group file. */
const groupProject = (name = "proj") => {
  const dir = sb.dir(name)
  fs.writeFileSync(path.join(dir, "trop.yaml"), GROUP_YAML)
  return { dir, file: path.join(dir, "trop.yaml") }
}

const runAsync = (args: ReadonlyArray<string>, cwd = sb.work): Promise<Result> =>
  tropAsync(["--data-dir", sb.dataDir, ...args], { cwd, env: sb.baseEnv })

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

/**
 * Starts `trop args` frozen at `checkpoint` (inside its write transaction, after its first
 * write). Resolves once the marker holds the child's pid.
 */
const startFrozen = async (checkpoint: string, args: ReadonlyArray<string>, cwd = sb.work) => {
  const marker = path.join(sb.root, `marker-${checkpoint}`)
  const child = spawn(process.execPath, [FAULTS_BIN, "--data-dir", sb.dataDir, ...args], {
    cwd,
    env: cleanEnv({ ...sb.baseEnv, TROP_TEST_CHECKPOINT: `${checkpoint}:${marker}` }),
    stdio: ["ignore", "pipe", "pipe"]
  })
  children.push(child)
  let stdout = ""
  let stderr = ""
  child.stdout?.setEncoding("utf8").on("data", (d: string) => (stdout += d))
  child.stderr?.setEncoding("utf8").on("data", (d: string) => (stderr += d))
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on("close", (code, signal) => resolve({ code, signal }))
  )
  // Generous: the machine may be busy; a run that never gets there fails here, not by hanging.
  const deadline = Date.now() + 30_000
  while (!(fs.existsSync(marker) && fs.readFileSync(marker, "utf8") !== "")) {
    if (child.exitCode !== null) throw new Error(`process ended before the checkpoint: ${stdout} ${stderr}`)
    if (Date.now() > deadline) throw new Error("checkpoint never reached")
    await sleep(20)
  }
  expect(fs.readFileSync(marker, "utf8")).toBe(String(child.pid))
  const kill = async () => {
    child.kill("SIGKILL")
    const end = await exited
    expect(end.signal).toBe("SIGKILL")
    expect(stdout).toBe("")
  }
  return { child, kill }
}

const rows = () =>
  withDb(sb.dataDir, (db) =>
    db.prepare("SELECT path, tag, port, project, task FROM reservations ORDER BY path, tag").all() as Array<{
      path: string
      tag: string
      port: number
    }>)

const expectValid = () => expectOk(sb.run(["assert-data-dir", "--validate"]), "")

/** The 7 mutating commands (docs/database.md) against the sandbox. */
const mutatingCommands = (groupFile: string): ReadonlyArray<ReadonlyArray<string>> => [
  ["reserve", "--tag", "blocked", ...NO_PROBES],
  ["release"],
  ["reserve-group", groupFile, ...NO_PROBES],
  ["prune"],
  ["expire", "--days", "1"],
  ["autoclean"],
  ["migrate", "--from", path.join(sb.work, "from"), "--to", path.join(sb.work, "to")]
]

/** While the write lock is held elsewhere: readers work, every mutating command exits 2 at once. */
const duringWriteLock = async (reservedPort: number, committedRows: number, groupFile: string) => {
  const readers = await Promise.all([
    runAsync(["list", "--format", "json", "--busy-timeout", "0"]),
    runAsync(["assert-port", String(reservedPort), "--busy-timeout", "0"]),
    runAsync(["assert-reservation", "--busy-timeout", "0"])
  ])
  const [list, assertPort, assertReservation] = readers
  expect({ code: list?.code, stderr: list?.stderr }).toEqual({ code: 0, stderr: "" })
  expect(JSON.parse(list?.stdout ?? "")).toHaveLength(committedRows)
  expect(assertPort).toEqual({ code: 0, stdout: "", stderr: "" })
  expect(assertReservation).toEqual({ code: 0, stdout: `${reservedPort}\n`, stderr: "" })

  const commands = mutatingCommands(groupFile)
  const results = await Promise.all(commands.map((args) => runAsync([...args, "--busy-timeout", "0"])))
  results.forEach((r, i) => {
    expect({ command: commands[i]?.[0], code: r.code, stdout: r.stdout, stderr: r.stderr }).toEqual({
      command: commands[i]?.[0],
      code: 2,
      stdout: "",
      // The first line as before, then the lock timeout's hint.
      stderr: `Error: ${LOCK}\nhint: ${lockHint(0)}\n`
    })
  })
}

// The tests that run duringWriteLock start ten processes at once: their timeouts leave room
// for a loaded machine.
describe("a writer SIGKILLed inside its transaction leaves nothing behind (docs/database.md)", () => {
  it("reserve-group killed after the first of three rows: no partial group; readers and lock timeouts while frozen; then everything works", async () => {
    const reserved = expectPort(sb.run(["reserve", ...NO_PROBES]))
    const group = groupProject()
    const frozen = await startFrozen("reserve-group", ["reserve-group", group.file, ...NO_PROBES, "--format", "json"], group.dir)
    await duringWriteLock(reserved, 1, group.file)
    await frozen.kill()

    expectValid()
    expect(rows().filter((r) => r.path === group.dir)).toEqual([])
    expect(rows()).toHaveLength(1)
    // the same reserve-group now succeeds, in full
    const again = sb.run(["reserve-group", group.file, ...NO_PROBES, "--format", "json"], { cwd: group.dir })
    expect(again.code, again.stderr).toBe(0)
    expect(Object.keys(JSON.parse(again.stdout) as Record<string, number>).sort()).toEqual(["api", "db", "web"])
    expect(rows().filter((r) => r.path === group.dir).map((r) => r.tag)).toEqual(["api", "db", "web"])
    expectPort(sb.run(["reserve", "--tag", "after", ...NO_PROBES]))
    expectValid()
  }, 180_000)

  it("migrate killed after moving the first of three rows: every row is still at its source", async () => {
    const reserved = expectPort(sb.run(["reserve", ...NO_PROBES]))
    const from = sb.dir("src")
    const to = path.join(sb.root, "dst")
    const ports = ["a", "b", "c"].map((tag) => expectPort(sb.run(["reserve", "--path", from, "--tag", tag, ...NO_PROBES], { cwd: from })))
    const before = rows()
    const frozen = await startFrozen("migrate", ["migrate", "--from", from, "--to", to, "--recursive"])
    await duringWriteLock(reserved, 4, groupProject().file)
    await frozen.kill()

    expectValid()
    expect(rows()).toEqual(before)
    expect(rows().filter((r) => r.path === to)).toEqual([])
    // the same migration now completes, and reserve works
    const again = sb.run(["migrate", "--from", from, "--to", to, "--recursive", "--quiet"])
    expectOk(again, `${to}\n`)
    expect(rows().filter((r) => r.path !== sb.work).map((r) => [r.path, r.tag, r.port])).toEqual([
      [to, "a", ports[0]],
      [to, "b", ports[1]],
      [to, "c", ports[2]]
    ])
    expectPort(sb.run(["reserve", ...NO_PROBES]))
    expectValid()
  }, 180_000)

  it("reserve killed after writing its row: the row is not there, the same reserve then succeeds", async () => {
    expectPort(sb.run(["reserve", "--tag", "first", ...NO_PROBES]))
    const frozen = await startFrozen("reserve", ["reserve", "--tag", "killed", ...NO_PROBES])
    await frozen.kill()
    expectValid()
    expect(rows().map((r) => r.tag)).toEqual(["first"])
    expectPort(sb.run(["reserve", "--tag", "killed", ...NO_PROBES]))
    expect(rows().map((r) => r.tag)).toEqual(["first", "killed"])
  })
})

describe("a raw BEGIN IMMEDIATE elsewhere: readers work, mutating commands exit 2 (docs/database.md)", () => {
  it("every mutating command: exit 2, exact message, empty stdout, nothing committed", async () => {
    const reserved = expectPort(sb.run(["reserve", ...NO_PROBES]))
    const group = groupProject()
    const before = rows()
    const holder = new Sqlite(dbFile(sb.dataDir), { timeout: 0 })
    try {
      holder.prepare("BEGIN IMMEDIATE").run()
      await duringWriteLock(reserved, 1, group.file)
    } finally {
      holder.prepare("ROLLBACK").run()
      holder.close()
    }
    expect(rows()).toEqual(before)
  }, 180_000)
})

describe("the WAL switch on a writable open (docs/database.md)", () => {
  it("a rollback-journal database read by another connection: busy timeout 0 → exit 2 naming the open; with a timeout it waits and switches", async () => {
    seed(sb, [{ path: "/w/a", port: MIN }])
    const reader = new Sqlite(dbFile(sb.dataDir), { timeout: 0 })
    try {
      expect(reader.pragma("journal_mode", { simple: true })).toBe("delete")
      reader.exec("BEGIN")
      reader.prepare("SELECT count(*) AS n FROM reservations").get()
      const [list, reserve] = await Promise.all([
        runAsync(["list", "--busy-timeout", "0"]),
        runAsync(["reserve", "--busy-timeout", "0", ...NO_PROBES])
      ])
      for (const r of [list, reserve]) {
        expect(r).toEqual({
          code: 2,
          stdout: "",
          stderr: `Error: database lock timeout while opening, configuring, or migrating the database after 0s\nhint: ${lockHint(0)}\n`
        })
      }
      // With a timeout it waits: seen asleep in SQLite's busy handler while the reader holds
      // its lock (so it cannot have finished), and it succeeds once the reader ends.
      const waiting = startTrop(["--data-dir", sb.dataDir, "list", "--format", "json", "--busy-timeout", "60"], {
        cwd: sb.work,
        env: sb.baseEnv
      })
      running.push(waiting)
      await waitingForLock(waiting, dbFile(sb.dataDir))
      expect(waiting.exited()).toBe(false)
      reader.exec("COMMIT")
      const waited = await waiting.done
      expect({ code: waited.code, stderr: waited.stderr }).toEqual({ code: 0, stderr: "" })
      expect(JSON.parse(waited.stdout)).toHaveLength(1)
    } finally {
      if (reader.inTransaction) reader.exec("COMMIT")
      reader.close()
    }
    expect(withDb(sb.dataDir, (db) => db.pragma("journal_mode", { simple: true }))).toBe("wal")
  })
})

// ---------------------------------------------------------------------------------------
// Broken database files.

const snapshot = () => ({
  files: fs.readdirSync(sb.dataDir).sort(),
  bytes: fs.readFileSync(dbFile(sb.dataDir))
})

/** A valid database written by trop itself, with a few rows (several pages). */
const tropDatabase = () => {
  for (const tag of ["a", "b", "c", "d", "e"]) expectPort(sb.run(["reserve", "--tag", tag, "--project", `project-${tag}`, ...NO_PROBES]))
}

const V1_SCHEMA = `
  CREATE TABLE metadata (key TEXT PRIMARY KEY NOT NULL, value TEXT NOT NULL);
  CREATE TABLE reservations (path TEXT NOT NULL, tag TEXT, port INTEGER NOT NULL UNIQUE, project TEXT, task TEXT,
    created_at INTEGER NOT NULL, last_used_at INTEGER NOT NULL, PRIMARY KEY (path, tag));
  CREATE INDEX idx_reservations_port ON reservations(port);
  CREATE INDEX idx_reservations_project ON reservations(project);
  CREATE INDEX idx_reservations_last_used ON reservations(last_used_at);
  INSERT INTO metadata (key, value) VALUES ('schema_version', '1');`

const v1Database = (extra: string) => {
  fs.mkdirSync(sb.dataDir, { recursive: true })
  withDb(sb.dataDir, (db) => db.exec(V1_SCHEMA + extra))
}

interface Expect {
  readonly code: number
  readonly stderr: string | RegExp
}

interface BrokenCase {
  readonly name: string
  readonly make: () => void
  readonly list: Expect
  readonly reserve: Expect
  readonly validate: Expect
}

const expectResult = (label: string, r: Result, e: Expect) => {
  expect(r.code, `${label}: ${r.stderr}`).toBe(e.code)
  expect(r.stdout, label).toBe("")
  if (typeof e.stderr === "string") expect(r.stderr, label).toBe(`Error: ${e.stderr}\n`)
  else expect(r.stderr, label).toMatch(e.stderr)
  expect(r.stderr).not.toMatch(STACK)
}

const DB_ERROR = /^Error: database error: .+\n$/
const PHYSICAL = /^Error: database corruption detected: SQLite reported physical database corruption: .+\. Make a copy before recovery; .*trop did not modify or repair the stored data\n$/
const CORRUPT_ANY = /^Error: database corruption detected: .*trop did not modify or repair the stored data\n$/
const BLOCKED_V1 =
  "database migration from schema 1 to 2 blocked: schema v1 cannot be migrated safely because the following legacy invariants are violated: duplicate logical reservation keys=1; empty legacy tags=1; the original schema-v1 database was left unchanged. Make a copy, inspect the reported categories with sqlite3, and either correct every conflict manually or delete the disposable database and recreate reservations. trop will not choose or discard legacy rows."
const V1_READ_ONLY =
  "database schema migration required from version 1 to 2: validation is read-only; reopen the database writable to apply the ordered migration, or validate a writable migrated copy"

/** Deterministic garbage bytes. */
const garbage = (n: number) => {
  const out = Buffer.alloc(n)
  let x = 12345
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) & 0x7fffffff
    out[i] = x >> 16
  }
  return out
}

const brokenCases = (): ReadonlyArray<BrokenCase> => [
  {
    name: "garbage bytes",
    make: () => {
      fs.mkdirSync(sb.dataDir)
      fs.writeFileSync(dbFile(sb.dataDir), garbage(8192))
    },
    list: { code: 6, stderr: DB_ERROR },
    reserve: { code: 6, stderr: DB_ERROR },
    validate: { code: 6, stderr: PHYSICAL }
  },
  {
    name: "a text file",
    make: () => {
      fs.mkdirSync(sb.dataDir)
      fs.writeFileSync(dbFile(sb.dataDir), "port reservations, in plain text\n".repeat(300))
    },
    list: { code: 6, stderr: DB_ERROR },
    reserve: { code: 6, stderr: DB_ERROR },
    validate: { code: 6, stderr: PHYSICAL }
  },
  {
    name: "a valid database cut in half",
    make: () => {
      tropDatabase()
      const bytes = fs.readFileSync(dbFile(sb.dataDir))
      fs.writeFileSync(dbFile(sb.dataDir), bytes.subarray(0, Math.floor(bytes.length / 2)))
    },
    list: { code: 6, stderr: DB_ERROR },
    reserve: { code: 6, stderr: DB_ERROR },
    validate: { code: 6, stderr: CORRUPT_ANY }
  },
  {
    name: "a row that fails decoding (the reserve's own key)",
    make: () => {
      // created by trop (WAL mode, as a real data directory is), then damaged by hand
      expectOk(sb.run(["list"]), "PORT\tPATH\tTAG\tPROJECT\tTASK\tCREATED_AT\tLAST_USED_AT\n")
      seed(sb, [
        { path: "/w/other", port: MIN + 50 },
        { path: sb.work, port: MIN + 51, project: " SECRET-PROJECT" }
      ])
    },
    list: {
      code: 6,
      stderr: `database corruption detected: table=reservations, field=project, key=path=${JSON.stringify(sb.work)}, tag=<untagged>: optional identifier must be NULL or exact trimmed nonempty text. ${RECOVERY}`
    },
    reserve: {
      code: 6,
      stderr: `database corruption detected: table=reservations, field=project, key=path=${JSON.stringify(sb.work)}, tag=<untagged>: optional identifier must be NULL or exact trimmed nonempty text. ${RECOVERY}`
    },
    validate: {
      code: 6,
      stderr: `database corruption detected: table=reservations, field=project, key=path=${JSON.stringify(sb.work)}, tag=<untagged>: optional identifier must be NULL or exact trimmed nonempty text. ${RECOVERY}`
    }
  },
  {
    name: "schema version 3",
    make: () => {
      tropDatabase()
      withDb(sb.dataDir, (db) => db.prepare("UPDATE metadata SET value = '3' WHERE key = 'schema_version'").run())
    },
    list: { code: 6, stderr: "unsupported schema version: expected 2, found 3" },
    reserve: { code: 6, stderr: "unsupported schema version: expected 2, found 3" },
    validate: { code: 6, stderr: "unsupported schema version: expected 2, found 3" }
  },
  {
    name: "schema v1 with legacy violations",
    make: () =>
      v1Database(`
        INSERT INTO reservations VALUES ('/w/a', NULL, ${MIN}, NULL, NULL, 1, 1);
        INSERT INTO reservations VALUES ('/w/a', '', ${MIN + 1}, NULL, NULL, 1, 1);`),
    list: { code: 6, stderr: BLOCKED_V1 },
    reserve: { code: 6, stderr: BLOCKED_V1 },
    validate: { code: 6, stderr: V1_READ_ONLY }
  }
]

describe("broken database files: exit code and message per command; the file is left byte-identical", () => {
  const names = [
    "garbage bytes",
    "a text file",
    "a valid database cut in half",
    "a row that fails decoding (the reserve's own key)",
    "schema version 3",
    "schema v1 with legacy violations"
  ]
  for (const name of names) {
    it(name, async () => {
      const c = brokenCases().find((b) => b.name === name)
      if (c === undefined) throw new Error("no such case")
      c.make()
      const before = snapshot()
      // One after the other: run at once, the last to close could be a read-only handle,
      // which cannot remove the (empty) -wal/-shm files SQLite made for the others.
      const list = await runAsync(["list"])
      const reserve = await runAsync(["reserve", ...NO_PROBES])
      const validate = await runAsync(["assert-data-dir", "--validate"])
      if (list === undefined || reserve === undefined || validate === undefined) throw new Error("missing result")
      expectResult("list", list, c.list)
      expectResult("reserve", reserve, c.reserve)
      expectResult("assert-data-dir --validate", validate, c.validate)
      const after = snapshot()
      expect(after.files).toEqual(before.files)
      expect(after.bytes.equals(before.bytes), "trop.db bytes changed").toBe(true)
    })
  }

  it("schema v1 without violations: a reserve as the first command migrates and allocates past the migrated ports", () => {
    v1Database(`
      INSERT INTO reservations VALUES ('/w/a', NULL, ${MIN}, NULL, NULL, 1700000000, 1700000000);
      INSERT INTO reservations VALUES ('/w/b', 'x', ${MIN + 1}, NULL, NULL, 1700000000, 1700000000);`)
    expect(expectPort(sb.run(["reserve", ...NO_PROBES]))).toBe(MIN + 2)
    expect(rows().map((r) => [r.path, r.tag, r.port])).toEqual([
      [sb.work, "", MIN + 2],
      ["/w/a", "", MIN],
      ["/w/b", "x", MIN + 1]
    ].sort((a, b) => String(a[0]) < String(b[0]) ? -1 : 1))
    expectValid()
  })

  it("schema v1 without violations: validation refuses read-only (unchanged); list migrates; then everything validates", () => {
    v1Database(`
      INSERT INTO reservations VALUES ('/w/a', NULL, ${MIN}, 'p', NULL, 1700000000, 1700000000);
      INSERT INTO reservations VALUES ('/w/a', 'web', ${MIN + 1}, NULL, 't', 1700000000, 1700000001);`)
    const before = snapshot()
    expectError(sb.run(["assert-data-dir", "--validate"]), 6, V1_READ_ONLY)
    expect(snapshot().bytes.equals(before.bytes)).toBe(true)
    expect(listJson(sb).map((r) => [r.path, r.tag, r.port, r.project, r.task])).toEqual([
      ["/w/a", null, MIN, "p", null],
      ["/w/a", "web", MIN + 1, null, "t"]
    ])
    expectValid()
    const port = expectPort(sb.run(["reserve", ...NO_PROBES]))
    expect(port).toBe(MIN + 2)
    expect(withDb(sb.dataDir, (db) => db.prepare("SELECT value FROM metadata WHERE key = 'schema_version'").all())).toEqual([
      { value: "2" }
    ])
  })
})
