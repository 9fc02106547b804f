import * as Either from "effect/Either"
import * as Option from "effect/Option"
import * as EnvName from "../domain/EnvName.js"
import { display, excerpt } from "../domain/Escape.js"
import { projectFromInput } from "../domain/Identifier.js"
import * as Port from "../domain/Port.js"
import type { ConfigFile, ExclusionItem, Reservations } from "./FileSchema.js"

/** One broken rule: the configuration field and what is wrong with it. */
export interface Problem {
  readonly field: string
  readonly message: string
}

/** An `excluded_ports` entry as written, before validation (ports may be 0, start may exceed end). */
export interface ExclusionEntry {
  readonly start: number
  readonly end: number
}

/** Why an exclusion entry is invalid (docs/configuration.md), or undefined. */
export const exclusionProblem = (entry: ExclusionEntry): string | undefined => {
  if (entry.start === entry.end) return entry.start === 0 ? "Invalid port: 0" : undefined
  if (entry.start === 0) return "Invalid start port: 0"
  if (entry.end === 0) return "Invalid end port: 0"
  return entry.end < entry.start ? `Invalid range: ${entry.start}..${entry.end} (end < start)` : undefined
}

const parsePortText = (text: string): number | undefined => {
  const n = /^\+?[0-9]+$/.test(text) ? Number(text) : NaN
  return Number.isInteger(n) && n <= Port.MAX_PORT ? n : undefined
}

/**
 * `"5005..5009"`: split at the first `..`; `trim` says whether sides are trimmed (files: yes,
 * env: no). Messages show the text cut short, control characters escaped (docs/security.md).
 */
export const parseExclusionText = (text: string, trim: boolean): Either.Either<ExclusionEntry, string> => {
  const side = (s: string) => parsePortText(trim ? s.trim() : s)
  const dots = text.indexOf("..")
  if (dots < 0) {
    const p = side(text)
    return p === undefined ? Either.left(`Invalid port: ${display(excerpt(text))}`) : Either.right({ start: p, end: p })
  }
  const start = side(text.slice(0, dots))
  const end = side(text.slice(dots + 2))
  return start === undefined || end === undefined
    ? Either.left(`Invalid port in range: ${display(excerpt(text))}`)
    : Either.right({ start, end })
}

export const exclusionEntry = (item: ExclusionItem): Either.Either<ExclusionEntry, string> =>
  typeof item === "number"
    ? Either.right({ start: item, end: item })
    : typeof item === "string"
    ? parseExclusionText(item, true)
    : Either.right({ start: item.start, end: item.end })

/**
 * The rules of a `ports` block (docs/configuration.md). Without `max` and `max_offset` (a file
 * that inherits them) only `min` is checked. Returns the effective maximum when valid.
 */
export const portsProblems = (ports: {
  readonly min: number
  readonly max: Option.Option<number>
  readonly maxOffset: Option.Option<number>
}): Either.Either<Option.Option<number>, Problem> => {
  const fail = (field: string, message: string) => Either.left({ field, message })
  if (ports.min === 0) return fail("ports.min", "Invalid port number: 0")
  if (Option.isSome(ports.max) && Option.isSome(ports.maxOffset)) return fail("ports", "Cannot specify both max and max_offset")
  if (Option.isSome(ports.maxOffset)) {
    const offset = ports.maxOffset.value
    if (offset === 0) return fail("ports.max_offset", "max_offset must be > 0")
    if (ports.min + offset > Port.MAX_PORT) {
      return fail("ports.max_offset", `Offset ${offset} would overflow when added to min port ${ports.min}`)
    }
    return Either.right(Option.some(ports.min + offset))
  }
  if (Option.isNone(ports.max)) return Either.right(Option.none())
  if (ports.max.value === 0) return fail("ports.max", "Invalid port number: 0")
  if (ports.max.value < ports.min) return fail("ports", "max must be >= min")
  return Either.right(ports.max)
}

export const MAX_LOCK_WAIT_SECONDS = 2147483

/** The rules of a reservation group (docs/configuration.md, docs/concepts.md), every problem in service order. */
export const groupProblems = (group: Reservations): ReadonlyArray<Problem> => {
  const problems: Array<Problem> = []
  const add = (field: string, message: string) => problems.push({ field, message })
  if (group.base === 0) add("reservations.base", "Invalid port: 0")
  const tags = new Set<string>()
  const offsets = new Set<number>()
  const preferred = new Set<number>()
  const names: Array<string> = []
  for (const [rawTag, service] of Object.entries(group.services)) {
    Either.match(projectFromInput(rawTag), {
      onLeft: (message) => add("reservations.services.tag", message),
      onRight: (tag) => {
        if (tags.has(tag)) add("reservations.services.tag", "Service tags must be unique after trimming whitespace")
        tags.add(tag)
      }
    })
    const offset = service.offset ?? 0
    if (offsets.has(offset)) add("reservations.services.offset", `Duplicate offset: ${offset}`)
    offsets.add(offset)
    if (service.preferred !== undefined) {
      if (service.preferred === 0) add("reservations.services.preferred", "Invalid port: 0")
      else if (preferred.has(service.preferred)) {
        add("reservations.services.preferred", `Duplicate preferred port: ${service.preferred}`)
      }
      preferred.add(service.preferred)
    }
    if (service.env !== undefined) {
      const problem = EnvName.problem(service.env) ??
        (EnvName.isRefused(service.env) ? EnvName.refusedProblem(rawTag.trim()) : undefined)
      if (problem === undefined) names.push(service.env)
      else add("reservations.services.env", problem)
    } else {
      Either.match(EnvName.derive(rawTag), {
        onLeft: (message) => add("reservations.services.tag", message),
        onRight: (name) =>
          EnvName.isRefused(name)
            ? add("reservations.services.tag", EnvName.refusedDerivationProblem(rawTag.trim()))
            : names.push(name)
      })
    }
  }
  if (!EnvName.areUnique(names)) add("reservations.services.env", EnvName.UNIQUENESS_PROBLEM)
  return problems
}

/** Whether a file is the user's `config.yaml` or a project file (`trop.yaml`, `trop.local.yaml`). */
export type FileKind = "user" | "project"

/**
 * Every rule one configuration file must satisfy on its own (docs/configuration.md), in
 * the order trop 0.2.0 reports them: project, reservations, ports, excluded_ports, cleanup,
 * lock wait. Loading stops at the first; `trop validate` lists them all.
 */
export const fileProblems = (config: ConfigFile, kind: FileKind): ReadonlyArray<Problem> => {
  const problems: Array<Problem> = []
  const add = (field: string, message: string) => problems.push({ field, message })
  if (config.project !== undefined) {
    if (kind === "user") add("project", "project is only valid in trop.yaml/trop.local.yaml, not user config.yaml")
    else Either.match(projectFromInput(config.project), { onLeft: (m) => add("project", m), onRight: () => undefined })
  }
  if (config.reservations !== undefined) {
    if (kind === "user") {
      add("reservations", "reservations are only valid in trop.yaml/trop.local.yaml, not user config.yaml")
    } else problems.push(...groupProblems(config.reservations))
  }
  if (config.ports !== undefined) {
    const result = portsProblems({
      min: config.ports.min,
      max: Option.fromNullable(config.ports.max),
      maxOffset: Option.fromNullable(config.ports.max_offset)
    })
    if (Either.isLeft(result)) problems.push(result.left)
  }
  for (const [index, item] of (config.excluded_ports ?? []).entries()) {
    const message = Either.match(exclusionEntry(item), { onLeft: (m) => m, onRight: exclusionProblem })
    if (message !== undefined) add(`excluded_ports[${index}]`, message)
  }
  if (config.cleanup?.expire_after_days === 0) add("cleanup.expire_after_days", "Must be > 0")
  if (config.maximum_lock_wait_seconds !== undefined && config.maximum_lock_wait_seconds > MAX_LOCK_WAIT_SECONDS) {
    add("maximum_lock_wait_seconds", `Timeout must not exceed ${MAX_LOCK_WAIT_SECONDS} seconds`)
  }
  return problems
}
