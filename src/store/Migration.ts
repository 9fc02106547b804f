import * as SqlClient from "@effect/sql/SqlClient"
import * as Effect from "effect/Effect"
import { MigrationBlocked, MigrationRequired, UnsupportedSchemaVersion } from "../domain/Errors.js"
import { readSchemaVersion } from "./SchemaVersion.js"
import * as SchemaV2 from "./SchemaV2.js"
import { validate } from "./Validation.js"

/**
 * Schema v1 (trop 0.1.0) → v2, on the first writable open (docs/database.md). One
 * immediate transaction: the file ends either complete v1 or complete v2. Nothing is
 * chosen, repaired or discarded: any legacy violation blocks the migration.
 */

const blocked = (details: string) => new MigrationBlocked({ from: 1, to: 2, details })

interface Column {
  readonly name: string
  readonly type: string
  readonly notnull: number
  readonly pk: number
}

/** The published v1 layout: name, declared type, NOT NULL, primary-key position. */
const V1_LAYOUT: Readonly<Record<"metadata" | "reservations", ReadonlyArray<readonly [string, string, number, number]>>> = {
  metadata: [["key", "TEXT", 1, 1], ["value", "TEXT", 1, 0]],
  reservations: [
    ["path", "TEXT", 1, 1],
    ["tag", "TEXT", 0, 2],
    ["port", "INTEGER", 1, 0],
    ["project", "TEXT", 0, 0],
    ["task", "TEXT", 0, 0],
    ["created_at", "INTEGER", 1, 0],
    ["last_used_at", "INTEGER", 1, 0]
  ]
}

/** Legacy invariants, in the order they are reported, each as a query counting violations. */
const PREFLIGHT: ReadonlyArray<readonly [string, string]> = [
  [
    "duplicate logical reservation keys",
    "SELECT count(*) AS n FROM (SELECT 1 FROM reservations GROUP BY path, COALESCE(tag, '') HAVING count(*) > 1)"
  ],
  ["duplicate reserved ports", "SELECT count(*) AS n FROM (SELECT 1 FROM reservations GROUP BY port HAVING count(*) > 1)"],
  ["empty legacy tags", "SELECT count(*) AS n FROM reservations WHERE tag = ''"],
  [
    "ports outside 1..=65535",
    "SELECT count(*) AS n FROM reservations WHERE typeof(port) != 'integer' OR port < 1 OR port > 65535"
  ],
  [
    "negative timestamps",
    "SELECT count(*) AS n FROM reservations WHERE typeof(created_at) != 'integer' OR created_at < 0 OR typeof(last_used_at) != 'integer' OR last_used_at < 0"
  ],
  [
    "invalid reservation scalar types",
    "SELECT count(*) AS n FROM reservations WHERE typeof(path) != 'text' OR typeof(tag) NOT IN ('text', 'null') OR typeof(project) NOT IN ('text', 'null') OR typeof(task) NOT IN ('text', 'null')"
  ],
  ["invalid metadata scalar types", "SELECT count(*) AS n FROM metadata WHERE typeof(key) != 'text' OR typeof(value) != 'text'"]
]

const staging = (table: "metadata" | "reservations") => {
  const ddl = SchemaV2.CREATE_STATEMENTS.find((s) => s.startsWith(`CREATE TABLE IF NOT EXISTS ${table} `)) ?? ""
  return ddl.replace(`CREATE TABLE IF NOT EXISTS ${table} `, `CREATE TABLE ${table}_v2 `)
}

const INDEX_STATEMENTS = SchemaV2.CREATE_STATEMENTS.filter((s) => s.startsWith("CREATE INDEX"))

const migrateUnderLock = (sql: SqlClient.SqlClient) =>
  Effect.gen(function*() {
    const version = yield* readSchemaVersion(sql)
    if (version === SchemaV2.VERSION) return
    if (version > SchemaV2.VERSION) return yield* new UnsupportedSchemaVersion({ expected: SchemaV2.VERSION, found: version })
    if (version !== 1) {
      return yield* new MigrationRequired({
        found: version,
        target: SchemaV2.VERSION,
        action: "the schema version changed while waiting for the migration lock"
      })
    }
    const layoutProblems: Array<string> = []
    for (const table of ["metadata", "reservations"] as const) {
      const columns = yield* sql<Column>`
        SELECT name, type, "notnull" AS "notnull", pk FROM pragma_table_info(${table}) ORDER BY cid`
      const expected = V1_LAYOUT[table]
      const matches = columns.length === expected.length && columns.every((c, i) => {
        const e = expected[i]
        return e !== undefined && c.name === e[0] && c.type.toUpperCase() === e[1] && c.notnull === e[2] && c.pk === e[3]
      })
      if (!matches) layoutProblems.push(`${table} table does not match the published-v1 layout`)
    }
    const [stagingObjects] = yield* sql<{ readonly n: number }>`
      SELECT count(*) AS n FROM sqlite_schema WHERE name IN ('metadata_v2', 'reservations_v2')`
    if ((stagingObjects?.n ?? 0) > 0) layoutProblems.push("reserved migration staging objects already exist")
    if (layoutProblems.length > 0) {
      return yield* blocked(
        `${
          layoutProblems.join("; ")
        }; the original database was left unchanged. Restore the published-v1 layout from a copy or delete the disposable database.`
      )
    }
    const violations: Array<string> = []
    for (const [label, query] of PREFLIGHT) {
      const [row] = yield* sql.unsafe<{ readonly n: number }>(query)
      if ((row?.n ?? 0) > 0) violations.push(` ${label}=${row?.n};`)
    }
    if (violations.length > 0) {
      return yield* blocked(
        `schema v1 cannot be migrated safely because the following legacy invariants are violated:${
          violations.join("")
        } the original schema-v1 database was left unchanged. Make a copy, inspect the reported categories with sqlite3, and either correct every conflict manually or delete the disposable database and recreate reservations. trop will not choose or discard legacy rows.`
      )
    }
    yield* sql.unsafe(staging("metadata"))
    yield* sql.unsafe(staging("reservations"))
    yield* sql.unsafe("INSERT INTO metadata_v2 (key, value) SELECT key, value FROM metadata")
    yield* sql.unsafe(
      "INSERT INTO reservations_v2 (path, tag, port, project, task, created_at, last_used_at) SELECT path, COALESCE(tag, ''), port, project, task, created_at, last_used_at FROM reservations"
    )
    for (const [table, source] of [["metadata_v2", "metadata"], ["reservations_v2", "reservations"]] as const) {
      const [exists] = yield* sql<{ readonly n: number }>`
        SELECT count(*) AS n FROM sqlite_schema WHERE type = 'table' AND name = ${table}`
      if ((exists?.n ?? 0) === 0) return yield* blocked(`migration staging table ${table} is missing; migration rolled back`)
      const [copied] = yield* sql.unsafe<{ readonly n: number }>(`SELECT count(*) AS n FROM ${table}`)
      const [expected] = yield* sql.unsafe<{ readonly n: number }>(`SELECT count(*) AS n FROM ${source}`)
      if (copied?.n !== expected?.n) {
        return yield* blocked(`migration copied ${copied?.n} of ${expected?.n} rows into ${table}; migration rolled back`)
      }
    }
    yield* sql.unsafe("DROP TABLE reservations")
    yield* sql.unsafe("DROP TABLE metadata")
    yield* sql.unsafe("ALTER TABLE reservations_v2 RENAME TO reservations")
    yield* sql.unsafe("ALTER TABLE metadata_v2 RENAME TO metadata")
    for (const statement of INDEX_STATEMENTS) yield* sql.unsafe(statement)
    yield* sql.unsafe("UPDATE metadata SET value = '2' WHERE key = 'schema_version'")
    const [changed] = yield* sql<{ readonly n: number }>`SELECT changes() AS n`
    if (changed?.n !== 1) {
      return yield* blocked("schema-version metadata was not updated exactly once; the migration was rolled back")
    }
    yield* validate.pipe(Effect.provideService(SqlClient.SqlClient, sql))
  })

/** Migrates v1 → v2 with `synchronous = FULL`, restoring the previous setting afterwards. */
export const migrateV1 = (sql: SqlClient.SqlClient) =>
  Effect.gen(function*() {
    const [previous] = yield* sql<{ readonly synchronous: number }>`PRAGMA synchronous`
    yield* sql.unsafe("PRAGMA synchronous = FULL")
    yield* sql.withTransaction(migrateUnderLock(sql)).pipe(
      Effect.ensuring(Effect.ignore(sql.unsafe(`PRAGMA synchronous = ${previous?.synchronous ?? 1}`)))
    )
  })
