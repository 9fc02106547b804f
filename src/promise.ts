/**
 * trop for code without Effect: the `Trop` service's methods as Promises.
 *
 * ```ts
 * import { openTrop } from "trop/promise"
 * await using trop = await openTrop()
 * const port = await trop.reserve({ tag: "web" })
 * ```
 *
 * A rejection is the tagged error itself (`DatabaseBusy`, `PortRangeExhausted`, ...): an
 * `Error` with `_tag` and `message`, so `err._tag === "DatabaseBusy"` or `instanceof` work.
 */
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Scope from "effect/Scope"
import type { Settings } from "./config/Settings.js"
import type * as Api from "./service/Requests.js"
import type { CleanupRequest, TestOptions, TropOptions, TropService } from "./Trop.js"
import { make, makeTest } from "./Trop.js"

export type { Settings } from "./config/Settings.js"
export type {
  CleanupResult,
  GroupRequest,
  GroupReservation,
  ListFilter,
  ReleaseRequest,
  Reservation,
  ReserveRequest
} from "./service/Requests.js"
export type { CleanupRequest, TestOptions, TropOptions } from "./Trop.js"
export * from "./domain/Errors.js"

/** An open trop database. Close it when done (or `await using` it). */
export interface TropClient extends AsyncDisposable {
  /** The data directory (`undefined` for `openTropTest`). */
  readonly dataDir: string | undefined
  /** The canonical working directory. */
  readonly cwd: string
  /** The effective configuration. */
  readonly settings: Settings
  /** The port of (path, tag): the same port for the same request. */
  readonly reserve: (request?: Api.ReserveRequest) => Promise<number>
  /** Every service of a group at once: all or nothing. */
  readonly reserveGroup: (request?: Api.GroupRequest) => Promise<Api.GroupReservation>
  /** Deletes reservations; resolves to the ones deleted. */
  readonly release: (request?: Api.ReleaseRequest) => Promise<ReadonlyArray<Api.Reservation>>
  /** Reservations ordered by path, then tag. */
  readonly list: (filter?: Api.ListFilter) => Promise<ReadonlyArray<Api.Reservation>>
  /** Removes reservations of deleted directories and long-unused ones. */
  readonly autoclean: (request?: CleanupRequest) => Promise<Api.CleanupResult>
  /** Closes the database; later calls reject. Idempotent. */
  readonly close: () => Promise<void>
}

/** Resolves with the value, or rejects with the failure itself (a defect as the thrown value). */
const run = <A, E>(effect: Effect.Effect<A, E>): Promise<A> =>
  Effect.runPromiseExit(effect).then((exit) =>
    Exit.isSuccess(exit) ? exit.value : Promise.reject(Cause.squash(exit.cause))
  )

const client = async <E>(open: Effect.Effect<TropService, E, Scope.Scope>): Promise<TropClient> => {
  const scope = Effect.runSync(Scope.make())
  const trop = await run(Scope.extend(open, scope).pipe(Effect.onError((cause) => Scope.close(scope, Exit.failCause(cause)))))
  let closed: Promise<void> | undefined
  const close = () => (closed ??= run(Scope.close(scope, Exit.void)))
  const guarded = <Args extends ReadonlyArray<unknown>, A, F>(method: (...args: Args) => Effect.Effect<A, F>) =>
  (...args: Args): Promise<A> =>
    closed === undefined ? run(method(...args)) : Promise.reject(new Error("trop: the client is closed"))
  return {
    dataDir: trop.dataDir,
    cwd: trop.cwd,
    settings: trop.settings,
    reserve: guarded(trop.reserve),
    reserveGroup: guarded(trop.reserveGroup),
    release: guarded(trop.release),
    list: guarded(trop.list),
    autoclean: guarded(trop.autoclean),
    close,
    [Symbol.asyncDispose]: close
  }
}

/**
 * Opens the user's trop database, resolved as the CLI resolves it (data directory,
 * configuration discovered from `cwd`, `TROP_*`, then `options`).
 */
export const openTrop = (options?: TropOptions): Promise<TropClient> => client(make(options))

/** An in-memory trop for tests: no files, occupancy and Git as `options` say. */
export const openTropTest = (options?: TestOptions): Promise<TropClient> => client(makeTest(options))
