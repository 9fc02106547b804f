import type * as SqlClient from "@effect/sql/SqlClient"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import type { AbsolutePath } from "../domain/AbsolutePath.js"
import { isUnder } from "../domain/AbsolutePath.js"
import type { Reservation } from "../domain/Reservation.js"
import { canonicalize } from "../paths/Canonical.js"
import type { StoreError } from "../store/Reservations.js"
import * as Reservations from "../store/Reservations.js"

/** `list` filters; all given ones must match (docs/cli.md). */
export interface ListFilter {
  readonly project: Option.Option<string>
  /** Compared with the stored tag as typed, not trimmed. */
  readonly tag: Option.Option<string>
  readonly path: Option.Option<AbsolutePath>
}

const canonicalOrNone = (path: string) => Effect.option(canonicalize(path))

/**
 * A row is under the filter path lexically, or — when both canonicalize — physically.
 */
const underPath = (filter: AbsolutePath) =>
  Effect.gen(function*() {
    const canonicalFilter = yield* canonicalOrNone(filter)
    return (r: Reservation) =>
      isUnder(r.key.path, filter)
        ? Effect.succeed(true)
        : Option.match(canonicalFilter, {
          onNone: () => Effect.succeed(false),
          onSome: (cf) => Effect.map(canonicalOrNone(r.key.path), Option.exists((cp) => isUnder(cp, cf)))
        })
  })

/** Whether a row passes the project and tag filters. */
const matchesFields = (filter: ListFilter) => (r: Reservation): boolean =>
  Option.match(filter.project, { onNone: () => true, onSome: (p) => Option.exists(r.project, (s) => s === p) }) &&
  Option.match(filter.tag, { onNone: () => true, onSome: (t) => Option.exists(r.key.tag, (s) => s === t) })

/** The reservations `list` shows, ordered by path then tag. A read: no transaction. */
export const list = (
  filter: ListFilter
): Effect.Effect<ReadonlyArray<Reservation>, StoreError, SqlClient.SqlClient> =>
  Effect.gen(function*() {
    const rows = (yield* Reservations.all).filter(matchesFields(filter))
    if (Option.isNone(filter.path)) return rows
    const matches = yield* underPath(filter.path.value)
    return yield* Effect.filter(rows, matches)
  })

/**
 * The rows of `list`, page by page (`trop list` prints them as they come): the same rows in
 * the same order with the same errors, read from one read snapshot
 * (Reservations.forEachPage), so memory does not grow with the number of rows. `f` gets
 * each page's matching rows, possibly none; a bad row anywhere fails before `f` runs.
 */
export const forEachPage = <E, R>(
  filter: ListFilter,
  f: (rows: ReadonlyArray<Reservation>) => Effect.Effect<void, E, R>
): Effect.Effect<void, StoreError | E, SqlClient.SqlClient | R> => {
  const keep = matchesFields(filter)
  const byFields = Option.isNone(filter.project) && Option.isNone(filter.tag)
    ? (rows: ReadonlyArray<Reservation>) => rows
    : (rows: ReadonlyArray<Reservation>) => rows.filter(keep)
  if (Option.isNone(filter.path)) return Reservations.forEachPage((rows) => f(byFields(rows)))
  const path = filter.path.value
  return Effect.flatMap(
    underPath(path),
    (matches) => Reservations.forEachPage((rows) => Effect.flatMap(Effect.filter(byFields(rows), matches), f))
  )
}

/** The distinct stored projects in UTF-8 byte order (`list-projects`). A read. */
export const projects: Effect.Effect<ReadonlyArray<string>, StoreError, SqlClient.SqlClient> = Effect.map(
  Reservations.all,
  (rows) =>
    [...new Set(rows.flatMap((r) => Option.toArray(r.project)))].sort((a, b) =>
      Buffer.compare(Buffer.from(a), Buffer.from(b))
    )
)
