// Schema v1 → v2 migration (docs/database.md, docs/configuration.md): fixtures are built with raw
// SQL through better-sqlite3, the migration runs through Database.make (the first writable
// open) or, for the multi-process cases, through the built CLI.
import { describe, it } from "@effect/vitest"
import Sqlite from "better-sqlite3"
import { Effect } from "effect"
import * as fs from "node:fs"
import * as nodePath from "node:path"
import { expect } from "vitest"
import * as Database from "../../src/store/Database.js"
import { tempDirScoped } from "../fixtures/Fixtures.js"
import { startTrop, tropAsync } from "../support/cli.js"
import { waitingForLock } from "../support/lockWait.js"
import type { V1Options } from "../fixtures/SchemaV1.js"
import { buildV1, V1_RESERVATIONS } from "../fixtures/SchemaV1.js"
import { STORED_TABLE_SQL } from "../fixtures/SchemaV2Sql.js"

const open = (file: string, busyTimeoutSeconds = 0) => Database.make({ file, busyTimeoutSeconds, autoInit: true })

/** The published v1 table without the UNIQUE on port (allowed: docs/database.md), so duplicate ports can be stored. */
const V1_RESERVATIONS_NO_UNIQUE = V1_RESERVATIONS.replace("port INTEGER NOT NULL UNIQUE", "port INTEGER NOT NULL")
const expectedTableSql = (name: "metadata" | "reservations", quoted: boolean) =>
  quoted ? STORED_TABLE_SQL[name].replace(`CREATE TABLE ${name} `, `CREATE TABLE "${name}" `) : STORED_TABLE_SQL[name]

interface SchemaRow {
  readonly type: string
  readonly name: string
  readonly tbl_name: string
  readonly sql: string | null
}

/** Facts about a database file, read with a raw connection. */
const inspect = (file: string) => {
  const db = new Sqlite(file, { readonly: true })
  try {
    return {
      schema: db.prepare("SELECT type, name, tbl_name, sql FROM sqlite_schema ORDER BY type, name").all() as Array<SchemaRow>,
      metadata: db.prepare("SELECT key, value, typeof(value) AS type FROM metadata ORDER BY key").all(),
      rows: db
        .prepare(
          "SELECT path, tag, typeof(tag) AS tag_type, port, project, task, created_at, last_used_at FROM reservations ORDER BY port"
        )
        .all(),
      strict: db
        .prepare("SELECT name, strict FROM pragma_table_list WHERE schema = 'main' AND name IN ('metadata', 'reservations') ORDER BY name")
        .all(),
      journal: db.pragma("journal_mode", { simple: true }),
      integrity: db.pragma("integrity_check", { simple: true })
    }
  } finally {
    db.close()
  }
}

const versionOf = (file: string) => {
  const db = new Sqlite(file, { readonly: true })
  try {
    return db.prepare("SELECT value FROM metadata WHERE key = 'schema_version'").all()
  } finally {
    db.close()
  }
}

const snapshot = (dir: string) => ({
  files: fs.readdirSync(dir).sort(),
  bytes: fs.readFileSync(nodePath.join(dir, "trop.db"))
})

const expectUnchanged = (dir: string, before: ReturnType<typeof snapshot>) => {
  const after = snapshot(dir)
  expect(after.files).toEqual(before.files)
  expect(after.bytes.equals(before.bytes), "trop.db bytes changed").toBe(true)
}

const BLOCKED = "database migration from schema 1 to 2 blocked: "
const LEGACY_PREFIX = `${BLOCKED}schema v1 cannot be migrated safely because the following legacy invariants are violated:`
const LEGACY_SUFFIX =
  " the original schema-v1 database was left unchanged. Make a copy, inspect the reported categories with sqlite3, and either correct every conflict manually or delete the disposable database and recreate reservations. trop will not choose or discard legacy rows."
const legacyMessage = (counts: string) => `${LEGACY_PREFIX}${counts}${LEGACY_SUFFIX}`
const LAYOUT_SUFFIX =
  "; the original database was left unchanged. Restore the published-v1 layout from a copy or delete the disposable database."
const layoutMessage = (problems: string) => `${BLOCKED}${problems}${LAYOUT_SUFFIX}`
const RECOVERY =
  "Make a copy before recovery; restore a known-good database or delete the disposable database and recreate its reservations. trop did not modify or repair the stored data"

/** Creates a v1 database in a fresh scoped directory. */
const v1Fixture = (options: V1Options = {}) =>
  Effect.gen(function*() {
    const dir = yield* tempDirScoped("trop-mig-")
    const file = nodePath.join(dir, "trop.db")
    buildV1(file, options)
    return { dir, file }
  })

/** Opens a fixture that must refuse to migrate; returns the error and checks nothing changed. */
const refused = (options: V1Options) =>
  Effect.gen(function*() {
    const { dir, file } = yield* v1Fixture(options)
    const before = snapshot(dir)
    const error = yield* Effect.flip(Effect.scoped(open(file)))
    expectUnchanged(dir, before)
    expect(versionOf(file)).toEqual([{ value: "1" }])
    return error
  })

describe("v1 → v2 on the first writable open (docs/database.md)", () => {
  it.scoped("keeps every row and column value, turns a NULL tag into '', keeps extra metadata, ends with the exact v2 schema", () =>
    Effect.gen(function*() {
      const { dir, file } = yield* v1Fixture({
        extra: [
          "INSERT INTO metadata (key, value) VALUES ('custom_key', 'kept value')",
          "INSERT INTO reservations VALUES ('/w/a', NULL, 5000, 'proj', 'task one', 10, 20)",
          "INSERT INTO reservations VALUES ('/w/a', 'web', 5001, NULL, NULL, 11, 21)",
          "INSERT INTO reservations VALUES ('/w/b', 'api', 65535, 'p', NULL, 0, 0)",
          "INSERT INTO reservations VALUES ('/w/ü', NULL, 1, NULL, 't', 8210298412799, 8210298412799)"
        ]
      })
      yield* Effect.scoped(open(file))
      const facts = inspect(file)
      expect(facts.rows).toEqual([
        { path: "/w/ü", tag: "", tag_type: "text", port: 1, project: null, task: "t", created_at: 8210298412799, last_used_at: 8210298412799 },
        { path: "/w/a", tag: "", tag_type: "text", port: 5000, project: "proj", task: "task one", created_at: 10, last_used_at: 20 },
        { path: "/w/a", tag: "web", tag_type: "text", port: 5001, project: null, task: null, created_at: 11, last_used_at: 21 },
        { path: "/w/b", tag: "api", tag_type: "text", port: 65535, project: "p", task: null, created_at: 0, last_used_at: 0 }
      ])
      expect(facts.metadata).toEqual([
        { key: "custom_key", value: "kept value", type: "text" },
        { key: "schema_version", value: "2", type: "text" }
      ])
      // Tables renamed from the staging tables are stored with a quoted name (docs/database.md).
      const tables = facts.schema.filter((o) => o.type === "table")
      expect(tables).toEqual([
        { type: "table", name: "metadata", tbl_name: "metadata", sql: expectedTableSql("metadata", true) },
        { type: "table", name: "reservations", tbl_name: "reservations", sql: expectedTableSql("reservations", true) }
      ])
      expect(facts.schema.filter((o) => o.type === "index" && o.sql !== null)).toEqual([
        {
          type: "index",
          name: "idx_reservations_last_used",
          tbl_name: "reservations",
          sql: "CREATE INDEX idx_reservations_last_used ON reservations(last_used_at)"
        },
        { type: "index", name: "idx_reservations_port", tbl_name: "reservations", sql: "CREATE INDEX idx_reservations_port ON reservations(port)" },
        {
          type: "index",
          name: "idx_reservations_project",
          tbl_name: "reservations",
          sql: "CREATE INDEX idx_reservations_project ON reservations(project)"
        }
      ])
      expect(facts.schema.filter((o) => o.type !== "table" && o.type !== "index")).toEqual([])
      expect(facts.schema.some((o) => o.name.includes("_v2"))).toBe(false)
      expect(facts.strict).toEqual([{ name: "metadata", strict: 1 }, { name: "reservations", strict: 1 }])
      expect(facts.journal).toBe("wal")
      expect(facts.integrity).toBe("ok")
      // No backup file, no leftover journal.
      expect(fs.readdirSync(dir).filter((f) => !["trop.db", "trop.db-wal", "trop.db-shm"].includes(f))).toEqual([])
      // The migrated file passes the full read-only validation (docs/database.md).
      yield* Database.validateFile(file, 0)
      // And reopening is a no-op that keeps the data.
      yield* Effect.scoped(open(file))
      expect(inspect(file).rows).toEqual(facts.rows)
    }))

  it.scoped("an empty v1 database migrates too, and validates", () =>
    Effect.gen(function*() {
      const { file } = yield* v1Fixture()
      yield* Effect.scoped(open(file))
      expect(versionOf(file)).toEqual([{ value: "2" }])
      expect(inspect(file).rows).toEqual([])
      yield* Database.validateFile(file, 0)
    }))

  it.scoped("declared types are compared case-insensitively: a lower-case v1 layout still migrates", () =>
    Effect.gen(function*() {
      const { file } = yield* v1Fixture({
        metadata: "create table metadata (key text primary key not null, value text not null)",
        reservations: V1_RESERVATIONS.replace(/TEXT/g, "text").replace(/INTEGER/g, "Integer"),
        extra: ["INSERT INTO reservations VALUES ('/x', NULL, 5000, NULL, NULL, 1, 1)"]
      })
      yield* Effect.scoped(open(file))
      const facts = inspect(file)
      expect(facts.schema.find((o) => o.name === "reservations")?.sql).toBe(expectedTableSql("reservations", true))
      expect(facts.rows).toHaveLength(1)
      yield* Database.validateFile(file, 0)
    }))
})

describe("legacy preflight (docs/database.md): each category alone", () => {
  const cases: ReadonlyArray<readonly [string, V1Options, string]> = [
    [
      "duplicate logical keys (two NULL tags on one path)",
      { extra: ["INSERT INTO reservations VALUES ('/d', NULL, 5000, NULL, NULL, 1, 1)", "INSERT INTO reservations VALUES ('/d', NULL, 5001, NULL, NULL, 1, 1)"] },
      " duplicate logical reservation keys=1;"
    ],
    [
      "duplicate ports (a v1 table without UNIQUE on port)",
      {
        reservations: V1_RESERVATIONS_NO_UNIQUE,
        extra: ["INSERT INTO reservations VALUES ('/a', NULL, 5000, NULL, NULL, 1, 1)", "INSERT INTO reservations VALUES ('/b', NULL, 5000, NULL, NULL, 1, 1)"]
      },
      " duplicate reserved ports=1;"
    ],
    [
      "an empty legacy tag",
      { extra: ["INSERT INTO reservations VALUES ('/e', '', 5000, NULL, NULL, 1, 1)"] },
      " empty legacy tags=1;"
    ],
    [
      "ports outside 1..=65535 (0, 65536, text, real)",
      {
        extra: [
          "INSERT INTO reservations VALUES ('/o1', NULL, 0, NULL, NULL, 1, 1)",
          "INSERT INTO reservations VALUES ('/o2', NULL, 65536, NULL, NULL, 1, 1)",
          "INSERT INTO reservations VALUES ('/o3', NULL, 'eighty', NULL, NULL, 1, 1)",
          "INSERT INTO reservations VALUES ('/o4', NULL, 5000.5, NULL, NULL, 1, 1)",
          "INSERT INTO reservations VALUES ('/ok', NULL, 5001, NULL, NULL, 1, 1)"
        ]
      },
      " ports outside 1..=65535=4;"
    ],
    [
      "negative or non-integer timestamps",
      {
        extra: [
          "INSERT INTO reservations VALUES ('/t1', NULL, 5000, NULL, NULL, -1, 1)",
          "INSERT INTO reservations VALUES ('/t2', NULL, 5001, NULL, NULL, 1, -1)",
          "INSERT INTO reservations VALUES ('/t3', NULL, 5002, NULL, NULL, 'yesterday', 1)",
          "INSERT INTO reservations VALUES ('/t4', NULL, 5003, NULL, NULL, 1, 1.5)"
        ]
      },
      " negative timestamps=4;"
    ],
    [
      "invalid reservation scalar types (blob path, blob tag, blob project, blob task)",
      {
        extra: [
          "INSERT INTO reservations VALUES (X'2F73', NULL, 5000, NULL, NULL, 1, 1)",
          "INSERT INTO reservations VALUES ('/s2', X'01', 5001, NULL, NULL, 1, 1)",
          "INSERT INTO reservations VALUES ('/s3', NULL, 5002, X'02', NULL, 1, 1)",
          "INSERT INTO reservations VALUES ('/s4', NULL, 5003, NULL, X'03', 1, 1)"
        ]
      },
      " invalid reservation scalar types=4;"
    ],
    [
      "invalid metadata scalar types (blob value, blob key)",
      { extra: ["INSERT INTO metadata VALUES ('other', X'01')", "INSERT INTO metadata VALUES (X'02', 'x')"] },
      " invalid metadata scalar types=2;"
    ]
  ]

  for (const [name, options, counts] of cases) {
    it.scoped(`${name} → MigrationBlocked with only that count; file byte-identical`, () =>
      Effect.gen(function*() {
        const error = yield* refused(options)
        expect(error._tag).toBe("MigrationBlocked")
        expect(error.message).toBe(legacyMessage(counts))
      }))
  }

  it.scoped("duplicates are counted per duplicated key / port, not per row", () =>
    Effect.gen(function*() {
      const error = yield* refused({
        reservations: V1_RESERVATIONS_NO_UNIQUE,
        extra: [
          // two untagged keys, each stored twice
          "INSERT INTO reservations VALUES ('/d', NULL, 5000, NULL, NULL, 1, 1)",
          "INSERT INTO reservations VALUES ('/d', NULL, 5001, NULL, NULL, 1, 1)",
          "INSERT INTO reservations VALUES ('/f', NULL, 5002, NULL, NULL, 1, 1)",
          "INSERT INTO reservations VALUES ('/f', NULL, 5003, NULL, NULL, 1, 1)",
          // port 6000 three times, port 6001 twice
          "INSERT INTO reservations VALUES ('/p1', 'a', 6000, NULL, NULL, 1, 1)",
          "INSERT INTO reservations VALUES ('/p2', 'a', 6000, NULL, NULL, 1, 1)",
          "INSERT INTO reservations VALUES ('/p3', 'a', 6000, NULL, NULL, 1, 1)",
          "INSERT INTO reservations VALUES ('/p4', 'a', 6001, NULL, NULL, 1, 1)",
          "INSERT INTO reservations VALUES ('/p5', 'a', 6001, NULL, NULL, 1, 1)"
        ]
      })
      expect(error.message).toBe(legacyMessage(" duplicate logical reservation keys=2; duplicate reserved ports=2;"))
    }))

  it.scoped("a NULL tag and an empty tag on the same path are one logical key (and the '' is also counted)", () =>
    Effect.gen(function*() {
      const error = yield* refused({
        extra: [
          "INSERT INTO reservations VALUES ('/same', NULL, 5000, NULL, NULL, 1, 1)",
          "INSERT INTO reservations VALUES ('/same', '', 5001, NULL, NULL, 1, 1)"
        ]
      })
      expect(error.message).toBe(legacyMessage(" duplicate logical reservation keys=1; empty legacy tags=1;"))
    }))
})

describe("legacy preflight: several categories together are all reported, in the documented order", () => {
  it.scoped("all seven categories at once", () =>
    Effect.gen(function*() {
      const error = yield* refused({
        reservations: V1_RESERVATIONS_NO_UNIQUE,
        extra: [
          // metadata last in the order, inserted first
          "INSERT INTO metadata VALUES ('blob', X'01')",
          // invalid reservation scalar types = 4
          "INSERT INTO reservations VALUES (X'2F73', NULL, 5400, NULL, NULL, 1, 1)",
          "INSERT INTO reservations VALUES ('/s2', X'01', 5401, NULL, NULL, 1, 1)",
          "INSERT INTO reservations VALUES ('/s3', NULL, 5402, X'02', NULL, 1, 1)",
          "INSERT INTO reservations VALUES ('/s4', NULL, 5403, NULL, X'03', 1, 1)",
          // negative timestamps = 3
          "INSERT INTO reservations VALUES ('/t1', NULL, 5300, NULL, NULL, -5, 1)",
          "INSERT INTO reservations VALUES ('/t2', NULL, 5301, NULL, NULL, 1, -1)",
          "INSERT INTO reservations VALUES ('/t3', NULL, 5302, NULL, NULL, 'x', 1)",
          // ports outside = 2
          "INSERT INTO reservations VALUES ('/o1', NULL, 0, NULL, NULL, 1, 1)",
          "INSERT INTO reservations VALUES ('/o2', NULL, 70000, NULL, NULL, 1, 1)",
          // empty legacy tags = 1
          "INSERT INTO reservations VALUES ('/e', '', 5200, NULL, NULL, 1, 1)",
          // duplicate ports = 1
          "INSERT INTO reservations VALUES ('/p1', 'x', 5100, NULL, NULL, 1, 1)",
          "INSERT INTO reservations VALUES ('/p2', 'x', 5100, NULL, NULL, 1, 1)",
          // duplicate logical keys = 1
          "INSERT INTO reservations VALUES ('/d', NULL, 5000, NULL, NULL, 1, 1)",
          "INSERT INTO reservations VALUES ('/d', NULL, 5001, NULL, NULL, 1, 1)"
        ]
      })
      expect(error._tag).toBe("MigrationBlocked")
      expect(error.message).toBe(
        legacyMessage(
          " duplicate logical reservation keys=1; duplicate reserved ports=1; empty legacy tags=1; ports outside 1..=65535=2; negative timestamps=3; invalid reservation scalar types=4; invalid metadata scalar types=1;"
        )
      )
    }))

  it.scoped("two non-adjacent categories: zero counts are left out", () =>
    Effect.gen(function*() {
      const error = yield* refused({
        extra: [
          "INSERT INTO reservations VALUES ('/e', '', 5000, NULL, NULL, 1, 1)",
          "INSERT INTO reservations VALUES ('/e2', '', 5001, NULL, NULL, 1, 1)",
          "INSERT INTO metadata VALUES ('k', X'00')"
        ]
      })
      expect(error.message).toBe(legacyMessage(" empty legacy tags=2; invalid metadata scalar types=1;"))
    }))
})

describe("layout check (docs/database.md)", () => {
  const cases: ReadonlyArray<readonly [string, V1Options, string]> = [
    [
      "an extra reservations column",
      { reservations: V1_RESERVATIONS.replace("last_used_at INTEGER NOT NULL,", "last_used_at INTEGER NOT NULL,\n    note TEXT,") },
      "reservations table does not match the published-v1 layout"
    ],
    [
      "a missing reservations column (no task)",
      { reservations: V1_RESERVATIONS.replace("    task TEXT,\n", "") },
      "reservations table does not match the published-v1 layout"
    ],
    [
      "a NOT NULL tag",
      { reservations: V1_RESERVATIONS.replace("tag TEXT,", "tag TEXT NOT NULL,") },
      "reservations table does not match the published-v1 layout"
    ],
    [
      "primary key in the wrong order",
      { reservations: V1_RESERVATIONS.replace("PRIMARY KEY (path, tag)", "PRIMARY KEY (tag, path)") },
      "reservations table does not match the published-v1 layout"
    ],
    [
      "a different declared type",
      { reservations: V1_RESERVATIONS.replace("port INTEGER NOT NULL UNIQUE", "port INT NOT NULL UNIQUE") },
      "reservations table does not match the published-v1 layout"
    ],
    [
      "an extra metadata column",
      { metadata: "CREATE TABLE metadata (key TEXT PRIMARY KEY NOT NULL, value TEXT NOT NULL, note TEXT)" },
      "metadata table does not match the published-v1 layout"
    ],
    [
      "a staging table reservations_v2 already present",
      { extra: ["CREATE TABLE reservations_v2 (x TEXT)"] },
      "reserved migration staging objects already exist"
    ],
    [
      "a staging object metadata_v2 (a view) already present",
      { extra: ["CREATE VIEW metadata_v2 AS SELECT 1 AS one"] },
      "reserved migration staging objects already exist"
    ],
    [
      "all three problems together, joined by '; ' in order",
      {
        metadata: "CREATE TABLE metadata (key TEXT PRIMARY KEY NOT NULL, value TEXT NOT NULL, note TEXT)",
        reservations: V1_RESERVATIONS.replace("    task TEXT,\n", ""),
        extra: ["CREATE TABLE metadata_v2 (x TEXT)", "CREATE TABLE reservations_v2 (x TEXT)"]
      },
      "metadata table does not match the published-v1 layout; reservations table does not match the published-v1 layout; reserved migration staging objects already exist"
    ]
  ]
  for (const [name, options, problems] of cases) {
    it.scoped(`${name} → the exact layout message; file unchanged`, () =>
      Effect.gen(function*() {
        const error = yield* refused(options)
        expect(error._tag).toBe("MigrationBlocked")
        expect(error.message).toBe(layoutMessage(problems))
      }))
  }

  it.scoped("the layout check comes before the legacy preflight", () =>
    Effect.gen(function*() {
      const error = yield* refused({
        extra: ["CREATE TABLE reservations_v2 (x TEXT)", "INSERT INTO reservations VALUES ('/e', '', 5000, NULL, NULL, 1, 1)"]
      })
      expect(error.message).toBe(layoutMessage("reserved migration staging objects already exist"))
    }))
})

describe("rows that pass the preflight but fail v2 decoding (docs/database.md)", () => {
  const cases: ReadonlyArray<readonly [string, string, string]> = [
    ["a relative path", "INSERT INTO reservations VALUES ('relative/x', NULL, 5000, NULL, NULL, 1, 1)", "field=path, key=path=\"relative/x\", tag=<untagged>: path must be absolute"],
    ["an untrimmed tag", "INSERT INTO reservations VALUES ('/a', ' web', 5000, NULL, NULL, 1, 1)", "field=tag, key=path=\"/a\", tag=\" web\": tag must be the empty untagged sentinel or exact trimmed nonempty text"],
    [
      "a timestamp past year 262143",
      "INSERT INTO reservations VALUES ('/a', NULL, 5000, NULL, NULL, 8210298412800, 1)",
      "field=created_at, key=path=\"/a\", tag=<untagged>: timestamp is outside the supported display and serialization range"
    ]
  ]
  for (const [name, insert, details] of cases) {
    it.scoped(`${name}: DatabaseCorrupt, rolled back to complete v1`, () =>
      Effect.gen(function*() {
        const { dir, file } = yield* v1Fixture({ extra: [insert] })
        const before = inspect(file)
        const error = yield* Effect.flip(Effect.scoped(open(file)))
        expect(error._tag).toBe("DatabaseCorrupt")
        expect(error.message).toBe(`database corruption detected: table=reservations, ${details}. ${RECOVERY}`)
        const after = inspect(file)
        expect(after.schema).toEqual(before.schema)
        expect(after.rows).toEqual(before.rows)
        expect(after.metadata).toEqual([{ key: "schema_version", value: "1", type: "text" }])
        expect(after.integrity).toBe("ok")
        expect(fs.readdirSync(dir).filter((f) => f.endsWith("-journal"))).toEqual([])
      }))
  }
})

describe("concurrent migrators serialize and all end on v2 (docs/database.md)", () => {
  it.scoped("a v1 file locked by another writer is not touched (busy timeout 0); later opens migrate once, then are no-ops", () =>
    Effect.gen(function*() {
      const { dir, file } = yield* v1Fixture({ extra: ["INSERT INTO reservations VALUES ('/a', NULL, 5000, NULL, NULL, 1, 1)"] })
      const holder = new Sqlite(file, { timeout: 0 })
      holder.prepare("BEGIN IMMEDIATE").run()
      const before = snapshot(dir)
      const error = yield* Effect.flip(Effect.scoped(open(file)))
      holder.prepare("ROLLBACK").run()
      holder.close()
      expect(error._tag).toBe("DatabaseBusy")
      expectUnchanged(dir, before)
      expect(versionOf(file)).toEqual([{ value: "1" }])
      yield* Effect.scoped(open(file))
      const migrated = inspect(file)
      yield* Effect.scoped(open(file))
      expect(versionOf(file)).toEqual([{ value: "2" }])
      expect(inspect(file).rows).toEqual(migrated.rows)
      expect(migrated.rows).toHaveLength(1)
    }))

  it.scoped("the migration lock timeout names the open/migrate operation (docs/database.md, docs/configuration.md)", () =>
    Effect.gen(function*() {
      const { file } = yield* v1Fixture()
      const holder = new Sqlite(file, { timeout: 0 })
      holder.prepare("BEGIN IMMEDIATE").run()
      const error = yield* Effect.flip(Effect.scoped(open(file)))
      holder.prepare("ROLLBACK").run()
      holder.close()
      expect(error.message).toBe("database lock timeout while opening, configuring, or migrating the database after 0s")
    }))

  it.scoped("six processes opening one v1 data directory at once all succeed and see the same migrated rows", () =>
    Effect.gen(function*() {
      const { dir, file } = yield* v1Fixture({
        extra: [
          "INSERT INTO reservations VALUES ('/w/a', NULL, 5000, 'p', NULL, 1700000000, 1700000000)",
          "INSERT INTO reservations VALUES ('/w/a', 'web', 5001, NULL, 't', 1700000000, 1700000000)"
        ]
      })
      const results = yield* Effect.promise(() =>
        Promise.all(
          Array.from({ length: 6 }, () => tropAsync(["--data-dir", dir, "--busy-timeout", "60", "list", "--format", "json"], { cwd: dir }))
        )
      )
      for (const r of results) {
        expect(r.stderr).toBe("")
        expect(r.code).toBe(0)
        expect((JSON.parse(r.stdout) as Array<{ tag: string | null; port: number }>).map((row) => [row.tag, row.port])).toEqual([
          [null, 5000],
          ["web", 5001]
        ])
      }
      expect(versionOf(file)).toEqual([{ value: "2" }])
      const facts = inspect(file)
      expect(facts.schema.filter((o) => o.type === "table").map((o) => o.name)).toEqual(["metadata", "reservations"])
      expect(facts.rows.map((r) => (r as { tag: string }).tag)).toEqual(["", "web"])
      yield* Database.validateFile(file, 0)
    }), 120_000)

  it.scoped("processes waiting for the lock behind another writer migrate once it lets go", () =>
    Effect.gen(function*() {
      const { dir, file } = yield* v1Fixture({ extra: ["INSERT INTO reservations VALUES ('/w/a', NULL, 5000, NULL, NULL, 1, 1)"] })
      const holder = new Sqlite(file, { timeout: 0 })
      holder.prepare("BEGIN IMMEDIATE").run()
      const waiters = Array.from(
        { length: 3 },
        () => startTrop(["--data-dir", dir, "--busy-timeout", "60", "list", "--format", "json"], { cwd: dir })
      )
      yield* Effect.addFinalizer(() =>
        Effect.sync(() => {
          for (const w of waiters) w.kill()
          if (holder.open) holder.close()
        })
      )
      // They really wait for the lock: each is seen asleep in SQLite's busy handler with the
      // file open while the lock is held, so none can have finished; only then is it released.
      yield* Effect.promise(() => Promise.all(waiters.map((w) => waitingForLock(w, file))))
      expect(waiters.map((w) => w.exited())).toEqual([false, false, false])
      holder.prepare("ROLLBACK").run()
      holder.close()
      const results = yield* Effect.promise(() => Promise.all(waiters.map((w) => w.done)))
      for (const r of results) {
        expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: "" })
        expect(JSON.parse(r.stdout)).toHaveLength(1)
      }
      expect(versionOf(file)).toEqual([{ value: "2" }])
      yield* Database.validateFile(file, 0)
    }), 180_000)
})

describe("read-only validation never migrates (docs/database.md)", () => {
  it.scoped("validateFile on a v1 database → MigrationRequired, file unchanged", () =>
    Effect.gen(function*() {
      const { dir, file } = yield* v1Fixture({ extra: ["INSERT INTO reservations VALUES ('/a', NULL, 5000, NULL, NULL, 1, 1)"] })
      const before = snapshot(dir)
      const error = yield* Effect.flip(Database.validateFile(file, 0))
      expect(error._tag).toBe("MigrationRequired")
      expect(error.message).toBe(
        "database schema migration required from version 1 to 2: validation is read-only; reopen the database writable to apply the ordered migration, or validate a writable migrated copy"
      )
      expectUnchanged(dir, before)
    }))
})
