import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import * as Ref from "effect/Ref"
import type { Settings } from "../../config/Settings.js"
import type { AbsolutePath } from "../../domain/AbsolutePath.js"
import * as EnvName from "../../domain/EnvName.js"
import { display } from "../../domain/Escape.js"
import * as Release from "../../operations/Release.js"
import * as Reserve from "../../operations/Reserve.js"
import { Occupancy } from "../../probe/Occupancy.js"
import * as Child from "../Child.js"
import { define, trailing } from "../Definition.js"
import { UsageError } from "../Errors.js"
import { render } from "../Exit.js"
import { ExitStatus } from "../ExitStatus.js"
import { Invocation } from "../Invocation.js"
import { flag, optionalPath, text } from "../Opt.js"
import { Output } from "../Output.js"
import * as Session from "../Session.js"
import type { GroupRequestValues, GroupSource } from "./Group.js"
import { commitGroup, groupOptions, prepareGroup } from "./Group.js"
import * as GroupOutput from "./GroupOutput.js"
import type { ReserveValues } from "./Reserve.js"
import { preferredWarnings, reserveConflicts, reserveOptions, runReserve } from "./Reserve.js"

/**
 * `trop exec [OPTIONS] -- CMD ARGS...`: reserve as `reserve` does (or a group, as
 * `autoreserve`/`reserve-group` do), then run CMD with the port in its environment and
 * end with its exit status (docs/exec.md).
 */

const USAGE = "trop exec [OPTIONS] -- <COMMAND>..."

// exec's own options first: help lists them in this order.
const execOptions = {
  group: optionalPath(
    "group",
    "FILE",
    "Reserve the group of services of FILE (default: the discovered trop.yaml) and set each service's variable"
  ),
  env: text("env", "NAME", "The variable that carries the port [default: PORT]"),
  release: flag("release", "Release the reservation (or the group's ports) when the command exits"),
  ...reserveOptions
}

/** The options of a single reservation that a group has no use for: `--group` refuses them. */
const singleOnly = [
  ...Object.values(reserveOptions)
    .filter((o) => !Object.values(groupOptions).some((g) => g.name === o.name))
    .map((o) => o.name),
  execOptions.env.name
]

/** The variable named by `--env` (default PORT), held to the rules of group variables. */
const portVariable = (raw: Option.Option<string>): Effect.Effect<string, UsageError> =>
  Option.match(raw, {
    onNone: () => Effect.succeed("PORT"),
    onSome: (name) => {
      const problem = EnvName.problem(name) ??
        (EnvName.isRefused(name)
          ? "it changes how a shell, the dynamic loader or a language runtime behaves"
          : undefined)
      return problem === undefined
        ? Effect.succeed(name)
        : Effect.fail(new UsageError({ detail: `invalid value '${display(name)}' for '--env <NAME>': ${problem}`, usage: USAGE }))
    }
  })

/** What this run reserved: the child's variables, and the rows `--release` frees. */
interface Reserved {
  readonly variables: Readonly<Record<string, string>>
  readonly path: AbsolutePath
  /** Tag (undefined: untagged) and port of each row, all at `path`. */
  readonly rows: ReadonlyArray<{ readonly tag: string | undefined; readonly port: number }>
  readonly cwd: AbsolutePath
  readonly settings: Settings
  readonly dataDir: string
}

/**
 * Deletes the rows this run reserved that still hold the ports it got: a reservation made
 * anew in the meantime (`--overwrite` elsewhere) is someone else's and stays.
 */
const release = (reserved: Reserved) =>
  Release.plan({ path: reserved.path, cwd: reserved.cwd, tags: { _tag: "AllTags" }, recursive: false, unguarded: true }).pipe(
    Effect.map((plan) => ({
      ...plan,
      rows: plan.rows.filter((row) =>
        reserved.rows.some((r) => r.tag === Option.getOrUndefined(row.key.tag) && r.port === row.port)
      )
    })),
    Effect.flatMap(Release.execute),
    Session.transaction(false),
    Session.withDatabase("exec", reserved.settings, reserved.dataDir)
  )

/** A single reservation, as `reserve` makes it; its port goes in `variable`. */
const reserveOne = (o: ReserveValues, variable: string) =>
  Effect.gen(function*() {
    const output = yield* Output
    const { cwd, dataDir, plan, settings } = yield* runReserve(o, "exec", false)
    if (!o.globals.quiet) for (const warning of Reserve.warnings(plan)) yield* output.err(`Warning: ${warning}`)
    if (!o.globals.quiet) yield* preferredWarnings(plan)
    const { key, port } = plan.reservation
    const reserved: Reserved = {
      variables: { [variable]: String(port) },
      path: key.path,
      rows: [{ tag: Option.getOrUndefined(key.tag), port }],
      cwd,
      settings,
      dataDir
    }
    return reserved
  })

/** The group of `file`, or of the discovered configuration, as `reserve-group`/`autoreserve` make it. */
const reserveGroup = (o: GroupRequestValues, file: Option.Option<string>) =>
  Effect.gen(function*() {
    const source: GroupSource = Option.match(file, {
      onNone: () => ({ _tag: "Discovered" }),
      onSome: (typed) => ({ _tag: "Named", typed })
    })
    const prepared = yield* prepareGroup(o, source)
    // The names are checked as for `export` output, inside the transaction: a refused one rolls back.
    const entries = yield* commitGroup(
      prepared,
      "exec",
      (all) => Either.map(GroupOutput.render(all, "dotenv", "bash"), () => all),
      o.globals.quiet
    )
    const reserved: Reserved = {
      variables: Object.fromEntries(entries.map((e) => [e.name, String(e.port)])),
      path: prepared.request.path,
      rows: entries.map((e) => ({ tag: e.tag, port: e.port })),
      cwd: prepared.request.cwd,
      settings: prepared.settings,
      dataDir: prepared.dataDir
    }
    return reserved
  })

export const exec = define({
  name: "exec",
  description: "Reserve a port (or a group's ports) and run a command with it in its environment",
  options: execOptions,
  args: { command: trailing("COMMAND", "The command to run and its arguments, after '--' (no shell is involved)") },
  conflicts: [...reserveConflicts, ...singleOnly.map((name) => ["group", name] as const)]
}, (o) =>
  Effect.gen(function*() {
    const output = yield* Output
    const { env } = yield* Invocation
    const variable = yield* portVariable(o.env)
    const reservation = Effect.gen(function*() {
      return Option.isSome(o.group) ? yield* reserveGroup(o, o.group.value) : yield* reserveOne(o, variable)
    })
    // Probe warnings come before the command's output, not after it has exited: this
    // reservation gets its own prober, whose warnings Main never sees.
    const probeWarnings = Effect.flatMap(Occupancy, (occupancy) => occupancy.warnings).pipe(
      Effect.flatMap((warnings) => Effect.forEach(warnings, (warning) => output.err(`Warning: ${warning}`))),
      Effect.unless(() => o.globals.quiet)
    )
    const reserved = yield* reservation.pipe(Effect.ensuring(probeWarnings), Effect.provide(Occupancy.layer))
    const status = yield* Child.run(o.command, { ...env, ...reserved.variables }).pipe(
      Effect.catchTag("NotStarted", (e) => Effect.as(output.err(`Error: ${e.message}`), e.status))
    )
    if (o.release) {
      // The child's status is what this run reports; a failed release is only told.
      yield* release(reserved).pipe(
        Effect.catchAll((e) => output.err(`Warning: --release failed: ${render(e).replace(/^Error: /, "")}`))
      )
    }
    yield* Effect.flatMap(ExitStatus, (exitStatus) => Ref.set(exitStatus, status))
  }))
