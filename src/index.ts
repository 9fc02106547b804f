/**
 * trop as a library: reservation logic as Effect programs that require `SqlClient`
 * (and `Occupancy` where ports are probed). Provide `Database.layer(...)` for trop's own
 * database with immediate transactions, and wrap every mutating `plan` + `execute` in ONE
 * `sql.withTransaction` — see examples/.
 */
export * as Database from "./store/Database.js"
export * as Reservations from "./store/Reservations.js"
export * as Reserve from "./operations/Reserve.js"
export * as Release from "./operations/Release.js"
export * as List from "./operations/List.js"
export * as Cleanup from "./operations/Cleanup.js"
export * as Allocate from "./operations/Allocate.js"
export * as Metadata from "./operations/Metadata.js"
export { Occupancy } from "./probe/Occupancy.js"
export { GitInfo } from "./git/GitInfo.js"
export * as Group from "./operations/Group.js"
export * as OccupancyPolicy from "./probe/Policy.js"
export * as Config from "./config/Resolve.js"
export type { Settings } from "./config/Settings.js"
export * as Errors from "./domain/Errors.js"
export * as Port from "./domain/Port.js"
export * as PortRange from "./domain/PortRange.js"
export * as Identifier from "./domain/Identifier.js"
export * as ReservationKey from "./domain/ReservationKey.js"
export * as Reservation from "./domain/Reservation.js"
export { AbsolutePath } from "./domain/AbsolutePath.js"
export * as Paths from "./paths/Normalize.js"
export { canonicalize } from "./paths/Canonical.js"
export { classify as classifySqlError } from "./store/SqliteErrors.js"
