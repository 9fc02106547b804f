import type * as SqlClient from "@effect/sql/SqlClient"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import type { Settings } from "../config/Settings.js"
import type { AbsolutePath } from "../domain/AbsolutePath.js"
import type { InvalidValue, PathRelationshipViolation, StickyFieldChange } from "../domain/Errors.js"
import { GroupAllocationFailed, InvalidGroup, ReservationConflict } from "../domain/Errors.js"
import type { Project, Tag, Task } from "../domain/Identifier.js"
import type { Port } from "../domain/Port.js"
import * as PortModule from "../domain/Port.js"
import type { Reservation } from "../domain/Reservation.js"
import { currentTime } from "../domain/Reservation.js"
import * as Key from "../domain/ReservationKey.js"
import { checkRelated } from "../paths/Guard.js"
import type { Occupancy } from "../probe/Occupancy.js"
import type { StoreError } from "../store/Reservations.js"
import * as Reservations from "../store/Reservations.js"
import type { Availability, Blocker, PreferredRefused } from "./Allocate.js"
import { blockerOf, refusal } from "./Allocate.js"
import { reached } from "./Checkpoint.js"
import * as Metadata from "./Metadata.js"

/** One service of a group, as requested (docs/concepts.md). */
export interface ServiceRequest {
  readonly tag: Tag
  /** Position in the fallback offset pattern (0 when not configured). */
  readonly offset: number
  readonly preferred: Option.Option<Port>
}

/** A group reservation (`reserve-group`, `autoreserve`), inputs already validated. */
export interface GroupRequest {
  /** The canonical directory of the file that supplied the group. */
  readonly path: AbsolutePath
  readonly cwd: AbsolutePath
  /** Sorted by tag (UTF-8 byte order), tags unique. */
  readonly services: ReadonlyArray<ServiceRequest>
  /** `reservations.base`: where the offset scan starts. */
  readonly base: Option.Option<Port>
  /** Requested metadata; absent keeps what is stored (groups cannot clear). */
  readonly project: Option.Option<Project>
  readonly task: Option.Option<Task>
  /** Skip the path guard and sticky checks, and replace an incompatible stored group. */
  readonly force: boolean
}

/** What `plan` decided: keep the stored mapping, or allocate anew (releasing stored rows). */
export type GroupPlan =
  | { readonly _tag: "Refresh"; readonly path: AbsolutePath; readonly rows: ReadonlyArray<Reservation> }
  | {
    readonly _tag: "Allocate"
    readonly path: AbsolutePath
    readonly released: ReadonlyArray<Reservation>
    readonly rows: ReadonlyArray<Reservation>
    /** Services whose `preferred` port was not granted, and why (their rows are as allocated). */
    readonly preferredRefused: ReadonlyArray<PreferredRefused & { readonly tag: Tag }>
  }

/** What planning a group reservation can fail with. */
export type GroupError =
  | StoreError
  | PathRelationshipViolation
  | StickyFieldChange
  | ReservationConflict
  | GroupAllocationFailed
  | InvalidGroup
  | InvalidValue

/** Compares tags in UTF-8 byte order, as groups order services (docs/concepts.md) and SQLite orders rows. */
export const byTag = (a: string, b: string): number => Buffer.compare(Buffer.from(a), Buffer.from(b))

/** The plan's lines for a dry run (docs/cli.md), in tag order; releases of a forced replacement first. */
export const describe = (plan: GroupPlan): ReadonlyArray<string> =>
  plan._tag === "Refresh"
    ? plan.rows.map((r) => `Refresh reservation ${Key.format(r.key)} on port ${r.port}`)
    : [
      ...plan.released.map((r) => `Release reservation ${Key.format(r.key)} on port ${r.port}`),
      ...plan.rows.map((r) => `Reserve port ${r.port} for ${Key.format(r.key)}`)
    ]

/** tag → port of the group after the plan, in tag order. */
export const mapping = (plan: GroupPlan): ReadonlyArray<{ readonly tag: Tag; readonly port: Port }> =>
  plan.rows.flatMap((r) => Option.match(r.key.tag, { onNone: () => [], onSome: (tag) => [{ tag, port: r.port }] }))

/** The refusal of an incompatible stored group, with the tags it lacks and has in excess (in tag order). */
const incompatible = (
  path: string,
  reason: string,
  stored: ReadonlyArray<Reservation>,
  services: ReadonlyArray<ServiceRequest>
) => {
  const storedTags = stored.map((r) => Option.getOrElse(r.key.tag, () => ""))
  const requested = new Set<string>(services.map((s) => s.tag))
  return new ReservationConflict({
    details: `existing group at ${path} is incompatible: ${reason}`,
    group: {
      path,
      missing: [...requested].filter((t) => !storedTags.includes(t)).sort(byTag),
      extra: [...new Set(storedTags)].filter((t) => !requested.has(t)).sort(byTag)
    }
  })
}

/**
 * Whether stored rows still fit the request (docs/concepts.md): same tag set, and every
 * service either on its preferred port or on one common base plus its offset, inside the
 * scan range. Exclusions and occupancy are not re-checked.
 */
const compatibility = (
  stored: ReadonlyArray<Reservation>,
  services: ReadonlyArray<ServiceRequest>,
  scan: { readonly min: number; readonly max: number }
): Either.Either<void, string> => {
  const storedTags = new Set(stored.map((r) => Option.getOrElse(r.key.tag, () => "")))
  // Missing and extra tags alike: trop 0.2.0's words (the hint may name them).
  const mismatch = "requested service set does not match stored service set"
  if (services.some((s) => !storedTags.has(s.tag)) || storedTags.size !== services.length) return Either.left(mismatch)
  let base: number | undefined
  for (const service of services) {
    const row = stored.find((r) => Option.contains(r.key.tag, service.tag))
    if (row === undefined) return Either.left(mismatch)
    if (Option.contains(service.preferred, row.port)) continue
    const candidate = row.port - service.offset
    if (candidate < 0) return Either.left(`stored port ${row.port} cannot satisfy requested offset ${service.offset}`)
    if (candidate < 1) return Either.left(`stored port ${row.port} implies invalid base ${candidate}`)
    if (candidate < scan.min || candidate > scan.max || row.port > scan.max) {
      return Either.left("a stored service mapping is outside the current scan range")
    }
    if (base !== undefined && base !== candidate) {
      // The new candidate first, then the base already implied (as trop 0.2.0 words it).
      return Either.left(`stored offset mappings imply different bases (${candidate} and ${base})`)
    }
    base = candidate
  }
  return Either.right(undefined)
}

/**
 * Fresh allocation (docs/concepts.md): available preferred ports are pinned (anywhere in
 * 1..65535); the other services take the lowest base of the scan range at which every
 * offset lands on a port that is not pinned, reserved, excluded or in use.
 */
const allocate = (
  services: ReadonlyArray<ServiceRequest>,
  availability: Availability,
  scan: { readonly min: number; readonly max: number },
  /** Receives each preferred port passed over, and why. */
  passedOver: (service: ServiceRequest & { readonly preferred: Option.Some<Port> }, blocker: Blocker) => void = () => {}
): Effect.Effect<ReadonlyMap<string, Port>, GroupAllocationFailed, Occupancy> =>
  Effect.gen(function*() {
    const ports = new Map<string, Port>()
    const pattern: Array<ServiceRequest> = []
    for (const service of services) {
      const blocker = Option.isSome(service.preferred)
        ? yield* blockerOf(service.preferred.value, availability)
        : Option.none()
      const pinned = Option.isSome(service.preferred) && Option.isNone(blocker)
      if (pinned && Option.isSome(service.preferred)) ports.set(service.tag, service.preferred.value)
      else pattern.push(service)
      if (Option.isSome(service.preferred) && Option.isSome(blocker)) {
        passedOver({ ...service, preferred: service.preferred }, blocker.value)
      }
    }
    if (pattern.length === 0) return ports
    const pinned = new Set<number>(ports.values())
    const widest = Math.max(...pattern.map((s) => s.offset))
    for (let base = scan.min; base + widest <= scan.max; base++) {
      let fits = true
      for (const service of pattern) {
        const port = PortModule.unsafeMake(base + service.offset)
        if (pinned.has(port) || Option.isSome(yield* blockerOf(port, availability))) {
          fits = false
          break
        }
      }
      if (fits) {
        for (const service of pattern) ports.set(service.tag, PortModule.unsafeMake(base + service.offset))
        return ports
      }
    }
    return yield* new GroupAllocationFailed({
      attempted: pattern.length,
      reason: "No scanned base can satisfy the complete offset fallback pattern"
    })
  })

/** The one value all stored rows agree on for a field, or a conflict (forced replacement). */
const agreed = <A>(stored: ReadonlyArray<Reservation>, field: "project" | "task", pick: (r: Reservation) => Option.Option<A>) => {
  const values = new Set(stored.map((r) => Option.getOrUndefined(pick(r))))
  return values.size <= 1
    ? Effect.succeed(Option.fromNullable([...values][0]))
    : Effect.fail(new ReservationConflict({
      details: `stored rows disagree on ${field}; provide an explicit value when forcing a shape replacement`
    }))
}

/**
 * The first checks of `plan`, which read nothing: at least one service, unique tags, then the
 * path guard (before `base`, as in trop 0.2.0). The CLI runs them before checking its
 * `--task`, which trop 0.2.0 checks between the guard and `base`.
 */
export const admit = (
  request: Pick<GroupRequest, "path" | "cwd" | "services" | "force">,
  settings: Settings
): Effect.Effect<void, InvalidGroup | PathRelationshipViolation> =>
  Effect.gen(function*() {
    if (request.services.length === 0) {
      return yield* new InvalidGroup({
        field: "reservations.services",
        reason: "Reservation group must contain at least one service"
      })
    }
    if (new Set(request.services.map((s) => s.tag)).size !== request.services.length) {
      return yield* new InvalidGroup({ field: "reservations.services.tag", reason: "Service tags must be unique" })
    }
    if (!request.force && !settings.allowUnrelatedPath) yield* checkRelated(request.path, request.cwd)
  })

/**
 * Decides what a group reservation does (docs/concepts.md): path guard, then
 * refresh a compatible stored group, refuse or (with --force) replace an incompatible one,
 * or allocate fresh. Reads only; run it and `execute` in ONE immediate transaction.
 */
export const plan = (
  request: GroupRequest,
  settings: Settings
): Effect.Effect<GroupPlan, GroupError, SqlClient.SqlClient | Occupancy> =>
  Effect.gen(function*() {
    const at = yield* currentTime
    const { path } = request
    yield* admit(request, settings)
    const base = Option.getOrElse(request.base, () => settings.range.min)
    if (base < settings.range.min || base > settings.range.max) {
      return yield* new InvalidGroup({
        field: "reservations.base",
        reason: `Base port ${base} must be within port range ${settings.range.min}..${settings.range.max}`
      })
    }
    const scan = { min: base, max: settings.range.max }
    // Tagged rows at exactly this path are the stored group, whoever made them. A refresh
    // reads only them (as trop 0.2.0 does); an allocation reads every row below.
    const stored = yield* Reservations.groupAt(path)
    if (stored.length > 0) {
      const compatible = compatibility(stored, request.services, scan)
      if (Either.isRight(compatible)) {
        const permitted = (allowed: boolean) => request.force || allowed
        for (const row of stored) {
          yield* Metadata.checkSticky(
            "project",
            row.project,
            Option.orElse(request.project, () => row.project),
            permitted(settings.allowProjectChange),
            path
          )
        }
        for (const row of stored) {
          yield* Metadata.checkSticky(
            "task",
            row.task,
            Option.orElse(request.task, () => row.task),
            permitted(settings.allowTaskChange),
            path
          )
        }
        return {
          _tag: "Refresh",
          path,
          rows: [...stored].sort((a, b) => byTag(Option.getOrElse(a.key.tag, () => ""), Option.getOrElse(b.key.tag, () => "")))
            .map((r) => ({
              ...r,
              project: Option.orElse(request.project, () => r.project),
              task: Option.orElse(request.task, () => r.task),
              lastUsedAt: at
            }))
        }
      }
      if (!request.force) return yield* incompatible(path, compatible.left, stored, request.services)
    }
    // A forced replacement keeps the stored metadata the request does not set, if unambiguous.
    const project = Option.isSome(request.project) ? request.project : yield* agreed(stored, "project", (r) => r.project)
    const task = Option.isSome(request.task) ? request.task : yield* agreed(stored, "task", (r) => r.task)
    // Every other row holds its port; the stored group's, replaced, free theirs.
    const others = (yield* Reservations.all).filter((r) => !(r.key.path === path && Option.isSome(r.key.tag)))
    const availability: Availability = {
      reserved: new Set(others.map((r) => r.port)),
      exclusions: settings.exclusions,
      policy: settings.occupancy
    }
    const preferredRefused: Array<PreferredRefused & { readonly tag: Tag }> = []
    const ports = yield* allocate(request.services, availability, scan, (service, blocker) => {
      const port = service.preferred.value
      for (const why of Option.toArray(refusal(port, blocker, others))) preferredRefused.push({ tag: service.tag, port, refusal: why })
    })
    return {
      _tag: "Allocate",
      path,
      released: stored,
      preferredRefused,
      rows: request.services.flatMap((service) => {
        const port = ports.get(service.tag)
        return port === undefined ? [] : [{
          key: Key.make(path, Option.some(service.tag)),
          port,
          project,
          task,
          createdAt: at,
          lastUsedAt: at
        }]
      })
    }
  })

/** Applies a plan: refresh the rows, or release the stored ones and insert the new ones. */
export const execute = (plan: GroupPlan): Effect.Effect<void, StoreError, SqlClient.SqlClient> =>
  plan._tag === "Refresh"
    ? Effect.forEach(plan.rows, Reservations.update, { discard: true })
    : Effect.gen(function*() {
      for (const row of plan.released) yield* Reservations.remove(row.key)
      for (const [i, row] of plan.rows.entries()) {
        yield* Reservations.insert(row)
        if (i === 0) yield* reached("reserve-group")
      }
    })
