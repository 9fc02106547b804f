import * as SqlClient from "@effect/sql/SqlClient"
import { describe, it } from "@effect/vitest"
import Sqlite from "better-sqlite3"
import { Effect } from "effect"
import * as fs from "node:fs"
import * as nodePath from "node:path"
import { expect } from "vitest"
import * as Database from "../../src/store/Database.js"
import * as Reservations from "../../src/store/Reservations.js"
import * as SchemaV2 from "../../src/store/SchemaV2.js"
import { freshDatabase, reservation, tempDirScoped } from "../fixtures/Fixtures.js"
import { STORED_TABLE_SQL } from "../fixtures/SchemaV2Sql.js"

const open = (file: string, autoInit = true) => Database.make({ file, busyTimeoutSeconds: 0, autoInit })

/** Reads a file's schema facts with a raw connection (read-only). */
const inspect = (file: string) => {
  const db = new Sqlite(file, { readonly: true })
  try {
    return {
      metadata: db.prepare("SELECT key, value, typeof(value) AS type FROM metadata ORDER BY key").all(),
      indexes: db
        .prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL ORDER BY name")
        .all()
        .map((r) => (r as { name: string }).name),
      tables: db
        .prepare("SELECT name, sql FROM sqlite_master WHERE type = 'table' ORDER BY name")
        .all() as Array<{ name: string; sql: string }>,
      strict: db
        .prepare("SELECT name, strict FROM pragma_table_list WHERE schema = 'main' AND name IN ('metadata', 'reservations') ORDER BY name")
        .all(),
      journal: db.pragma("journal_mode", { simple: true })
    }
  } finally {
    db.close()
  }
}

/** A database file made by hand: the v2 DDL with the given schema_version text. */
const databaseWithVersion = (file: string, version: string) => {
  const db = new Sqlite(file)
  db.pragma("journal_mode = WAL")
  for (const statement of SchemaV2.CREATE_STATEMENTS) db.prepare(statement).run()
  db.prepare("UPDATE metadata SET value = ? WHERE key = 'schema_version'").run(version)
  db.prepare("INSERT INTO reservations VALUES ('/kept', '', 5000, NULL, NULL, 1, 1)").run()
  db.close()
}

/** A published-v1 database (docs/database.md). */
const databaseV1 = (file: string) => {
  const db = new Sqlite(file)
  db.exec(`
    CREATE TABLE metadata (key TEXT PRIMARY KEY NOT NULL, value TEXT NOT NULL);
    CREATE TABLE reservations (path TEXT NOT NULL, tag TEXT, port INTEGER NOT NULL UNIQUE, project TEXT, task TEXT,
      created_at INTEGER NOT NULL, last_used_at INTEGER NOT NULL, PRIMARY KEY (path, tag));
    CREATE INDEX idx_reservations_port ON reservations(port);
    CREATE INDEX idx_reservations_project ON reservations(project);
    CREATE INDEX idx_reservations_last_used ON reservations(last_used_at);
    INSERT INTO metadata (key, value) VALUES ('schema_version', '1');
    INSERT INTO reservations VALUES ('/v1', NULL, 5000, NULL, NULL, 1, 1);
  `)
  db.close()
}

describe("a fresh database (docs/database.md)", () => {
  it.scoped("gets schema v2 exactly: version '2' as TEXT, STRICT tables, the three named indexes, WAL", () =>
    Effect.gen(function*() {
      const { file } = yield* freshDatabase
      const facts = inspect(file)
      expect(facts.metadata).toEqual([{ key: "schema_version", value: "2", type: "text" }])
      expect(facts.indexes).toEqual(["idx_reservations_last_used", "idx_reservations_port", "idx_reservations_project"])
      expect(facts.strict).toEqual([{ name: "metadata", strict: 1 }, { name: "reservations", strict: 1 }])
      expect(facts.journal).toBe("wal")
    }))

  it.scoped("stores the table SQL exactly as the docs/database.md DDL (SQLite drops IF NOT EXISTS)", () =>
    Effect.gen(function*() {
      const { file } = yield* freshDatabase
      const sqlOf = (name: string) => inspect(file).tables.find((t) => t.name === name)?.sql
      expect(sqlOf("metadata")).toBe(STORED_TABLE_SQL.metadata)
      expect(sqlOf("reservations")).toBe(STORED_TABLE_SQL.reservations)
    }))

  it.scoped("creates missing parent directories when auto-init is on", () =>
    Effect.gen(function*() {
      const root = yield* tempDirScoped()
      const file = nodePath.join(root, "a", "b", "trop.db")
      yield* Effect.scoped(open(file))
      expect(inspect(file).metadata).toEqual([{ key: "schema_version", value: "2", type: "text" }])
    }))

  it.scoped("reopening keeps the data and the schema", () =>
    Effect.gen(function*() {
      const root = yield* tempDirScoped()
      const file = nodePath.join(root, "trop.db")
      yield* Effect.scoped(Effect.flatMap(open(file), (sql) =>
        Reservations.insert(reservation({ path: "/kept", port: 5000 })).pipe(Effect.provideService(SqlClient.SqlClient, sql))))
      const rows = yield* Effect.scoped(Effect.flatMap(open(file, false), (sql) =>
        Reservations.all.pipe(Effect.provideService(SqlClient.SqlClient, sql))))
      expect(rows.map((r) => r.key.path)).toEqual(["/kept"])
    }))
})

describe("schema version check on open (docs/database.md)", () => {
  it.scoped("a newer schema (3) is refused and the file is left byte-for-byte unchanged", () =>
    Effect.gen(function*() {
      const root = yield* tempDirScoped()
      const file = nodePath.join(root, "trop.db")
      databaseWithVersion(file, "3")
      const before = fs.readFileSync(file)
      const error = yield* Effect.flip(Effect.scoped(open(file)))
      expect(error._tag).toBe("UnsupportedSchemaVersion")
      expect(error.message).toBe("unsupported schema version: expected 2, found 3")
      expect(fs.readFileSync(file).equals(before)).toBe(true)
      expect(inspect(file).metadata).toEqual([{ key: "schema_version", value: "3", type: "text" }])
    }))

  it.scoped("schema v1 is migrated to v2 on a writable open, rows kept, untagged stored as ''", () =>
    Effect.gen(function*() {
      const root = yield* tempDirScoped()
      const file = nodePath.join(root, "trop.db")
      databaseV1(file)
      yield* Effect.scoped(open(file))
      const facts = inspect(file)
      expect(facts.metadata).toEqual([{ key: "schema_version", value: "2", type: "text" }])
      const db = new Sqlite(file, { readonly: true })
      const rows = db.prepare("SELECT path, tag, port, created_at FROM reservations").all()
      db.close()
      expect(rows).toEqual([{ path: "/v1", tag: "", port: 5000, created_at: 1 }])
    }))

  it.scoped("an older, unknown version (< 1) needs a migration that does not exist", () =>
    Effect.gen(function*() {
      const root = yield* tempDirScoped()
      const file = nodePath.join(root, "trop.db")
      databaseWithVersion(file, "-1")
      const error = yield* Effect.flip(Effect.scoped(open(file)))
      expect(error.message).toBe(
        "database schema migration required from version -1 to 2: no ordered migration is available for this older schema version"
      )
    }))

  it.scoped("a schema_version that is not a base-10 integer is corruption", () =>
    Effect.gen(function*() {
      const root = yield* tempDirScoped()
      const file = nodePath.join(root, "trop.db")
      databaseWithVersion(file, "two")
      const error = yield* Effect.flip(Effect.scoped(open(file)))
      expect(error._tag).toBe("DatabaseCorrupt")
      expect(error.message).toBe(
        "database corruption detected: table=metadata, field=value, key=\"schema_version\": schema_version must be a base-10 signed integer. Make a copy before recovery; restore a known-good database or delete the disposable database and recreate its reservations. trop did not modify or repair the stored data"
      )
    }))

  it.scoped("a file that is not a database is a database error, not a lock timeout", () =>
    Effect.gen(function*() {
      const root = yield* tempDirScoped()
      const file = nodePath.join(root, "trop.db")
      fs.writeFileSync(file, "this is not an sqlite database, just some text that is long enough to have a header".repeat(20))
      const error = yield* Effect.flip(Effect.scoped(open(file)))
      expect(error._tag).toBe("DatabaseFailure")
      expect(error.message.startsWith("database error: ")).toBe(true)
    }))
})

describe("auto-init disabled (docs/database.md)", () => {
  it.scoped("a missing trop.db fails with DatabaseMissing and nothing is created", () =>
    Effect.gen(function*() {
      const root = yield* tempDirScoped()
      const dataDir = nodePath.join(root, "data")
      const file = nodePath.join(dataDir, "trop.db")
      const error = yield* Effect.flip(Effect.scoped(open(file, false)))
      expect(error._tag).toBe("DatabaseMissing")
      expect(error).toMatchObject({ file })
      expect(error.message).toBe(`Data directory not found (${file} does not exist and auto-init is disabled)`)
      expect(fs.existsSync(dataDir)).toBe(false)
      // Only the file counts: an existing directory without trop.db is still missing.
      fs.mkdirSync(dataDir)
      expect((yield* Effect.flip(Effect.scoped(open(file, false))))._tag).toBe("DatabaseMissing")
      expect(fs.readdirSync(dataDir)).toEqual([])
    }))
})
