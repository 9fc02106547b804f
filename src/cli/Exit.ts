import type * as Errors from "../domain/Errors.js"
import { display } from "../domain/Escape.js"
import type { AssertionFailed, CliIoError, ConfigurationRejected, InvalidArguments, UsageError } from "./Errors.js"

/** Every failure a command can end with. */
export type Failure =
  | Errors.DatabaseBusy
  | Errors.DatabaseMissing
  | Errors.DatabaseFailure
  | Errors.DatabaseCorrupt
  | Errors.UnsupportedSchemaVersion
  | Errors.MigrationRequired
  | Errors.MigrationBlocked
  | Errors.FileSystemError
  | Errors.InvalidPath
  | Errors.PathNotFound
  | Errors.PathPermissionDenied
  | Errors.SymlinkLoop
  | Errors.InvalidValue
  | Errors.ReservationConflict
  | Errors.ReservationNotFound
  | Errors.PortRangeExhausted
  | Errors.GroupAllocationFailed
  | Errors.InvalidGroup
  | Errors.StickyFieldChange
  | Errors.PathRelationshipViolation
  | Errors.InvalidConfiguration
  | UsageError
  | InvalidArguments
  | CliIoError
  | AssertionFailed
  | ConfigurationRejected

/** The exit code of each failure: one place, one meaning per code (D1). */
const EXIT_CODES: Record<Failure["_tag"], number> = {
  AssertionFailed: 1,
  ConfigurationRejected: 1,
  StickyFieldChange: 1,
  PathRelationshipViolation: 1,
  DatabaseBusy: 2,
  DatabaseMissing: 3,
  UsageError: 4,
  InvalidArguments: 4,
  CliIoError: 5,
  DatabaseFailure: 6,
  DatabaseCorrupt: 6,
  UnsupportedSchemaVersion: 6,
  MigrationRequired: 6,
  MigrationBlocked: 6,
  FileSystemError: 6,
  InvalidPath: 6,
  PathNotFound: 6,
  PathPermissionDenied: 6,
  SymlinkLoop: 6,
  InvalidValue: 6,
  ReservationConflict: 6,
  ReservationNotFound: 6,
  PortRangeExhausted: 6,
  GroupAllocationFailed: 6,
  InvalidGroup: 6,
  InvalidConfiguration: 7
}

export const exitCode = (failure: Failure): number => EXIT_CODES[failure._tag]

/** An internal defect: one line, exit 6 (cli.md §1). */
export const DEFECT_EXIT_CODE = 6

/**
 * A failure in the CLI's words: library errors carry data and never name flags; the
 * options that would get past them are named here.
 */
const cliMessage = (failure: Failure): string => {
  switch (failure._tag) {
    case "StickyFieldChange": {
      const allow = failure.field === "project" ? "--allow-project-change" : "--allow-task-change"
      const group = failure.group === undefined ? "" : ` (group at ${failure.group})`
      return `cannot change sticky field '${failure.field}': ${failure.change} without --force or ${allow}${group}`
    }
    case "ReservationConflict":
      return failure.conflicting === undefined ? failure.message : `${failure.message} Use --force to overwrite.`
    case "DatabaseMissing":
      return "Data directory not found (use --data-dir or enable auto-init)"
    default:
      return failure.message
  }
}

/**
 * The stderr text of a failure: one `Error:` line, or a usage error with its hint. Messages
 * quote stored values and paths, so control characters are escaped (docs/security.md).
 */
export const render = (failure: Failure): string =>
  failure._tag === "UsageError"
    ? `${failure.message}\n\nUsage: ${failure.usage}\n\nFor more information, try '--help'.`
    : `Error: ${display(cliMessage(failure))}`
