import { Either } from "effect"
import type { InvalidConfiguration } from "../domain/Errors.js"
import type { CommandLineSettings } from "./CommandLine.js"
import * as CommandLine from "./CommandLine.js"
import { merge, validate } from "./Effective.js"
import type { Environment } from "./Env.js"
import * as Env from "./Env.js"
import type { Settings } from "./Settings.js"

/**
 * Builds the effective configuration: built-in defaults, then the environment, then the
 * command line, validated as a whole (semantics.md §4.3).
 */
export const resolve = (input: {
  readonly env: Environment
  readonly commandLine: CommandLineSettings
}): Either.Either<Settings, InvalidConfiguration> =>
  Either.flatMap(Env.layer(input.env), (envLayer) => validate(merge([envLayer, CommandLine.layer(input.commandLine)])))
