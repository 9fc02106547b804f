import { it } from "@effect/vitest"
import * as SqlClient from "@effect/sql/SqlClient"
import Sqlite from "better-sqlite3"
import { Effect } from "effect"
import * as path from "node:path"
import { expect } from "vitest"
import * as Database from "../../src/store/Database.js"
import { tempDir } from "../support/cli.js"

/** A second, independent connection that must not wait for locks. */
const otherConnection = (file: string) => {
  const db = new Sqlite(file, { timeout: 0 })
  db.pragma("busy_timeout = 0")
  return db
}

const open = (file: string) => Database.make({ file, busyTimeoutSeconds: 0, autoInit: true })

it.scoped("withTransaction takes the write lock at BEGIN, before any write (never a deferred BEGIN)", () =>
  Effect.gen(function*() {
    const file = path.join(tempDir(), "trop.db")
    const sql = yield* open(file)
    const other = otherConnection(file)
    const outcome = yield* sql.withTransaction(Effect.gen(function*() {
      // Only a read so far: under a deferred BEGIN nobody would hold the write lock yet.
      yield* sql`SELECT count(*) AS n FROM reservations`
      return yield* Effect.either(Effect.try(() => other.prepare("BEGIN IMMEDIATE").run()))
    }))
    if (other.inTransaction) other.prepare("ROLLBACK").run()
    other.close()
    expect(outcome._tag).toBe("Left")
    if (outcome._tag === "Left") expect(String(outcome.left.error)).toMatch(/SQLITE_BUSY|database is locked/)
  }))

it.scoped("a writer holding the lock makes BEGIN fail as busy with the operation named", () =>
  Effect.gen(function*() {
    const file = path.join(tempDir(), "trop.db")
    const sql = yield* open(file)
    const other = otherConnection(file)
    other.prepare("BEGIN IMMEDIATE").run()
    const result = yield* Effect.either(sql.withTransaction(sql`SELECT 1`))
    other.prepare("ROLLBACK").run()
    other.close()
    expect(result._tag).toBe("Left")
    if (result._tag === "Left") expect(result.left.message).toBe("Failed to begin an immediate transaction")
  }))

it.scoped("nested withTransaction calls become savepoints that roll back alone", () =>
  Effect.gen(function*() {
    const file = path.join(tempDir(), "trop.db")
    const sql = yield* open(file)
    yield* sql.withTransaction(Effect.gen(function*() {
      yield* sql`INSERT INTO metadata (key, value) VALUES ('outer', '1')`
      yield* Effect.either(sql.withTransaction(Effect.gen(function*() {
        yield* sql`INSERT INTO metadata (key, value) VALUES ('inner', '1')`
        return yield* Effect.fail("abort inner")
      })))
    }))
    const rows = yield* sql<{ key: string }>`SELECT key FROM metadata WHERE key IN ('outer', 'inner') ORDER BY key`
    expect(rows.map((r) => r.key)).toEqual(["outer"])
  }))

it.scoped("a dry run sees its own writes and leaves nothing behind", () =>
  Effect.gen(function*() {
    const file = path.join(tempDir(), "trop.db")
    const sql = yield* open(file)
    const seen = yield* Database.rolledBack(Effect.gen(function*() {
      yield* sql`INSERT INTO metadata (key, value) VALUES ('dry', '1')`
      return yield* sql<{ n: number }>`SELECT count(*) AS n FROM metadata WHERE key = 'dry'`
    })).pipe(Effect.provideService(SqlClient.SqlClient, sql))
    expect(seen[0]?.n).toBe(1)
    const after = yield* sql<{ n: number }>`SELECT count(*) AS n FROM metadata WHERE key = 'dry'`
    expect(after[0]?.n).toBe(0)
  }))
