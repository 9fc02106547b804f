import * as SqlClient from "@effect/sql/SqlClient"
import * as Effect from "effect/Effect"
import { DatabaseCorrupt, MigrationRequired, UnsupportedSchemaVersion } from "../domain/Errors.js"
import { RECOVERY } from "./Corruption.js"
import * as Reservations from "./Reservations.js"
import { isUtf8Text, readSchemaVersion } from "./SchemaVersion.js"
import * as SchemaV2 from "./SchemaV2.js"

/**
 * The complete read-only validation of a schema-v2 database (docs/database.md), used by
 * `assert-data-dir --validate` and at the end of initialization and migration. Checks run
 * in the order docs/database.md lists them; the first failure is reported. Nothing is written.
 */

const corrupt = (details: string) => new DatabaseCorrupt({ details: `${details}; ${RECOVERY}` })

interface Column {
  readonly name: string
  readonly type: string
  readonly notnull: number
  readonly pk: number
  readonly hidden: number
}

/** name, declared type, NOT NULL, primary-key position of each column, in order. */
const EXPECTED_COLUMNS: Readonly<Record<"metadata" | "reservations", ReadonlyArray<readonly [string, string, number, number]>>> = {
  metadata: [["key", "TEXT", 1, 1], ["value", "TEXT", 1, 0]],
  reservations: [
    ["path", "TEXT", 1, 1],
    ["tag", "TEXT", 1, 2],
    ["port", "INTEGER", 1, 0],
    ["project", "TEXT", 0, 0],
    ["task", "TEXT", 0, 0],
    ["created_at", "INTEGER", 1, 0],
    ["last_used_at", "INTEGER", 1, 0]
  ]
}

const CONSTRAINTS = ["valid_port", "valid_created_at", "valid_last_used_at"] as const

const INDEXES: ReadonlyArray<readonly [string, string]> = [
  ["idx_reservations_port", "port"],
  ["idx_reservations_project", "project"],
  ["idx_reservations_last_used", "last_used_at"]
]

/**
 * SQL as comparable tokens: whitespace dropped, bare words case-folded, quoted identifiers
 * decoded (a renamed table is stored as `"reservations"`), comments and literals kept.
 */
export const sqlTokens = (sql: string): ReadonlyArray<string> => {
  const tokens: Array<string> = []
  const pattern = /\s+|--[^\n]*|\/\*[\s\S]*?\*\/|"(?:[^"]|"")*"|`(?:[^`]|``)*`|\[[^\]]*\]|'(?:[^']|'')*'|[A-Za-z_][A-Za-z0-9_$]*|[0-9]+|./g
  for (const match of sql.matchAll(pattern)) {
    const t = match[0]
    if (/^\s+$/.test(t)) continue
    if (t.startsWith("\"")) tokens.push(t.slice(1, -1).replaceAll("\"\"", "\"").toLowerCase())
    else if (t.startsWith("`")) tokens.push(t.slice(1, -1).replaceAll("``", "`").toLowerCase())
    else if (t.startsWith("[")) tokens.push(t.slice(1, -1).toLowerCase())
    else if (/^[A-Za-z_]/.test(t)) tokens.push(t.toLowerCase())
    else tokens.push(t)
  }
  return tokens
}

const expectedTableSql = (table: "metadata" | "reservations"): ReadonlyArray<string> => {
  const ddl = SchemaV2.CREATE_STATEMENTS.find((s) => s.startsWith(`CREATE TABLE IF NOT EXISTS ${table} `))
  return sqlTokens((ddl ?? "").replace("IF NOT EXISTS ", ""))
}

const sameTokens = (a: ReadonlyArray<string>, b: ReadonlyArray<string>) =>
  a.length === b.length && a.every((t, i) => t === b[i])

export const validate = Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  const columnsOf = (table: string) =>
    sql<Column>`SELECT name, type, "notnull" AS "notnull", pk, hidden FROM pragma_table_xinfo(${table}) ORDER BY cid`

  // 1. metadata can be read at all.
  const metadataColumns = (yield* columnsOf("metadata")).map((c) => c.name)
  if (!metadataColumns.includes("key") || !metadataColumns.includes("value")) {
    return yield* corrupt("schema metadata cannot be read because its key/value columns are missing")
  }
  // 2. the version: exactly one TEXT row that parses as an i32 (no row is not "version 0" here).
  const [versionRows] = yield* sql<{ readonly n: number }>`SELECT count(*) AS n FROM metadata WHERE key = 'schema_version'`
  if (versionRows?.n !== 1) {
    return yield* new DatabaseCorrupt({
      details: `table=metadata, field=value, key="schema_version": exactly one schema_version row is required. ${RECOVERY}`
    })
  }
  const version = yield* readSchemaVersion(sql)
  if (version > SchemaV2.VERSION) return yield* new UnsupportedSchemaVersion({ expected: SchemaV2.VERSION, found: version })
  if (version < SchemaV2.VERSION) {
    return yield* new MigrationRequired({
      found: version,
      target: SchemaV2.VERSION,
      action: "validation is read-only; reopen the database writable to apply the ordered migration, or validate a writable migrated copy"
    })
  }
  // 3. column shapes and STRICT.
  const strict = yield* sql<{ readonly name: string; readonly strict: number }>`
    SELECT name, strict FROM pragma_table_list WHERE schema = 'main' AND name IN ('metadata', 'reservations')`
  for (const table of ["metadata", "reservations"] as const) {
    const columns = yield* columnsOf(table)
    const expected = EXPECTED_COLUMNS[table]
    const shapeMatches = columns.length === expected.length && columns.every((c, i) => {
      const e = expected[i]
      return e !== undefined && c.name === e[0] && c.type.toUpperCase() === e[1] && c.notnull === e[2] && c.hidden === 0
    })
    if (!shapeMatches || strict.find((t) => t.name === table)?.strict !== 1) {
      return yield* corrupt("schema v2 table columns or STRICT status do not match the required layout")
    }
  }
  // 4. metadata rows are text; exactly one version row (checked above).
  const metadata = yield* sql<{
    readonly key: unknown
    readonly value: unknown
    readonly key_type: string
    readonly value_type: string
    readonly raw_key: unknown
    readonly raw_value: unknown
  }>`SELECT key, value, typeof(key) AS key_type, typeof(value) AS value_type,
    CAST(key AS BLOB) AS raw_key, CAST(value AS BLOB) AS raw_value FROM metadata`
  for (const row of metadata) {
    const field = row.key_type !== "text" || typeof row.key !== "string" || !isUtf8Text(row.key, row.raw_key)
      ? "key"
      : row.value_type !== "text" || typeof row.value !== "string" || !isUtf8Text(row.value, row.raw_value)
      ? "value"
      : undefined
    if (field !== undefined) return yield* corrupt(`table=metadata, field=${field}: every metadata key and value must be UTF-8 TEXT`)
  }
  // 5. every reservation decodes (fail-closed).
  yield* Reservations.all
  // 6. uniqueness, whatever the constraints say.
  const duplicateKey = yield* sql<{ readonly path: string; readonly tag: string }>`
    SELECT path, tag FROM reservations GROUP BY path, tag HAVING count(*) > 1 LIMIT 1`
  if (duplicateKey[0] !== undefined) {
    return yield* corrupt(
      `table=reservations, field=primary_key, key=path=${JSON.stringify(duplicateKey[0].path)}, tag=${
        duplicateKey[0].tag === "" ? "<untagged>" : JSON.stringify(duplicateKey[0].tag)
      }: duplicate logical path/tag identities are stored`
    )
  }
  const duplicatePort = yield* sql<{ readonly path: string; readonly tag: string }>`
    SELECT path, tag FROM reservations WHERE port IN (SELECT port FROM reservations GROUP BY port HAVING count(*) > 1)
    ORDER BY port, path, tag LIMIT 1`
  if (duplicatePort[0] !== undefined) {
    return yield* corrupt(
      `table=reservations, field=port, key=path=${JSON.stringify(duplicatePort[0].path)}, tag=${
        duplicatePort[0].tag === "" ? "<untagged>" : JSON.stringify(duplicatePort[0].tag)
      }: the same port is stored for more than one reservation`
    )
  }
  // 7. primary-key positions.
  for (const table of ["metadata", "reservations"] as const) {
    const columns = yield* columnsOf(table)
    const pkMatches = EXPECTED_COLUMNS[table].every(([name, , , pk]) => columns.find((c) => c.name === name)?.pk === pk)
    if (!pkMatches) return yield* corrupt("schema v2 primary-key structure does not match the required layout")
  }
  // 8 and 9. the stored table SQL: named CHECK constraints, then the exact definition.
  const tables = yield* sql<{ readonly name: string; readonly sql: string }>`
    SELECT name, sql FROM sqlite_schema WHERE type = 'table' AND name IN ('metadata', 'reservations')`
  const tableSql = (name: string) => tables.find((t) => t.name === name)?.sql ?? ""
  const reservationTokens = sqlTokens(tableSql("reservations"))
  for (const constraint of CONSTRAINTS) {
    if (!reservationTokens.includes(constraint)) {
      return yield* corrupt(`schema v2 reservations table is missing required constraint ${constraint}`)
    }
  }
  for (const table of ["metadata", "reservations"] as const) {
    if (!sameTokens(sqlTokens(tableSql(table)), expectedTableSql(table))) {
      return yield* corrupt(`schema v2 table ${table} does not exactly match the required definition`)
    }
  }
  // 10. the named indexes, the primary-key index and the port uniqueness index.
  const indexes = yield* sql<{ readonly name: string; readonly unique: number; readonly origin: string; readonly partial: number }>`
    SELECT name, "unique" AS "unique", origin, partial FROM pragma_index_list('reservations')`
  for (const [name, column] of INDEXES) {
    const index = indexes.find((i) => i.name === name)
    const keys = index === undefined
      ? []
      : yield* sql<{ readonly name: string; readonly desc: number; readonly coll: string; readonly key: number }>`
        SELECT name, "desc" AS "desc", coll, "key" AS "key" FROM pragma_index_xinfo(${name}) WHERE "key" = 1`
    const [key] = keys
    if (
      index === undefined || index.unique !== 0 || index.origin !== "c" || index.partial !== 0 ||
      keys.length !== 1 || key === undefined || key.name !== column || key.desc !== 0 || key.coll.toUpperCase() !== "BINARY"
    ) {
      return yield* corrupt(
        `schema v2 required index ${name} must be a non-unique, non-partial index created by CREATE INDEX on ${column} (ascending, BINARY)`
      )
    }
  }
  const uniqueOn = (origin: string) =>
    Effect.gen(function*() {
      const found: Array<ReadonlyArray<string>> = []
      for (const index of indexes.filter((i) => i.unique === 1 && i.origin === origin)) {
        const cols = yield* sql<{ readonly name: string }>`
          SELECT name FROM pragma_index_info(${index.name}) ORDER BY seqno`
        found.push(cols.map((c) => c.name))
      }
      return found
    })
  const pk = yield* uniqueOn("pk")
  const unique = yield* uniqueOn("u")
  if (!pk.some((c) => c.join(",") === "path,tag") || !unique.some((c) => c.join(",") === "port")) {
    return yield* corrupt("schema v2 is missing its path/tag primary-key or global port uniqueness index")
  }
  // 11 and 12. foreign keys and physical integrity.
  const foreign = yield* sql`SELECT * FROM pragma_foreign_key_check`
  if (foreign.length > 0) return yield* corrupt("SQLite foreign-key check reported violations")
  const integrity = yield* sql<{ readonly integrity_check: string }>`PRAGMA integrity_check`
  const messages = integrity.map((r) => r.integrity_check)
  if (messages.length !== 1 || messages[0] !== "ok") {
    return yield* corrupt(`SQLite physical integrity check failed: ${messages.join("; ")}`)
  }
})
