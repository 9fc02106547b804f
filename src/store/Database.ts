import * as Reactivity from "@effect/experimental/Reactivity"
import * as SqlClient from "@effect/sql/SqlClient"
import type { SqlError } from "@effect/sql/SqlError"
import * as SqliteClient from "@effect/sql-sqlite-node/SqliteClient"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Scope from "effect/Scope"
import * as fs from "node:fs"
import * as nodePath from "node:path"
import type { OpenError } from "../domain/Errors.js"
import {
  causeCode,
  DatabaseFailure,
  DatabaseMissing,
  FileSystemError,
  MigrationRequired,
  UnsupportedSchemaVersion
} from "../domain/Errors.js"
import { createExclusive, PRIVATE_FILE_MODE } from "../paths/AtomicWrite.js"
import { makePrivateDirectory } from "../paths/PrivateDirectory.js"
import { migrateV1 } from "./Migration.js"
import * as ReadOnlyCopy from "./ReadOnlyCopy.js"
import { readSchemaVersion } from "./SchemaVersion.js"
import { validate } from "./Validation.js"
import * as SchemaV2 from "./SchemaV2.js"
import { classify, isBusy, physicalCorruption } from "./SqliteErrors.js"
import { lease, onConnection, outsideTransactions, pragma, restAtFirstSlice, withImmediateTransactions } from "./Transaction.js"

/** How to open trop's database. */
export interface DatabaseOptions {
  /** `<data-dir>/trop.db`, or `IN_MEMORY` for a throwaway database. */
  readonly file: string
  /** SQLite lock wait; 0 fails at once (`PRAGMA busy_timeout`). */
  readonly busyTimeoutSeconds: number
  /** Create the data directory and the database when `trop.db` is missing. */
  readonly autoInit: boolean
  /**
   * Hold the connection for the client's lifetime (`Transaction.lease`): for a client that
   * only trop's code uses, never one handed to an app as its `SqlClient`.
   */
  readonly leased?: boolean | undefined
}

/** A private in-memory database: dry runs plan against it when `trop.db` does not exist. */
export const IN_MEMORY = ":memory:"

/** `<data-dir>/trop.db`. */
export const databaseFile = (dataDir: string): string => nodePath.join(dataDir, "trop.db")

/** The operation named when a lock wait expires while opening. */
export const OPENING = "opening, configuring, or migrating the database"

/** Real time, independent of any TestClock: lock waits are about other processes. */
const sleepMillis = (ms: number) => Effect.promise(() => new Promise<void>((resolve) => setTimeout(resolve, ms)))

/**
 * Switches to WAL. The switch needs a moment of exclusive access, so while other
 * processes hold the file it is retried every 10 ms within the busy-timeout budget
 * (docs/database.md).
 */
const enableWal = (sql: SqlClient.SqlClient, timeoutMs: number) =>
  Effect.gen(function*() {
    const deadline = Date.now() + timeoutMs
    while (true) {
      const remaining = Math.max(0, deadline - Date.now())
      yield* pragma(sql, `busy_timeout = ${remaining}`)
      const result = yield* Effect.either(pragma(sql, "journal_mode = WAL"))
      // The mode the database is in now: WAL, or the one it keeps (a file system without WAL).
      if (result._tag === "Right") return journalMode(result.right)
      if (!isBusy(result.left) || remaining === 0) return yield* Effect.fail(result.left)
      yield* sleepMillis(Math.min(remaining, 10))
    }
  })

const journalMode = (rows: ReadonlyArray<unknown>): unknown => {
  const row = rows[0]
  return typeof row === "object" && row !== null && "journal_mode" in row ? row.journal_mode : undefined
}

/**
 * Whether on a connection in this journal mode only BEGIN IMMEDIATE waits for the lock (not
 * a COMMIT, not a read): WAL, or a private in-memory database. Not a rollback journal, where
 * a COMMIT waits for readers (`Transaction.restAtFirstSlice`).
 */
const waitsOnlyToBegin = (mode: unknown) => mode === "wal" || mode === "memory"

/** Accepts schema v2; refuses anything else without touching it. */
const requireCurrent = (version: number) => {
  if (version === SchemaV2.VERSION) return Effect.void
  if (version > SchemaV2.VERSION) {
    return Effect.fail(new UnsupportedSchemaVersion({ expected: SchemaV2.VERSION, found: version }))
  }
  return Effect.fail(
    new MigrationRequired({
      found: version,
      target: SchemaV2.VERSION,
      action: "no ordered migration is available for this older schema version"
    })
  )
}

/**
 * Creates schema v2 in an empty database. Runs inside an immediate transaction and
 * re-reads the version under the lock, so processes opening a fresh data directory at
 * once serialize and exactly one creates the schema.
 */
const initialize = (sql: SqlClient.SqlClient) =>
  sql.withTransaction(Effect.gen(function*() {
    const underLock = yield* readSchemaVersion(sql)
    if (underLock !== 0) return yield* requireCurrent(underLock)
    for (const statement of SchemaV2.CREATE_STATEMENTS) yield* sql.unsafe(statement)
    yield* validate.pipe(Effect.provideService(SqlClient.SqlClient, sql))
  }))

/**
 * An SqliteClient on `file`; trop switches the journal mode itself. better-sqlite3 throws
 * from its constructor (unopenable path, permissions): a defect in SqliteClient, a typed
 * error here. A file this process may not write is read from a private copy, so that
 * reading it leaves no -wal/-shm behind.
 */
const openClient = (file: string, readonly: boolean) =>
  Effect.gen(function*() {
    const copy = file === IN_MEMORY ? Option.none<string>() : yield* ReadOnlyCopy.make(file)
    return yield* SqliteClient.make({
      filename: Option.getOrElse(copy, () => file),
      readonly: readonly || Option.isSome(copy),
      disableWAL: true
    })
  }).pipe(
    Effect.catchAllDefect((defect) => Effect.fail(DatabaseFailure.fromCause(defect))),
    Effect.provideServiceEffect(Reactivity.Reactivity, Reactivity.make)
  )

/**
 * The data directory (0700 when new) and an empty trop.db (0600; SQLite gives its -wal and
 * -shm the same mode), so that nothing trop creates is readable by others, whatever the
 * umask. A trop.db another process created meanwhile is left as it is.
 */
const ensureDataDir = (file: string) =>
  Effect.try({
    try: () => {
      makePrivateDirectory(nodePath.dirname(file))
      try {
        fs.closeSync(createExclusive(file, PRIVATE_FILE_MODE))
      } catch (cause) {
        if (causeCode(cause) !== "EEXIST") throw cause
      }
    },
    catch: FileSystemError.fromCause
  })

/**
 * Opens (auto-creating unless disabled) trop's database: WAL, `synchronous=NORMAL`, the
 * busy timeout, and schema v2. The returned client's `withTransaction` is immediate.
 */
export const make = (options: DatabaseOptions): Effect.Effect<SqlClient.SqlClient, OpenError, Scope.Scope> =>
  outsideTransactions(Effect.gen(function*() {
    const inMemory = options.file === IN_MEMORY
    if (!inMemory && !fs.existsSync(options.file)) {
      if (!options.autoInit) return yield* new DatabaseMissing({ file: options.file })
      yield* ensureDataDir(options.file)
    }
    const timeoutMs = options.busyTimeoutSeconds * 1000
    const sql = withImmediateTransactions(yield* openClient(options.file, false), { busyTimeoutMs: timeoutMs })
    // All on the connection, taken once (Transaction.onConnection).
    const configure = Effect.gen(function*() {
      yield* pragma(sql, `busy_timeout = ${timeoutMs}`)
      // Refuse unknown versions before changing anything, not even the journal mode; a
      // v1 database migrates in its own journal mode, so a blocked migration changes nothing.
      const version = yield* readSchemaVersion(sql)
      if (version === 1) yield* migrateV1(sql)
      else if (version !== 0) yield* requireCurrent(version)
      const mode = inMemory ? "memory" : yield* enableWal(sql, timeoutMs)
      yield* pragma(sql, "synchronous = NORMAL")
      // enableWal left what remained of the budget.
      yield* waitsOnlyToBegin(mode) ? restAtFirstSlice(sql) : pragma(sql, `busy_timeout = ${timeoutMs}`)
      if (version === 0) yield* initialize(sql)
    })
    yield* configure.pipe(
      onConnection(sql),
      Effect.zipRight(options.leased === true ? lease(sql) : Effect.void),
      Effect.catchTag("SqlError", (e) =>
        Effect.fail(classify(e, { operation: OPENING, timeoutSeconds: options.busyTimeoutSeconds })))
    )
    return sql
  }))

/** `SqlClient` for trop's database, with immediate transactions. */
export const layer = (options: DatabaseOptions): Layer.Layer<SqlClient.SqlClient, OpenError> =>
  Layer.scoped(SqlClient.SqlClient, make(options))

/**
 * Runs `effect` with trop's database as its `SqlClient`, closed when `effect` ends: `layer`
 * without building a Layer, which costs a measurable part of a short CLI run.
 */
export const provide = (options: DatabaseOptions) =>
<A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E | OpenError, Exclude<R, SqlClient.SqlClient>> =>
  Effect.scopedWith((scope) =>
    Effect.flatMap(Scope.extend(make(options), scope), (sql) => Effect.provideService(effect, SqlClient.SqlClient, sql)))

class Rollback extends Data.TaggedError("trop/Rollback") {}

/**
 * Runs `effect` inside one immediate transaction and rolls it back, returning what it
 * computed: a dry run plans under the same lock and errors as the real run (docs/cli.md).
 */
export const rolledBack = <A, E, R>(
  effect: Effect.Effect<A, E, R>
): Effect.Effect<A, E | SqlError, R | SqlClient.SqlClient> =>
  Effect.flatMap(SqlClient.SqlClient, (sql) => {
    let result = Option.none<A>()
    return sql.withTransaction(
      Effect.flatMap(effect, (a) => {
        result = Option.some(a)
        return new Rollback()
      })
    ).pipe(
      Effect.catchIf((e): e is Rollback => e instanceof Rollback, () => Effect.void),
      Effect.flatMap(() => Effect.orDie(result))
    )
  })

/**
 * Opens an existing database only to validate it (`assert-data-dir --validate`, docs/database.md):
 * busy timeout only — no WAL switch, no initialization, no migration, no writes. When no
 * `-wal` file exists the handle is read-write but never writes, because a read-only
 * handle would leave empty `-wal`/`-shm` files behind; SQLite removes the ones a
 * read-write handle makes when it closes. With a `-wal` or `-journal` file present it is
 * read-only, so nothing (not even a hot journal) is replayed into the file. A file this
 * process may not write is validated on a private copy (openClient).
 */
export const validateFile = (file: string, busyTimeoutSeconds: number): Effect.Effect<void, OpenError> =>
  Effect.gen(function*() {
    // A hot rollback journal must not be rolled back by us either.
    const client = yield* openClient(file, fs.existsSync(`${file}-wal`) || fs.existsSync(`${file}-journal`))
    yield* client.unsafe(`PRAGMA busy_timeout = ${busyTimeoutSeconds * 1000}`)
    yield* validate.pipe(Effect.provideService(SqlClient.SqlClient, client))
  }).pipe(
    Effect.catchTag("SqlError", (e) =>
      Effect.fail(
        physicalCorruption(e) ??
          classify(e, { operation: "opening and validating the database", timeoutSeconds: busyTimeoutSeconds })
      )),
    Effect.scoped
  )

/**
 * Empties `file` and creates schema v2 in it inside one immediate transaction (`init
 * --overwrite`). It waits for the write lock like every writer, so a transaction in
 * progress commits first, into this same file, and is emptied afterwards: never committed
 * into an unlinked one. Every table and view goes, whatever the old schema version. Fails
 * with the SqlError of the lock wait, or of a file SQLite cannot open, lock or read as a
 * database.
 */
export const recreate = (file: string, busyTimeoutSeconds: number): Effect.Effect<void, SqlError | OpenError> =>
  Effect.gen(function*() {
    const sql = withImmediateTransactions(yield* openClient(file, false), { busyTimeoutMs: busyTimeoutSeconds * 1000 })
    yield* sql.unsafe(`PRAGMA busy_timeout = ${busyTimeoutSeconds * 1000}`)
    // Dropping a table must not run the foreign-key actions of a schema we do not know.
    yield* sql.unsafe("PRAGMA foreign_keys = OFF")
    yield* sql.withTransaction(Effect.gen(function*() {
      const objects = yield* sql<{ readonly type: string; readonly name: string }>`
        SELECT type, name FROM sqlite_master WHERE type IN ('table', 'view') AND name NOT LIKE 'sqlite!_%' ESCAPE '!'`
      for (const { name, type } of objects) {
        yield* sql.unsafe(`DROP ${type === "view" ? "VIEW" : "TABLE"} IF EXISTS "${name.replaceAll("\"", "\"\"")}"`)
      }
      for (const statement of SchemaV2.CREATE_STATEMENTS) yield* sql.unsafe(statement)
      yield* validate.pipe(Effect.provideService(SqlClient.SqlClient, sql))
    }))
  }).pipe(Effect.scoped)
