import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import type * as Arr from "effect/Array"
import type { ChildProcess } from "node:child_process"
import { spawn } from "node:child_process"
import * as os from "node:os"
import type { Environment } from "../config/Env.js"
import { display } from "../domain/Escape.js"

/**
 * A command trop runs for the user (`exec`): no shell in between, trop's stdin, stdout and
 * stderr, and the signals that ask a program to stop passed on to it (docs/exec.md).
 */

/** What a terminal, a supervisor or a hang-up sends; the child decides what they mean. */
const FORWARDED: ReadonlyArray<NodeJS.Signals> = ["SIGINT", "SIGTERM", "SIGHUP"]

/** The command could not be started; `status` is what a shell exits with then. */
export class NotStarted extends Data.TaggedError("NotStarted")<{
  readonly command: string
  /** The errno name, e.g. ENOENT. */
  readonly code: string | undefined
}> {
  /** 127 for a command that does not exist, 126 for one that cannot be executed. */
  get status(): number {
    return this.code === "ENOENT" ? 127 : 126
  }

  override get message() {
    const command = display(this.command)
    switch (this.code) {
      case "ENOENT":
        return `command not found: ${command}`
      case "EACCES":
        return `permission denied: ${command}`
      default:
        return `cannot execute ${command}${this.code === undefined ? "" : ` (${this.code})`}`
    }
  }
}

const errnoName = (error: Error): string | undefined =>
  "code" in error && typeof error.code === "string" ? error.code : undefined

/**
 * Runs `argv` with exactly `env` and waits for it. Succeeds with its exit status as a
 * shell reports it: its exit code, or 128 + n when signal n ended it.
 */
export const run = (argv: Arr.NonEmptyReadonlyArray<string>, env: Environment): Effect.Effect<number, NotStarted> =>
  Effect.async<number, NotStarted>((resume) => {
    const [file, ...args] = argv
    let child: ChildProcess | undefined
    const forward = (signal: NodeJS.Signals) => {
      child?.kill(signal)
    }
    const stopForwarding = () => {
      for (const signal of FORWARDED) process.off(signal, forward)
    }
    // Listening first: a signal that arrives while the child starts waits for `forward`
    // instead of ending trop and leaving the child behind.
    for (const signal of FORWARDED) process.on(signal, forward)
    child = spawn(file, args, { stdio: "inherit", env })
    child.once("error", (error) => {
      // Also emitted when a forwarded signal cannot be sent; only a child without a pid never started.
      if (child?.pid !== undefined) return
      stopForwarding()
      resume(Effect.fail(new NotStarted({ command: file, code: errnoName(error) })))
    })
    child.once("exit", (code, signal) => {
      stopForwarding()
      resume(Effect.succeed(code ?? 128 + (signal === null ? 0 : os.constants.signals[signal])))
    })
    return Effect.sync(stopForwarding)
  })
