import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as nodePath from "node:path"
import type { Effective } from "../../config/Load.js"
import { InvalidValue } from "../../domain/Errors.js"
import { Task } from "../../domain/Identifier.js"
import type { GroupRequest } from "../../operations/Group.js"
import * as Group from "../../operations/Group.js"
import * as GroupConfig from "../../operations/GroupConfig.js"
import { canonicalize } from "../../paths/Canonical.js"
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

/** The options `reserve-group` and `autoreserve` share (cli.md §9.4-9.5). */
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

export interface GroupValues extends OccupancyFlags {
  readonly task: Option.Option<string>
  readonly format: Option.Option<GroupFormat>
  readonly shell: Option.Option<string>
  readonly force: boolean
  readonly allowUnrelatedPath: boolean
  readonly allowProjectChange: boolean
  readonly allowTaskChange: boolean
  readonly allowChange: boolean
  readonly dryRun: boolean
  readonly globals: GlobalValues
}

/** How the group's configuration was found, which changes messages and the file chosen. */
export type GroupSource =
  | { readonly _tag: "Named"; readonly typed: string }
  | { readonly _tag: "Discovered" }

/**
 * Pre-flight for `reserve-group <file>` (cli.md §9.4): the (normalized) file must exist and
 * be a regular file; messages show the path as typed.
 */
export const checkNamedFile = (typed: string, path: string): Effect.Effect<void, InvalidArguments> =>
  Effect.mapError(GroupConfig.checkFile(typed, path), (e) => new InvalidArguments({ detail: e.reason }))

/**
 * `--task` of a group: trimmed and non-empty, blank is exit 6; no other rule (semantics.md
 * §4.6, unlike `TROP_TASK`, which the configuration validates).
 */
const requestedTask = (option: Option.Option<string>, effective: Effective) =>
  Option.match(option, {
    onNone: () => Effect.succeed(effective.settings.task),
    onSome: (raw) =>
      raw.trim() === ""
        ? Effect.fail(new InvalidValue({ field: "task", reason: "Cannot be empty or only whitespace" }))
        : Effect.succeedSome(Task.make(raw.trim()))
  })

/**
 * Runs a group reservation end to end (semantics.md §8.7): configuration, group checks,
 * the dry-run branch, format and shell, then plan + execute + formatting inside ONE
 * immediate transaction (a formatting failure rolls everything back), then output.
 */
export const runGroup = (o: GroupValues, source: GroupSource) =>
  Effect.gen(function*() {
    const output = yield* Output
    const { env } = yield* Invocation
    const quiet = o.globals.quiet
    const dataDir = yield* Session.dataDirectory(o.globals)
    const named = source._tag === "Named" ? Option.some(yield* Session.explicitPath(source.typed)) : Option.none()
    if (source._tag === "Named" && Option.isSome(named)) yield* checkNamedFile(source.typed, named.value)
    const cwd = yield* Session.workingDirectory
    const scope = Option.match(named, {
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
    const { settings } = effective
    // autoreserve: the file that won `reservations`, else trop.local.yaml, else trop.yaml.
    const fallbackFile = Option.flatMap(effective.project, (p) => Option.orElse(p.local, () => p.project))
    if (source._tag === "Discovered" && Option.isNone(fallbackFile)) {
      return yield* new InvalidArguments({ detail: `No trop configuration file found (searched from: ${cwd})` })
    }
    const group = yield* GroupConfig.configured(effective)
    const task = yield* requestedTask(o.task, effective)
    // The group lives at the canonical directory of the file that supplied it.
    const path = yield* canonicalize(nodePath.dirname(group.source))
    const { base, env: names, services } = GroupConfig.definition(group.value)
    const request: GroupRequest = {
      path,
      cwd,
      services,
      base,
      project: settings.project,
      task,
      force: o.force
    }
    const database = Session.withDatabase(source._tag === "Named" ? "reserve-group" : "autoreserve", settings, dataDir, {
      dryRun: o.dryRun
    })
    const discovered = `Discovered config: ${group.source}`
    if (o.dryRun) {
      const plan = yield* Group.plan(request, settings).pipe(Session.transaction(true), database)
      if (quiet) return
      const header = source._tag === "Named"
        ? [`Reserve group of services from ${source.typed}`]
        : [discovered, "Reserve group of services from config"]
      yield* output.err("Dry run - would perform the following actions:")
      for (const [i, line] of [...header, ...Group.describe(plan)].entries()) yield* output.err(`  ${i + 1}. ${line}`)
      return
    }
    const format = Option.getOrElse(o.format, () => "export" as const)
    const shell = yield* Option.match(o.shell, {
      onNone: () => Effect.succeed(GroupOutput.detectShell(env)),
      onSome: (raw) => GroupOutput.parseShell(raw)
    })
    const text = yield* Group.plan(request, settings).pipe(
      Effect.tap(Group.execute),
      Effect.flatMap((plan) => {
        const entries: ReadonlyArray<Entry> = Group.mapping(plan).map(({ port, tag }) => ({
          tag,
          port,
          name: names.get(tag) ?? ""
        }))
        return GroupOutput.render(entries, format, shell)
      }),
      Session.transaction(false),
      database
    )
    yield* output.out(text)
    if (quiet) return
    if (source._tag === "Discovered") yield* output.err(`Discovered config: ${JSON.stringify(group.source)}`)
    yield* output.err(`Reserved ${services.length} ports.`)
  })
