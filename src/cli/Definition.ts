import * as Arr from "effect/Array"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import { UsageError } from "./Errors.js"
import type { GlobalValues } from "./Globals.js"
import { decodeGlobals, mergeGlobals } from "./Globals.js"
import type { Env, Occurrences, Opt } from "./Opt.js"
import { decodeAll } from "./Opt.js"

/** A positional argument: its help and its value from the words the pre-scan counted out. */
export interface Positional<A> {
  readonly name: string
  readonly description: string
  /** Every word after `--`, at least one (`exec -- CMD ARGS...`); never before it. */
  readonly trailing: boolean
  /** The value from its words: exactly one, or (trailing) at least one. */
  readonly decode: (words: Arr.NonEmptyReadonlyArray<string>) => A
}

export const positional = (name: string, description: string): Positional<string> => ({
  name,
  description,
  trailing: false,
  decode: (words) => words[0]
})

/** The words after `--`, taken as they are: a command line for another program. */
export const trailing = (name: string, description: string): Positional<Arr.NonEmptyReadonlyArray<string>> => ({
  name,
  description,
  trailing: true,
  decode: (words) => words
})

/** What help, completions and the pre-scan read of an option: its declaration without decoding. */
export type OptionSpec = Omit<Opt<unknown>, "decode">

/** What help, completions and the pre-scan read of a positional argument. */
export type ArgumentSpec = Omit<Positional<unknown>, "decode">

/**
 * What help, completions and the pre-scan know about a subcommand: data only, so the build
 * can write every command's spec to dist/specs.json for help without loading the CLI (Front.ts).
 */
export interface CommandSpec {
  readonly name: string
  readonly description: string
  /** The subcommand's own options; the global ones are accepted too. */
  readonly options: ReadonlyArray<OptionSpec>
  readonly args: ReadonlyArray<ArgumentSpec>
  /** Option pairs that cannot be combined (usage error). */
  readonly conflicts: ReadonlyArray<readonly [string, string]>
  /** `[a, b]`: option a needs option b (usage error). */
  readonly requires: ReadonlyArray<readonly [string, string]>
}

type Values<C> = {
  readonly [K in keyof C]: C[K] extends Opt<infer A> ? A : C[K] extends Positional<infer A> ? A : never
}

/** What a handler receives: one value per option and argument, and the merged global options. */
type Parsed<O, P> = Values<O> & Values<P> & { readonly globals: GlobalValues }

/** A command line the pre-scan accepted for one subcommand (Argv.Directive "Run"). */
export interface CommandLine {
  readonly before: Occurrences
  readonly after: Occurrences
  readonly positionals: ReadonlyArray<string>
}

/** A subcommand: its spec, and how it decodes its command line and runs. */
export interface Defined<E, R> {
  readonly spec: CommandSpec
  /** Decodes every value (bad ones are a UsageError) and runs the handler. */
  readonly run: (line: CommandLine, env: Env) => Effect.Effect<void, E | UsageError, R>
}

/**
 * Declares a subcommand once: its options and arguments feed help, the pre-scan and the
 * decoding of its values. The handler receives the decoded values and the merged global
 * options. Values decode in command-line order of concern: the global options before the
 * subcommand, then its own options, arguments and the global options after it.
 */
export const define = <
  const O extends Record<string, Opt<unknown>>,
  const P extends Record<string, Positional<unknown>>,
  E,
  R
>(
  spec: {
    readonly name: string
    readonly description: string
    readonly options: O
    readonly args?: P
    readonly conflicts?: ReadonlyArray<readonly [string, string]>
    readonly requires?: ReadonlyArray<readonly [string, string]>
  },
  handler: (values: Parsed<O, P>) => Effect.Effect<void, E, R>
): Defined<E, R> => {
  const args = spec.args ?? ({} as P)
  const usage = `trop ${spec.name} [OPTIONS]`
  const decode = (line: CommandLine, env: Env): Either.Either<Parsed<O, P>, UsageError> => {
    const fail = (detail: string) => Either.left(new UsageError({ detail, usage }))
    // A bad value before the subcommand is reported alone.
    const before = decodeGlobals(line.before, env)
    if (Either.isLeft(before)) return fail(before.left.join("\n\n"))
    // After it, every bad value is reported, the command's own first, a blank line apart.
    const own = decodeAll(spec.options, line.after, env)
    const after = decodeGlobals(line.after, env)
    if (Either.isLeft(own) || Either.isLeft(after)) {
      const problems = [own, after].flatMap((d: Either.Either<unknown, Array<string>>) => Either.isLeft(d) ? d.left : [])
      return fail(problems.join("\n\n"))
    }
    const values: Record<string, unknown> = { ...own.right }
    // The pre-scan has counted the words: one per argument, then at least one for a trailing one.
    let next = 0
    for (const [key, arg] of Object.entries(args)) {
      const words = arg.trailing ? line.positionals.slice(next) : line.positionals.slice(next, next + 1)
      next += words.length
      if (!Arr.isNonEmptyReadonlyArray(words)) return fail(`the following required arguments were not provided: <${arg.name}>`)
      values[key] = arg.decode(words)
    }
    // The record mirrors the declaration: one value per option and argument.
    return Either.right({ ...values, globals: mergeGlobals(before.right, after.right) } as Parsed<O, P>)
  }
  return {
    spec: {
      name: spec.name,
      description: spec.description,
      options: Object.values(spec.options),
      args: Object.values(args),
      conflicts: spec.conflicts ?? [],
      requires: spec.requires ?? []
    },
    run: (line, env) => Either.match(decode(line, env), { onLeft: Effect.fail, onRight: handler })
  }
}
