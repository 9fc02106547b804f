import type * as SqlClient from "@effect/sql/SqlClient"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import type { AbsolutePath } from "../domain/AbsolutePath.js"
import { isUnder } from "../domain/AbsolutePath.js"
import type { PathRelationshipViolation } from "../domain/Errors.js"
import type { Tag } from "../domain/Identifier.js"
import type { Port } from "../domain/Port.js"
import type { Reservation } from "../domain/Reservation.js"
import * as Key from "../domain/ReservationKey.js"
import { checkRelated } from "../paths/Guard.js"
import type { StoreError } from "../store/Reservations.js"
import * as Reservations from "../store/Reservations.js"

/** Which tags at a path a release selects (docs/concepts.md). */
export type TagSelection =
  | { readonly _tag: "AllTags" }
  | { readonly _tag: "Tag"; readonly tag: Tag }
  | { readonly _tag: "Untagged" }

/** A release, inputs already validated. */
export interface ReleaseRequest {
  readonly path: AbsolutePath
  readonly cwd: AbsolutePath
  readonly tags: TagSelection
  /** Also every path below `path`, compared by whole components. */
  readonly recursive: boolean
  /** Skip the path guard (`--force` or `allow_unrelated_path`). */
  readonly unguarded: boolean
  /**
   * `release --port`: the reservation holding this port, whatever its path and tag; `path`,
   * `tags` and `recursive` are then ignored and the path guard checks the row's path.
   */
  readonly port?: Port | undefined
}

/** The rows a release deletes; `execute` deletes exactly these. */
export interface ReleasePlan {
  readonly request: ReleaseRequest
  /** The rows to delete, ordered by path then tag. */
  readonly rows: ReadonlyArray<Reservation>
}

const selects = (request: ReleaseRequest) => (r: Reservation): boolean => {
  const pathMatches = request.recursive ? isUnder(r.key.path, request.path) : r.key.path === request.path
  if (!pathMatches) return false
  switch (request.tags._tag) {
    case "AllTags":
      return true
    case "Tag":
      return Option.contains(r.key.tag, request.tags.tag)
    case "Untagged":
      return Option.isNone(r.key.tag)
  }
}

/** The "already released" warning when nothing matched (docs/cli.md). */
export const warnings = (plan: ReleasePlan): ReadonlyArray<string> => {
  if (plan.rows.length > 0) return []
  const { path, port, recursive, tags } = plan.request
  if (port !== undefined) return [`No reservation found for port ${port} (already released)`]
  if (recursive) return [`No reservations found under ${path} (already released)`]
  switch (tags._tag) {
    case "AllTags":
      return [`No reservations found for ${path} (already released)`]
    case "Tag":
      return [`No reservation found for ${Key.format(Key.make(path, Option.some(tags.tag)))} (already released)`]
    case "Untagged":
      return [`No reservation found for ${Key.format(Key.make(path))} (already released)`]
  }
}

/** Path guard, then the rows the release selects. Run it and `execute` in ONE immediate transaction. */
export const plan = (
  request: ReleaseRequest
): Effect.Effect<ReleasePlan, StoreError | PathRelationshipViolation, SqlClient.SqlClient> =>
  Effect.gen(function*() {
    if (request.port !== undefined) {
      const held = yield* Reservations.byPort(request.port)
      if (Option.isSome(held) && !request.unguarded) yield* checkRelated(held.value.key.path, request.cwd)
      return { request, rows: Option.toArray(held) }
    }
    if (!request.unguarded) yield* checkRelated(request.path, request.cwd)
    const rows = yield* Reservations.all
    return { request, rows: rows.filter(selects(request)) }
  })

/** Deletes the selected rows; returns how many. */
export const execute = (plan: ReleasePlan): Effect.Effect<number, StoreError, SqlClient.SqlClient> =>
  Effect.as(Effect.forEach(plan.rows, (r) => Reservations.remove(r.key), { discard: true }), plan.rows.length)
