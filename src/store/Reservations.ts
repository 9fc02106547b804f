import * as SqlClient from "@effect/sql/SqlClient"
import type { SqlError } from "@effect/sql/SqlError"
import type * as Statement from "@effect/sql/Statement"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import * as nodePath from "node:path"
import { AbsolutePath } from "../domain/AbsolutePath.js"
import { DatabaseCorrupt } from "../domain/Errors.js"
import { Project, Tag, Task } from "../domain/Identifier.js"
import * as Port from "../domain/Port.js"
import type { Reservation } from "../domain/Reservation.js"
import { UnixSeconds } from "../domain/Reservation.js"
import type { ReservationKey } from "../domain/ReservationKey.js"
import { RECOVERY } from "./Corruption.js"
import { connection, CurrentTransaction, execute } from "./Transaction.js"

/** A raw `reservations` row with the storage class of every column (docs/database.md). */
interface StoredRow {
  readonly row_id: number
  readonly path: unknown
  readonly path_type: string
  readonly tag: unknown
  readonly tag_type: string
  readonly port: unknown
  readonly port_type: string
  readonly project: unknown
  readonly project_type: string
  readonly task: unknown
  readonly task_type: string
  readonly created_at: unknown
  readonly created_at_type: string
  readonly last_used_at: unknown
  readonly last_used_at_type: string
}

const storedTag = (key: ReservationKey): string => Option.getOrElse(key.tag, () => "")


/** How a stored key value appears in diagnostics: escaped text, never a blob's content. */
const keyText = (value: unknown, type: string, untagged = false): string =>
  value instanceof InvalidUtf8
    ? "<invalid UTF-8>"
    : type !== "text" || typeof value !== "string"
    ? `<${type.toUpperCase()}>`
    : untagged && value === ""
    ? "<untagged>"
    : JSON.stringify(value)

const corruption = (row: StoredRow, field: string, reason: string) =>
  new DatabaseCorrupt({
    details: `table=reservations, field=${field}, key=path=${keyText(row.path, row.path_type)}, tag=${
      keyText(row.tag, row.tag_type, true)
    }: ${reason}. ${RECOVERY}`
  })

type Check<A> = Either.Either<A, string>

const isAbsolutePath = Schema.is(AbsolutePath)
const isTag = Schema.is(Tag)
const isUnixSeconds = Schema.is(UnixSeconds)

/** Stands in for TEXT whose bytes are not UTF-8 (better-sqlite3 would decode it lossily). */
class InvalidUtf8 {}

const text = (value: unknown, type: string): Check<string> =>
  value instanceof InvalidUtf8
    ? Either.left("stored TEXT is not valid UTF-8")
    : type === "text" && typeof value === "string"
    ? Either.right(value)
    : Either.left(`expected TEXT, found ${type.toUpperCase()}`)

const integer = (value: unknown, type: string): Check<number> =>
  type === "integer" && typeof value === "number"
    ? Either.right(value)
    : Either.left(`expected INTEGER, found ${type.toUpperCase()}`)

const decodePath = (value: unknown, type: string): Check<AbsolutePath> =>
  Either.flatMap(text(value, type), (s) => {
    if (s === "") return Either.left("path must be nonempty")
    if (!nodePath.isAbsolute(s)) return Either.left("path must be absolute")
    return isAbsolutePath(s) ? Either.right(s) : Either.left("path must already be in its absolute lexical-normal form")
  })

const decodeTag = (value: unknown, type: string): Check<Option.Option<Tag>> =>
  Either.flatMap(text(value, type), (s) =>
    s === ""
      ? Either.right(Option.none())
      : isTag(s)
      ? Either.right(Option.some(s))
      : Either.left("tag must be the empty untagged sentinel or exact trimmed nonempty text"))

const decodeOptional = <A>(is: (u: unknown) => u is A) => (value: unknown, type: string): Check<Option.Option<A>> =>
  type === "null"
    ? Either.right(Option.none())
    : Either.flatMap(text(value, type), (s) =>
      is(s)
        ? Either.right(Option.some(s))
        : Either.left("optional identifier must be NULL or exact trimmed nonempty text"))

const decodeTimestamp = (value: unknown, type: string): Check<UnixSeconds> =>
  Either.flatMap(integer(value, type), (n) =>
    n < 0
      ? Either.left("timestamp must be nonnegative")
      : isUnixSeconds(n)
      ? Either.right(n)
      : Either.left("timestamp is outside the supported display and serialization range"))

/** Decodes a row fail-closed: the first bad column is a `DatabaseCorrupt`, never skipped. */
const decode = (row: StoredRow): Either.Either<Reservation, DatabaseCorrupt> =>
  Either.all({
    path: Either.mapLeft(decodePath(row.path, row.path_type), (r) => ["path", r] as const),
    tag: Either.mapLeft(decodeTag(row.tag, row.tag_type), (r) => ["tag", r] as const),
    port: Either.mapLeft(
      Either.flatMap(integer(row.port, row.port_type), (n) =>
        Port.isPort(n) ? Either.right(n) : Either.left("port must be an integer in 1..=65535")),
      (r) => ["port", r] as const
    ),
    project: Either.mapLeft(decodeOptional(isProject)(row.project, row.project_type), (r) => ["project", r] as const),
    task: Either.mapLeft(decodeOptional(isTask)(row.task, row.task_type), (r) => ["task", r] as const),
    createdAt: Either.mapLeft(decodeTimestamp(row.created_at, row.created_at_type), (r) => ["created_at", r] as const),
    lastUsedAt: Either.mapLeft(decodeTimestamp(row.last_used_at, row.last_used_at_type), (r) =>
      ["last_used_at", r] as const)
  }).pipe(
    Either.map((r) => ({
      key: { path: r.path, tag: r.tag },
      port: r.port,
      project: r.project,
      task: r.task,
      createdAt: r.createdAt,
      lastUsedAt: r.lastUsedAt
    })),
    Either.mapLeft(([field, reason]) => corruption(row, field, reason))
  )

const TEXT_COLUMNS = ["path", "tag", "project", "task"] as const

/**
 * Marks TEXT columns whose stored bytes are not valid UTF-8. Only rows whose decoded text
 * holds U+FFFD (what invalid bytes decode to) are re-read as bytes, so this costs nothing
 * on healthy databases.
 */
const markInvalidUtf8 = (sql: SqlClient.SqlClient, row: StoredRow): Effect.Effect<StoredRow, SqlError> => {
  const suspect = TEXT_COLUMNS.filter((c) => typeof row[c] === "string" && (row[c] as string).includes("\uFFFD"))
  if (suspect.length === 0) return Effect.succeed(row)
  return execute(
    sql,
    sql<Record<string, unknown>>`SELECT CAST(path AS BLOB) AS path, CAST(tag AS BLOB) AS tag,
      CAST(project AS BLOB) AS project, CAST(task AS BLOB) AS task FROM reservations WHERE rowid = ${row.row_id}`
  ).pipe(
    Effect.map(([raw]) => {
      const marked: Record<string, unknown> = { ...row }
      for (const column of suspect) {
        const bytes = raw?.[column]
        if (Buffer.isBuffer(bytes) && !bytes.equals(Buffer.from(row[column] as string, "utf8"))) {
          marked[column] = new InvalidUtf8()
        }
      }
      return marked as unknown as StoredRow
    })
  )
}

/**
 * The rows decoded in order, failing at the first bad one. Rows the cheap checks of
 * `plainlyValid` accept (nearly all) are built directly, without a fiber step each: under
 * the write lock, allocation reads every row. From the first other row on, each is decoded
 * by `decode`, the reference, which accepts it or says why not.
 */
const decodeAll = (rows: ReadonlyArray<StoredRow>): Effect.Effect<Array<Reservation>, StoreError, SqlClient.SqlClient> => {
  const decoded: Array<Reservation> = []
  let next = 0
  for (; next < rows.length; next++) {
    const row = asPageRow(rows[next] as StoredRow)
    if (!plainlyValid(row)) break
    decoded.push(reservation(row))
  }
  if (next === rows.length) return Effect.succeed(decoded)
  return Effect.flatMap(SqlClient.SqlClient, (sql) =>
    Effect.map(
      Effect.forEach(rows.slice(next), (row) => Effect.flatMap(markInvalidUtf8(sql, row), (checked) => decode(checked))),
      (rest) => [...decoded, ...rest]
    ))
}

/** Errors every reservation query can fail with. */
export type StoreError = SqlError | DatabaseCorrupt

const selectRows = (sql: SqlClient.SqlClient) =>
  sql`SELECT rowid AS row_id, path, typeof(path) AS path_type, tag, typeof(tag) AS tag_type,
    port, typeof(port) AS port_type, project, typeof(project) AS project_type,
    task, typeof(task) AS task_type, created_at, typeof(created_at) AS created_at_type,
    last_used_at, typeof(last_used_at) AS last_used_at_type FROM reservations`

/** Every reservation, ordered by path then tag (untagged first), in UTF-8 byte order. */
export const all: Effect.Effect<ReadonlyArray<Reservation>, StoreError, SqlClient.SqlClient> = Effect.flatMap(
  SqlClient.SqlClient,
  (sql) =>
    execute(sql, sql<StoredRow>`${selectRows(sql)} ORDER BY path, tag`).pipe(Effect.flatMap(decodeAll))
)

/** Rows per page of `forEachPage`: a page is read, checked or handed on at once. */
export const PAGE_SIZE = 256

/**
 * Rows in rowid order, the cheapest scan (the table itself, no index), after the row
 * `after`, with whether the three INTEGER columns hold INTEGERs (JavaScript cannot tell
 * 5000.0 from 5000; it can tell TEXT, BLOB and NULL apart). Rowids come as text: a rowid
 * beyond 2^53 would not survive a JavaScript number, and SQLite compares text with a rowid
 * numerically.
 */
const scanPage = (sql: SqlClient.SqlClient, after: string | undefined): Statement.Statement<unknown> => {
  const columns = sql`CAST(rowid AS TEXT), path, tag, port, project, task, created_at, last_used_at,
    typeof(port) = 'integer' AND typeof(created_at) = 'integer' AND typeof(last_used_at) = 'integer'`
  return after === undefined
    ? sql`SELECT ${columns} FROM reservations ORDER BY rowid LIMIT ${PAGE_SIZE}`
    : sql`SELECT ${columns} FROM reservations WHERE rowid > ${after} ORDER BY rowid LIMIT ${PAGE_SIZE}`
}

/**
 * Rows in the order of `all`, then by rowid (the key is unique in schema v2; the rowid
 * orders any duplicates of a damaged table as its sort does), after the row `after`: the
 * page starts after that row's stored values, compared in SQLite, so no key makes a round
 * trip through JavaScript and no page repeats or skips a row.
 */
const listPage = (sql: SqlClient.SqlClient, after: string | undefined): Statement.Statement<unknown> => {
  const columns = sql`CAST(rowid AS TEXT), path, tag, port, project, task, created_at, last_used_at`
  return after === undefined
    ? sql`SELECT ${columns} FROM reservations ORDER BY path, tag, rowid LIMIT ${PAGE_SIZE}`
    : sql`SELECT ${columns} FROM reservations
        WHERE (path, tag, rowid) > (SELECT path, tag, rowid FROM reservations WHERE rowid = ${after})
        ORDER BY path, tag, rowid LIMIT ${PAGE_SIZE}`
}

/** A row of scanPage (with `integers`) or listPage (without). */
type PageRow = readonly [
  rowId: string,
  path: unknown,
  tag: unknown,
  port: unknown,
  project: unknown,
  task: unknown,
  createdAt: unknown,
  lastUsedAt: unknown,
  integers?: number
]

const isProject = Schema.is(Project)
const isTask = Schema.is(Task)

// Cheap sufficient conditions for the schemas `decode` checks (what one accepts, the
// schema accepts too), tried first on every row; the schema itself decides the rest, so no
// row is judged differently from `decode`.
const POSIX = nodePath.sep === "/"
const SLASH = 47
/** Absolute and lexically normal: no empty, `.` or `..` component and no trailing slash. */
const plainPath = (s: string) =>
  POSIX && s.charCodeAt(0) === SLASH && (s.length === 1 || s.charCodeAt(s.length - 1) !== SLASH) &&
  !s.includes("//") && !s.includes("/.")
/** Printable ASCII other than the space: never trimmed. */
const untrimmable = (c: number) => c > 0x20 && c < 0x7f
/** Nonempty and trimmed (Tag, Project, Task). */
const plainIdentifier = (s: string) =>
  s.length > 0 && untrimmable(s.charCodeAt(0)) && untrimmable(s.charCodeAt(s.length - 1))
const LAST_UNIX_SECOND = 8210298412799

/** TEXT that decodes to itself: better-sqlite3 turns bytes that are not UTF-8 into U+FFFD. */
const isText = (u: unknown): u is string => typeof u === "string" && !u.includes("\uFFFD")
const validPath = (u: unknown) => isText(u) && (plainPath(u) || isAbsolutePath(u))
const validTag = (u: unknown) => isText(u) && (u === "" || plainIdentifier(u) || isTag(u))
const validPort = (u: unknown) =>
  typeof u === "number" && ((Number.isSafeInteger(u) && u >= 1 && u <= Port.MAX_PORT) || Port.isPort(u))
const validOptional = (is: (s: string) => boolean) => (u: unknown) =>
  u === null || (isText(u) && (plainIdentifier(u) || is(u)))
const validProject = validOptional(isProject)
const validTask = validOptional(isTask)
const validTimestamp = (u: unknown) =>
  typeof u === "number" && u >= 0 && ((Number.isSafeInteger(u) && u <= LAST_UNIX_SECOND) || isUnixSeconds(u))

/**
 * Whether `decode` accepts this scanPage row as it is. A row it refuses (or whose text may
 * stand for bytes that are not UTF-8) is decoded again by `decodeRow`, the reference,
 * which accepts it or says why not.
 */
const plainlyValid = (row: PageRow): boolean =>
  row[8] === 1 && validPath(row[1]) && validTag(row[2]) && validPort(row[3]) && validProject(row[4]) &&
  validTask(row[5]) && validTimestamp(row[6]) && validTimestamp(row[7])

/**
 * A row of `selectRows` as a scanPage row, for `plainlyValid` and `reservation`: a string is
 * TEXT (better-sqlite3 gives INTEGER and REAL as numbers, BLOB as a Buffer, NULL as null),
 * so only the INTEGER columns need their storage class.
 */
const asPageRow = (row: StoredRow): PageRow => [
  String(row.row_id),
  row.path,
  row.tag,
  row.port,
  row.project,
  row.task,
  row.created_at,
  row.last_used_at,
  row.port_type === "integer" && row.created_at_type === "integer" && row.last_used_at_type === "integer" ? 1 : 0
]

/** The reservation `decode` makes of a row it accepts (as the first pass made sure). */
const reservation = (row: PageRow): Reservation =>
  ({
    key: { path: row[1], tag: row[2] === "" ? Option.none() : Option.some(row[2]) },
    port: row[3],
    project: Option.fromNullable(row[4]),
    task: Option.fromNullable(row[5]),
    createdAt: row[6],
    lastUsedAt: row[7]
  }) as Reservation

/** One row decoded as `all` decodes it, read again by rowid: its reservation or its DatabaseCorrupt. */
const decodeRow = (sql: SqlClient.SqlClient, rowId: string) =>
  execute(sql, sql<StoredRow>`${selectRows(sql)} WHERE rowid = ${rowId}`).pipe(Effect.flatMap(decodeAll))

/**
 * A read snapshot on `sql` for the current scope: a deferred transaction (`BEGIN`: no lock
 * is waited for or held against writers, which in WAL mode go on meanwhile) on the client's
 * connection, held until the scope closes, then rolled back (it wrote nothing). Inside one
 * of trop's transactions on this client, that transaction is the snapshot already. Returns
 * the connection and what runs the client's own queries on it.
 *
 * The page cache is held to 2 MiB meanwhile (better-sqlite3 makes it 16 MiB): each pass
 * reads every page once, in order, so a bigger cache only adds memory.
 */
const readSnapshot = (sql: SqlClient.SqlClient) =>
  Effect.gen(function*() {
    const open = yield* Effect.serviceOption(CurrentTransaction)
    if (Option.isSome(open) && open.value.client === sql) {
      return { conn: open.value.conn, inSnapshot: <A, E, R>(effect: Effect.Effect<A, E, R>) => effect }
    }
    const conn = yield* connection(sql)
    yield* Effect.acquireRelease(
      conn.executeUnprepared("BEGIN", [], undefined),
      () => Effect.ignore(conn.executeUnprepared("ROLLBACK", [], undefined))
    )
    const cacheSize = (yield* conn.executeValues("PRAGMA cache_size", []))[0]?.[0]
    if (typeof cacheSize === "number" && cacheSize < -2048) {
      yield* Effect.acquireRelease(
        conn.executeUnprepared("PRAGMA cache_size = -2048", [], undefined),
        () => Effect.ignore(conn.executeUnprepared(`PRAGMA cache_size = ${cacheSize}`, [], undefined))
      )
    }
    return {
      conn,
      inSnapshot: <A, E, R>(effect: Effect.Effect<A, E, R>) =>
        Effect.provideService(effect, SqlClient.TransactionConnection, [conn, 0] as const)
    }
  })

/**
 * Every reservation in the order of `all`, handed to `f` page by page (PAGE_SIZE rows at
 * most, in order), all read from one read snapshot, so memory does not grow with the
 * number of rows. Fail-closed like `all`: every row is checked first (a first pass over
 * the snapshot), so a bad row anywhere fails with the DatabaseCorrupt `all` fails with
 * before `f` has run at all (the output of `list` stays empty). A failure of `f` ends the
 * reading. `f` runs while the snapshot holds the client's connection: it must not use the
 * database.
 *
 * Plain loops, not a Stream, and statements run straight on the connection: per page,
 * Stream's machinery, like a statement run through the client (which opens and closes a
 * Scope), leaves garbage that outlives young-generation collections, and the heap would
 * grow with the number of rows until a full collection.
 */
export const forEachPage = <E, R>(
  f: (page: ReadonlyArray<Reservation>) => Effect.Effect<void, E, R>
): Effect.Effect<void, StoreError | E, SqlClient.SqlClient | R> =>
  Effect.scoped(Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const { conn, inSnapshot } = yield* readSnapshot(sql)
    const run = (statement: Statement.Statement<unknown>) =>
      conn.executeValues(...statement.compile()) as Effect.Effect<ReadonlyArray<PageRow>, SqlError>
    /** Runs `g` on each page of listPage, in order. */
    const inOrder = <E2, R2>(g: (rows: ReadonlyArray<PageRow>) => Effect.Effect<void, E2, R2>) =>
      Effect.gen(function*() {
        let after: string | undefined = undefined
        while (true) {
          const rows: ReadonlyArray<PageRow> = yield* run(listPage(sql, after))
          yield* g(rows)
          if (rows.length < PAGE_SIZE) return
          after = rows[rows.length - 1]![0]
        }
      })

    // First pass, in rowid order: the rows `decode` may refuse.
    const suspects = new Set<string>()
    let after: string | undefined = undefined
    while (true) {
      const rows: ReadonlyArray<PageRow> = yield* run(scanPage(sql, after))
      for (const row of rows) if (!plainlyValid(row)) suspects.add(row[0])
      if (rows.length < PAGE_SIZE) break
      after = rows[rows.length - 1]![0]
    }
    // Decoded in list order, the first one refused is the row `all` fails on.
    if (suspects.size > 0) {
      yield* inOrder((rows) =>
        Effect.forEach(rows, (row) => suspects.has(row[0]) ? inSnapshot(decodeRow(sql, row[0])) : Effect.void, {
          discard: true
        })
      )
    }
    // Second pass, in list order, over the rows the first one accepted.
    yield* inOrder((rows) => Effect.suspend(() => f(rows.map(reservation))))
  }))

/** The reservation of exactly this key. */
export const byKey = (key: ReservationKey): Effect.Effect<Option.Option<Reservation>, StoreError, SqlClient.SqlClient> =>
  Effect.flatMap(SqlClient.SqlClient, (sql) =>
    execute(sql, sql<StoredRow>`${selectRows(sql)} WHERE path = ${key.path} AND tag = ${storedTag(key)}`).pipe(
      Effect.flatMap(decodeAll),
      Effect.map((rows) => Option.fromNullable(rows[0]))
    ))

/** The tagged reservations at exactly `path`: the group stored there, if any. */
export const groupAt = (path: AbsolutePath): Effect.Effect<ReadonlyArray<Reservation>, StoreError, SqlClient.SqlClient> =>
  Effect.flatMap(SqlClient.SqlClient, (sql) =>
    execute(sql, sql<StoredRow>`${selectRows(sql)} WHERE path = ${path} AND tag <> ''`).pipe(Effect.flatMap(decodeAll)))

/** The reservation holding this port, if any. */
export const byPort = (port: Port.Port): Effect.Effect<Option.Option<Reservation>, StoreError, SqlClient.SqlClient> =>
  Effect.flatMap(SqlClient.SqlClient, (sql) =>
    execute(sql, sql<StoredRow>`${selectRows(sql)} WHERE port = ${port}`).pipe(
      Effect.flatMap(decodeAll),
      Effect.map((rows) => Option.fromNullable(rows[0]))
    ))

/** The reservation with the lowest port in `start..end`, if any. */
export const lowestInRange = (
  start: number,
  end: number
): Effect.Effect<Option.Option<Reservation>, StoreError, SqlClient.SqlClient> =>
  Effect.flatMap(SqlClient.SqlClient, (sql) =>
    execute(sql, sql<StoredRow>`${selectRows(sql)} WHERE port BETWEEN ${start} AND ${end} ORDER BY port LIMIT 1`).pipe(
      Effect.flatMap(decodeAll),
      Effect.map((rows) => Option.fromNullable(rows[0]))
    ))

/**
 * Writes a new row with a plain INSERT (never an upsert): a port held by another key
 * makes it fail instead of silently evicting that key (docs/concepts.md).
 */
export const insert = (r: Reservation): Effect.Effect<void, SqlError, SqlClient.SqlClient> =>
  Effect.flatMap(SqlClient.SqlClient, (sql) =>
    execute(
      sql,
      sql`INSERT INTO reservations (path, tag, port, project, task, created_at, last_used_at)
        VALUES (${r.key.path}, ${storedTag(r.key)}, ${r.port}, ${Option.getOrNull(r.project)},
          ${Option.getOrNull(r.task)}, ${r.createdAt}, ${r.lastUsedAt})`
    ).pipe(Effect.asVoid))

/** Deletes the row of this key, if any. */
export const remove = (key: ReservationKey): Effect.Effect<void, SqlError, SqlClient.SqlClient> =>
  Effect.flatMap(SqlClient.SqlClient, (sql) =>
    execute(sql, sql`DELETE FROM reservations WHERE path = ${key.path} AND tag = ${storedTag(key)}`).pipe(Effect.asVoid))

/** Sets project, task and last-used time of an existing row (a refresh). */
export const update = (r: Reservation): Effect.Effect<void, SqlError, SqlClient.SqlClient> =>
  Effect.flatMap(SqlClient.SqlClient, (sql) =>
    execute(
      sql,
      sql`UPDATE reservations SET project = ${Option.getOrNull(r.project)}, task = ${Option.getOrNull(r.task)},
        last_used_at = ${r.lastUsedAt} WHERE path = ${r.key.path} AND tag = ${storedTag(r.key)}`
    ).pipe(Effect.asVoid))

/**
 * Deletes a row only if all seven columns still hold what was read, so a row someone
 * changed meanwhile survives. Returns whether the row is gone afterwards.
 */
export const removeUnchanged = (r: Reservation): Effect.Effect<boolean, StoreError, SqlClient.SqlClient> =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    yield* execute(
      sql,
      sql`DELETE FROM reservations WHERE path = ${r.key.path} AND tag = ${storedTag(r.key)}
        AND port = ${r.port} AND project IS ${Option.getOrNull(r.project)} AND task IS ${Option.getOrNull(r.task)}
        AND created_at = ${r.createdAt} AND last_used_at = ${r.lastUsedAt}`
    )
    return Option.isNone(yield* byKey(r.key))
  })
