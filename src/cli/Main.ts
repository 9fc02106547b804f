import * as Cause from "effect/Cause"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Exit from "effect/Exit"
import * as FiberRef from "effect/FiberRef"
import * as HashSet from "effect/HashSet"
import * as Logger from "effect/Logger"
import * as LogLevel from "effect/LogLevel"
import * as Option from "effect/Option"
import * as Ref from "effect/Ref"
import pkg from "../../package.json" with { type: "json" }
import { causeMessage } from "../domain/Errors.js"
import { GitInfo } from "../git/GitInfo.js"
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
import { exec } from "./commands/Exec.js"
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
import type { CommandLine, CommandSpec, Defined } from "./Definition.js"
import type { Failure } from "./Exit.js"
import { DEFECT_EXIT_CODE, exitCode, render } from "./Exit.js"
import { ExitStatus } from "./ExitStatus.js"
import { withFaultHook } from "./FaultHook.js"
import * as Help from "./Help.js"
import { Invocation } from "./Invocation.js"
import type { StdoutClosed } from "./Output.js"
import type { Env } from "./Opt.js"
import { Output, writeQuietly } from "./Output.js"

export const VERSION: string = pkg.version

/** What any command may fail with and require; Main provides the services. */
type Command = Defined<Failure | StdoutClosed, Invocation | Output | Occupancy | GitInfo | ExitStatus>

// In the order help lists them (trop 0.2.0's); `exec` (trop's own) after the reservations.
const commands: ReadonlyArray<Command> = [
  reserve,
  release,
  list,
  reserveGroup,
  autoreserve,
  exec,
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
]

/** What help, completions and the pre-scan know about every subcommand. */
export const specs: ReadonlyArray<CommandSpec> = commands.map((c) => c.spec)

/** Diagnostic logging (docs/cli.md): `[trop] ...` lines on stderr only; shown when verbose. */
const stderrLogger = Logger.make(({ message }) => {
  writeQuietly(`[trop] ${(Array.isArray(message) ? message : [message]).map(String).join(" ")}\n`)
})
/** In place of the default logger (as `Logger.replace`, without building a layer). */
const withStderrLogger = Effect.locallyWith(
  FiberRef.currentLoggers,
  (loggers) => HashSet.add(HashSet.remove(loggers, Logger.defaultLogger), stderrLogger)
)

const isStdoutClosed = (e: { readonly _tag: string }): boolean => e._tag === "StdoutClosed"
const isReportable = <E extends { readonly _tag: string }>(e: E): e is Exclude<E, StdoutClosed> => !isStdoutClosed(e)

/** Help or version on stdout: exit 0, also when the reader has gone (StdoutClosed). */
const print = (text: string) =>
  Effect.flatMap(Output, (output) =>
    output.out(text).pipe(
      Effect.as(0),
      Effect.catchTag("StdoutClosed", () => Effect.succeed(0)),
      Effect.catchAll((e) => Effect.as(output.err(render(e)), exitCode(e)))
    ))

/**
 * Runs one command line (without the node and script names) and returns the exit code.
 * Never fails: every error is reported on stderr and mapped to its code (docs/configuration.md).
 */
export const main = (argv: ReadonlyArray<string>): Effect.Effect<number, never, Invocation | Output> =>
  Effect.gen(function*() {
    const output = yield* Output
    const { env } = yield* Invocation
    const directive = Argv.scan(argv, specs, env)
    if (Either.isLeft(directive)) {
      yield* output.err(render(directive.left))
      return exitCode(directive.left)
    }
    switch (directive.right._tag) {
      case "Help":
        return yield* print(Help.render(directive.right.command, specs).trimEnd())
      case "MissingCommand":
        yield* output.err(Help.render(undefined, specs).trimEnd())
        return 4
      case "Version":
        return yield* print(`trop ${VERSION}`)
      case "Run":
        break
    }
    const { command, quiet } = directive.right
    const verbose = !quiet && (directive.right.verbose || env.TROP_LOG_MODE?.toLowerCase() === "verbose")
    // The pre-scan found `command` among `specs`, which are the commands' own.
    const defined = commands.find((c) => c.spec === command)
    if (defined === undefined) return yield* Effect.dieMessage(`no command ${command.name}`)
    return yield* run(defined, directive.right, env, quiet).pipe(
      Logger.withMinimumLogLevel(verbose ? LogLevel.Debug : LogLevel.None),
      // Test builds only: the shipped bundle gets NoFaultHook (build.mjs).
      withFaultHook(env)
    )
  }).pipe(withStderrLogger)

const run = (defined: Command, line: CommandLine, env: Env, quiet: boolean) =>
  Effect.gen(function*() {
    const output = yield* Output
    const command = defined.spec.name
    const started = Date.now()
    const status = yield* Ref.make(0)
    const exit = yield* defined.run(line, env).pipe(Effect.provideService(ExitStatus, status), Effect.exit)
    const cause = Exit.isFailure(exit) ? Cause.failureOption(exit.cause) : Option.none()
    // The reader of stdout has gone: end quietly, like `ls | head` (Output.StdoutClosed).
    if (Option.exists(cause, isStdoutClosed)) return 0
    const failure = Option.filter(cause, isReportable)
    const occupancy = yield* Occupancy
    if (!quiet) for (const warning of yield* occupancy.warnings) yield* output.err(`Warning: ${warning}`)
    yield* Effect.logDebug(`${command} finished in ${Date.now() - started} ms`)
    // 0 unless the command chose its status (`exec`: its child's).
    if (Exit.isSuccess(exit)) return yield* Ref.get(status)
    if (Option.isSome(failure)) {
      yield* output.err(render(failure.value))
      return exitCode(failure.value)
    }
    const defect = Cause.squash(exit.cause)
    yield* output.err(`Error: ${causeMessage(defect)}`)
    yield* Effect.logDebug(Cause.pretty(exit.cause))
    return DEFECT_EXIT_CODE
  }).pipe(Effect.provide(Context.make(Occupancy, Occupancy.live()).pipe(Context.add(GitInfo, GitInfo.live))))
