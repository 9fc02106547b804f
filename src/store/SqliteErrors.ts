import type { SqlError } from "@effect/sql/SqlError"
import * as Effect from "effect/Effect"
import { causeCode, DatabaseBusy, DatabaseCorrupt, DatabaseFailure } from "../domain/Errors.js"
import { RECOVERY } from "./Corruption.js"

/** The message of a failed BEGIN IMMEDIATE (src/store/Transaction.ts): errors can say what waited. */
export const BEGIN_FAILED = "Failed to begin an immediate transaction"
/** The message of a failed COMMIT (rolled back, the client still usable). */
export const COMMIT_FAILED = "Failed to commit the transaction"

/** better-sqlite3's error code (`SQLITE_BUSY_SNAPSHOT`, ...) behind an SqlError, if any. */
export const sqliteCode = (error: SqlError): string | undefined => causeCode(error.cause)

/** Primary code BUSY or LOCKED, extended codes included (docs/database.md). */
export const isBusy = (error: SqlError): boolean => {
  const code = sqliteCode(error)
  return code !== undefined && (code.startsWith("SQLITE_BUSY") || code.startsWith("SQLITE_LOCKED"))
}

/**
 * SQLite's own corruption codes, as validation reports them (docs/database.md); outside
 * validation they stay database errors (docs/database.md: "a file that is not a database").
 */
export const physicalCorruption = (error: SqlError): DatabaseCorrupt | undefined => {
  const code = sqliteCode(error)
  if (code === undefined || !(code.startsWith("SQLITE_CORRUPT") || code.startsWith("SQLITE_NOTADB"))) return undefined
  const reason = error.cause instanceof Error ? error.cause.message : error.message
  return new DatabaseCorrupt({ details: `SQLite reported physical database corruption: ${reason}. ${RECOVERY}` })
}

/** The operation a command's lock timeout names: its BEGIN IMMEDIATE, or the command as a whole. */
export const commandOperation = (error: SqlError, command: string): string =>
  error.message === BEGIN_FAILED
    ? "starting an immediate database transaction"
    : error.message === COMMIT_FAILED
    ? "committing the database transaction"
    : `executing the ${command} command`

/**
 * Turns an SqlError into trop's typed error: a busy/locked error becomes `DatabaseBusy`
 * naming the operation that waited, anything else `DatabaseFailure`.
 */
export const classify = (
  error: SqlError,
  context: { readonly operation: string; readonly timeoutSeconds: number }
): DatabaseBusy | DatabaseFailure => {
  if (isBusy(error)) return new DatabaseBusy({ operation: context.operation, timeoutSeconds: context.timeoutSeconds })
  const cause = error.cause
  return new DatabaseFailure({ reason: cause instanceof Error ? cause.message : error.message })
}

export const isSqlError = (e: unknown): e is SqlError =>
  typeof e === "object" && e !== null && "_tag" in e && e._tag === "SqlError"

/**
 * `effect` with every SqlError classified (`classify`), naming its BEGIN or COMMIT, or
 * else `executing the <command> command`: no raw SqlError leaves trop.
 */
export const classifyAll = (command: string, timeoutSeconds: number) =>
<A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, Exclude<E, SqlError> | DatabaseBusy | DatabaseFailure, R> =>
  Effect.mapError(effect, (e) =>
    isSqlError(e)
      ? classify(e, { operation: commandOperation(e, command), timeoutSeconds })
      : e as Exclude<E, SqlError>) // the guard's negation: what is not an SqlError
