import * as SqlClient from "@effect/sql/SqlClient"
import type { SqlError } from "@effect/sql/SqlError"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import type * as Scope from "effect/Scope"
import * as nodePath from "node:path"
import type { CommandLineSettings } from "./config/CommandLine.js"
import * as DataDir from "./config/DataDir.js"
import type { Environment } from "./config/Env.js"
import type { ConfigScope, Effective } from "./config/Load.js"
import { load } from "./config/Load.js"
import type { Settings } from "./config/Settings.js"
import type { AbsolutePath } from "./domain/AbsolutePath.js"
import type {
  CanonicalizeError,
  DatabaseBusy,
  DatabaseCorrupt,
  DatabaseFailure,
  GroupAllocationFailed,
  InvalidPath,
  OpenError,
  PathRelationshipViolation,
  PortRangeExhausted,
  ReservationConflict,
  StickyFieldChange
} from "./domain/Errors.js"
import { FileSystemError, InvalidConfiguration, InvalidGroup, InvalidValue } from "./domain/Errors.js"
import { projectFromInput, taskFromInput } from "./domain/Identifier.js"
import { GitInfo } from "./git/GitInfo.js"
import * as Cleanup from "./operations/Cleanup.js"
import * as Group from "./operations/Group.js"
import type { GroupDefinition } from "./operations/GroupConfig.js"
import * as GroupConfig from "./operations/GroupConfig.js"
import * as List from "./operations/List.js"
import type { TagSelection } from "./operations/Release.js"
import * as Release from "./operations/Release.js"
import * as Reserve from "./operations/Reserve.js"
import { canonicalize } from "./paths/Canonical.js"
import { normalize } from "./paths/Normalize.js"
import { Occupancy } from "./probe/Occupancy.js"
import type { SettingsOptions } from "./service/Options.js"
import * as Options from "./service/Options.js"
import type {
  CleanupResult,
  GroupRequest,
  GroupReservation,
  ListFilter,
  Place,
  ReleaseRequest,
  Reservation,
  ReserveRequest
} from "./service/Requests.js"
import * as Requests from "./service/Requests.js"
import * as Database from "./store/Database.js"
import { classify, classifyAll, commandOperation } from "./store/SqliteErrors.js"
import * as Transaction from "./store/Transaction.js"

/** How `Trop.layer` finds its data and configuration; everything is optional. */
export interface TropOptions extends SettingsOptions {
  /** Where `trop.db` and the user `config.yaml` live: default `TROP_DATA_DIR`, else `~/.trop`. */
  readonly dataDir?: string | undefined
  /** Where configuration is discovered and relative paths point: default `process.cwd()`. */
  readonly cwd?: string | undefined
  /** The `TROP_*` variables (and `HOME`) to read: default `process.env`. */
  readonly env?: Environment | undefined
}

/** `Trop.layerTest`: an in-memory database, no files, occupancy and Git as given. */
export interface TestOptions extends SettingsOptions {
  /** Working directory for defaults and the path guard: default `/` (every path is related). */
  readonly cwd?: string | undefined
  /** Ports that count as in use; default none. */
  readonly occupied?: Iterable<number> | undefined
  /** What Git inference answers for every path; default nothing. */
  readonly git?: { readonly project?: string | undefined; readonly task?: string | undefined } | undefined
}

/** What every database access can fail with. */
export type DatabaseErrors = DatabaseBusy | DatabaseFailure | DatabaseCorrupt

/** What `reserve` and `reserveScoped` can fail with. */
export type ReserveError =
  | DatabaseErrors
  | InvalidValue
  | InvalidPath
  | PathRelationshipViolation
  | StickyFieldChange
  | PortRangeExhausted
  | InvalidConfiguration

/** What `reserveGroup` can fail with. */
export type GroupError =
  | DatabaseErrors
  | InvalidValue
  | InvalidPath
  | InvalidGroup
  | InvalidConfiguration
  | CanonicalizeError
  | PathRelationshipViolation
  | StickyFieldChange
  | ReservationConflict
  | GroupAllocationFailed

/** What `release` can fail with. */
export type ReleaseError = DatabaseErrors | InvalidValue | InvalidPath | PathRelationshipViolation

/** What `list` can fail with. */
export type ListError = DatabaseErrors | InvalidValue | InvalidPath

/** What `autoclean` can fail with. */
export type CleanupError = DatabaseErrors | InvalidValue

/** What building the service can fail with. */
export type TropOpenError = OpenError | InvalidConfiguration | InvalidPath | CanonicalizeError

/** Options of `autoclean`. */
export interface CleanupRequest {
  /** Remove reservations whose directory no longer exists; default true. */
  readonly prune?: boolean | undefined
  /** Remove reservations unused for the configured number of days; default true. */
  readonly expire?: boolean | undefined
  /** Report what would be removed; remove nothing. */
  readonly dryRun?: boolean | undefined
}

/**
 * trop's reservations as a service. Every method runs in its own `BEGIN IMMEDIATE`
 * transaction — planning and writing under one write lock, so concurrent processes never
 * get the same port — or, inside `transaction`, in a savepoint of that one.
 */
export interface TropService {
  /** The data directory (`undefined` for `layerTest`). */
  readonly dataDir: string | undefined
  /** The canonical working directory: default path, configuration discovery, path guard. */
  readonly cwd: string
  /** The effective configuration: files, `TROP_*`, then the options. */
  readonly settings: Settings

  /** The port of (path, tag): the same port for the same request, a new one otherwise. */
  readonly reserve: (request?: ReserveRequest) => Effect.Effect<number, ReserveError>
  /** `reserve`, released again when the scope closes. */
  readonly reserveScoped: (request?: ReserveRequest) => Effect.Effect<number, ReserveError, Scope.Scope>
  /** Every service of a group at once: all or nothing. */
  readonly reserveGroup: (request?: GroupRequest) => Effect.Effect<GroupReservation, GroupError>
  /** Deletes reservations; returns the ones deleted. */
  readonly release: (request?: ReleaseRequest) => Effect.Effect<ReadonlyArray<Reservation>, ReleaseError>
  /** Reservations ordered by path, then tag. */
  readonly list: (filter?: ListFilter) => Effect.Effect<ReadonlyArray<Reservation>, ListError>
  /** Removes reservations of deleted directories and long-unused ones. */
  readonly autoclean: (request?: CleanupRequest) => Effect.Effect<CleanupResult, CleanupError>
  /**
   * Runs `effect` in ONE immediate transaction: the service's calls inside it are
   * savepoints of it, and it commits only if `effect` succeeds.
   */
  readonly transaction: <A, E, R>(
    effect: Effect.Effect<A, E, R>
  ) => Effect.Effect<A, E | DatabaseBusy | DatabaseFailure, R>
  /**
   * For composing trop's plan/execute programs directly: runs `program` in an immediate
   * transaction (or a savepoint of the current one) with trop's `SqlClient`, `Occupancy`
   * and `GitInfo` provided. SQL errors come out classified.
   */
  readonly withSqlClient: <A, E, R>(
    program: Effect.Effect<A, E, R>
  ) => Effect.Effect<
    A,
    Exclude<E, SqlError> | DatabaseBusy | DatabaseFailure,
    Exclude<R, SqlClient.SqlClient | Occupancy | GitInfo>
  >
}

/** What the methods share: the database, where they stand, how configuration was found. */
interface Backend {
  readonly client: SqlClient.SqlClient
  /** Undefined in tests: no user configuration. */
  readonly dataDir: string | undefined
  readonly place: Place
  readonly env: Environment
  readonly options: CommandLineSettings
  readonly effective: Effective
  readonly services: Context.Context<Occupancy | GitInfo>
}

const fromEither = <A, E>(either: Either.Either<A, E>): Effect.Effect<A, E> =>
  Either.match(either, { onLeft: Effect.fail, onRight: Effect.succeed })

/** Per-request permissions add to the configured ones. */
const permitted = (
  s: Settings,
  f: { readonly allowUnrelatedPath: boolean; readonly allowProjectChange: boolean; readonly allowTaskChange: boolean }
): Settings => ({
  ...s,
  allowUnrelatedPath: s.allowUnrelatedPath || f.allowUnrelatedPath,
  allowProjectChange: s.allowProjectChange || f.allowProjectChange,
  allowTaskChange: s.allowTaskChange || f.allowTaskChange
})

const PERMISSIONS = ["allowUnrelatedPath", "allowProjectChange", "allowTaskChange"] as const

/** What the service provides to the programs it runs inside a transaction. */
type Provided = Transaction.Provided | Occupancy | GitInfo

const service = (b: Backend): TropService => {
  const settings = b.effective.settings
  const timeoutSeconds = settings.busyTimeoutSeconds

  /** `program` in its own immediate transaction, or a savepoint of the caller's. */
  const write = <A, E, R>(name: string, program: Effect.Effect<A, E, R>) =>
    classifyAll(name, timeoutSeconds)(Transaction.run(b.client, inLevel, program, (e): SqlError => e))

  /**
   * A read: plain autocommit on the service's connection (WAL shows the last commit), unless
   * inside a transaction.
   */
  const read = <A, E>(name: string, program: Effect.Effect<A, E, SqlClient.SqlClient>) =>
    Effect.flatMap(Effect.serviceOption(Transaction.CurrentTransaction), (current) =>
      Option.exists(current, (level) => level.client === b.client)
        ? write(name, program)
        : classifyAll(name, timeoutSeconds)(Transaction.onConnection(b.client)(program)))

  /** What a level adds for the service's programs: `Transaction.context` and trop's `Occupancy` and `GitInfo`. */
  const inLevel = (level: Transaction.Level): Context.Context<Provided> => Transaction.context(level, b.services)

  /** The request decoded, without a fiber step (a plain `Either`): `reserve` is the hot path. */
  const reserveRequest = (raw: ReserveRequest | undefined) =>
    Either.gen(function*() {
      const r = yield* Requests.object(raw)
      const f = yield* Requests.flags(r, ["overwrite", "force", "ignoreOccupied", "ignoreExclusions", ...PERMISSIONS])
      const request: Reserve.ReserveRequest = {
        key: { path: yield* Requests.path("path", r.path, b.place), tag: yield* Requests.tag(r.tag) },
        cwd: b.place.cwd,
        preferred: yield* Requests.port("port", r.port),
        project: yield* Requests.projectIntent(r.project, settings),
        task: yield* Requests.taskIntent(r.task, settings),
        overwrite: f.overwrite,
        force: f.force,
        ignoreOccupied: f.ignoreOccupied,
        ignoreExclusions: f.ignoreExclusions
      }
      return { request, settings: permitted(settings, f) }
    })

  const reserveNow = (r: { readonly request: Reserve.ReserveRequest; readonly settings: Settings }) =>
    write("reserve", Effect.flatMap(Reserve.plan(r.request, r.settings), Reserve.execute))

  const releaseProgram = (request: Release.ReleaseRequest) =>
    write(
      "release",
      Effect.gen(function*() {
        const plan = yield* Release.plan(request)
        yield* Release.execute(plan)
        return plan.rows.map(Requests.toReservation)
      })
    )

  /** Where a group's definition comes from, and the settings it is reserved under. */
  const groupSource = (r: Partial<GroupRequest>) =>
    Effect.gen(function*() {
      if (r.services !== undefined) {
        if (r.file !== undefined) {
          return yield* new InvalidGroup({ field: "file", reason: "give either a file or inline services, not both" })
        }
        const group = yield* fromEither(GroupConfig.fromValue(r.base === undefined ? { services: r.services } : { services: r.services, base: r.base }))
        return {
          definition: GroupConfig.definition(group),
          path: yield* Requests.path("path", r.path, b.place),
          file: null,
          settings
        }
      }
      if (r.path !== undefined || r.base !== undefined) {
        return yield* new InvalidGroup({
          field: r.path !== undefined ? "path" : "base",
          reason: "applies to inline services only; a file's group lives at the file's directory"
        })
      }
      let effective = b.effective
      if (r.file !== undefined) {
        if (typeof r.file !== "string" || r.file === "") {
          return yield* new InvalidValue({ field: "file", reason: "must be a non-empty string" })
        }
        const file = yield* fromEither(normalize(r.file, b.place))
        yield* GroupConfig.checkFile(r.file, file)
        const scope: ConfigScope = { _tag: "Explicit", file, dataDir: b.dataDir }
        effective = yield* load(scope, b.env, b.options, Options.SOURCE)
      } else if (Option.isNone(b.effective.project)) {
        return yield* new InvalidGroup({
          field: "file",
          reason: `No trop configuration file found (searched from: ${b.place.cwd})`
        })
      }
      const group = yield* fromEither(GroupConfig.configured(effective))
      return {
        definition: GroupConfig.definition(group.value),
        // The group lives at the canonical directory of the file that supplied it.
        path: yield* canonicalize(nodePath.dirname(group.source)),
        file: group.source,
        settings: effective.settings
      }
    })

  const reservedGroup = (
    plan: Group.GroupPlan,
    source: { readonly definition: GroupDefinition; readonly path: AbsolutePath; readonly file: string | null }
  ): GroupReservation => {
    const services = Group.mapping(plan).map(({ port, tag }) => ({ tag, port, env: source.definition.env.get(tag) ?? "" }))
    return {
      path: source.path,
      file: source.file,
      services,
      env: Object.fromEntries(services.map((s) => [s.env, String(s.port)])),
      action: plan._tag === "Refresh" ? "refresh" : "allocate"
    }
  }

  return {
    dataDir: b.dataDir,
    cwd: b.place.cwd,
    settings,

    // Decoded when the effect runs, as before, each time it runs.
    reserve: (raw) =>
      Effect.suspend((): Effect.Effect<number, ReserveError> =>
        Either.match(reserveRequest(raw), { onLeft: Effect.fail, onRight: reserveNow })),

    reserveScoped: (raw) =>
      Effect.flatMap(Effect.suspend(() => reserveRequest(raw)), (r) =>
        Effect.acquireRelease(reserveNow(r), () => {
          const tags: TagSelection = Option.match(r.request.key.tag, {
            onNone: () => ({ _tag: "Untagged" }),
            onSome: (tag) => ({ _tag: "Tag", tag })
          })
          return Effect.ignore(
            releaseProgram({ path: r.request.key.path, cwd: b.place.cwd, tags, recursive: false, unguarded: true })
          )
        })),

    reserveGroup: (raw) =>
      Effect.gen(function*() {
        const r = yield* Requests.object(raw)
        const f = yield* Requests.flags(r, ["force", ...PERMISSIONS])
        const source = yield* groupSource(r)
        const groupSettings = permitted(source.settings, f)
        const project = yield* Requests.identifier("project", r.project, projectFromInput)
        const task = yield* Requests.identifier("task", r.task, taskFromInput)
        const request: Group.GroupRequest = {
          path: source.path,
          cwd: b.place.cwd,
          services: source.definition.services,
          base: source.definition.base,
          project: Option.orElse(project, () => groupSettings.project),
          task: Option.orElse(task, () => groupSettings.task),
          force: f.force
        }
        const plan = yield* write("reserve-group", Effect.tap(Group.plan(request, groupSettings), Group.execute))
        return reservedGroup(plan, source)
      }),

    release: (raw) =>
      Effect.gen(function*() {
        const r = yield* Requests.object(raw)
        const f = yield* Requests.flags(r, ["untaggedOnly", "recursive", "allowUnrelatedPath"])
        const path = yield* Requests.path("path", r.path, b.place)
        const tag = yield* Requests.tag(r.tag)
        if (Option.isSome(tag) && f.untaggedOnly) {
          return yield* new InvalidValue({ field: "untaggedOnly", reason: "cannot be combined with a tag" })
        }
        const tags: TagSelection = Option.isSome(tag)
          ? { _tag: "Tag", tag: tag.value }
          : f.untaggedOnly
          ? { _tag: "Untagged" }
          : { _tag: "AllTags" }
        return yield* releaseProgram({
          path,
          cwd: b.place.cwd,
          tags,
          recursive: f.recursive,
          unguarded: f.allowUnrelatedPath || settings.allowUnrelatedPath
        })
      }),

    list: (raw) =>
      Effect.gen(function*() {
        const r = yield* Requests.object(raw)
        const text = (field: string, value: unknown) =>
          value === undefined || typeof value === "string"
            ? Effect.succeed(Option.fromNullable(value))
            : Effect.fail(new InvalidValue({ field, reason: "must be a string" }))
        const filter: List.ListFilter = {
          project: yield* text("project", r.project),
          tag: yield* text("tag", r.tag),
          path: r.path === undefined ? Option.none() : Option.some(yield* Requests.path("path", r.path, b.place))
        }
        const rows = yield* read("list", List.list(filter))
        return rows.map(Requests.toReservation)
      }),

    autoclean: (raw) =>
      Effect.gen(function*() {
        const r = yield* Requests.object(raw)
        const prune = yield* Requests.flag("prune", r.prune ?? true)
        const expire = yield* Requests.flag("expire", r.expire ?? true)
        const dryRun = yield* Requests.flag("dryRun", r.dryRun)
        const policy: Cleanup.CleanupPolicy = {
          prune,
          expireAfterDays: expire ? Option.some(settings.expireAfterDays) : Option.none()
        }
        const { result } = yield* write("autoclean", Cleanup.run(policy, { dryRun }))
        return { pruned: result.pruned.map(Requests.toReservation), expired: result.expired.map(Requests.toReservation) }
      }),

    transaction: (effect) =>
      Transaction.run(
        b.client,
        // Only the level, for nesting: the app's own statements stay on the app's connections.
        (level) => Context.make(Transaction.CurrentTransaction, level),
        effect,
        (e) => classify(e, { operation: commandOperation(e, "transaction"), timeoutSeconds })
      ),

    // TypeScript cannot flatten the nested Excludes of the provided services; they are the same set.
    withSqlClient: <A, E, R>(program: Effect.Effect<A, E, R>) =>
      write("program", program) as Effect.Effect<
        A,
        Exclude<E, SqlError> | DatabaseBusy | DatabaseFailure,
        Exclude<R, SqlClient.SqlClient | Occupancy | GitInfo>
      >
  }
}

/** The working directory of the process; a deleted one is a typed failure. */
const processCwd = Effect.try({ try: () => process.cwd(), catch: FileSystemError.fromCause })

/**
 * The service on the user's real trop database, resolved exactly as the CLI resolves it:
 * data directory (`dataDir` ▸ `TROP_DATA_DIR` ▸ `~/.trop`), configuration discovered
 * from `cwd` (user `config.yaml`, `trop.yaml`, `trop.local.yaml`), `TROP_*`, then the
 * options; real bind probes and Git inference. The database closes with the scope.
 */
export const make = (options: TropOptions = {}): Effect.Effect<TropService, TropOpenError | FileSystemError, Scope.Scope> =>
  Effect.gen(function*() {
    const env = options.env ?? process.env
    const commandLine = yield* fromEither(Options.commandLine(options))
    const dataDir = DataDir.resolve(options.dataDir, env)
    if (dataDir === undefined || dataDir === "") {
      return yield* new InvalidConfiguration({
        detail: dataDir === "" ? "the data directory must not be empty" : "Could not determine the trop data directory"
      })
    }
    const base = yield* processCwd
    const cwd = yield* canonicalize(nodePath.resolve(base, options.cwd ?? "."))
    const effective = yield* load({ _tag: "Discover", cwd, dataDir }, env, commandLine, Options.SOURCE)
    const client = yield* Database.make({
      file: Database.databaseFile(dataDir),
      busyTimeoutSeconds: effective.settings.busyTimeoutSeconds,
      autoInit: !effective.settings.disableAutoinit,
      leased: true
    })
    const services = yield* Layer.build(Layer.merge(Occupancy.layer, GitInfo.layer))
    return service({
      client,
      dataDir,
      place: { cwd, home: DataDir.home(env) },
      env,
      options: commandLine,
      effective,
      services
    })
  })

/**
 * The service for tests: a private in-memory database, configuration from `options`
 * alone (no files, no environment), ports in use as `options.occupied` says, Git answering
 * `options.git`. Paths are never inspected: automatic pruning is off unless turned on with
 * `disableAutoprune: false`.
 */
export const makeTest = (options: TestOptions = {}): Effect.Effect<TropService, InvalidConfiguration | InvalidPath | OpenError, Scope.Scope> =>
  Effect.gen(function*() {
    const commandLine = yield* fromEither(Options.commandLine(options))
    const cwd = yield* fromEither(normalize(options.cwd ?? "/", { cwd: "/", home: undefined }))
    const testOptions = { ...commandLine, disableAutoprune: options.disableAutoprune ?? true }
    const effective = yield* load({ _tag: "EnvironmentOnly" }, {}, testOptions, Options.SOURCE)
    const client = yield* Database.make({
      file: Database.IN_MEMORY,
      busyTimeoutSeconds: effective.settings.busyTimeoutSeconds,
      autoInit: true,
      leased: true
    })
    const git = {
      project: Option.flatMap(Option.fromNullable(options.git?.project), (p) => Either.getRight(projectFromInput(p))),
      task: Option.flatMap(Option.fromNullable(options.git?.task), (t) => Either.getRight(taskFromInput(t)))
    }
    const services = yield* Layer.build(Layer.merge(Occupancy.Test(options.occupied ?? []), GitInfo.Test(git)))
    return service({
      client,
      dataDir: undefined,
      place: { cwd, home: undefined },
      env: {},
      options: testOptions,
      effective,
      services
    })
  })

/**
 * trop's reservations, as a service: `yield* Trop` in an Effect program, then provide
 * `Trop.layer(options)` (the user's real database) or `Trop.layerTest(options)`.
 */
export class Trop extends Context.Tag("trop/Trop")<Trop, TropService>() {
  /** The service on the user's real trop database, in a scope. */
  static readonly make = make

  /** The in-memory service for tests, in a scope. */
  static readonly makeTest = makeTest

  /** The service on the user's real trop database; see `make`. */
  static readonly layer = (options?: TropOptions): Layer.Layer<Trop, TropOpenError | FileSystemError> =>
    Layer.scoped(Trop, make(options))

  /** An in-memory service for tests; see `makeTest`. */
  static readonly layerTest = (options?: TestOptions): Layer.Layer<Trop, InvalidConfiguration | InvalidPath | OpenError> =>
    Layer.scoped(Trop, makeTest(options))
}
