import * as Either from "effect/Either"
import * as Option from "effect/Option"

/**
 * How an option occurs on a command line once the pre-scan (Argv.ts) has checked it:
 * absent (`undefined`), given without a value (`null`: a flag, or a value-optional option
 * given bare), or given with its value.
 */
export type Occurrence = string | null | undefined

/** The options given in one position of a command line, by name. */
export type Occurrences = ReadonlyMap<string, Occurrence>

/** The environment variables an option may fall back to. */
export type Env = Readonly<Record<string, string | undefined>>

/**
 * One command-line option: what help, completions and the pre-scan know about it, and how
 * its value is decoded. Declaring both together keeps each command's options in one place.
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
  /** The typed value, or the reason in clap's words (`invalid value 'x' for '--busy-timeout <SECONDS>': ...`). */
  readonly decode: (given: Occurrence, env: Env) => Either.Either<A, string>
}

const base = { env: undefined, path: false, required: false, valueOptional: false } as const

const textValue = (given: Occurrence): Option.Option<string> =>
  typeof given === "string" ? Option.some(given) : Option.none()

export const flag = (name: string, description: string): Opt<boolean> => ({
  ...base,
  name,
  value: undefined,
  description,
  decode: (given) => Either.right(given !== undefined)
})

export const text = (name: string, value: string, description: string): Opt<Option.Option<string>> => ({
  ...base,
  name,
  value,
  description,
  decode: (given) => Either.right(textValue(given))
})

/** A path option, optionally falling back to an environment variable when not given. */
export const path = (name: string, description: string, env?: string): Opt<Option.Option<string>> => ({
  ...base,
  name,
  value: "PATH",
  description,
  env,
  path: true,
  decode: (given, variables) =>
    Either.right(Option.orElse(textValue(given), () => Option.fromNullable(env === undefined ? undefined : variables[env])))
})

/**
 * A path option whose value may be left out: None when absent, Some(None) when given bare,
 * Some(Some(path)) with a value.
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
  decode: (given) => Either.right(given === undefined ? Option.none() : Option.some(textValue(given)))
})

/** A path option that must be given (the pre-scan refuses the command line without it). */
export const requiredPath = (name: string, description: string): Opt<string> => ({
  ...base,
  name,
  value: "PATH",
  description,
  path: true,
  required: true,
  decode: (given) =>
    typeof given === "string"
      ? Either.right(given)
      : Either.left(`the following required arguments were not provided: --${name} <PATH>`)
})

/** `invalid value '-1' for '--busy-timeout <SECONDS>': ...`, in clap's words. */
const invalid = (name: string, value: string, raw: string, reason: string) =>
  `invalid value '${raw}' for '--${name} <${value}>': ${reason}`

/** An unsigned decimal integer up to `max`; a leading `+` is tolerated (docs/cli.md). */
export const unsigned = (name: string, value: string, description: string, max: number): Opt<Option.Option<number>> => ({
  ...base,
  name,
  value,
  description,
  numeric: true,
  decode: (given) => {
    if (typeof given !== "string") return Either.right(Option.none())
    const n = /^\+?[0-9]+$/.test(given) ? Number(given.replace(/^\+/, "")) : NaN
    return Number.isSafeInteger(n) && n <= max
      ? Either.right(Option.some(n))
      : Either.left(invalid(name, value, given, `expected an integer in 0..${max}`))
  }
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
  decode: (given) => {
    if (typeof given !== "string") return Either.right(Option.none())
    const found = choices.find((c) => caseInsensitive ? c === given.toLowerCase() : c === given)
    return found === undefined
      ? Either.left(invalid(name, value, given, `possible values: ${choices.join(", ")}`))
      : Either.right(Option.some(found as C[number]))
  }
})

/** The value of each option of a record of options. */
export type Decoded<O> = { readonly [K in keyof O]: O[K] extends Opt<infer A> ? A : never }

/**
 * Every option of `options` decoded from the occurrences of one position: the values by
 * key, or the reason of every bad one, in declaration order (as @effect/cli reported them).
 */
export const decodeAll = <O extends Record<string, Opt<unknown>>>(
  options: O,
  given: Occurrences,
  env: Env
): Either.Either<Decoded<O>, Array<string>> => {
  const values: Record<string, unknown> = {}
  const problems: Array<string> = []
  for (const [key, opt] of Object.entries(options)) {
    Either.match(opt.decode(given.get(opt.name), env), {
      onLeft: (problem) => problems.push(problem),
      onRight: (value) => (values[key] = value)
    })
  }
  // The record mirrors `options`: one value per key.
  return problems.length > 0 ? Either.left(problems) : Either.right(values as Decoded<O>)
}
