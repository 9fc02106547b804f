import type * as SqlClient from "@effect/sql/SqlClient"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import type { InvalidValue } from "../domain/Errors.js"
import type { Reservation, UnixSeconds } from "../domain/Reservation.js"
import { currentTime } from "../domain/Reservation.js"
import type { DirectoryStatus, UninspectableKind } from "../paths/Inspect.js"
import { inspectDirectory } from "../paths/Inspect.js"
import type { StoreError } from "../store/Reservations.js"
import * as Reservations from "../store/Reservations.js"

/** What a cleanup removes: prune gone directories, expire rows unused for N days. */
export interface CleanupPolicy {
  readonly prune: boolean
  readonly expireAfterDays: Option.Option<number>
}

/** A path whose existence could not be decided (e.g. permission denied): never pruned, reported. */
export interface Uninspectable {
  readonly path: string
  readonly kind: UninspectableKind
  readonly reason: string
}

/** The rows a cleanup would delete, prune candidates first (docs/concepts.md). */
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

/** The rows a cleanup removed. */
export interface CleanupResult {
  readonly pruned: ReadonlyArray<Reservation>
  readonly expired: ReadonlyArray<Reservation>
}

/**
 * Deletes the planned rows with guarded deletes: a row changed meanwhile is kept, a row
 * already gone counts as removed (docs/concepts.md).
 */
export const execute = (cleanup: CleanupPlan): Effect.Effect<CleanupResult, StoreError, SqlClient.SqlClient> =>
  Effect.gen(function*() {
    const removed = (rows: ReadonlyArray<Reservation>) => Effect.filter(rows, Reservations.removeUnchanged)
    return { pruned: yield* removed(cleanup.pruned), expired: yield* removed(cleanup.expired) }
  })

/**
 * `prune`/`expire`/`autoclean` (docs/concepts.md): plan against every row, then — unless
 * a dry run — delete. Run it in ONE immediate transaction; a dry run reports candidates.
 */
export const run = (
  policy: CleanupPolicy,
  options: { readonly dryRun: boolean }
): Effect.Effect<{ readonly plan: CleanupPlan; readonly result: CleanupResult; readonly now: UnixSeconds }, StoreError | InvalidValue, SqlClient.SqlClient> =>
  Effect.gen(function*() {
    const now = yield* currentTime
    const cleanup = yield* plan(yield* Reservations.all, policy, now)
    const result = options.dryRun ? cleanup : yield* execute(cleanup)
    return { plan: cleanup, result, now }
  })

/** Whole days since the row was last used, for listings. */
export const ageInDays = (r: Reservation, now: UnixSeconds): number => Math.floor((now - r.lastUsedAt) / SECONDS_PER_DAY)
