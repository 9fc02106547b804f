import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import * as nodePath from "node:path"
import type { Effective } from "../../config/Load.js"
import { InvalidValue } from "../../domain/Errors.js"
import { display, hasControl } from "../../domain/Escape.js"
import { CONTROL_MESSAGE, Task } from "../../domain/Identifier.js"
import type { GroupRequest } from "../../operations/Group.js"
import * as Group from "../../operations/Group.js"
import * as GroupConfig from "../../operations/GroupConfig.js"
import * as DataDir from "../../config/DataDir.js"
import { canonicalize } from "../../paths/Canonical.js"
import { expandTilde } from "../../paths/Normalize.js"
import * as Common from "../CommonOptions.js"
import type { OccupancyFlags } from "../CommonOptions.js"
import { InvalidArguments } from "../Errors.js"
import type { GlobalValues } from "../Globals.js"
import { Invocation } from "../Invocation.js"
import { choice, flag, text } from "../Opt.js"
import { Output } from "../Output.js"
import * as Session from "../Session.js"
import type { Entry, GroupFormat } from "./GroupOutput.js"
import * as GroupOutput from "./GroupOutput.js"
import { preferredWarning } from "../Exit.js"

/** The options `reserve-group` and `autoreserve` share (docs/cli.md). */
export const groupOptions = {
  task: {
    ...text("task", "TASK", "Task identifier; omission preserves an existing value (clearing unsupported)"),
    env: "TROP_TASK"
  },
  format: choice("format", "FORMAT", "Output format", GroupOutput.FORMATS),
  shell: text("shell", "SHELL", "Shell type for export format (auto-detect if not specified)"),
  force: flag("force", "Allow unrelated paths, metadata changes, and atomic shape replacement"),
  allowUnrelatedPath: Common.allowUnrelatedPath,
  allowProjectChange: Common.allowProjectChange,
  allowTaskChange: Common.allowTaskChange,
  allowChange: Common.allowChange,
  dryRun: Common.dryRun,
  ...Common.occupancy
}

/** What a group reservation takes from the command line (`exec --group` too). */
export interface GroupRequestValues extends OccupancyFlags {
  readonly task: Option.Option<string>
  readonly force: boolean
  readonly allowUnrelatedPath: boolean
  readonly allowProjectChange: boolean
  readonly allowTaskChange: boolean
  readonly allowChange: boolean
  readonly globals: GlobalValues
}

export interface GroupValues extends GroupRequestValues {
  readonly format: Option.Option<GroupFormat>
  readonly shell: Option.Option<string>
  readonly dryRun: boolean
}

/** How the group's configuration was found, which changes messages and the file chosen. */
export type GroupSource =
  | { readonly _tag: "Named"; readonly typed: string }
  | { readonly _tag: "Discovered" }

/**
 * Pre-flight for `reserve-group <file>` (docs/cli.md): the (normalized) file must exist and
 * be a regular file; messages show the path as typed.
 */
export const checkNamedFile = (typed: string, path: string): Effect.Effect<void, InvalidArguments> =>
  Effect.mapError(GroupConfig.checkFile(typed, path), (e) => new InvalidArguments({ detail: e.reason }))

/**
 * `--task` of a group: trimmed and non-empty, blank is exit 6; no length rule
 * (docs/configuration.md, unlike `TROP_TASK`, which the configuration validates). Control characters are
 * refused like everywhere (docs/security.md), with the same exit code.
 */
const requestedTask = (option: Option.Option<string>, effective: Effective) =>
  Option.match(option, {
    onNone: () => Effect.succeed(effective.settings.task),
    onSome: (raw) =>
      raw.trim() === ""
        ? Effect.fail(new InvalidValue({ field: "task", reason: "Cannot be empty or only whitespace" }))
        : hasControl(raw.trim())
        ? Effect.fail(new InvalidValue({ field: "task", reason: CONTROL_MESSAGE }))
        : Effect.succeedSome(Task.make(raw.trim()))
  })

/**
 * The steps of a group reservation before the database (docs/concepts.md): configuration,
 * group checks and the request. `runGroup` and `exec --group` share them.
 */
export const prepareGroup = (o: GroupRequestValues, source: GroupSource) =>
  Effect.gen(function*() {
    const dataDir = yield* Session.dataDirectory(o.globals)
    const { env } = yield* Invocation
    // `reserve-group <file>` pre-flight, before the working directory (docs/compatibility.md):
    // the file where the system finds it, only `~` expanded, so a relative name in a
    // deleted working directory is "not found" (as in trop 0.2.0).
    const typed = source._tag === "Named" ? Option.some(source.typed) : Option.none()
    const asFound = Option.map(typed, (t) => Either.getOrElse(expandTilde(t, DataDir.home(env)), () => t))
    if (Option.isSome(typed) && Option.isSome(asFound)) yield* checkNamedFile(typed.value, asFound.value)
    const cwd = yield* Session.workingDirectory
    // Normalized, the file must exist too. A name that does not normalize (`/../x`) fails
    // after the configuration, which loads the file where the system found it.
    const named = Option.isSome(typed) ? Option.some(yield* Effect.either(Session.explicitPath(typed.value))) : Option.none()
    if (Option.isSome(typed) && Option.isSome(named) && Either.isRight(named.value)) {
      yield* checkNamedFile(typed.value, named.value.right)
    }
    const scope = Option.match(Option.zipWith(named, asFound, (file, found) => Either.getOrElse(file, () => nodePath.resolve(found))), {
      onNone: () => Session.discover(cwd, dataDir),
      onSome: (file) => ({ _tag: "Explicit" as const, file, dataDir })
    })
    const effective = yield* Session.configuration(o.globals, scope, {
      allowUnrelatedPath: o.allowUnrelatedPath,
      allowProjectChange: o.allowProjectChange,
      allowTaskChange: o.allowTaskChange,
      allowChange: o.allowChange,
      occupancy: Common.occupancyLeaves(o)
    })
    if (Option.isSome(named) && Either.isLeft(named.value)) return yield* named.value.left
    const { settings } = effective
    // autoreserve: the file that won `reservations`, else trop.local.yaml, else trop.yaml.
    const fallbackFile = Option.flatMap(effective.project, (p) => Option.orElse(p.local, () => p.project))
    if (source._tag === "Discovered" && Option.isNone(fallbackFile)) {
      return yield* new InvalidArguments({ detail: `No trop configuration file found (searched from: ${cwd})` })
    }
    const group = yield* GroupConfig.configured(effective)
    // The group lives at the canonical directory of the file that supplied it.
    const path = yield* canonicalize(nodePath.dirname(group.source))
    const { base, env: names, services } = GroupConfig.definition(group.value)
    const request: Omit<GroupRequest, "task"> = {
      path,
      cwd,
      services,
      base,
      project: settings.project,
      force: o.force
    }
    // `--task` is checked later, with the database open (planGroup).
    return { request, task: requestedTask(o.task, effective), settings, dataDir, names, file: group.source }
  })

export type PreparedGroup = Effect.Effect.Success<ReturnType<typeof prepareGroup>>

/**
 * Plans a prepared group: the checks that read nothing (services, path guard), then
 * `--task`, then the rest of the plan — trop 0.2.0's order, dry run or not.
 */
const planGroup = (prepared: PreparedGroup) =>
  Effect.gen(function*() {
    yield* Group.admit(prepared.request, prepared.settings)
    const task = yield* prepared.task
    return yield* Group.plan({ ...prepared.request, task }, prepared.settings)
  })

/**
 * Plans and executes the group, then `finish` on its entries (variable names and ports, in
 * tag order), all inside ONE immediate transaction: a `finish` failure (an invalid variable
 * name) rolls everything back.
 */
export const commitGroup = <A, E>(
  prepared: PreparedGroup,
  command: string,
  finish: (entries: ReadonlyArray<Entry>) => Either.Either<A, E>,
  quiet: boolean
) =>
  planGroup(prepared).pipe(
    Effect.tap(Group.execute),
    Effect.flatMap((plan) =>
      Either.map(
        finish(Group.mapping(plan).map(({ port, tag }) => ({ tag, port, name: prepared.names.get(tag) ?? "" }))),
        (result) => ({ result, plan })
      )
    ),
    Session.transaction(false),
    Session.withDatabase(command, prepared.settings, prepared.dataDir),
    // Each service's preferred port that was not granted: one warning (unless --quiet).
    Effect.tap(({ plan }) =>
      Effect.flatMap(Output, (output) =>
        Effect.forEach(plan._tag === "Allocate" && !quiet ? plan.preferredRefused : [], (refused) => {
          const granted = Group.mapping(plan).find((m) => m.tag === refused.tag)?.port ?? refused.port
          return output.err(preferredWarning(refused, granted, refused.tag))
        }, { discard: true }))
    ),
    Effect.map(({ result }) => result)
  )

/**
 * Runs a group reservation end to end (docs/concepts.md): the shared preparation, the
 * dry-run branch, format and shell, then plan + execute + formatting inside ONE
 * immediate transaction (a formatting failure rolls everything back), then output.
 */
export const runGroup = (o: GroupValues, source: GroupSource) =>
  Effect.gen(function*() {
    const output = yield* Output
    const { env } = yield* Invocation
    const quiet = o.globals.quiet
    const prepared = yield* prepareGroup(o, source)
    const command = source._tag === "Named" ? "reserve-group" : "autoreserve"
    const discovered = `Discovered config: ${prepared.file}`
    if (o.dryRun) {
      const plan = yield* planGroup(prepared).pipe(
        Session.transaction(true),
        Session.withDatabase(command, prepared.settings, prepared.dataDir, { dryRun: true })
      )
      if (quiet) return
      const header = source._tag === "Named"
        ? [`Reserve group of services from ${source.typed}`]
        : [discovered, "Reserve group of services from config"]
      yield* output.err("Dry run - would perform the following actions:")
      for (const [i, line] of [...header, ...Group.describe(plan)].entries()) yield* output.err(`  ${i + 1}. ${display(line)}`)
      return
    }
    const format = Option.getOrElse(o.format, () => "export" as const)
    const shell = yield* Option.match(o.shell, {
      onNone: () => Effect.succeed(GroupOutput.detectShell(env)),
      onSome: (raw) => GroupOutput.parseShell(raw)
    })
    const text = yield* commitGroup(prepared, command, (entries) => GroupOutput.render(entries, format, shell), quiet)
    yield* output.out(text)
    if (quiet) return
    if (source._tag === "Discovered") yield* output.err(`Discovered config: ${JSON.stringify(prepared.file)}`)
    yield* output.err(`Reserved ${prepared.request.services.length} ports.`)
  })
