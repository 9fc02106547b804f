import * as Context from "effect/Context"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as tty from "node:tty"
import { CliIoError } from "./Errors.js"
import { isBrokenPipe, writeAll } from "./Write.js"

/**
 * The reader of stdout went away (`trop list | head -1`; EPIPE or ECONNRESET, Write.ts). Not
 * an error: the command stops where it is and trop exits 0 without a word, as Unix tools do
 * (Main).
 */
export class StdoutClosed extends Data.TaggedError("StdoutClosed")<{}> {}

/**
 * Where commands print. stdout carries only results (`PORT=$(trop reserve)`); everything
 * else goes to stderr. Writes are synchronous, so output is complete when the process
 * exits; a closed stdout ends the command (StdoutClosed), other write errors are exit 5.
 */
export class Output extends Context.Tag("trop/Output")<Output, {
  /** Writes `text` and a newline to stdout. */
  readonly out: (text: string) => Effect.Effect<void, CliIoError | StdoutClosed>
  /** Writes `text` and a newline to stderr; failures there cannot be reported anywhere. */
  readonly err: (text: string) => Effect.Effect<void>
  /**
   * A transient status line (progress) on stderr, overwritten in place; `undefined`
   * clears it. Nothing at all when stderr is not a terminal.
   */
  readonly progress: (text: string | undefined) => Effect.Effect<void>
}>() {
  /** The process's stdout and stderr. */
  static readonly live: Context.Tag.Service<Output> = {
    out: (text) =>
      Effect.try({
        try: () => writeAll(1, text + "\n"),
        catch: (cause) => isBrokenPipe(cause) ? new StdoutClosed() : CliIoError.fromCause(cause)
      }),
    err: (text) => Effect.sync(() => writeQuietly(text + "\n")),
    progress: (text) => Effect.sync(() => tty.isatty(2) && writeQuietly(text === undefined ? "\r\u001b[K" : `\r${text}\u001b[K`))
  }
}

/** Writes to stderr; a failure there cannot be reported anywhere, so it is ignored. */
export const writeQuietly = (text: string) => {
  try {
    writeAll(2, text)
  } catch {
    // Nowhere left to report it.
  }
}
