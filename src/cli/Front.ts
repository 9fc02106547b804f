import * as Either from "effect/Either"
import pkg from "../../package.json" with { type: "json" }
import * as Argv from "./Argv.js"
import type { CommandSpec } from "./Definition.js"
import * as Help from "./Help.js"
import { isBrokenPipe, writeAll } from "./Write.js"

/**
 * Help and the version, answered from the command declarations alone: the launcher tries
 * this small bundle (dist/front.cjs) before loading the CLI when a command line may ask for
 * them. `specs` are the declarations as data (dist/specs.json, written by the build from
 * Main's). It decides with the same pre-scan and prints the same text as Main.
 *
 * Returns whether it answered. Everything else — a command to run, a usage error, a write
 * that failed for another reason than a closed pipe — is left to Main, which decides and
 * reports it as always (nothing has been printed then).
 */
export const answered = (
  argv: ReadonlyArray<string>,
  env: Readonly<Record<string, string | undefined>>,
  specs: ReadonlyArray<CommandSpec>
): boolean => {
  const directive = Argv.scan(argv, specs, env)
  if (Either.isLeft(directive)) return false
  const text = directive.right._tag === "Help"
    ? Help.render(directive.right.command, specs).trimEnd()
    : directive.right._tag === "Version"
    ? `trop ${pkg.version}`
    : undefined
  if (text === undefined) return false
  try {
    writeAll(1, `${text}\n`)
    return true
  } catch (error) {
    // A closed stdout ends quietly with status 0, as in Main.
    return isBrokenPipe(error)
  }
}
