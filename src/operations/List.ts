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

/** The reservations `list` shows, ordered by path then tag. A read: no transaction. */
export const list = (
  filter: ListFilter
): Effect.Effect<ReadonlyArray<Reservation>, StoreError, SqlClient.SqlClient> =>
  Effect.gen(function*() {
    const rows = (yield* Reservations.all).filter((r) =>
      Option.match(filter.project, { onNone: () => true, onSome: (p) => Option.exists(r.project, (s) => s === p) }) &&
      Option.match(filter.tag, { onNone: () => true, onSome: (t) => Option.exists(r.key.tag, (s) => s === t) })
    )
    if (Option.isNone(filter.path)) return rows
    const matches = yield* underPath(filter.path.value)
    return yield* Effect.filter(rows, matches)
  })

/** The distinct stored projects in UTF-8 byte order (`list-projects`). A read. */
export const projects: Effect.Effect<ReadonlyArray<string>, StoreError, SqlClient.SqlClient> = Effect.map(
  Reservations.all,
  (rows) =>
    [...new Set(rows.flatMap((r) => Option.toArray(r.project)))].sort((a, b) =>
      Buffer.compare(Buffer.from(a), Buffer.from(b))
    )
)
