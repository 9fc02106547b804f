import type * as SqlClient from "@effect/sql/SqlClient"
import { Effect, Option } from "effect"
import type { Reservation, UnixSeconds } from "../domain/Reservation.js"
import type { DirectoryStatus, UninspectableKind } from "../paths/Inspect.js"
import { inspectDirectory } from "../paths/Inspect.js"
import type { StoreError } from "../store/Reservations.js"
import * as Reservations from "../store/Reservations.js"

/** What a cleanup removes: prune gone directories, expire rows unused for N days. */
export interface CleanupPolicy {
  readonly prune: boolean
  readonly expireAfterDays: Option.Option<number>
}

export interface Uninspectable {
  readonly path: string
  readonly kind: UninspectableKind
  readonly reason: string
}

/** The rows a cleanup would delete, prune candidates first (semantics.md §9.3). */
export interface CleanupPlan {
  readonly pruned: ReadonlyArray<Reservation>
  readonly expired: ReadonlyArray<Reservation>
  readonly uninspectable: ReadonlyArray<Uninspectable>
}

const SECONDS_PER_DAY = 86400

/** Strictly more than `days` × 86400 s unused; a future `last_used_at` never expires. */
export const isExpired = (r: Reservation, days: number, now: UnixSeconds): boolean =>
  now - r.lastUsedAt > days * SECONDS_PER_DAY

/**
 * Classifies `rows` (ordered by path, tag): each distinct path is inspected once; prune
 * wins over expiry so a row counts once. Reads the filesystem, never the database.
 */
export const plan = (
  rows: ReadonlyArray<Reservation>,
  policy: CleanupPolicy,
  now: UnixSeconds
): Effect.Effect<CleanupPlan> =>
  Effect.gen(function*() {
    const statuses = new Map<string, DirectoryStatus>()
    if (policy.prune) {
      for (const r of rows) {
        if (!statuses.has(r.key.path)) statuses.set(r.key.path, yield* inspectDirectory(r.key.path))
      }
    }
    const pruned = rows.filter((r) => statuses.get(r.key.path)?._tag === "Prunable")
    const expired = Option.match(policy.expireAfterDays, {
      onNone: () => [],
      onSome: (days) =>
        rows
          .filter((r) => statuses.get(r.key.path)?._tag !== "Prunable" && isExpired(r, days, now))
          .sort((a, b) => a.lastUsedAt - b.lastUsedAt)
    })
    const uninspectable: Array<Uninspectable> = []
    for (const [path, status] of statuses) {
      if (status._tag === "Uninspectable") uninspectable.push({ path, kind: status.kind, reason: status.reason })
    }
    return { pruned, expired, uninspectable }
  })

/** Deletes the planned rows with guarded deletes; returns how many are gone. */
export const execute = (
  cleanup: CleanupPlan
): Effect.Effect<{ readonly pruned: number; readonly expired: number }, StoreError, SqlClient.SqlClient> =>
  Effect.gen(function*() {
    const count = (rows: ReadonlyArray<Reservation>) =>
      Effect.map(Effect.forEach(rows, Reservations.removeUnchanged), (gone) => gone.filter(Boolean).length)
    return { pruned: yield* count(cleanup.pruned), expired: yield* count(cleanup.expired) }
  })
