/**
 * trop as a library: stable, non-colliding ports for Effect programs.
 *
 * ```ts
 * import { Trop } from "trop"
 * const port = yield* Effect.flatMap(Trop, (trop) => trop.reserve({ tag: "web" }))
 * // ... provide Trop.layer() (the user's database) or Trop.layerTest() (in memory)
 * ```
 *
 * The `Trop` service is the contract: every method plans and writes inside one
 * `BEGIN IMMEDIATE` transaction, configuration is resolved as the CLI resolves it, and
 * failures are the tagged errors exported here. Below it, the plan/execute programs are
 * exported for callers who compose at that level: they require `SqlClient`, and must run
 * inside ONE transaction of trop's client — `trop.withSqlClient(program)` does exactly that.
 */
export { Trop } from "./Trop.js"
export type {
  CleanupError,
  CleanupRequest,
  DatabaseErrors,
  GroupError,
  ListError,
  ReleaseError,
  ReserveError,
  TestOptions,
  TropOpenError,
  TropOptions,
  TropService
} from "./Trop.js"
export type {
  CleanupResult,
  GroupRequest,
  GroupReservation,
  ListFilter,
  ReleaseRequest,
  Reservation,
  ReservedService,
  ReserveRequest,
  ServiceDefinition
} from "./service/Requests.js"
export type { SettingsOptions } from "./service/Options.js"
export type { OutputFormat, Settings } from "./config/Settings.js"
export * from "./domain/Errors.js"

// The level below the service: plan/execute programs that require `SqlClient`.
export * as Database from "./store/Database.js"
export * as Transaction from "./store/Transaction.js"
export * as Reservations from "./store/Reservations.js"
export * as Reserve from "./operations/Reserve.js"
export * as Release from "./operations/Release.js"
export * as List from "./operations/List.js"
export * as Cleanup from "./operations/Cleanup.js"
export * as Allocate from "./operations/Allocate.js"
export * as Metadata from "./operations/Metadata.js"
export * as Group from "./operations/Group.js"
export * as GroupConfig from "./operations/GroupConfig.js"
export { Occupancy } from "./probe/Occupancy.js"
export * as OccupancyPolicy from "./probe/Policy.js"
export { GitInfo } from "./git/GitInfo.js"
export * as Config from "./config/Resolve.js"
export * as Port from "./domain/Port.js"
export * as PortRange from "./domain/PortRange.js"
export * as Identifier from "./domain/Identifier.js"
export * as ReservationKey from "./domain/ReservationKey.js"
export * as StoredReservation from "./domain/Reservation.js"
export { AbsolutePath } from "./domain/AbsolutePath.js"
export * as Paths from "./paths/Normalize.js"
export { canonicalize } from "./paths/Canonical.js"
