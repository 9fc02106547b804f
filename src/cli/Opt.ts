import { Options, ValidationError } from "@effect/cli"
import * as HelpDoc from "@effect/cli/HelpDoc"
import { Config, Effect, Option } from "effect"

/**
 * One command-line option: what help and the argv pre-scan need to know about it, and
 * the @effect/cli parser that produces its value. Declaring both together keeps the
 * option list of each command in one place.
 */
export interface Opt<A> {
  readonly name: string
  /** The value placeholder (`TAG`); absent for flags. */
  readonly value: string | undefined
  readonly description: string
  /** The environment variable that supplies a default, named in help. */
  readonly env: string | undefined
  readonly parser: Options.Options<A>
}

/** A positional argument. */
export interface Arg {
  readonly name: string
  readonly description: string
}

export const flag = (name: string, description: string): Opt<boolean> => ({
  name,
  value: undefined,
  description,
  env: undefined,
  parser: Options.boolean(name).pipe(Options.withDescription(description))
})

export const text = (name: string, value: string, description: string): Opt<Option.Option<string>> => ({
  name,
  value,
  description,
  env: undefined,
  parser: Options.text(name).pipe(
    Options.withPseudoName(value),
    Options.withDescription(description),
    Options.optional
  )
})

/** A text option that falls back to an environment variable. */
export const textWithEnv = (
  name: string,
  value: string,
  description: string,
  env: string
): Opt<Option.Option<string>> => ({
  name,
  value,
  description,
  env,
  parser: Options.text(name).pipe(
    Options.withPseudoName(value),
    Options.withDescription(description),
    Options.withFallbackConfig(Config.string(env)),
    Options.optional
  )
})

const invalid = (name: string, raw: string, reason: string) =>
  ValidationError.invalidValue(HelpDoc.p(`invalid value '${raw}' for '--${name}': ${reason}`))

/** An unsigned decimal integer up to `max`; a leading `+` is tolerated (cli.md §2). */
export const unsigned = (name: string, value: string, description: string, max: number): Opt<Option.Option<number>> => ({
  name,
  value,
  description,
  env: undefined,
  parser: Options.text(name).pipe(
    Options.withPseudoName(value),
    Options.withDescription(description),
    Options.mapEffect((raw) => {
      const n = /^\+?[0-9]+$/.test(raw) ? Number(raw.replace(/^\+/, "")) : NaN
      return Number.isSafeInteger(n) && n <= max
        ? Effect.succeed(n)
        : Effect.fail(invalid(name, raw, `expected an integer in 0..${max}`))
    }),
    Options.optional
  )
})

/** One of fixed values, compared case-sensitively unless `caseInsensitive`. */
export const choice = <const C extends ReadonlyArray<string>>(
  name: string,
  value: string,
  description: string,
  choices: C,
  caseInsensitive = false
): Opt<Option.Option<C[number]>> => ({
  name,
  value,
  description: `${description} [possible values: ${choices.join(", ")}]`,
  env: undefined,
  parser: Options.text(name).pipe(
    Options.withPseudoName(value),
    Options.withDescription(description),
    Options.mapEffect((raw) => {
      const found = choices.find((c) => caseInsensitive ? c === raw.toLowerCase() : c === raw)
      return found === undefined
        ? Effect.fail(invalid(name, raw, `possible values: ${choices.join(", ")}`))
        : Effect.succeed(found as C[number])
    }),
    Options.optional
  )
})
