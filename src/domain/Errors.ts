import * as Data from "effect/Data"

/** What a thrown value says, whatever was thrown. */
export const causeMessage = (cause: unknown): string => cause instanceof Error ? cause.message : String(cause)

/** The `code` of a Node or SQLite error (`ENOENT`, `SQLITE_BUSY`, ...), if it has one. */
export const causeCode = (cause: unknown): string | undefined =>
  typeof cause === "object" && cause !== null && "code" in cause && typeof cause.code === "string"
    ? cause.code
    : undefined

/**
 * Every failure trop's library can report (docs/configuration.md). Each carries the data of
 * its message; the CLI maps each tag to exactly one exit code (src/cli/Exit.ts).
 */

/** A SQLite busy/locked error that survived the busy timeout. */
export class DatabaseBusy extends Data.TaggedError("DatabaseBusy")<{
  readonly operation: string
  readonly timeoutSeconds: number
}> {
  override get message() {
    return `database lock timeout while ${this.operation} after ${this.timeoutSeconds}s`
  }
}

/** `trop.db` does not exist and auto-init is disabled. */
export class DatabaseMissing extends Data.TaggedError("DatabaseMissing")<{ readonly file: string }> {
  override get message() {
    return `Data directory not found (${this.file} does not exist and auto-init is disabled)`
  }
}

/** Any other SQLite error. */
export class DatabaseFailure extends Data.TaggedError("DatabaseFailure")<{ readonly reason: string }> {
  static readonly fromCause = (cause: unknown) => new DatabaseFailure({ reason: causeMessage(cause) })

  override get message() {
    return `database error: ${this.reason}`
  }
}

/** A stored row or the schema fails validation; `details` names table, field, key and reason. */
export class DatabaseCorrupt extends Data.TaggedError("DatabaseCorrupt")<{ readonly details: string }> {
  override get message() {
    return `database corruption detected: ${this.details}`
  }
}

/** The database has a newer schema than this trop understands; it is left untouched. */
export class UnsupportedSchemaVersion extends Data.TaggedError("UnsupportedSchemaVersion")<{
  readonly expected: number
  readonly found: number
}> {
  override get message() {
    return `unsupported schema version: expected ${this.expected}, found ${this.found}`
  }
}

/** The database has an older schema with no migration available. */
export class MigrationRequired extends Data.TaggedError("MigrationRequired")<{
  readonly found: number
  readonly target: number
  readonly action: string
}> {
  override get message() {
    return `database schema migration required from version ${this.found} to ${this.target}: ${this.action}`
  }
}

/** A library-level I/O failure (e.g. the data directory cannot be created). */
export class FileSystemError extends Data.TaggedError("FileSystemError")<{ readonly reason: string }> {
  static readonly fromCause = (cause: unknown) => new FileSystemError({ reason: causeMessage(cause) })

  override get message() {
    return `I/O error: ${this.reason}`
  }
}

/** A path that cannot be normalized (`..` above the root, `~user`, invalid UTF-8). */
export class InvalidPath extends Data.TaggedError("InvalidPath")<{ readonly path: string; readonly reason: string }> {
  override get message() {
    return `invalid path ${this.path}: ${this.reason}`
  }
}

/** A path that does not exist where it must (canonicalization). */
export class PathNotFound extends Data.TaggedError("PathNotFound")<{ readonly path: string }> {
  override get message() {
    return `path not found: ${this.path}`
  }
}

/** A path the process may not inspect. */
export class PathPermissionDenied extends Data.TaggedError("PathPermissionDenied")<{ readonly path: string }> {
  override get message() {
    return `permission denied: ${this.path}`
  }
}

/** A path whose symlinks loop. */
export class SymlinkLoop extends Data.TaggedError("SymlinkLoop")<{ readonly path: string }> {
  override get message() {
    return `symlink loop detected: ${this.path}`
  }
}

/** A value that fails a domain rule, e.g. `validation error for 'tag': …`. */
export class InvalidValue extends Data.TaggedError("InvalidValue")<{
  readonly field: string
  readonly reason: string
}> {
  override get message() {
    return `validation error for '${this.field}': ${this.reason}`
  }
}

/**
 * The request contradicts stored reservations: an incompatible stored group, a migration
 * onto existing keys (`conflicting` of them; forcing overwrites them), overlapping moves.
 */
export class ReservationConflict extends Data.TaggedError("ReservationConflict")<{
  readonly details: string
  readonly conflicting?: number
  /** An incompatible stored group: its directory and how its tags differ from the request's. */
  readonly group?: GroupMismatch
}> {
  override get message() {
    return `reservation conflict: ${this.details}`
  }
}

/**
 * How a stored group differs from the requested one: `missing` tags are requested but not
 * stored, `extra` tags stored but not requested (both empty: same tags, other ports).
 */
export interface GroupMismatch {
  readonly path: string
  readonly missing: ReadonlyArray<string>
  readonly extra: ReadonlyArray<string>
}

/** A reservation the request names does not exist (e.g. the source of a migration). */
export class ReservationNotFound extends Data.TaggedError("ReservationNotFound")<{ readonly resource: string }> {
  override get message() {
    return `not found: ${this.resource}`
  }
}

/** No port of the range could be handed out (docs/concepts.md). */
export class PortRangeExhausted extends Data.TaggedError("PortRangeExhausted")<{
  readonly range: string
  readonly details: string
  readonly min: number
  readonly max: number
  /** How many reservations (other than the requested key) hold a port of the range. */
  readonly held: number
  /** Whether the automatic cleanup ran (and was rolled back: nothing was removed) or was disabled. */
  readonly cleanup: "skipped" | "rolled back"
}> {
  override get message() {
    return `port range ${this.range} exhausted${this.details}`
  }
}

/**
 * Changing a reservation's project or task without permission: `from`/`to` are the stored
 * and requested values (undefined: none); `group` is the group's path for group requests.
 */
export class StickyFieldChange extends Data.TaggedError("StickyFieldChange")<{
  readonly field: "project" | "task"
  readonly from: string | undefined
  readonly to: string | undefined
  readonly group: string | undefined
}> {
  /** `Cannot change project from 'a' to none`, the sentence every rendering starts with. */
  get change(): string {
    return `Cannot change ${this.group === undefined ? "" : "group "}${this.field} from ${quoted(this.from)} to ${quoted(this.to)}`
  }

  override get message() {
    return `cannot change sticky field '${this.field}': ${this.change}${this.group === undefined ? "" : ` (group at ${this.group})`}`
  }
}

/** `'value'` or `none`, the way messages show optional metadata. */
export const quoted = (value: string | undefined): string => value === undefined ? "none" : `'${value}'`

/** The target path is neither the working directory, an ancestor nor a descendant. */
export class PathRelationshipViolation extends Data.TaggedError("PathRelationshipViolation")<{
  readonly target: string
  readonly cwd: string
}> {
  override get message() {
    return `path relationship violation: ${this.target} and ${this.cwd} are unrelated paths`
  }
}

/** Paths that canonicalization can fail with (docs/concepts.md). */
export type CanonicalizeError = PathNotFound | PathPermissionDenied | SymlinkLoop | FileSystemError

/** What opening the database can fail with. */
export type OpenError =
  | DatabaseBusy
  | DatabaseMissing
  | DatabaseFailure
  | DatabaseCorrupt
  | UnsupportedSchemaVersion
  | MigrationRequired
  | MigrationBlocked
  | FileSystemError

/** The effective configuration cannot be built (exit 7). `detail` names field and source. */
export class InvalidConfiguration extends Data.TaggedError("InvalidConfiguration")<{ readonly detail: string }> {
  override get message() {
    return `Configuration error: ${this.detail}`
  }
}

/** `validation error for '<field> (<source>)': <reason>`, the annotated form (docs/configuration.md). */
export const invalidField = (field: string, source: string | undefined, reason: string) =>
  new InvalidConfiguration({
    detail: `validation error for '${source === undefined ? field : `${field} (${source})`}': ${reason}`
  })

/**
 * A reservation group that cannot be reserved as given: no group configured, no file, no
 * services, duplicate tags, a base outside the range. `field` names the offending part.
 */
export class InvalidGroup extends Data.TaggedError("InvalidGroup")<{ readonly field: string; readonly reason: string }> {
  override get message() {
    return `validation error for '${this.field}': ${this.reason}`
  }
}

/** No base of the scan range fits a group's offset pattern (docs/concepts.md). */
export class GroupAllocationFailed extends Data.TaggedError("GroupAllocationFailed")<{
  readonly attempted: number
  readonly reason: string
}> {
  override get message() {
    return `group allocation failed after attempting ${this.attempted} service(s): ${this.reason}`
  }
}

/** A schema migration that would lose or guess data; the database is left as it was. */
export class MigrationBlocked extends Data.TaggedError("MigrationBlocked")<{
  readonly from: number
  readonly to: number
  readonly details: string
}> {
  override get message() {
    return `database migration from schema ${this.from} to ${this.to} blocked: ${this.details}`
  }
}
