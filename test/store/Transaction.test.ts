// trop's immediate-transaction layer (src/store/Transaction.ts) against real SQLite files:
// busy BEGINs, COMMITs that really fail (a reader's SHARED lock in rollback-journal mode),
// the same during the v1 → v2 migration, a fault-injected COMMIT, and savepoints. The only
// non-real piece is `instrument`, which wraps a real client's connection to log (and, when
// asked, fail) the statements the transaction layer issues itself.
import * as Reactivity from "@effect/experimental/Reactivity"
import { describe, it } from "@effect/vitest"
import type * as SqlClient from "@effect/sql/SqlClient"
import type { Connection } from "@effect/sql/SqlConnection"
import { SqlError } from "@effect/sql/SqlError"
import * as SqliteClient from "@effect/sql-sqlite-node/SqliteClient"
import Sqlite from "better-sqlite3"
import { Cause, Effect, Exit, Option } from "effect"
import * as nodePath from "node:path"
import { expect } from "vitest"
import { DatabaseBusy, DatabaseFailure } from "../../src/domain/Errors.js"
import * as Database from "../../src/store/Database.js"
import { classifyAll, sqliteCode } from "../../src/store/SqliteErrors.js"
import { BEGIN_FAILED, COMMIT_FAILED, execute, onConnection, pragma, withImmediateTransactions } from "../../src/store/Transaction.js"
import { tempDirScoped } from "../fixtures/Fixtures.js"
import { buildV1 as buildFixtureV1 } from "../fixtures/SchemaV1.js"
import { committed, connect } from "../support/sqlite.js"

// ---------------------------------------------------------------------------------------------
// Helpers

/** A fresh `trop.db` path in a scoped temp directory. */
const freshFile = Effect.map(tempDirScoped("trop-tx-"), (dir) => nodePath.join(dir, "trop.db"))

/** trop's own client on `file` (WAL, schema v2, immediate transactions). */
const open = (file: string, busyTimeoutSeconds = 0) => Database.make({ file, busyTimeoutSeconds, autoInit: true })


/** Test rows live in `metadata` (every key but schema_version). */
const committedKeys = (file: string) =>
  committed(file, "SELECT key FROM metadata WHERE key != 'schema_version' ORDER BY key")

const tryBeginImmediate = (db: Sqlite.Database): string => {
  try {
    db.exec("BEGIN IMMEDIATE")
    db.exec("ROLLBACK")
    return "acquired"
  } catch (e) {
    return (e as { code?: string }).code ?? String(e)
  }
}

/** The typed failure of `exit`; fails the test on success or on any defect in the cause. */
const typedFailure = <A, E>(exit: Exit.Exit<A, E>): E => {
  if (Exit.isSuccess(exit)) throw new Error(`expected a failure, got a success: ${String(exit.value)}`)
  expect(Cause.isDie(exit.cause), `a defect instead of a typed failure:\n${Cause.pretty(exit.cause)}`).toBe(false)
  const failure = Cause.failureOption(exit.cause)
  if (Option.isNone(failure)) throw new Error(`no typed failure in:\n${Cause.pretty(exit.cause)}`)
  return failure.value
}

const sqliteError = (code: string, message: string) => Object.assign(new Error(message), { code })

/**
 * `base` with a connection that logs the statements the transaction layer runs through
 * `executeUnprepared` (BEGIN, COMMIT, ROLLBACK, SAVEPOINT, ...) and fails the next one equal
 * to `failOnce(statement, cause)` without running it. Everything else reaches the real
 * connection. The returned client gets its own immediate `withTransaction`, so `base` is
 * left as it was.
 */
const instrument = (base: SqlClient.SqlClient) => {
  const log: Array<string> = []
  const faults: Array<{ readonly statement: string; readonly cause: unknown }> = []
  const wrap = (conn: Connection): Connection => ({
    ...conn,
    // Logged when run, not when built: the transaction layer builds some effects ahead.
    executeUnprepared: (sql, params, transformRows) =>
      Effect.suspend(() => {
        log.push(sql)
        const fault = faults.findIndex((f) => f.statement === sql)
        if (fault >= 0) {
          const [injected] = faults.splice(fault, 1)
          return Effect.fail(new SqlError({ cause: injected?.cause, message: "Failed to execute statement" }))
        }
        return conn.executeUnprepared(sql, params, transformRows)
      })
  })
  const overrides: Record<PropertyKey, unknown> = { reserve: Effect.map(base.reserve, wrap) }
  const proxy = new Proxy(base, {
    get: (target, p, receiver) => (p in overrides ? overrides[p] : Reflect.get(target, p, receiver)),
    set: (_target, p, value) => {
      overrides[p] = value
      return true
    }
  })
  return {
    sql: withImmediateTransactions(proxy),
    log,
    failOnce: (statement: string, cause: unknown) => void faults.push({ statement, cause })
  }
}

/** A schema-v1 database with two rows. */
const buildV1 = (file: string) =>
  buildFixtureV1(file, {
    extra: [
      "INSERT INTO reservations VALUES ('/w/a', NULL, 5000, 'proj', NULL, 10, 20)",
      "INSERT INTO reservations VALUES ('/w/a', 'web', 5001, NULL, NULL, 11, 21)"
    ]
  })

const fileFacts = (file: string) => {
  const db = new Sqlite(file, { readonly: true })
  try {
    return {
      version: db.prepare("SELECT value FROM metadata WHERE key = 'schema_version'").pluck().get(),
      journal: db.pragma("journal_mode", { simple: true }),
      ports: db.prepare("SELECT port FROM reservations ORDER BY port").pluck().all()
    }
  } finally {
    db.close()
  }
}

// ---------------------------------------------------------------------------------------------

describe("a BEGIN IMMEDIATE that finds the write lock taken", () => {
  it.scopedLive("fails typed as BEGIN_FAILED, issues no ROLLBACK, and the same client works once the lock is free", () =>
    Effect.gen(function*() {
      const file = yield* freshFile
      const { log, sql } = instrument(yield* open(file, 0))
      const other = yield* connect(file)
      other.exec("BEGIN IMMEDIATE")
      other.prepare("INSERT INTO metadata (key, value) VALUES ('theirs', '1')").run()

      const exit = yield* Effect.exit(sql.withTransaction(sql`INSERT INTO metadata (key, value) VALUES ('ours', '1')`))
      const error = typedFailure(exit)
      expect(error).toBeInstanceOf(SqlError)
      expect(error.message).toBe(BEGIN_FAILED)
      expect(sqliteCode(error)).toMatch(/^SQLITE_BUSY/)
      // Only the BEGIN reached the connection: no ROLLBACK, no body, no COMMIT.
      expect(log).toEqual(["BEGIN IMMEDIATE"])
      // The other writer's transaction is untouched and still holds the lock.
      expect(other.inTransaction).toBe(true)
      expect(committedKeys(file)).toEqual([])

      other.exec("COMMIT")
      log.length = 0
      yield* sql.withTransaction(sql`INSERT INTO metadata (key, value) VALUES ('ours', '1')`)
      expect(log).toEqual(["BEGIN IMMEDIATE", "COMMIT"])
      expect(committedKeys(file)).toEqual(["ours", "theirs"])
    }))
})

describe("a COMMIT that fails for real (a reader's SHARED lock in rollback-journal mode)", () => {
  it.scopedLive("fails typed as COMMIT_FAILED with SQLITE_BUSY, rolls back, and the client runs the next transaction", () =>
    Effect.gen(function*() {
      const file = yield* freshFile
      const sql = withImmediateTransactions(
        yield* SqliteClient.make({ filename: file, disableWAL: true }).pipe(Effect.provide(Reactivity.layer))
      )
      yield* sql`PRAGMA busy_timeout = 0`
      expect(yield* sql<{ journal_mode: string }>`PRAGMA journal_mode`).toEqual([{ journal_mode: "delete" }])
      yield* sql`CREATE TABLE t (x INTEGER NOT NULL)`

      const reader = yield* connect(file)
      reader.exec("BEGIN")
      expect(reader.prepare("SELECT count(*) FROM t").pluck().get()).toBe(0)

      const exit = yield* Effect.exit(sql.withTransaction(sql`INSERT INTO t (x) VALUES (1)`))
      const error = typedFailure(exit)
      expect(error).toBeInstanceOf(SqlError)
      expect(error.message).toBe(COMMIT_FAILED)
      expect(sqliteCode(error)).toMatch(/^SQLITE_BUSY/)
      // Rolled back on our own connection too (an open transaction would show its own write).
      expect(yield* sql<{ n: number }>`SELECT count(*) AS n FROM t`).toEqual([{ n: 0 }])
      expect(reader.prepare("SELECT count(*) FROM t").pluck().get()).toBe(0)

      reader.exec("COMMIT")
      expect(committed(file, "SELECT x FROM t")).toEqual([])
      yield* sql.withTransaction(sql`INSERT INTO t (x) VALUES (2)`)
      expect(committed(file, "SELECT x FROM t ORDER BY x")).toEqual([2])
    }))

  it.scopedLive("blocks the v1 → v2 migration typed (DatabaseBusy), leaves the file v1, and a later open migrates", () =>
    Effect.gen(function*() {
      const dir = yield* tempDirScoped("trop-tx-mig-")
      const file = nodePath.join(dir, "trop.db")
      buildV1(file)
      const reader = yield* connect(file)
      reader.exec("BEGIN")
      expect(reader.prepare("SELECT count(*) FROM reservations").pluck().get()).toBe(2)

      const exit = yield* Effect.exit(Effect.scoped(Database.make({ file, busyTimeoutSeconds: 1, autoInit: true })))
      const error = typedFailure(exit)
      expect(error).toBeInstanceOf(DatabaseBusy)
      expect(error).toMatchObject({ _tag: "DatabaseBusy", operation: Database.OPENING, timeoutSeconds: 1 })
      reader.exec("COMMIT")
      expect(fileFacts(file)).toEqual({ version: "1", journal: "delete", ports: [5000, 5001] })

      yield* Effect.scoped(Database.make({ file, busyTimeoutSeconds: 1, autoInit: true }))
      expect(fileFacts(file)).toEqual({ version: "2", journal: "wal", ports: [5000, 5001] })
    }))
})

describe("a COMMIT that fails with a non-busy SQLite error (fault-injected)", () => {
  const injected = [["SQLITE_FULL", "database or disk is full"], ["SQLITE_IOERR_WRITE", "disk I/O error"]] as const
  for (const [code, message] of injected) {
    it.scopedLive(`${code}: DatabaseFailure naming the reason, ROLLBACK issued, the next transaction commits`, () =>
      Effect.gen(function*() {
        const file = yield* freshFile
        const { failOnce, log, sql } = instrument(yield* open(file, 0))
        failOnce("COMMIT", sqliteError(code, message))

        const exit = yield* Effect.exit(
          sql.withTransaction(sql`INSERT INTO metadata (key, value) VALUES ('lost', '1')`).pipe(classifyAll("reserve", 0))
        )
        const error = typedFailure(exit)
        expect(error).toBeInstanceOf(DatabaseFailure)
        expect(error).toMatchObject({ _tag: "DatabaseFailure", reason: message })
        expect(log).toEqual(["BEGIN IMMEDIATE", "COMMIT", "ROLLBACK"])
        expect(committedKeys(file)).toEqual([])
        // Nothing left open on our connection: another connection can take the write lock.
        const other = yield* connect(file)
        expect(tryBeginImmediate(other)).toBe("acquired")

        log.length = 0
        yield* sql.withTransaction(sql`INSERT INTO metadata (key, value) VALUES ('kept', '1')`)
        expect(log).toEqual(["BEGIN IMMEDIATE", "COMMIT"])
        expect(committedKeys(file)).toEqual(["kept"])
      }))
  }

  it.scopedLive("the raw SqlError keeps COMMIT_FAILED and the injected cause", () =>
    Effect.gen(function*() {
      const file = yield* freshFile
      const { failOnce, sql } = instrument(yield* open(file, 0))
      const cause = sqliteError("SQLITE_FULL", "database or disk is full")
      failOnce("COMMIT", cause)
      const error = typedFailure(yield* Effect.exit(sql.withTransaction(sql`SELECT 1`)))
      expect(error).toBeInstanceOf(SqlError)
      expect(error.message).toBe(COMMIT_FAILED)
      expect(error.cause).toBe(cause)
    }))
})

describe("savepoints", () => {
  it.scopedLive("a failed nested call rolls back only its own writes (and its own nested ones); the outer commit keeps the rest", () =>
    Effect.gen(function*() {
      const file = yield* freshFile
      const { log, sql } = instrument(yield* open(file, 0))
      const insert = (key: string) => sql`INSERT INTO metadata (key, value) VALUES (${key}, '1')`
      const result = yield* sql.withTransaction(Effect.gen(function*() {
        yield* insert("a-outer-1")
        const kept = yield* sql.withTransaction(insert("b-nested-ok"))
        const failed = yield* Effect.either(sql.withTransaction(Effect.gen(function*() {
          yield* insert("c-nested-failed")
          yield* sql.withTransaction(insert("d-nested-twice-ok"))
          return yield* Effect.fail("abort" as const)
        })))
        yield* insert("e-outer-2")
        // Inside the transaction the failed savepoint's rows are already gone.
        const visible = yield* sql<{ key: string }>`SELECT key FROM metadata WHERE key != 'schema_version' ORDER BY key`
        return { kept, failed, visible: visible.map((r) => r.key) }
      }))
      expect(result.failed).toMatchObject({ _tag: "Left", left: "abort" })
      expect(result.visible).toEqual(["a-outer-1", "b-nested-ok", "e-outer-2"])
      expect(committedKeys(file)).toEqual(["a-outer-1", "b-nested-ok", "e-outer-2"])
      expect(log).toEqual([
        "BEGIN IMMEDIATE",
        "SAVEPOINT trop_savepoint_1",
        "RELEASE SAVEPOINT trop_savepoint_1",
        "SAVEPOINT trop_savepoint_1",
        "SAVEPOINT trop_savepoint_2",
        "RELEASE SAVEPOINT trop_savepoint_2",
        "ROLLBACK TO SAVEPOINT trop_savepoint_1",
        "RELEASE SAVEPOINT trop_savepoint_1",
        "COMMIT"
      ])
    }))

  it.scopedLive("concurrent nested calls at one level take turns: all succeed, a failing one undoes only itself", () =>
    Effect.gen(function*() {
      const file = yield* freshFile
      const sql = yield* open(file, 0)
      let inside = 0
      let mostInside = 0
      const nested = (key: string, fail: boolean) =>
        sql.withTransaction(Effect.gen(function*() {
          inside++
          mostInside = Math.max(mostInside, inside)
          yield* sql`INSERT INTO metadata (key, value) VALUES (${key}, '1')`
          // Give the other fibers every chance to interleave.
          for (let i = 0; i < 5; i++) yield* Effect.yieldNow()
          yield* sql`UPDATE metadata SET value = '2' WHERE key = ${key}`
          inside--
          if (fail) return yield* Effect.fail(key)
          return key
        }))

      const keys = Array.from({ length: 12 }, (_, i) => `all-${String(i).padStart(2, "0")}`)
      const results = yield* sql.withTransaction(
        Effect.all(keys.map((k) => nested(k, false)), { concurrency: "unbounded" })
      )
      expect(results).toEqual(keys)
      expect(mostInside).toBe(1)
      expect(committed(file, "SELECT key || '=' || value FROM metadata WHERE key LIKE 'all-%' ORDER BY key")).toEqual(
        keys.map((k) => `${k}=2`)
      )

      mostInside = 0
      const mixed = Array.from({ length: 12 }, (_, i) => ({ key: `mix-${String(i).padStart(2, "0")}`, fail: i % 3 === 0 }))
      const outcomes = yield* sql.withTransaction(
        Effect.all(mixed.map(({ fail, key }) => Effect.either(nested(key, fail))), { concurrency: "unbounded" })
      )
      expect(outcomes.map((o) => o._tag)).toEqual(mixed.map(({ fail }) => (fail ? "Left" : "Right")))
      expect(mostInside).toBe(1)
      expect(committed(file, "SELECT key || '=' || value FROM metadata WHERE key LIKE 'mix-%' ORDER BY key")).toEqual(
        mixed.filter(({ fail }) => !fail).map(({ key }) => `${key}=2`)
      )
    }))

  it.scopedLive("nesting never crosses clients: client A inside client B's transaction opens its own BEGIN IMMEDIATE", () =>
    Effect.gen(function*() {
      const fileA = yield* freshFile
      const fileB = yield* freshFile
      const a = instrument(yield* open(fileA, 0))
      const b = instrument(yield* open(fileB, 0))
      const otherA = yield* connect(fileA)
      const otherB = yield* connect(fileB)

      const seen = yield* b.sql.withTransaction(Effect.gen(function*() {
        yield* b.sql`INSERT INTO metadata (key, value) VALUES ('b-before', '1')`
        const lockedDuringA = yield* a.sql.withTransaction(Effect.gen(function*() {
          // A holds A's write lock itself, from its BEGIN on (before any write).
          const locked = tryBeginImmediate(otherA)
          yield* a.sql`INSERT INTO metadata (key, value) VALUES ('a-row', '1')`
          return locked
        }))
        // A committed on its own, while B's transaction is still open and holds B's lock.
        const aCommitted = committedKeys(fileA)
        const bCommittedSoFar = committedKeys(fileB)
        const lockedB = tryBeginImmediate(otherB)
        const aRowsOnB = yield* b.sql<{ n: number }>`SELECT count(*) AS n FROM metadata WHERE key = 'a-row'`
        yield* b.sql`INSERT INTO metadata (key, value) VALUES ('b-after', '1')`
        return { lockedDuringA, aCommitted, bCommittedSoFar, lockedB, aRowsOnB }
      }))
      expect(seen).toEqual({
        lockedDuringA: "SQLITE_BUSY",
        aCommitted: ["a-row"],
        bCommittedSoFar: [],
        lockedB: "SQLITE_BUSY",
        aRowsOnB: [{ n: 0 }]
      })
      expect(a.log).toEqual(["BEGIN IMMEDIATE", "COMMIT"])
      expect(b.log).toEqual(["BEGIN IMMEDIATE", "COMMIT"])
      expect(committedKeys(fileB)).toEqual(["b-after", "b-before"])

      // B failing afterwards does not undo A's separate commit.
      a.log.length = 0
      const failed = yield* Effect.either(b.sql.withTransaction(Effect.gen(function*() {
        yield* a.sql.withTransaction(a.sql`INSERT INTO metadata (key, value) VALUES ('a-second', '1')`)
        return yield* Effect.fail("b aborts" as const)
      })))
      expect(failed).toMatchObject({ _tag: "Left", left: "b aborts" })
      expect(a.log).toEqual(["BEGIN IMMEDIATE", "COMMIT"])
      expect(committedKeys(fileA)).toEqual(["a-row", "a-second"])
      expect(committedKeys(fileB)).toEqual(["b-after", "b-before"])
    }))
})

describe("statements on the held connection (Transaction.execute, onConnection, pragma)", () => {
  const busyTimeout = (sql: SqlClient.SqlClient) =>
    Effect.map(sql<{ readonly timeout: number }>`PRAGMA busy_timeout`.unprepared, ([row]) => row?.timeout)

  it.scoped("a pragma takes effect every time it runs, also a text that ran before", () =>
    Effect.gen(function*() {
      const sql = yield* open(yield* freshFile)
      for (const held of [false, true]) {
        const run = <A, E, R>(effect: Effect.Effect<A, E, R>) => held ? onConnection(sql)(effect) : effect
        yield* run(pragma(sql, "busy_timeout = 1234"))
        yield* run(pragma(sql, "busy_timeout = 2345"))
        yield* run(pragma(sql, "busy_timeout = 1234"))
        expect(yield* busyTimeout(sql)).toBe(1234)
      }
    }))

  it.scoped("onConnection: statements and a transaction started inside run on the one connection, and commit", () =>
    Effect.gen(function*() {
      const file = yield* freshFile
      const sql = yield* open(file)
      const inside = yield* onConnection(sql)(Effect.gen(function*() {
        yield* execute(sql, sql`INSERT INTO metadata (key, value) VALUES ('autocommit', '1')`)
        yield* sql.withTransaction(execute(sql, sql`INSERT INTO metadata (key, value) VALUES ('in-transaction', '1')`))
        return yield* execute(sql, sql<{ readonly key: string }>`SELECT key FROM metadata WHERE key != 'schema_version' ORDER BY key`)
      }))
      expect(inside.map((r) => r.key)).toEqual(["autocommit", "in-transaction"])
      expect(committedKeys(file)).toEqual(["autocommit", "in-transaction"])
      // The connection is free again: a transaction outside takes it.
      yield* sql.withTransaction(execute(sql, sql`INSERT INTO metadata (key, value) VALUES ('after', '1')`))
      expect(committedKeys(file)).toEqual(["after", "autocommit", "in-transaction"])
    }))

  it.scoped("execute in a failed transaction: its writes are rolled back with the transaction", () =>
    Effect.gen(function*() {
      const file = yield* freshFile
      const sql = yield* open(file)
      const failed = yield* Effect.either(sql.withTransaction(Effect.gen(function*() {
        yield* execute(sql, sql`INSERT INTO metadata (key, value) VALUES ('doomed', '1')`)
        return yield* Effect.fail("abort" as const)
      })))
      expect(failed).toMatchObject({ _tag: "Left", left: "abort" })
      expect(committedKeys(file)).toEqual([])
    }))
})
