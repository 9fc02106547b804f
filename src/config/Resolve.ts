import * as Either from "effect/Either"
import * as Option from "effect/Option"
import type { InvalidConfiguration } from "../domain/Errors.js"
import type { CommandLineSettings } from "./CommandLine.js"
import * as CommandLine from "./CommandLine.js"
import type { Sourced } from "./Effective.js"
import { merge, validate } from "./Effective.js"
import type { Environment } from "./Env.js"
import * as Env from "./Env.js"
import type { Reservations } from "./FileSchema.js"
import type { LoadedFile } from "./Files.js"
import * as Files from "./Files.js"
import type { Settings } from "./Settings.js"

/** The layers above the built-in defaults. */
export interface ResolveInput {
  readonly env: Environment
  readonly commandLine: CommandLineSettings
  /** How errors name the command-line layer; `<command line>` by default. */
  readonly commandLineSource?: string | undefined
  /** Configuration files already loaded and validated, lowest precedence first. */
  readonly files?: ReadonlyArray<LoadedFile> | undefined
}

/** The effective configuration and the reservation group with the file that supplied it. */
export interface Resolved {
  readonly settings: Settings
  readonly group: Option.Option<Sourced<Reservations>>
}

/**
 * Builds the effective configuration: built-in defaults, the files, the environment,
 * then the command line, validated as a whole (docs/configuration.md).
 */
export const resolveAll = (input: ResolveInput): Either.Either<Resolved, InvalidConfiguration> =>
  Either.flatMap(Env.layer(input.env), (envLayer) => {
    const merged = merge([...(input.files ?? []).map(Files.layer), envLayer, CommandLine.layer(input.commandLine, input.commandLineSource)])
    return Either.map(validate(merged), (settings) => ({
      settings,
      group: Option.flatMap(merged.reservations, ({ source, value }) =>
        value === null ? Option.none() : Option.some({ source, value }))
    }))
  })

/** `resolveAll` when only the settings matter. */
export const resolve = (input: ResolveInput): Either.Either<Settings, InvalidConfiguration> =>
  Either.map(resolveAll(input), (r) => r.settings)
