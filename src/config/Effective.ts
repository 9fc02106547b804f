import * as Either from "effect/Either"
import * as Option from "effect/Option"
import type { InvalidConfiguration } from "../domain/Errors.js"
import { invalidField } from "../domain/Errors.js"
import type { ExcludedRange } from "../domain/Exclusions.js"
import { projectFromInput, taskFromInput } from "../domain/Identifier.js"
import * as Port from "../domain/Port.js"
import type { OccupancyCheck } from "../probe/Policy.js"
import { fromCheck } from "../probe/Policy.js"
import type { Reservations } from "./FileSchema.js"
import type { OutputFormat, Settings } from "./Settings.js"
import type { ExclusionEntry } from "./Validate.js"
export type { ExclusionEntry } from "./Validate.js"
import { exclusionProblem, MAX_LOCK_WAIT_SECONDS, portsProblems } from "./Validate.js"

/** Where a setting came from: a file path, an environment variable or a fixed label. */
export type Source = string

export const DEFAULTS_SOURCE: Source = "<built-in defaults>"
export const COMMAND_LINE: Source = "<command line>"

export interface Sourced<A> {
  readonly value: A
  readonly source: Source
}

/**
 * The configuration while layers are applied, lowest first (docs/configuration.md). Every
 * field remembers the source that set it, for error annotation.
 */
export interface Merged {
  readonly project: Option.Option<Sourced<string>>
  readonly task: Option.Option<Sourced<string>>
  readonly ports: {
    readonly min: number
    readonly max: Option.Option<number>
    readonly maxOffset: Option.Option<number>
    /** The latest layer that set min, max or max_offset. */
    readonly source: Source
  }
  /** Accumulated across every layer; `index` is the position within its source's list. */
  readonly excludedPorts: ReadonlyArray<Sourced<ExclusionEntry> & { readonly index: number }>
  readonly expireAfterDays: Sourced<number>
  readonly occupancyCheck: OccupancyCheck
  readonly disableAutoinit: boolean
  readonly disableAutoprune: boolean
  readonly disableAutoexpire: boolean
  readonly allowUnrelatedPath: boolean
  readonly allowChangeProject: boolean
  readonly allowChangeTask: boolean
  readonly allowChange: boolean
  readonly maximumLockWaitSeconds: Sourced<number>
  readonly outputFormat: OutputFormat
  /** The reservation group and the file that supplied it; `null` when a project file cleared it. */
  readonly reservations: Option.Option<Sourced<Reservations | null>>
}

/** Built-in defaults (docs/configuration.md). */
export const defaults: Merged = {
  project: Option.none(),
  task: Option.none(),
  ports: { min: 5000, max: Option.some(7000), maxOffset: Option.none(), source: DEFAULTS_SOURCE },
  excludedPorts: [],
  expireAfterDays: { value: 30, source: DEFAULTS_SOURCE },
  occupancyCheck: {
    skip: false,
    skip_ip4: false,
    skip_ip6: false,
    skip_tcp: false,
    skip_udp: false,
    check_all_interfaces: false
  },
  disableAutoinit: false,
  disableAutoprune: false,
  disableAutoexpire: false,
  allowUnrelatedPath: false,
  allowChangeProject: false,
  allowChangeTask: false,
  allowChange: false,
  maximumLockWaitSeconds: { value: 5, source: DEFAULTS_SOURCE },
  outputFormat: "table",
  reservations: Option.none()
}

/** One configuration layer: how it changes what the lower layers produced. */
export type ConfigLayer = (merged: Merged) => Merged

/** Applies layers lowest first. */
export const merge = (layers: ReadonlyArray<ConfigLayer>, base: Merged = defaults): Merged =>
  layers.reduce((m, layer) => layer(m), base)

/** Sets `min` only, keeping the inherited max or offset (`--min`, `TROP_PORT_MIN`). */
export const setMin = (m: Merged, min: number, source: Source): Merged => ({ ...m, ports: { ...m.ports, min, source } })

/** Sets `max` and clears `max_offset` (`--max`, `TROP_PORT_MAX`). */
export const setMax = (m: Merged, max: number, source: Source): Merged => ({
  ...m,
  ports: { ...m.ports, max: Option.some(max), maxOffset: Option.none(), source }
})

/** Sets `max_offset` and clears `max` (`TROP_PORT_MAX_OFFSET`). */
export const setMaxOffset = (m: Merged, maxOffset: number, source: Source): Merged => ({
  ...m,
  ports: { ...m.ports, max: Option.none(), maxOffset: Option.some(maxOffset), source }
})

export const addExclusions = (m: Merged, entries: ReadonlyArray<ExclusionEntry>, source: Source): Merged => ({
  ...m,
  excludedPorts: [...m.excludedPorts, ...entries.map((value, index) => ({ value, source, index }))]
})

const validatePorts = (ports: Merged["ports"]) =>
  portsProblems(ports).pipe(
    Either.mapLeft(({ field, message }) => invalidField(field, ports.source, message)),
    // Defaults always supply max or max_offset, so the range is complete here.
    Either.map((max) => ({ min: Port.unsafeMake(ports.min), max: Port.unsafeMake(Option.getOrElse(max, () => ports.min)) }))
  )

const validateIdentifier = <A>(
  field: string,
  value: Option.Option<Sourced<string>>,
  parse: (raw: string) => Either.Either<A, string>
): Either.Either<Option.Option<A>, InvalidConfiguration> =>
  Option.match(value, {
    onNone: () => Either.right(Option.none()),
    onSome: ({ source, value }) =>
      parse(value).pipe(Either.map(Option.some), Either.mapLeft((reason) => invalidField(field, source, reason)))
  })

/**
 * Validates the merged layers into `Settings`; the first failing rule is reported, in trop
 * 0.2.0's order: project, ports, excluded_ports, cleanup, lock wait, task.
 */
export const validate = (m: Merged): Either.Either<Settings, InvalidConfiguration> =>
  Either.gen(function*() {
    const project = yield* validateIdentifier("project", m.project, projectFromInput)
    const range = yield* validatePorts(m.ports)
    const exclusions: Array<ExcludedRange> = []
    for (const { index, source, value } of m.excludedPorts) {
      const problem = exclusionProblem(value)
      if (problem !== undefined) return yield* Either.left(invalidField(`excluded_ports[${index}]`, source, problem))
      exclusions.push({ start: Port.unsafeMake(value.start), end: Port.unsafeMake(value.end) })
    }
    if (m.expireAfterDays.value === 0) {
      return yield* Either.left(invalidField("cleanup.expire_after_days", m.expireAfterDays.source, "Must be > 0"))
    }
    if (m.maximumLockWaitSeconds.value > MAX_LOCK_WAIT_SECONDS) {
      return yield* Either.left(
        invalidField(
          "maximum_lock_wait_seconds",
          m.maximumLockWaitSeconds.source,
          `Timeout must not exceed ${MAX_LOCK_WAIT_SECONDS} seconds`
        )
      )
    }
    const task = yield* validateIdentifier("task", m.task, taskFromInput)
    return {
      range,
      exclusions,
      occupancy: fromCheck(m.occupancyCheck),
      project,
      task,
      allowUnrelatedPath: m.allowUnrelatedPath,
      allowProjectChange: m.allowChange || m.allowChangeProject,
      allowTaskChange: m.allowChange || m.allowChangeTask,
      disableAutoinit: m.disableAutoinit,
      disableAutoprune: m.disableAutoprune,
      disableAutoexpire: m.disableAutoexpire,
      expireAfterDays: m.expireAfterDays.value,
      busyTimeoutSeconds: m.maximumLockWaitSeconds.value,
      outputFormat: m.outputFormat
    }
  })
