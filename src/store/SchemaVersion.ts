import type * as SqlClient from "@effect/sql/SqlClient"
import * as Effect from "effect/Effect"
import { DatabaseCorrupt } from "../domain/Errors.js"
import { RECOVERY } from "./Corruption.js"
import { execute } from "./Transaction.js"

const versionCorruption = (reason: string) =>
  new DatabaseCorrupt({ details: `table=metadata, field=value, key="schema_version": ${reason}. ${RECOVERY}` })

/** Whether TEXT read back as `text` really was UTF-8: its stored bytes re-encode identically. */
export const isUtf8Text = (text: string, raw: unknown): boolean =>
  !Buffer.isBuffer(raw) || raw.equals(Buffer.from(text, "utf8"))

/** The stored schema version; 0 when there is no metadata table or no version row (docs/database.md). */
export const readSchemaVersion = (sql: SqlClient.SqlClient) =>
  Effect.gen(function*() {
    // Ask sqlite_master first: a statement prepared before its table exists stays
    // failed in the client's statement cache.
    const [tables] = yield* execute(
      sql,
      sql<{ readonly n: number }>`SELECT count(*) AS n FROM sqlite_master WHERE type = 'table' AND name = 'metadata'`
    )
    if (tables === undefined || tables.n === 0) return 0
    const rows = yield* execute(
      sql,
      sql<{ readonly type: string; readonly value: unknown; readonly raw: unknown }>`
        SELECT typeof(value) AS type, value, CAST(value AS BLOB) AS raw FROM metadata WHERE key = 'schema_version'`
    )
    if (rows.length === 0) return 0
    const [row] = rows
    if (rows.length > 1 || row === undefined) return yield* versionCorruption("exactly one schema_version row is required")
    if (row.type !== "text" || typeof row.value !== "string") {
      return yield* versionCorruption(`schema_version must be TEXT, found ${row.type.toUpperCase()}`)
    }
    if (!isUtf8Text(row.value, row.raw)) return yield* versionCorruption("schema_version TEXT is not valid UTF-8")
    const n = /^[+-]?[0-9]+$/.test(row.value) ? Number(row.value) : NaN
    if (!Number.isSafeInteger(n) || n < -(2 ** 31) || n >= 2 ** 31) {
      return yield* versionCorruption("schema_version must be a base-10 signed integer")
    }
    return n
  })

