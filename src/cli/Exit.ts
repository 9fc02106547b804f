import * as Option from "effect/Option"
import type * as Errors from "../domain/Errors.js"
import { display } from "../domain/Escape.js"
import type { ReservationKey } from "../domain/ReservationKey.js"
import type { PreferredRefused } from "../operations/Allocate.js"
import * as Key from "../domain/ReservationKey.js"
import type {
  AlreadyInitialized,
  AssertionFailed,
  CliIoError,
  ConfigurationRejected,
  InvalidArguments,
  UsageError
} from "./Errors.js"

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
  | AlreadyInitialized

/** The exit code of each failure: one place, one meaning per code (docs/configuration.md). */
export const EXIT_CODES: Record<Failure["_tag"], number> = {
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
  AlreadyInitialized: 6,
  InvalidConfiguration: 7
}

export const exitCode = (failure: Failure): number => EXIT_CODES[failure._tag]

/** An internal defect: one line, exit 6 (docs/cli.md). */
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

/** A word as a shell reads it back: as it is when it needs no quoting, else single-quoted. */
const shellWord = (word: string): string => /^[A-Za-z0-9_@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", "'\\''")}'`

/** The command that releases exactly the reservation of `path` and `tag` (undefined: untagged). */
const releaseCommand = (path: string, tag: string | undefined): string =>
  `trop release --path ${shellWord(path)}${tag === undefined ? "" : ` --tag ${shellWord(tag)}`}`

const releaseKey = (key: ReservationKey): string => releaseCommand(key.path, Option.getOrUndefined(key.tag))

/** `'a'`, `'a', 'b'`, `'a', 'b' and 3 more`: tags as hints list them. */
const tagList = (tags: ReadonlyArray<string>): string =>
  `${tags.slice(0, 5).map((t) => `'${t}'`).join(", ")}${tags.length > 5 ? ` and ${tags.length - 5} more` : ""}`

/** The hint of an incompatible stored group: how its tags differ, then the two ways out. */
const groupHints = (group: Errors.GroupMismatch): ReadonlyArray<string> => {
  const differences = [
    ...(group.missing.length > 0 ? [`lacks ${tagList(group.missing)}`] : []),
    ...(group.extra.length > 0 ? [`has ${tagList(group.extra)}, which the configuration does not list`] : [])
  ]
  const force = "pass --force to reserve the whole group anew (its ports may change)"
  const strays = group.extra.slice(0, 5).map((tag) => releaseCommand(group.path, tag))
  return [
    ...(differences.length > 0 ? [`the stored group at ${group.path} ${differences.join(" and ")}`] : []),
    strays.length === 0
      ? force
      : `${force}, or release ${strays.length === 1 ? "a stray single reservation" : "the stray single reservations"}: ${strays.join("; ")}`
  ]
}

/**
 * What would get past a failure, as `hint:` lines after its message: the flag, the file
 * edit or the wait that fixes it. Library errors carry the data; the words are the CLI's.
 */
const hints = (failure: Failure): ReadonlyArray<string> => {
  switch (failure._tag) {
    case "UsageError":
      return failure.suggestion === undefined ? [] : [`did you mean '${failure.suggestion}'?`]
    case "PathRelationshipViolation":
      return [
        "pass --allow-unrelated-path to use a path outside the working directory's tree (or set allow_unrelated_path: true in the configuration)"
      ]
    case "ReservationConflict":
      return failure.group === undefined ? [] : groupHints(failure.group)
    case "PortRangeExhausted": {
      const range = `${failure.min}-${failure.max}`
      const holders = failure.held === 0
        ? `no reservation holds a port of ${range} (its ports are excluded or in use)`
        : `${failure.held} reservation(s) hold ports of ${range}`
      const cleanup = failure.held === 0
        ? ""
        : failure.cleanup === "skipped"
        ? ", or remove stale reservations with 'trop autoclean'"
        : ", or expire unused reservations sooner with 'trop autoclean --days <DAYS>'"
      return [`${holders}; widen the range with --max (or ports.max in the configuration)${cleanup}`]
    }
    case "DatabaseBusy":
      return [`another process held the database lock for ${failure.timeoutSeconds}s; retry, or raise --busy-timeout`]
    case "InvalidArguments":
      switch (failure.about?._tag) {
        case "PortReserved":
          return [`port ${failure.about.port} is reserved by ${Key.format(failure.about.holder)}; release it first: ${releaseKey(failure.about.holder)}`]
        case "DashedRange":
          return [`a range is written with two dots: ${failure.about.start}..${failure.about.end}`]
        default:
          return []
      }
    case "AlreadyInitialized":
      return ["only to start over with no reservations: 'trop init --overwrite' deletes every reservation"]
    default:
      return []
  }
}

/**
 * The stderr text of a failure: one `Error:` line, or a usage error with its usage line,
 * each followed by its hints. Messages quote stored values and paths, so control characters
 * are escaped (docs/security.md).
 */
export const render = (failure: Failure): string => {
  const hint = hints(failure).map((line) => `\nhint: ${display(line)}`).join("")
  return failure._tag === "UsageError"
    ? `${failure.message}${hint}\n\nUsage: ${failure.usage}\n\nFor more information, try '--help'.`
    : `Error: ${display(cliMessage(failure))}${hint}`
}

/**
 * The `Warning:` line of a preferred port (`--port`, a service's `preferred`) that was not
 * granted: why, and the port given instead (stdout is unchanged). `service` names a group's.
 */
export const preferredWarning = (refused: PreferredRefused, granted: number, service?: string): string => {
  const why = (() => {
    switch (refused.refusal._tag) {
      case "reserved":
        return `reserved by ${Key.format(refused.refusal.holder)}`
      case "possibly occupied":
        return `possibly occupied: ${refused.refusal.description}`
      case "kept":
        return "the reservation exists and keeps its port; --overwrite reallocates it"
      default:
        return refused.refusal._tag
    }
  })()
  const of = service === undefined ? "" : ` of service '${service}'`
  return `Warning: ${display(`preferred port ${refused.port}${of} not granted (${why}); got ${granted} instead`)}`
}
