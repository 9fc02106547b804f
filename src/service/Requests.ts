import * as Either from "effect/Either"
import * as Option from "effect/Option"
import type { Settings } from "../config/Settings.js"
import type { AbsolutePath } from "../domain/AbsolutePath.js"
import { InvalidValue } from "../domain/Errors.js"
import type { InvalidPath } from "../domain/Errors.js"
import type { Project, Tag, Task } from "../domain/Identifier.js"
import { projectFromInput, tagFromInput, taskFromInput } from "../domain/Identifier.js"
import * as Port from "../domain/Port.js"
import type { Reservation as Stored } from "../domain/Reservation.js"
import type { MetadataIntent } from "../operations/Metadata.js"
import * as Metadata from "../operations/Metadata.js"
import { normalize } from "../paths/Normalize.js"

/**
 * The plain requests and results of the `Trop` service, and their decoding into the
 * operations' validated requests. Every field is optional; a bad value is a typed
 * failure (`InvalidValue`, `InvalidPath`), never a throw.
 */

/** A reservation as the service reports it. */
export interface Reservation {
  readonly path: string
  /** `null` for the untagged reservation of `path`. */
  readonly tag: string | null
  readonly port: number
  readonly project: string | null
  readonly task: string | null
  readonly createdAt: Date
  readonly lastUsedAt: Date
}

/** One port for (path, tag). The same request returns the same port. */
export interface ReserveRequest {
  /** Default: the service's working directory. Relative paths and `~` resolve against it. */
  readonly path?: string | undefined
  /** Default: untagged. Trimmed; blank is invalid. */
  readonly tag?: string | undefined
  /** Granted when it is free (1..65535); otherwise a port of the range, silently. */
  readonly port?: number | undefined
  /** A string sets it, `null` clears it; default: the configured project, else the stored one (or Git's for a new key). */
  readonly project?: string | null | undefined
  /** Like `project`. */
  readonly task?: string | null | undefined
  /** Allocate a fresh port even when (path, tag) already has one. */
  readonly overwrite?: boolean | undefined
  /** `overwrite`, and skip the path guard, sticky checks, exclusions and occupancy. */
  readonly force?: boolean | undefined
  /** Grant an occupied `port`. */
  readonly ignoreOccupied?: boolean | undefined
  /** Grant an excluded `port`. */
  readonly ignoreExclusions?: boolean | undefined
  /** Allow a path that is neither the working directory, an ancestor nor a descendant of it. */
  readonly allowUnrelatedPath?: boolean | undefined
  readonly allowProjectChange?: boolean | undefined
  readonly allowTaskChange?: boolean | undefined
}

/** Which reservations to release. */
export interface ReleaseRequest {
  /** Default: the service's working directory. */
  readonly path?: string | undefined
  /** Only this tag; default: every tag of the path, and its untagged reservation. */
  readonly tag?: string | undefined
  /** Only the untagged reservation. */
  readonly untaggedOnly?: boolean | undefined
  /** Also every path below `path`. */
  readonly recursive?: boolean | undefined
  readonly allowUnrelatedPath?: boolean | undefined
}

/** Filters of `list`; all given ones must match. */
export interface ListFilter {
  readonly project?: string | undefined
  readonly tag?: string | undefined
  /** Reservations at or below this path. */
  readonly path?: string | undefined
}

/** One service of an inline group (the `services` entries of a `trop.yaml` group). */
export interface ServiceDefinition {
  readonly offset?: number | undefined
  readonly preferred?: number | undefined
  /** Default: derived from the tag (`api-v2` → `API_V2`). */
  readonly env?: string | undefined
}

/**
 * A group reserved atomically. Its definition comes from `file`, from inline `services`,
 * or by default from the configuration discovered from the working directory.
 */
export interface GroupRequest {
  /** A YAML file with a `reservations` block; the group lives at its directory. */
  readonly file?: string | undefined
  /** The services inline, instead of a file; the group lives at `path`. */
  readonly services?: Readonly<Record<string, ServiceDefinition>> | undefined
  /** Where an inline group lives; default: the working directory. */
  readonly path?: string | undefined
  /** Where the offset scan starts (inline groups). */
  readonly base?: number | undefined
  readonly project?: string | undefined
  readonly task?: string | undefined
  /** Replace an incompatible stored group, and skip the path guard and sticky checks. */
  readonly force?: boolean | undefined
  readonly allowUnrelatedPath?: boolean | undefined
  readonly allowProjectChange?: boolean | undefined
  readonly allowTaskChange?: boolean | undefined
}

/** One service of a reserved group. */
export interface ReservedService {
  readonly tag: string
  readonly port: number
  /** Its environment-variable name. */
  readonly env: string
}

/** The result of `reserveGroup`. */
export interface GroupReservation {
  /** The directory the group's reservations are keyed by. */
  readonly path: string
  /** The file that defined the group, or `null` for an inline group. */
  readonly file: string | null
  /** In tag order. */
  readonly services: ReadonlyArray<ReservedService>
  /** Variable name → port, ready to merge into a child's environment. */
  readonly env: Readonly<Record<string, string>>
  /** Whether the stored group was kept (`refresh`) or ports were allocated. */
  readonly action: "refresh" | "allocate"
}

/** What a cleanup removed (or, for a dry run, would remove). */
export interface CleanupResult {
  readonly pruned: ReadonlyArray<Reservation>
  readonly expired: ReadonlyArray<Reservation>
}

/** The stored row as the service reports it. */
export const toReservation = (r: Stored): Reservation => ({
  path: r.key.path,
  tag: Option.getOrNull(r.key.tag),
  port: r.port,
  project: Option.getOrNull(r.project),
  task: Option.getOrNull(r.task),
  createdAt: new Date(r.createdAt * 1000),
  lastUsedAt: new Date(r.lastUsedAt * 1000)
})

/** Where relative paths and `~` point for a service. */
export interface Place {
  readonly cwd: AbsolutePath
  readonly home: string | undefined
}

const invalid = (field: string, reason: string) => new InvalidValue({ field, reason })

/*
 * The validators below are plain `Either`s, not effects: they run on every call of the
 * service, where a fiber step each costs more than the checks (bench/inprocess.mjs). An
 * `Either` is still yieldable in `Effect.gen`, with its `Left` as the failure.
 */

const isBoolean = (u: unknown): u is boolean | undefined => u === undefined || typeof u === "boolean"

/** `true` when set; a non-boolean is invalid. */
export const flag = (field: string, value: unknown): Either.Either<boolean, InvalidValue> =>
  isBoolean(value) ? Either.right(value === true) : Either.left(invalid(field, "must be a boolean"))

/** Turns every boolean field of `request` into a checked boolean; the first bad one (in `keys` order) fails. */
export const flags = <K extends string>(
  request: Partial<Record<K, unknown>>,
  keys: ReadonlyArray<K>
): Either.Either<Record<K, boolean>, InvalidValue> => {
  const checked: Partial<Record<K, boolean>> = {}
  for (const key of keys) {
    const value: unknown = request[key]
    if (!isBoolean(value)) return Either.left(invalid(key, "must be a boolean"))
    checked[key] = value === true
  }
  return Either.right(checked as Record<K, boolean>)
}

/** An explicit path, normalized against the service's working directory; default: the working directory. */
export const path = (
  field: string,
  raw: unknown,
  place: Place
): Either.Either<AbsolutePath, InvalidValue | InvalidPath> => {
  if (raw === undefined) return Either.right(place.cwd)
  if (typeof raw !== "string" || raw === "") return Either.left(invalid(field, "must be a non-empty string"))
  return normalize(raw, place)
}

const NONE = Either.right(Option.none())

/** A tag typed by the caller: trimmed, not blank. */
export const tag = (raw: unknown): Either.Either<Option.Option<Tag>, InvalidValue> => {
  if (raw === undefined) return NONE
  if (typeof raw !== "string") return Either.left(invalid("tag", "must be a string"))
  return Either.match(tagFromInput(raw), {
    onLeft: (reason) => Either.left(invalid("tag", reason)),
    onRight: (tag) => Either.right(Option.some(tag))
  })
}

/** A port number 1..65535. */
export const port = (field: string, raw: unknown): Either.Either<Option.Option<Port.Port>, InvalidValue> => {
  if (raw === undefined) return NONE
  return typeof raw === "number" && Number.isInteger(raw) && raw >= 1 && raw <= Port.MAX_PORT
    ? Either.right(Option.some(Port.unsafeMake(raw)))
    : Either.left(invalid(field, `invalid port ${String(raw)}: expected an integer 1..${Port.MAX_PORT}`))
}

/** An optional project or task given as a plain string. */
export const identifier = <A>(
  field: "project" | "task",
  raw: unknown,
  parse: (s: string) => Either.Either<A, string>
): Either.Either<Option.Option<A>, InvalidValue> => {
  if (raw === undefined) return NONE
  if (typeof raw !== "string") return Either.left(invalid(field, "must be a string"))
  return Either.match(parse(raw), {
    onLeft: (reason) => Either.left(invalid(field, reason)),
    onRight: (value) => Either.right(Option.some(value))
  })
}

/** What a reserve request asks of a sticky field: `null` clears, a string sets, absent defers to the configuration. */
const intent = <A>(
  field: "project" | "task",
  raw: unknown,
  configured: Option.Option<A>,
  parse: (s: string) => Either.Either<A, string>
): Either.Either<MetadataIntent<A>, InvalidValue> =>
  raw === null
    ? Either.right(Metadata.clear)
    : Either.map(
      identifier(field, raw, parse),
      (given): MetadataIntent<A> =>
        Option.match(Option.orElse(given, () => configured), { onNone: () => Metadata.preserve, onSome: Metadata.set })
    )

export const projectIntent = (raw: unknown, settings: Settings): Either.Either<MetadataIntent<Project>, InvalidValue> =>
  intent("project", raw, settings.project, projectFromInput)

export const taskIntent = (raw: unknown, settings: Settings): Either.Either<MetadataIntent<Task>, InvalidValue> =>
  intent("task", raw, settings.task, taskFromInput)

/** A request given as anything: absent is `{}`, a non-object is invalid. */
export const object = <A extends object>(raw: A | undefined): Either.Either<Partial<A>, InvalidValue> =>
  raw === undefined || raw === null
    ? Either.right({})
    : typeof raw === "object"
    ? Either.right(raw)
    : Either.left(invalid("request", "must be an object"))
