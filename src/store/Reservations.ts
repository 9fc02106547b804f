import * as SqlClient from "@effect/sql/SqlClient"
import type { SqlError } from "@effect/sql/SqlError"
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
    project: Either.mapLeft(decodeOptional(Schema.is(Project))(row.project, row.project_type), (r) => ["project", r] as const),
    task: Either.mapLeft(decodeOptional(Schema.is(Task))(row.task, row.task_type), (r) => ["task", r] as const),
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
  return sql<Record<string, unknown>>`SELECT CAST(path AS BLOB) AS path, CAST(tag AS BLOB) AS tag,
    CAST(project AS BLOB) AS project, CAST(task AS BLOB) AS task FROM reservations WHERE rowid = ${row.row_id}`.pipe(
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

const decodeAll = (rows: ReadonlyArray<StoredRow>) =>
  Effect.flatMap(SqlClient.SqlClient, (sql) =>
    Effect.forEach(rows, (row) => Effect.flatMap(markInvalidUtf8(sql, row), (checked) => decode(checked))))

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
    sql<StoredRow>`${selectRows(sql)} ORDER BY path, tag`.pipe(Effect.flatMap(decodeAll))
)

/** The reservation of exactly this key. */
export const byKey = (key: ReservationKey): Effect.Effect<Option.Option<Reservation>, StoreError, SqlClient.SqlClient> =>
  Effect.flatMap(SqlClient.SqlClient, (sql) =>
    sql<StoredRow>`${selectRows(sql)} WHERE path = ${key.path} AND tag = ${storedTag(key)}`.pipe(
      Effect.flatMap(decodeAll),
      Effect.map((rows) => Option.fromNullable(rows[0]))
    ))

/** The reservation holding this port, if any. */
export const byPort = (port: Port.Port): Effect.Effect<Option.Option<Reservation>, StoreError, SqlClient.SqlClient> =>
  Effect.flatMap(SqlClient.SqlClient, (sql) =>
    sql<StoredRow>`${selectRows(sql)} WHERE port = ${port}`.pipe(
      Effect.flatMap(decodeAll),
      Effect.map((rows) => Option.fromNullable(rows[0]))
    ))

/** The reservation with the lowest port in `start..end`, if any. */
export const lowestInRange = (
  start: number,
  end: number
): Effect.Effect<Option.Option<Reservation>, StoreError, SqlClient.SqlClient> =>
  Effect.flatMap(SqlClient.SqlClient, (sql) =>
    sql<StoredRow>`${selectRows(sql)} WHERE port BETWEEN ${start} AND ${end} ORDER BY port LIMIT 1`.pipe(
      Effect.flatMap(decodeAll),
      Effect.map((rows) => Option.fromNullable(rows[0]))
    ))

/**
 * Writes a new row with a plain INSERT (never an upsert): a port held by another key
 * makes it fail instead of silently evicting that key (docs/concepts.md).
 */
export const insert = (r: Reservation): Effect.Effect<void, SqlError, SqlClient.SqlClient> =>
  Effect.flatMap(SqlClient.SqlClient, (sql) =>
    sql`INSERT INTO reservations (path, tag, port, project, task, created_at, last_used_at)
      VALUES (${r.key.path}, ${storedTag(r.key)}, ${r.port}, ${Option.getOrNull(r.project)},
        ${Option.getOrNull(r.task)}, ${r.createdAt}, ${r.lastUsedAt})`.pipe(Effect.asVoid))

/** Deletes the row of this key, if any. */
export const remove = (key: ReservationKey): Effect.Effect<void, SqlError, SqlClient.SqlClient> =>
  Effect.flatMap(SqlClient.SqlClient, (sql) =>
    sql`DELETE FROM reservations WHERE path = ${key.path} AND tag = ${storedTag(key)}`.pipe(Effect.asVoid))

/** Sets project, task and last-used time of an existing row (a refresh). */
export const update = (r: Reservation): Effect.Effect<void, SqlError, SqlClient.SqlClient> =>
  Effect.flatMap(SqlClient.SqlClient, (sql) =>
    sql`UPDATE reservations SET project = ${Option.getOrNull(r.project)}, task = ${Option.getOrNull(r.task)},
      last_used_at = ${r.lastUsedAt} WHERE path = ${r.key.path} AND tag = ${storedTag(r.key)}`.pipe(Effect.asVoid))

/**
 * Deletes a row only if all seven columns still hold what was read, so a row someone
 * changed meanwhile survives. Returns whether the row is gone afterwards.
 */
export const removeUnchanged = (r: Reservation): Effect.Effect<boolean, StoreError, SqlClient.SqlClient> =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    yield* sql`DELETE FROM reservations WHERE path = ${r.key.path} AND tag = ${storedTag(r.key)}
      AND port = ${r.port} AND project IS ${Option.getOrNull(r.project)} AND task IS ${Option.getOrNull(r.task)}
      AND created_at = ${r.createdAt} AND last_used_at = ${r.lastUsedAt}`
    return Option.isNone(yield* byKey(r.key))
  })
