import * as SqlClient from "@effect/sql/SqlClient"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import type * as Exit from "effect/Exit"
import * as Option from "effect/Option"
import type { AbsolutePath } from "../domain/AbsolutePath.js"
import type { InvalidConfiguration, PathRelationshipViolation, StickyFieldChange, InvalidValue } from "../domain/Errors.js"
import { PortRangeExhausted } from "../domain/Errors.js"
import type { Project, Task } from "../domain/Identifier.js"
import type { Port } from "../domain/Port.js"
import * as PortRange from "../domain/PortRange.js"
import type { Reservation, UnixSeconds } from "../domain/Reservation.js"
import { currentTime } from "../domain/Reservation.js"
import type { ReservationKey } from "../domain/ReservationKey.js"
import * as Key from "../domain/ReservationKey.js"
import type { Settings } from "../config/Settings.js"
import { checkRelated } from "../paths/Guard.js"
import type { GitMetadata } from "../git/GitInfo.js"
import { GitInfo, NONE as NO_GIT_METADATA } from "../git/GitInfo.js"
import type { Occupancy } from "../probe/Occupancy.js"
import type { StoreError } from "../store/Reservations.js"
import * as Reservations from "../store/Reservations.js"
import { onConnection } from "../store/Transaction.js"
import type { Availability, Exhaustion, PreferredRefused } from "./Allocate.js"
import { allocateExplained, formatBlockers, refusal, warmUpProbes } from "./Allocate.js"
import { reached } from "./Checkpoint.js"
import type { CleanupPlan } from "./Cleanup.js"
import * as Cleanup from "./Cleanup.js"
import type { MetadataIntent } from "./Metadata.js"
import * as Metadata from "./Metadata.js"

/** A single-port reservation request (`trop reserve`), inputs already validated. */
export interface ReserveRequest {
  readonly key: ReservationKey
  /** The canonical working directory, for the path guard. */
  readonly cwd: AbsolutePath
  readonly preferred: Option.Option<Port>
  readonly project: MetadataIntent<Project>
  readonly task: MetadataIntent<Task>
  /** Reallocate an existing key (`--overwrite`). */
  readonly overwrite: boolean
  /** `--overwrite` + both ignore flags + no path guard + no sticky checks. */
  readonly force: boolean
  readonly ignoreOccupied: boolean
  readonly ignoreExclusions: boolean
}

/** The decision `plan` made; `execute` applies it without deciding anything. */
export interface ReservePlan {
  /** The row as it will be stored. */
  readonly reservation: Reservation
  /** A fresh row (new key or reallocation) replacing `previous`, or a refresh of the stored row. */
  readonly action: "allocate" | "refresh"
  readonly previous: Option.Option<Reservation>
  /** Set when the range was exhausted and an automatic cleanup freed a port. */
  readonly cleanup: Option.Option<CleanupPlan>
  /**
   * The requested preferred port when the row does not get it, and why (another key holds
   * it, excluded, in use; or a refresh keeps the stored port). The result is the same.
   */
  readonly preferredRefused: Option.Option<PreferredRefused>
}

/** What planning a reservation can fail with; InvalidConfiguration: Git metadata trop refuses to read (GitInfo). */
export type ReserveError =
  | StoreError
  | PathRelationshipViolation
  | StickyFieldChange
  | PortRangeExhausted
  | InvalidValue
  | InvalidConfiguration

/** `Reserve port 5001 for /p:web` or `Refresh reservation /p:web on port 5001` (docs/cli.md). */
export const describe = (plan: ReservePlan): ReadonlyArray<string> => {
  const { key, port } = plan.reservation
  const keepsPort = Option.exists(plan.previous, (p) => p.port === port)
  const main = keepsPort ? `Refresh reservation ${Key.format(key)} on port ${port}` : `Reserve port ${port} for ${Key.format(key)}`
  return Option.match(plan.cleanup, {
    onNone: () => [main],
    onSome: (c) => [`Automatic cleanup would prune ${c.pruned.length} and expire ${c.expired.length} reservation(s)`, main]
  })
}

/** The warning printed after a reservation that needed the automatic cleanup. */
export const warnings = (plan: ReservePlan): ReadonlyArray<string> =>
  Option.match(plan.cleanup, {
    onNone: () => [],
    onSome: (c) => [
      `Automatic cleanup after initial port exhaustion pruned ${c.pruned.length} and expired ${c.expired.length} reservation(s); allocation succeeded on the single retry.`
    ]
  })

const cleanupPolicyText = (s: Settings): string =>
  s.disableAutoprune && s.disableAutoexpire
    ? "automatic pruning and expiration disabled"
    : s.disableAutoprune
    ? "automatic pruning disabled"
    : s.disableAutoexpire
    ? "automatic expiration disabled"
    : "automatic pruning and expiration enabled"

/**
 * What a cleanup that the failed retry rolled back did not do. Nothing was removed, so
 * removals are told as what it would have done and freed; an empty one as before.
 */
const rolledBack = (cleanup: CleanupPlan): string => {
  const counts = `pruned ${cleanup.pruned.length} and expired ${cleanup.expired.length} reservation(s)`
  const freed = [...new Set([...cleanup.pruned, ...cleanup.expired].map((r) => r.port))].sort((a, b) => a - b)
  if (freed.length === 0) return `automatic cleanup ${counts}`
  const shown = freed.slice(0, 5).join(", ")
  const more = freed.length > 5 ? ` and ${freed.length - 5} more` : ""
  return `automatic cleanup would have ${counts}, freeing port${freed.length === 1 ? "" : "s"} ${shown}${more} but no usable port of the range, so nothing was removed`
}

/**
 * Allocates a port for `key`; on exhaustion runs the automatic cleanup (planned, not yet
 * executed) and retries once with the ports it would free (docs/concepts.md).
 */
const allocateWithCleanup = (
  request: ReserveRequest,
  settings: Settings,
  rows: ReadonlyArray<Reservation>,
  at: UnixSeconds
): Effect.Effect<
  {
    readonly port: Port
    readonly cleanup: Option.Option<CleanupPlan>
    readonly preferredRefused: Option.Option<PreferredRefused>
  },
  PortRangeExhausted,
  Occupancy
> =>
  Effect.gen(function*() {
    const attempt = (others: ReadonlyArray<Reservation>) => {
      const blocking = others.filter((r) => !Key.equals(r.key, request.key))
      const availability: Availability = {
        reserved: new Set(blocking.map((r) => r.port)),
        exclusions: settings.exclusions,
        policy: settings.occupancy
      }
      return allocateExplained({
        preferred: request.preferred,
        bypass: {
          ignoreExclusions: request.ignoreExclusions || request.force,
          ignoreOccupied: request.ignoreOccupied || request.force
        },
        range: settings.range,
        availability
      }).pipe(Effect.map(({ preferredBlocker, result }) => ({
        result,
        preferredRefused: Option.flatMap(
          Option.all({ port: request.preferred, blocker: preferredBlocker }),
          ({ blocker, port }) => Option.map(refusal(port, blocker, blocking), (why) => ({ port, refusal: why }))
        )
      })))
    }
    const { max, min } = settings.range
    const held = rows.filter((r) => r.port >= min && r.port <= max && !Key.equals(r.key, request.key)).length
    const exhausted = (details: string, cleanup: "skipped" | "rolled back") =>
      new PortRangeExhausted({ range: PortRange.format(settings.range), details, min, max, held, cleanup })
    const { preferredRefused, result: first } = yield* attempt(rows)
    if (Either.isRight(first)) return { port: first.right, cleanup: Option.none(), preferredRefused }
    if (settings.disableAutoprune && settings.disableAutoexpire) {
      return yield* exhausted(
        `: cleanup was skipped (automatic pruning and expiration disabled); remaining blockers: ${formatBlockers(first.left)}`,
        "skipped"
      )
    }
    const cleanup = yield* Cleanup.plan(rows, {
      prune: !settings.disableAutoprune,
      expireAfterDays: settings.disableAutoexpire ? Option.none() : Option.some(settings.expireAfterDays)
    }, at)
    const removed = new Set([...cleanup.pruned, ...cleanup.expired])
    const retry = yield* attempt(rows.filter((r) => !removed.has(r)))
    return yield* Either.match(retry.result, {
      onRight: (port) => Effect.succeed({ port, cleanup: Option.some(cleanup), preferredRefused: retry.preferredRefused }),
      onLeft: (exhaustion: Exhaustion) =>
        exhausted(
          ` after cleanup: remaining blockers after the single retry: ${formatBlockers(exhaustion)}; ${rolledBack(cleanup)}; ${
            cleanupPolicyText(settings)
          }`,
          "rolled back"
        )
    })
  })

/**
 * What `plan` would otherwise work out under the write lock although it does not depend on
 * the database, worked out before it: the path guard's verdict, what Git says about the
 * key's path, and probes made ready (docs/database.md). Outcomes are kept, errors
 * included, and `plan` reports them where it would have met them, so the result and the
 * errors are the same either way.
 */
export interface Prepared {
  /** The path guard's verdict; none when the request skips the guard. */
  readonly guard: Option.Option<Exit.Exit<void, PathRelationshipViolation>>
  /** What Git says about the key's path, when the key looked new and a field preserves metadata. */
  readonly git: Option.Option<Exit.Exit<GitMetadata, InvalidConfiguration>>
}

const guarded = (request: ReserveRequest, settings: Settings) => !request.force && !settings.allowUnrelatedPath

const preservesMetadata = (request: ReserveRequest) =>
  request.project._tag === "Preserve" || request.task._tag === "Preserve"

/**
 * `Prepared` for `request`, outside any transaction: reads the key's row once without the
 * lock (a guess, never used to decide) to tell whether a new port will be needed; if so,
 * infers Git metadata and readies the probes. A failed read guesses nothing: `plan` reads
 * again under the lock and reports it there.
 */
export const prepare = (
  request: ReserveRequest,
  settings: Settings
): Effect.Effect<Prepared, never, SqlClient.SqlClient | GitInfo> =>
  Effect.gen(function*() {
    const guard = guarded(request, settings)
      ? Option.some(yield* Effect.exit(checkRelated(request.key.path, request.cwd)))
      : Option.none()
    const sql = yield* SqlClient.SqlClient
    const stored = yield* Effect.option(onConnection(sql)(Reservations.byKey(request.key)))
    const isNew = Option.exists(stored, Option.isNone)
    const git = isNew && preservesMetadata(request)
      ? Option.some(yield* Effect.exit(Effect.flatMap(GitInfo, (g) => g.infer(request.key.path))))
      : Option.none()
    // A preferred port that may skip the probes is usually granted without any.
    const probesPreferred = Option.isNone(request.preferred) || !(request.ignoreOccupied || request.force)
    const allocates = isNew || (Option.isSome(stored) && (request.overwrite || request.force))
    if (allocates && probesPreferred) yield* warmUpProbes(settings.occupancy)
    return { guard, git }
  })

/** Nothing worked out ahead: `plan` does it all under the lock. */
const NOT_PREPARED: Prepared = { guard: Option.none(), git: Option.none() }

/**
 * Decides what `reserve` does (docs/concepts.md): path guard, existing key (refresh, sticky
 * checks, overwrite) or a new allocation. Reads the database; writes nothing. Run it and
 * `execute` inside ONE immediate transaction; `prepared` (from `prepare`, before the
 * transaction) carries what needs no database, so less of it runs under the lock.
 */
export const plan = (
  request: ReserveRequest,
  settings: Settings,
  prepared: Prepared = NOT_PREPARED
): Effect.Effect<ReservePlan, ReserveError, SqlClient.SqlClient | Occupancy | GitInfo> =>
  Effect.gen(function*() {
    const at = yield* currentTime
    if (guarded(request, settings)) {
      yield* Option.getOrElse(prepared.guard, () => checkRelated(request.key.path, request.cwd))
    }
    const existing = yield* Reservations.byKey(request.key)
    // What "Preserve" keeps: the stored values, or for a new key what Git says (docs/concepts.md).
    const preserved: GitMetadata = yield* Option.match(existing, {
      onSome: (r) => Effect.succeed({ project: r.project, task: r.task }),
      onNone: () =>
        preservesMetadata(request)
          ? Option.getOrElse(prepared.git, () => Effect.flatMap(GitInfo, (git) => git.infer(request.key.path)))
          : Effect.succeed(NO_GIT_METADATA)
    })
    const project = Metadata.apply(request.project, preserved.project)
    const task = Metadata.apply(request.task, preserved.task)
    if (Option.isSome(existing)) {
      const permitted = (allowed: boolean) => request.force || allowed
      yield* Metadata.checkSticky(
        "project",
        existing.value.project,
        project,
        permitted(settings.allowProjectChange)
      )
      yield* Metadata.checkSticky(
        "task",
        existing.value.task,
        task,
        permitted(settings.allowTaskChange)
      )
      if (!request.overwrite && !request.force) {
        const stored = existing.value.port
        return {
          reservation: { ...existing.value, project, task, lastUsedAt: at },
          action: "refresh",
          previous: existing,
          cleanup: Option.none(),
          // A refresh keeps the stored port: a different preferred one is not granted (docs/concepts.md).
          preferredRefused: Option.map(
            Option.filter(request.preferred, (port) => port !== stored),
            (port) => ({ port, refusal: { _tag: "kept" } as const })
          )
        }
      }
    }
    const rows = yield* Reservations.all
    const { cleanup, port, preferredRefused } = yield* allocateWithCleanup(request, settings, rows, at)
    return {
      reservation: {
        key: request.key,
        port,
        project,
        task,
        createdAt: Option.match(existing, { onNone: () => at, onSome: (r) => r.createdAt }),
        lastUsedAt: at
      },
      action: "allocate",
      previous: existing,
      cleanup,
      preferredRefused
    }
  })

/** Applies a plan: the cleanup's guarded deletes, then the row. */
export const execute = (plan: ReservePlan): Effect.Effect<Port, StoreError, SqlClient.SqlClient> =>
  Effect.gen(function*() {
    if (Option.isSome(plan.cleanup)) yield* Cleanup.execute(plan.cleanup.value)
    if (plan.action === "refresh") {
      yield* Reservations.update(plan.reservation)
    } else {
      yield* Reservations.remove(plan.reservation.key)
      yield* Reservations.insert(plan.reservation)
      yield* reached("reserve")
    }
    return plan.reservation.port
  })

/** `plan` then `execute`; the caller wraps it in one `sql.withTransaction`. */
export const reserve = (request: ReserveRequest, settings: Settings, prepared?: Prepared) =>
  Effect.flatMap(plan(request, settings, prepared), execute)
