import type * as SqlClient from "@effect/sql/SqlClient"
import * as Effect from "effect/Effect"
import type { AbsolutePath } from "../domain/AbsolutePath.js"
import { isUnder, rebase } from "../domain/AbsolutePath.js"
import { ReservationNotFound, ReservationConflict } from "../domain/Errors.js"
import type { Reservation } from "../domain/Reservation.js"
import * as Key from "../domain/ReservationKey.js"
import type { StoreError } from "../store/Reservations.js"
import { reached } from "./Checkpoint.js"
import * as Reservations from "../store/Reservations.js"

export interface MigrateRequest {
  readonly from: AbsolutePath
  readonly to: AbsolutePath
  /** Also every path below `from`. */
  readonly recursive: boolean
  /** Overwrite reservations already at the destination. */
  readonly force: boolean
}

/** One row moving: same tag, port, project, task and timestamps at a new path. */
export interface Move {
  readonly source: Reservation
  readonly destination: Reservation
}

export interface MigratePlan {
  readonly moves: ReadonlyArray<Move>
  /** Destination rows that `--force` deletes first. */
  readonly conflicts: ReadonlyArray<Reservation>
}

/**
 * Plans a migration (docs/concepts.md) inside the transaction that executes it:
 * sources, destinations, refusal of overlapping moves and of conflicts without --force.
 */
export const plan = (
  request: MigrateRequest
): Effect.Effect<MigratePlan, StoreError | ReservationNotFound | ReservationConflict, SqlClient.SqlClient> =>
  Effect.gen(function*() {
    const rows = yield* Reservations.all
    const sources = rows.filter((r) => request.recursive ? isUnder(r.key.path, request.from) : r.key.path === request.from)
    if (sources.length === 0 && !request.recursive) {
      return yield* new ReservationNotFound({ resource: `reservation at ${request.from}` })
    }
    const moves = sources.map((source) => ({
      source,
      destination: { ...source, key: Key.make(rebase(source.key.path, request.from, request.to), source.key.tag) }
    }))
    const isSource = (key: Key.ReservationKey) => sources.some((s) => Key.equals(s.key, key))
    const overlapping = moves.filter((m) => isSource(m.destination.key)).length
    if (overlapping > 0) {
      return yield* new ReservationConflict({
        details:
          `migration source and destination overlap: ${overlapping} destination key(s) are themselves being migrated; choose a destination outside the migrated set`
      })
    }
    const conflicts = rows.filter((r) => moves.some((m) => Key.equals(m.destination.key, r.key)))
    if (conflicts.length > 0 && !request.force) {
      return yield* new ReservationConflict({
        details: `Found ${conflicts.length} conflicting reservation(s) at destination.`,
        conflicting: conflicts.length
      })
    }
    return { moves, conflicts }
  })

/** Deletes the conflicts (with --force), then moves every row. */
export const execute = (plan: MigratePlan): Effect.Effect<void, StoreError, SqlClient.SqlClient> =>
  Effect.gen(function*() {
    for (const conflict of plan.conflicts) yield* Reservations.remove(conflict.key)
    for (const [i, { destination, source }] of plan.moves.entries()) {
      yield* Reservations.remove(source.key)
      yield* Reservations.insert(destination)
      if (i === 0) yield* reached("migrate")
    }
  })
