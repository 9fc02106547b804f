// How trop's clients wait for the write lock (src/store/Transaction.ts, docs/database.md):
// the busy timeout is spent in slices of SQLite's busy handler, and stays the most a BEGIN
// waits. Against real SQLite files, with a second, independent connection holding the lock.
// No assertion depends on the machine being idle: the lower bounds follow from trop's own
// deadline, the upper bounds leave room for a loaded machine.
import { describe, it } from "@effect/vitest"
import * as Reactivity from "@effect/experimental/Reactivity"
import type * as SqlClient from "@effect/sql/SqlClient"
import * as SqliteClient from "@effect/sql-sqlite-node/SqliteClient"
import { SqlError } from "@effect/sql/SqlError"
import { Cause, Effect, Exit, Option } from "effect"
import { type ChildProcess, spawn } from "node:child_process"
import * as nodePath from "node:path"
import { expect } from "vitest"
import * as Database from "../../src/store/Database.js"
import { sqliteCode } from "../../src/store/SqliteErrors.js"
import { BEGIN_FAILED, withImmediateTransactions } from "../../src/store/Transaction.js"
import { tempDirScoped } from "../fixtures/Fixtures.js"
import { committed, connect } from "../support/sqlite.js"

const freshFile = Effect.map(tempDirScoped("trop-lockwait-"), (dir) => nodePath.join(dir, "trop.db"))

const open = (file: string, busyTimeoutSeconds: number) => Database.make({ file, busyTimeoutSeconds, autoInit: true })

/** Test rows live in `metadata` (every key but schema_version). */
const committedKeys = (file: string) => committed(file, "SELECT key FROM metadata WHERE key != 'schema_version' ORDER BY key")

const insert = (sql: SqlClient.SqlClient, key: string) => sql`INSERT INTO metadata (key, value) VALUES (${key}, '1')`

/** The connection's busy timeout in milliseconds. */
const busyTimeout = (sql: SqlClient.SqlClient) =>
  Effect.map(sql<{ readonly timeout: number }>`PRAGMA busy_timeout`, (rows) => rows[0]?.timeout)

/**
 * Another process holding a read transaction on `file` (a SHARED lock in rollback-journal
 * mode) for `ms` from when this resolves; killed with the scope. A reader in this process
 * could not let go while SQLite's busy handler sleeps on the main thread.
 */
const readerFor = (file: string, ms: number) =>
  Effect.acquireRelease(
    Effect.async<ChildProcess>((resume) => {
      const child = spawn(process.execPath, [
        "-e",
        `const db = new (require("better-sqlite3"))(process.argv[1]); db.exec("BEGIN"); db.prepare("SELECT count(*) FROM t").get();
        process.stdout.write("ready\\n"); setTimeout(() => { db.exec("COMMIT"); db.close() }, Number(process.argv[2]))`,
        file,
        String(ms)
      ], { stdio: ["ignore", "pipe", "inherit"] })
      child.stdout.once("data", () => resume(Effect.succeed(child)))
      child.once("error", (e) => resume(Effect.die(e)))
    }),
    (child) => Effect.sync(() => child.kill())
  )

/** The typed failure of `exit`; fails the test on success or on a defect. */
const typedFailure = <A, E>(exit: Exit.Exit<A, E>): E => {
  if (Exit.isSuccess(exit)) throw new Error("expected a failure, got a success")
  const failure = Cause.failureOption(exit.cause)
  if (Option.isNone(failure)) throw new Error(`no typed failure in:\n${Cause.pretty(exit.cause)}`)
  return failure.value
}

describe("the busy timeout is the most a BEGIN IMMEDIATE waits (docs/database.md)", () => {
  it.scopedLive("a lock held past the budget: BEGIN fails typed after the whole budget, never given up early; the busy timeout is as it was; the client works once the lock is free", () =>
    Effect.gen(function*() {
      const file = yield* freshFile
      const sql = yield* open(file, 1)
      // In WAL mode the connection rests at its first slice: about a second, at most the budget.
      const resting = yield* busyTimeout(sql)
      expect(resting).toBeGreaterThanOrEqual(750)
      expect(resting).toBeLessThanOrEqual(1000)
      const holder = yield* connect(file)
      holder.exec("BEGIN IMMEDIATE")
      holder.prepare("INSERT INTO metadata (key, value) VALUES ('theirs', '1')").run()

      const started = performance.now()
      const exit = yield* Effect.exit(sql.withTransaction(insert(sql, "ours")))
      const elapsed = performance.now() - started
      const error = typedFailure(exit)
      expect(error).toBeInstanceOf(SqlError)
      expect(error.message).toBe(BEGIN_FAILED)
      expect(sqliteCode(error)).toMatch(/^SQLITE_BUSY/)
      // The last try is made at the deadline (within its last millisecond), not before it.
      expect(elapsed).toBeGreaterThanOrEqual(999)
      // Generous: a loaded machine may be slow to run the last slice, never a second budget.
      expect(elapsed).toBeLessThan(30_000)
      // The slices changed the connection's busy timeout and set it back.
      expect(yield* busyTimeout(sql)).toBe(resting)
      expect(holder.inTransaction).toBe(true)
      expect(committedKeys(file)).toEqual([])

      holder.exec("COMMIT")
      yield* sql.withTransaction(insert(sql, "ours"))
      expect(committedKeys(file)).toEqual(["ours", "theirs"])
      expect(yield* busyTimeout(sql)).toBe(resting)
    }), 60_000)

  it.scopedLive("busy timeout 0: one attempt, no waiting, the same typed error; the busy timeout stays 0", () =>
    Effect.gen(function*() {
      const file = yield* freshFile
      const sql = yield* open(file, 0)
      const holder = yield* connect(file)
      holder.exec("BEGIN IMMEDIATE")
      const error = typedFailure(yield* Effect.exit(sql.withTransaction(insert(sql, "ours"))))
      expect(error.message).toBe(BEGIN_FAILED)
      expect(sqliteCode(error)).toMatch(/^SQLITE_BUSY/)
      expect(yield* busyTimeout(sql)).toBe(0)
      holder.exec("ROLLBACK")
      yield* sql.withTransaction(insert(sql, "ours"))
      expect(committedKeys(file)).toEqual(["ours"])
    }))

  it.scopedLive("a lock released during the wait: the waiter takes it after the holder's commit (it sees the holder's row) and commits", () =>
    Effect.gen(function*() {
      const file = yield* freshFile
      const sql = yield* open(file, 60)
      const resting = yield* busyTimeout(sql)
      expect(resting).toBeGreaterThanOrEqual(750)
      expect(resting).toBeLessThanOrEqual(1250)
      const holder = yield* connect(file)
      holder.exec("BEGIN IMMEDIATE")
      holder.prepare("INSERT INTO metadata (key, value) VALUES ('theirs', '1')").run()
      // The holder lets go from a timer: it fires between two slices of the waiter's wait.
      const release = setTimeout(() => holder.exec("COMMIT"), 300)
      yield* Effect.addFinalizer(() => Effect.sync(() => clearTimeout(release)))

      const seen = yield* sql.withTransaction(Effect.gen(function*() {
        const keys = yield* sql<{ readonly key: string }>`SELECT key FROM metadata WHERE key != 'schema_version'`
        yield* insert(sql, "ours")
        return keys.map((r) => r.key)
      }))
      // Under the lock it read what the holder committed: it began after the holder's COMMIT.
      expect(seen).toEqual(["theirs"])
      expect(holder.inTransaction).toBe(false)
      expect(committedKeys(file)).toEqual(["ours", "theirs"])
      expect(yield* busyTimeout(sql)).toBe(resting)
    }), 120_000)

  it.scopedLive("an open that has to create the schema waits the same way: a fresh file held by another writer, then let go", () =>
    Effect.gen(function*() {
      const file = yield* freshFile
      // An empty database file whose write lock another connection holds while trop opens it.
      const holder = yield* connect(file)
      holder.pragma("journal_mode = WAL")
      holder.exec("BEGIN IMMEDIATE")
      const release = setTimeout(() => holder.exec("COMMIT"), 300)
      yield* Effect.addFinalizer(() => Effect.sync(() => clearTimeout(release)))
      const sql = yield* open(file, 60)
      yield* sql.withTransaction(insert(sql, "ours"))
      expect(committedKeys(file)).toEqual(["ours"])
      expect(committed(file, "SELECT value FROM metadata WHERE key = 'schema_version'")).toEqual(["2"])
    }), 120_000)

  it.scopedLive("in rollback-journal mode the connection rests at the budget: a COMMIT waits for a reader longer than any slice", () =>
    Effect.gen(function*() {
      const file = yield* freshFile
      // What Database.make leaves when the database cannot be switched to WAL: a rollback
      // journal, the busy timeout at the budget, no restAtFirstSlice.
      const sql = withImmediateTransactions(
        yield* SqliteClient.make({ filename: file, disableWAL: true }).pipe(Effect.provide(Reactivity.layer)),
        { busyTimeoutMs: 60_000 }
      )
      yield* sql`PRAGMA busy_timeout = 60000`
      yield* sql`CREATE TABLE t (x INTEGER NOT NULL)`
      yield* sql.withTransaction(sql`INSERT INTO t (x) VALUES (1)`)
      expect(yield* busyTimeout(sql)).toBe(60_000)

      // Another process's SHARED lock, held past the longest first slice (1.25 s): the COMMIT
      // needs the EXCLUSIVE lock, so it waits in the busy handler until the reader lets go.
      yield* readerFor(file, 3000)
      yield* sql.withTransaction(sql`INSERT INTO t (x) VALUES (2)`)
      expect(committed(file, "SELECT x FROM t ORDER BY x")).toEqual([1, 2])
      expect(yield* busyTimeout(sql)).toBe(60_000)
    }), 120_000)
})
