import { Options, ValidationError } from "@effect/cli"
import * as HelpDoc from "@effect/cli/HelpDoc"
import * as Config from "effect/Config"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"

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
  /** A path: an empty value is a usage error ("a value is required"). */
  readonly path: boolean
  /** Must be given (usage error otherwise). */
  readonly required: boolean
  /** The value may be left out (`--group` or `--group FILE`). */
  readonly valueOptional: boolean
  /** A number: `-1` after it is its (invalid) value, not an unknown option. */
  readonly numeric?: boolean
  readonly parser: Options.Options<A>
}

const base = { env: undefined, path: false, required: false, valueOptional: false } as const

export const flag = (name: string, description: string): Opt<boolean> => ({
  ...base,
  name,
  value: undefined,
  description,
  parser: Options.boolean(name).pipe(Options.withDescription(description))
})

const textParser = (name: string, value: string, description: string) =>
  Options.text(name).pipe(Options.withPseudoName(value), Options.withDescription(description))

export const text = (name: string, value: string, description: string): Opt<Option.Option<string>> => ({
  ...base,
  name,
  value,
  description,
  parser: textParser(name, value, description).pipe(Options.optional)
})

/** A path option, optionally falling back to an environment variable. */
export const path = (name: string, description: string, env?: string): Opt<Option.Option<string>> => ({
  ...base,
  name,
  value: "PATH",
  description,
  env,
  path: true,
  parser: env === undefined
    ? textParser(name, "PATH", description).pipe(Options.optional)
    : textParser(name, "PATH", description).pipe(Options.withFallbackConfig(Config.string(env)), Options.optional)
})

/**
 * A path option whose value may be left out: None when absent, Some(None) when given bare,
 * Some(Some(path)) with a value. The pre-scan hands a bare occurrence to @effect/cli as an
 * empty value, which a typed value never is (an empty path is a usage error).
 */
export const optionalPath = (
  name: string,
  value: string,
  description: string
): Opt<Option.Option<Option.Option<string>>> => ({
  ...base,
  name,
  value,
  description,
  path: true,
  valueOptional: true,
  parser: textParser(name, value, description).pipe(
    Options.optional,
    Options.map(Option.map((raw) => raw === "" ? Option.none() : Option.some(raw)))
  )
})

/** A path option that must be given. */
export const requiredPath = (name: string, description: string): Opt<string> => ({
  ...base,
  name,
  value: "PATH",
  description,
  path: true,
  required: true,
  parser: textParser(name, "PATH", description)
})

/** `invalid value '-1' for '--busy-timeout <SECONDS>': ...`, in clap's words. */
const invalid = (name: string, value: string, raw: string, reason: string) =>
  ValidationError.invalidValue(HelpDoc.p(`invalid value '${raw}' for '--${name} <${value}>': ${reason}`))

/** An unsigned decimal integer up to `max`; a leading `+` is tolerated (docs/cli.md). */
export const unsigned = (name: string, value: string, description: string, max: number): Opt<Option.Option<number>> => ({
  ...base,
  name,
  value,
  description,
  numeric: true,
  parser: textParser(name, value, description).pipe(
    Options.mapEffect((raw) => {
      const n = /^\+?[0-9]+$/.test(raw) ? Number(raw.replace(/^\+/, "")) : NaN
      return Number.isSafeInteger(n) && n <= max
        ? Effect.succeed(n)
        : Effect.fail(invalid(name, value, raw, `expected an integer in 0..${max}`))
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
  ...base,
  name,
  value,
  description: `${description} [possible values: ${choices.join(", ")}]`,
  parser: textParser(name, value, description).pipe(
    Options.mapEffect((raw) => {
      const found = choices.find((c) => caseInsensitive ? c === raw.toLowerCase() : c === raw)
      return found === undefined
        ? Effect.fail(invalid(name, value, raw, `possible values: ${choices.join(", ")}`))
        : Effect.succeed(found as C[number])
    }),
    Options.optional
  )
})
