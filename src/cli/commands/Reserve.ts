import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import { tagFromInput } from "../../domain/Identifier.js"
import * as Port from "../../domain/Port.js"
import * as Metadata from "../../operations/Metadata.js"
import type { ReserveRequest } from "../../operations/Reserve.js"
import * as Reserve from "../../operations/Reserve.js"
import * as Common from "../CommonOptions.js"
import type { OccupancyFlags } from "../CommonOptions.js"
import { define } from "../Definition.js"
import { InvalidArguments } from "../Errors.js"
import type { GlobalValues } from "../Globals.js"
import { flag, text } from "../Opt.js"
import { Output } from "../Output.js"
import * as Session from "../Session.js"
import { display } from "../../domain/Escape.js"
import * as ResultJson from "./ResultJson.js"
import { preferredWarning } from "../Exit.js"

const parseBound = (name: "min" | "max", raw: Option.Option<string>) =>
  Option.match(raw, {
    onNone: () => Effect.succeedNone,
    onSome: (s) =>
      Either.match(Port.parse(s), {
        onLeft: (reason) => Effect.fail(new InvalidArguments({ detail: `invalid --${name} value: ${reason}` })),
        onRight: (p) => Effect.succeedSome(p)
      })
  })

/** The options of `reserve`; `exec` takes them too (without `--dry-run`). */
export const reserveOptions = {
  path: Common.path,
  tag: Common.tag,
  project: text("project", "PROJECT", "Project identifier"),
  clearProject: flag("clear-project", "Clear stored project metadata"),
  task: text("task", "TASK", "Task identifier"),
  clearTask: flag("clear-task", "Clear stored task metadata"),
  // Numbers: `--port -1` reaches the port check ("Invalid port number"), not "a value is required".
  port: { ...text("port", "PORT", "Preferred port number"), numeric: true },
  min: { ...text("min", "MIN", "Minimum acceptable port"), numeric: true },
  max: { ...text("max", "MAX", "Maximum acceptable port"), numeric: true },
  overwrite: flag("overwrite", "Reallocate an existing reservation for the exact path and tag"),
  ignoreOccupied: flag("ignore-occupied", "Allow an occupied preferred port"),
  ignoreExclusions: flag("ignore-exclusions", "Allow an excluded preferred port"),
  force: flag("force", "Overwrite and bypass path, metadata, occupancy, and exclusion guards"),
  allowUnrelatedPath: Common.allowUnrelatedPath,
  allowProjectChange: Common.allowProjectChange,
  allowTaskChange: Common.allowTaskChange,
  allowChange: Common.allowChange,
  disableAutoprune: flag("disable-autoprune", "Disable automatic pruning"),
  disableAutoexpire: flag("disable-autoexpire", "Disable automatic expiration"),
  disableAutoclean: flag("disable-autoclean", "Disable all automatic cleanup"),
  ...Common.occupancy
}

export const reserveConflicts: ReadonlyArray<readonly [string, string]> = [["project", "clear-project"], ["task", "clear-task"]]

/** The parsed values of `reserveOptions`. */
export interface ReserveValues extends OccupancyFlags {
  readonly path: Option.Option<string>
  readonly tag: Option.Option<string>
  readonly project: Option.Option<string>
  readonly clearProject: boolean
  readonly task: Option.Option<string>
  readonly clearTask: boolean
  readonly port: Option.Option<string>
  readonly min: Option.Option<string>
  readonly max: Option.Option<string>
  readonly overwrite: boolean
  readonly ignoreOccupied: boolean
  readonly ignoreExclusions: boolean
  readonly force: boolean
  readonly allowUnrelatedPath: boolean
  readonly allowProjectChange: boolean
  readonly allowTaskChange: boolean
  readonly allowChange: boolean
  readonly disableAutoprune: boolean
  readonly disableAutoexpire: boolean
  readonly disableAutoclean: boolean
  readonly globals: GlobalValues
}

/**
 * A reservation as `reserve` makes it, up to its output: pre-flight checks, configuration,
 * the request, then plan + execute in ONE immediate transaction, or only the plan in a
 * rolled-back one for a dry run. `command` names the command in messages. Returns the
 * plan with the settings and data directory it was made with.
 */
export const runReserve = (o: ReserveValues, command: string, dryRun: boolean) =>
  Effect.gen(function*() {
    const dataDir = yield* Session.dataDirectory(o.globals)
    // Pre-flight checks that need no configuration (docs/cli.md).
    const min = yield* parseBound("min", o.min)
    const max = yield* parseBound("max", o.max)
    if (Option.isSome(min) && Option.isSome(max) && min.value > max.value) {
      return yield* new InvalidArguments({
        detail: `Invalid port range: min (${min.value}) must be less than or equal to max (${max.value})`
      })
    }
    const cwd = yield* Session.workingDirectory
    const { settings } = yield* Session.configuration(o.globals, Session.discover(cwd, dataDir), {
      project: Option.getOrUndefined(o.project),
      clearProject: o.clearProject,
      task: Option.getOrUndefined(o.task),
      clearTask: o.clearTask,
      min: Option.getOrUndefined(min),
      max: Option.getOrUndefined(max),
      allowUnrelatedPath: o.allowUnrelatedPath,
      allowProjectChange: o.allowProjectChange,
      allowTaskChange: o.allowTaskChange,
      allowChange: o.allowChange,
      disableAutoprune: o.disableAutoprune || o.disableAutoclean,
      disableAutoexpire: o.disableAutoexpire || o.disableAutoclean,
      occupancy: Common.occupancyLeaves(o)
    })
    const path = yield* Session.targetPath(command, o.path, cwd)
    const tag = yield* Option.match(o.tag, {
      onNone: () => Effect.succeedNone,
      onSome: (raw) =>
        Either.match(tagFromInput(raw), {
          onLeft: (reason) => Effect.fail(new InvalidArguments({ detail: `validation error for 'tag': ${reason}` })),
          onRight: Effect.succeedSome
        })
    })
    const preferred = yield* Option.match(o.port, {
      onNone: () => Effect.succeedNone,
      onSome: (raw) =>
        Either.match(Port.parse(raw), {
          onLeft: (detail) => Effect.fail(new InvalidArguments({ detail })),
          onRight: Effect.succeedSome
        })
    })
    const request: ReserveRequest = {
      key: { path, tag },
      cwd,
      preferred,
      project: o.clearProject
        ? Metadata.clear
        : Option.match(settings.project, { onNone: () => Metadata.preserve, onSome: Metadata.set }),
      task: o.clearTask
        ? Metadata.clear
        : Option.match(settings.task, { onNone: () => Metadata.preserve, onSome: Metadata.set }),
      overwrite: o.overwrite,
      force: o.force,
      ignoreOccupied: o.ignoreOccupied,
      ignoreExclusions: o.ignoreExclusions
    }
    const logPlan = (plan: Reserve.ReservePlan) => Effect.logDebug(`plan: ${Reserve.describe(plan).join("; ")}`)
    // What needs no database lock is prepared before the transaction (docs/database.md).
    const plan = yield* Effect.flatMap(Reserve.prepare(request, settings), (prepared) =>
      Reserve.plan(request, settings, prepared).pipe(
        Effect.tap(logPlan),
        dryRun ? (planned) => planned : Effect.tap(Reserve.execute),
        Session.transaction(dryRun)
      )).pipe(Session.withDatabase(command, settings, dataDir, { dryRun }))
    return { plan, settings, dataDir, cwd }
  })

export const reserve = define({
  name: "reserve",
  description: "Reserve a port for a directory",
  options: { ...reserveOptions, dryRun: Common.dryRun, format: Common.resultFormat },
  conflicts: reserveConflicts
}, (o) =>
  Effect.gen(function*() {
    const output = yield* Output
    const quiet = o.globals.quiet
    const json = ResultJson.requested(o.format)
    const { plan } = yield* runReserve(o, "reserve", o.dryRun)
    // JSON replaces the port (and the dry-run plan); warnings still go to stderr.
    if (json) yield* output.out(ResultJson.reserve(plan, o.dryRun))
    if (o.dryRun) {
      if (!quiet && !json) {
        yield* output.err("Dry run - would perform the following actions:")
        for (const [i, line] of Reserve.describe(plan).entries()) yield* output.err(`  ${i + 1}. ${display(line)}`)
      }
      return
    }
    if (!json) yield* output.out(String(plan.reservation.port))
    if (!quiet) for (const warning of Reserve.warnings(plan)) yield* output.err(`Warning: ${warning}`)
    if (!quiet) yield* preferredWarnings(plan)
  }))

/** The warning of a `--port` that was not granted (none when it was, or none was asked). */
export const preferredWarnings = (plan: Reserve.ReservePlan) =>
  Effect.flatMap(Output, (output) =>
    Effect.forEach(Option.toArray(plan.preferredRefused), (refused) =>
      output.err(preferredWarning(refused, plan.reservation.port)), { discard: true }))
