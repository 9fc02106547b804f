import * as Data from "effect/Data"
import { causeMessage, FileSystemError } from "../domain/Errors.js"
import type { ReservationKey } from "../domain/ReservationKey.js"

/**
 * Errors only the command line raises. Library errors live in src/domain/Errors.ts;
 * src/cli/Exit.ts maps both to exit codes.
 */

/** A malformed command line (docs/cli.md): unknown option, missing value, conflicts, ... */
export class UsageError extends Data.TaggedError("UsageError")<{
  readonly detail: string
  /** The usage line of the command concerned, e.g. `trop reserve [OPTIONS]`. */
  readonly usage: string
  /** The known subcommand or option closest to an unknown one (`hint: did you mean ...`). */
  readonly suggestion?: string | undefined
}> {
  override get message() {
    return `error: ${this.detail}`
  }
}

/**
 * What an argument error is about, when a hint can name the way past it: a port another
 * reservation holds (`exclude 8080`), a range written with a dash (`exclude 6000-6010`).
 */
export type ArgumentProblem =
  | { readonly _tag: "PortReserved"; readonly port: number; readonly holder: ReservationKey }
  | { readonly _tag: "DashedRange"; readonly start: string; readonly end: string }

/** Arguments that parse but are invalid: `Invalid arguments: <detail>` (exit 4). */
export class InvalidArguments extends Data.TaggedError("InvalidArguments")<{
  readonly detail: string
  readonly about?: ArgumentProblem | undefined
}> {
  override get message() {
    return `Invalid arguments: ${this.detail}`
  }
}

/** An I/O failure of the CLI layer: stdout, config files, the working directory (exit 5). */
export class CliIoError extends Data.TaggedError("CliIoError")<{ readonly reason: string }> {
  /** From a thrown value, or from the library's FileSystemError when the CLI layer did the I/O (exit 5). */
  static readonly fromCause = (cause: unknown) =>
    new CliIoError({ reason: cause instanceof FileSystemError ? cause.reason : causeMessage(cause) })

  override get message() {
    return `I/O error: ${this.reason}`
  }
}

/** An `assert-*` check that did not hold (exit 1). */
export class AssertionFailed extends Data.TaggedError("AssertionFailed")<{ readonly detail: string }> {
  override get message() {
    return `Assertion failed: ${this.detail}`
  }
}

/** `validate` found problems, already listed on stderr (exit 1). */
export class ConfigurationRejected extends Data.TaggedError("ConfigurationRejected")<{ readonly detail: string }> {
  override get message() {
    return this.detail
  }
}

/** `init` on a data directory that already has its database: nothing to do (exit 6). */
export class AlreadyInitialized extends Data.TaggedError("AlreadyInitialized")<{ readonly database: string }> {
  override get message() {
    return `Database already exists at ${this.database}: trop is already initialized here, nothing needs doing`
  }
}
