import * as SqlClient from "@effect/sql/SqlClient"
import type { SqlError } from "@effect/sql/SqlError"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import * as fs from "node:fs"
import type { CommandLineSettings } from "../config/CommandLine.js"
import * as DataDir from "../config/DataDir.js"
import type { ConfigScope, Effective } from "../config/Load.js"
import { load } from "../config/Load.js"
import type { Settings } from "../config/Settings.js"
import type { AbsolutePath } from "../domain/AbsolutePath.js"
import type { CanonicalizeError, DatabaseBusy, DatabaseFailure, OpenError } from "../domain/Errors.js"
import { InvalidConfiguration } from "../domain/Errors.js"
import type { InvalidPath } from "../domain/Errors.js"
import { canonicalize } from "../paths/Canonical.js"
import type { PathContext } from "../paths/Normalize.js"
import { normalize } from "../paths/Normalize.js"
import * as Database from "../store/Database.js"
import { classifyAll } from "../store/SqliteErrors.js"
import { CliIoError, UsageError } from "./Errors.js"
import type { GlobalValues } from "./Globals.js"
import { usageLine } from "./Help.js"
import { Invocation } from "./Invocation.js"
import { Output } from "./Output.js"

/**
 * The steps every command shares, in this order (docs/compatibility.md): data directory,
 * working directory, effective configuration; then each command's own checks and the
 * database.
 */

/** `--data-dir` ▸ `TROP_DATA_DIR` ▸ `$HOME/.trop`, used verbatim (docs/cli.md). */
export const dataDirectory = (globals: GlobalValues) =>
  Effect.gen(function*() {
    const { env } = yield* Invocation
    const dir = DataDir.resolve(Option.getOrUndefined(globals.dataDir), env)
    if (dir === "") {
      return yield* new UsageError({
        detail: "a value is required for '--data-dir <PATH>' but none was supplied",
        usage: usageLine(undefined)
      })
    }
    if (dir === undefined) {
      return yield* new InvalidConfiguration({ detail: "Could not determine the trop data directory" })
    }
    return dir
  }).pipe(Effect.tap((dir) => Effect.logDebug(`data directory: ${dir}`)))

/** Where relative and `~` paths point. */
export const pathContext: Effect.Effect<PathContext, CliIoError, Invocation> = Effect.flatMap(
  Invocation,
  ({ cwd, env }) =>
    Effect.try({
      try: () => ({ cwd: cwd(), home: DataDir.home(env) }),
      catch: CliIoError.fromCause
    })
)

/** The canonical working directory (docs/cli.md): implicit paths and discovery use it. */
export const workingDirectory: Effect.Effect<AbsolutePath, CliIoError | CanonicalizeError, Invocation | Output> =
  Effect.gen(function*() {
    const { cwd } = yield* pathContext
    return yield* canonicalize(cwd).pipe(
      Effect.tapErrorTag("PathNotFound", () =>
        Effect.flatMap(Output, (o) => o.err(`Warning: Cannot canonicalize inferred path because it does not exist: ${cwd}`)))
    )
  })

/** An explicit path (`--path`, `TROP_PATH`, ...): normalized only. */
export const explicitPath = (raw: string): Effect.Effect<AbsolutePath, InvalidPath | CliIoError | UsageError, Invocation> =>
  Effect.flatMap(pathContext, (context) => Either.match(normalize(raw, context), {
    onLeft: Effect.fail,
    onRight: Effect.succeed
  }))

/** The configuration scope of most commands: user config and project files from `cwd` (docs/configuration.md). */
export const discover = (cwd: AbsolutePath, dataDir: string): ConfigScope => ({ _tag: "Discover", cwd, dataDir })

/** The effective configuration of this invocation, built once (docs/cli.md). */
export const configuration = (
  globals: GlobalValues,
  scope: ConfigScope,
  commandLine: CommandLineSettings = {}
): Effect.Effect<Effective, InvalidConfiguration, Invocation> =>
  Effect.flatMap(Invocation, ({ env }) =>
    load(scope, env, {
      ...commandLine,
      busyTimeoutSeconds: Option.getOrUndefined(globals.busyTimeout),
      disableAutoinit: globals.disableAutoinit
    })).pipe(
    Effect.tap(({ settings: s }) =>
      Effect.logDebug(
        `configuration: ports ${s.range.min}-${s.range.max}, ${s.exclusions.length} exclusion(s), ` +
          `busy timeout ${s.busyTimeoutSeconds}s, auto-init ${s.disableAutoinit ? "off" : "on"}`
      )
    )
  )

/**
 * The shared first steps (docs/cli.md) of a command that discovers its configuration: the data
 * directory, the canonical working directory, then the effective configuration.
 */
export const discovered = (globals: GlobalValues, commandLine: CommandLineSettings = {}) =>
  Effect.gen(function*() {
    const dataDir = yield* dataDirectory(globals)
    const cwd = yield* workingDirectory
    const effective = yield* configuration(globals, discover(cwd, dataDir), commandLine)
    return { ...effective, dataDir, cwd }
  })

/**
 * Provides trop's database to `program` and turns leftover SQLite errors into typed ones
 * naming `executing the <command> command`. A dry run never creates the database: when
 * `trop.db` is missing it plans against an empty in-memory one (docs/configuration.md).
 */
export const withDatabase = (
  command: string,
  settings: Settings,
  dataDir: string,
  options: { readonly dryRun: boolean } = { dryRun: false }
) =>
<A, E, R>(
  program: Effect.Effect<A, E, R>
): Effect.Effect<A, Exclude<E, SqlError> | OpenError | DatabaseBusy | DatabaseFailure, Exclude<R, SqlClient.SqlClient>> => {
  const file = Database.databaseFile(dataDir)
  const missing = options.dryRun && !settings.disableAutoinit && !fs.existsSync(file)
  return Effect.logDebug(missing ? `database: ${file} (missing: dry run plans against an empty one)` : `database: ${file}`).pipe(
    Effect.zipRight(program),
    classifyAll(command, settings.busyTimeoutSeconds),
    Database.provide({
      file: missing ? Database.IN_MEMORY : file,
      busyTimeoutSeconds: settings.busyTimeoutSeconds,
      autoInit: !settings.disableAutoinit
    })
  )
}

/** Runs a mutating program in ONE immediate transaction, or plans it and rolls back (docs/cli.md). */
export const transaction = (dryRun: boolean) =>
<A, E, R>(program: Effect.Effect<A, E, R>) =>
  dryRun ? Database.rolledBack(program) : Effect.flatMap(SqlClient.SqlClient, (sql) => sql.withTransaction(program))

/**
 * The target path of a command: `--path`/`TROP_PATH` normalized, else the canonical
 * working directory. An empty value is a usage error (docs/cli.md).
 */
export const targetPath = (
  command: string,
  raw: Option.Option<string>,
  cwd: AbsolutePath
): Effect.Effect<AbsolutePath, InvalidPath | CliIoError | UsageError, Invocation> =>
  Option.match(raw, {
    onNone: () => Effect.succeed(cwd),
    onSome: (value) =>
      value === ""
        ? Effect.fail(
          new UsageError({
            detail: "a value is required for '--path <PATH>' but none was supplied",
            usage: `trop ${command} [OPTIONS]`
          })
        )
        : explicitPath(value)
  })
