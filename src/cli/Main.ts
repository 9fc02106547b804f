import { Command, ValidationError } from "@effect/cli"
import * as HelpDoc from "@effect/cli/HelpDoc"
import * as FileSystem from "@effect/platform/FileSystem"
import * as Path from "@effect/platform/Path"
import * as Terminal from "@effect/platform/Terminal"
import * as Arr from "effect/Array"
import * as Cause from "effect/Cause"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import * as LogLevel from "effect/LogLevel"
import * as Option from "effect/Option"
import pkg from "../../package.json" with { type: "json" }
import { causeMessage } from "../domain/Errors.js"
import { GitInfo } from "../git/GitInfo.js"
import { Checkpoint } from "../operations/Checkpoint.js"
import { Occupancy } from "../probe/Occupancy.js"
import * as Argv from "./Argv.js"
import { assertDataDir } from "./commands/AssertDataDir.js"
import { assertPort } from "./commands/AssertPort.js"
import { assertReservation } from "./commands/AssertReservation.js"
import { autoclean } from "./commands/Autoclean.js"
import { autoreserve } from "./commands/AutoReserve.js"
import { compactExclusions } from "./commands/CompactExclusions.js"
import { makeCompletions } from "./commands/Completions.js"
import { exclude } from "./commands/Exclude.js"
import { expire } from "./commands/Expire.js"
import { init } from "./commands/Init.js"
import { list } from "./commands/List.js"
import { listProjects } from "./commands/ListProjects.js"
import { migrate } from "./commands/Migrate.js"
import { portInfo } from "./commands/PortInfo.js"
import { prune } from "./commands/Prune.js"
import { release } from "./commands/Release.js"
import { reserve } from "./commands/Reserve.js"
import { reserveGroup } from "./commands/ReserveGroup.js"
import { scan } from "./commands/Scan.js"
import { showDataDir } from "./commands/ShowDataDir.js"
import { showPath } from "./commands/ShowPath.js"
import { validate } from "./commands/Validate.js"
import type { CommandSpec } from "./Definition.js"
import { UsageError } from "./Errors.js"
import type { Failure } from "./Exit.js"
import { DEFECT_EXIT_CODE, exitCode, render } from "./Exit.js"
import { root } from "./Globals.js"
import * as Help from "./Help.js"
import { Invocation } from "./Invocation.js"
import { Output, writeQuietly } from "./Output.js"

export const VERSION: string = pkg.version

// In the order of cli.md §12, which help lists.
const commands = [
  reserve,
  release,
  list,
  reserveGroup,
  autoreserve,
  prune,
  expire,
  autoclean,
  assertReservation,
  assertPort,
  assertDataDir,
  portInfo,
  showDataDir,
  showPath,
  scan,
  validate,
  exclude,
  compactExclusions,
  init,
  listProjects,
  migrate,
  makeCompletions(() => specs)
] as const

/** What help, completions and the pre-scan know about every subcommand. */
export const specs: ReadonlyArray<CommandSpec> = commands.map((c) => c.spec)

const app = Command.run(root.pipe(Command.withSubcommands(Arr.map(commands, (c) => c.command))), {
  name: "trop",
  version: VERSION
})

/**
 * @effect/cli prints its own parse errors (with ANSI codes) through Console; we report
 * them ourselves, so its console is silenced. Commands write through `Output`.
 */
const silentConsole: Console.Console = new Proxy({} as Console.Console, {
  get: (_, property) => property === Console.TypeId ? Console.TypeId : property === "unsafe" ? console : () => Effect.void
})

/** The services @effect/cli requires; trop never prompts and never reads files through them. */
const cliEnvironment = Layer.mergeAll(
  FileSystem.layerNoop({}),
  Path.layer,
  Layer.succeed(Terminal.Terminal, {
    columns: Effect.succeed(80),
    rows: Effect.succeed(24),
    isTTY: Effect.succeed(false),
    readInput: Effect.dieMessage("trop does not prompt"),
    readLine: Effect.dieMessage("trop does not prompt"),
    display: () => Effect.void
  })
)

/** Diagnostic logging (D8): `[trop] ...` lines on stderr only; shown when verbose. */
const stderrLogger = Logger.replace(
  Logger.defaultLogger,
  Logger.make(({ message }) => {
    writeQuietly(`[trop] ${(Array.isArray(message) ? message : [message]).map(String).join(" ")}\n`)
  })
)

const usageFromParser = (error: ValidationError.ValidationError, command: string): UsageError =>
  new UsageError({
    // eslint-disable-next-line no-control-regex
    detail: HelpDoc.toAnsiText(error.error).replace(/\u001b\[[0-9;]*m/g, "").trim(),
    usage: `trop ${command} [OPTIONS]`
  })

/**
 * Runs one command line (without the node and script names) and returns the exit code.
 * Never fails: every error is reported on stderr and mapped to its code (D1).
 */
export const main = (argv: ReadonlyArray<string>): Effect.Effect<number, never, Invocation | Output> =>
  Effect.gen(function*() {
    const output = yield* Output
    const directive = Argv.scan(argv, specs)
    if (Either.isLeft(directive)) {
      yield* output.err(render(directive.left))
      return exitCode(directive.left)
    }
    switch (directive.right._tag) {
      case "Help":
        return yield* output.out(Help.render(directive.right.command, specs).trimEnd()).pipe(
          Effect.as(0),
          Effect.catchAll((e) => Effect.as(output.err(render(e)), exitCode(e)))
        )
      case "MissingCommand":
        yield* output.err(Help.render(undefined, specs).trimEnd())
        return 4
      case "Version":
        return yield* output.out(`trop ${VERSION}`).pipe(
          Effect.as(0),
          Effect.catchAll((e) => Effect.as(output.err(render(e)), exitCode(e)))
        )
      case "Run":
        break
    }
    const { argv: normalized, command, quiet } = directive.right
    const { env } = yield* Invocation
    const verbose = !quiet && (directive.right.verbose || env.TROP_LOG_MODE?.toLowerCase() === "verbose")
    const checkpoint = /^([^:]+):(.+)$/.exec(env.TROP_TEST_CHECKPOINT ?? "")
    return yield* run(normalized, command.name, quiet).pipe(
      Logger.withMinimumLogLevel(verbose ? LogLevel.Debug : LogLevel.None),
      checkpoint?.[1] !== undefined && checkpoint[2] !== undefined
        ? Effect.provide(Checkpoint.freezeAt(checkpoint[1], checkpoint[2]))
        : (effect) => effect
    )
  }).pipe(Effect.provide(stderrLogger))

const run = (argv: ReadonlyArray<string>, command: string, quiet: boolean) =>
  Effect.gen(function*() {
    const output = yield* Output
    const started = Date.now()
    const exit = yield* app(["node", "trop", ...argv]).pipe(
      Effect.withConsole(silentConsole),
      Effect.provide(cliEnvironment),
      Effect.exit
    )
    const occupancy = yield* Occupancy
    if (!quiet) for (const warning of yield* occupancy.warnings) yield* output.err(`Warning: ${warning}`)
    yield* Effect.logDebug(`${command} finished in ${Date.now() - started} ms`)
    if (Exit.isSuccess(exit)) return 0
    const failure = Cause.failureOption(exit.cause)
    if (Option.isSome(failure)) {
      const error: Failure = ValidationError.isValidationError(failure.value)
        ? usageFromParser(failure.value, command)
        : failure.value
      yield* output.err(render(error))
      return exitCode(error)
    }
    const defect = Cause.squash(exit.cause)
    yield* output.err(`Error: ${causeMessage(defect)}`)
    yield* Effect.logDebug(Cause.pretty(exit.cause))
    return DEFECT_EXIT_CODE
  }).pipe(Effect.provide(Layer.merge(Occupancy.layer, GitInfo.layer)))
