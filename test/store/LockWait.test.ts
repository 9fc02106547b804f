// How trop's clients wait for the write lock (src/store/Transaction.ts, docs/database.md):
// the busy timeout is spent in slices of SQLite's busy handler, and stays the most a BEGIN
// waits. Against real SQLite files, with a second, independent connection holding the lock.
// No assertion depends on the machine being idle: the lower bounds follow from trop's own
// deadline, the upper bounds leave room for a loaded machine.
import { describe, it } from "@effect/vitest"
import type * as SqlClient from "@effect/sql/SqlClient"
import { SqlError } from "@effect/sql/SqlError"
import { Cause, Effect, Exit, Option } from "effect"
import * as nodePath from "node:path"
import { expect } from "vitest"
import * as Database from "../../src/store/Database.js"
import { sqliteCode } from "../../src/store/SqliteErrors.js"
import { BEGIN_FAILED } from "../../src/store/Transaction.js"
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

/** The typed failure of `exit`; fails the test on success or on a defect. */
const typedFailure = <A, E>(exit: Exit.Exit<A, E>): E => {
  if (Exit.isSuccess(exit)) throw new Error("expected a failure, got a success")
  const failure = Cause.failureOption(exit.cause)
  if (Option.isNone(failure)) throw new Error(`no typed failure in:\n${Cause.pretty(exit.cause)}`)
  return failure.value
}

describe("the busy timeout is the most a BEGIN IMMEDIATE waits (docs/database.md)", () => {
  it.scopedLive("a lock held past the budget: BEGIN fails typed after the whole budget, never given up early; the busy timeout is the budget again; the client works once the lock is free", () =>
    Effect.gen(function*() {
      const file = yield* freshFile
      const sql = yield* open(file, 1)
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
      // The slices changed the connection's busy timeout; a COMMIT gets the whole budget again.
      expect(yield* busyTimeout(sql)).toBe(1000)
      expect(holder.inTransaction).toBe(true)
      expect(committedKeys(file)).toEqual([])

      holder.exec("COMMIT")
      yield* sql.withTransaction(insert(sql, "ours"))
      expect(committedKeys(file)).toEqual(["ours", "theirs"])
      expect(yield* busyTimeout(sql)).toBe(1000)
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
      expect(yield* busyTimeout(sql)).toBe(60_000)
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
})
