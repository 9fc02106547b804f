import { Args, Command } from "@effect/cli"
import type * as Arr from "effect/Array"
import * as Effect from "effect/Effect"
import * as Record from "effect/Record"
import type { GlobalValues } from "./Globals.js"
import { globalParser, mergeGlobals, root } from "./Globals.js"
import type { Opt } from "./Opt.js"

/** A positional argument: its help and its @effect/cli parser. */
export interface Positional<A> {
  readonly name: string
  readonly description: string
  /** Every word after `--`, at least one (`exec -- CMD ARGS...`); never before it. */
  readonly trailing: boolean
  readonly parser: Args.Args<A>
}

export const positional = (name: string, description: string): Positional<string> => ({
  name,
  description,
  trailing: false,
  parser: Args.text({ name }).pipe(Args.withDescription(description))
})

/** The words after `--`, taken as they are: a command line for another program. */
export const trailing = (name: string, description: string): Positional<Arr.NonEmptyReadonlyArray<string>> => ({
  name,
  description,
  trailing: true,
  parser: Args.text({ name }).pipe(Args.atLeast(1), Args.withDescription(description))
})

/** What help and the argv pre-scan know about a subcommand. */
export interface CommandSpec {
  readonly name: string
  readonly description: string
  /** The subcommand's own options; the global ones are accepted too. */
  readonly options: ReadonlyArray<Opt<unknown>>
  readonly args: ReadonlyArray<Positional<unknown>>
  /** Option pairs that cannot be combined (usage error). */
  readonly conflicts: ReadonlyArray<readonly [string, string]>
  /** `[a, b]`: option a needs option b (usage error). */
  readonly requires: ReadonlyArray<readonly [string, string]>
}

type Values<C> = {
  readonly [K in keyof C]: C[K] extends Opt<infer A> ? A : C[K] extends Positional<infer A> ? A : never
}

/** A subcommand: its spec and the @effect/cli command that parses and runs it. */
export interface Defined<E, R> {
  readonly spec: CommandSpec
  readonly command: Command.Command<string, R, E, unknown>
}

/**
 * Declares a subcommand once: its options and arguments feed help, the pre-scan and
 * @effect/cli. The handler receives the parsed values and the merged global options.
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
  handler: (values: Values<O> & Values<P> & { readonly globals: GlobalValues }) => Effect.Effect<void, E, R>
): Defined<E, R> => {
  const args = spec.args ?? ({} as P)
  const config = {
    ...Record.map(spec.options, (o) => o.parser),
    ...Record.map(args, (a) => a.parser),
    globals: globalParser
  }
  const command = Command.make(spec.name, config, (parsed) =>
    Effect.flatMap(root, ({ globals: before }) => {
      // The parsed record mirrors `config`: one value per option and argument.
      const values = parsed as unknown as Values<O> & Values<P> & { readonly globals: GlobalValues }
      return handler({ ...values, globals: mergeGlobals(before, values.globals) })
    }))
  return {
    spec: {
      name: spec.name,
      description: spec.description,
      options: Object.values(spec.options),
      args: Object.values(args),
      conflicts: spec.conflicts ?? [],
      requires: spec.requires ?? []
    },
    command: command as unknown as Command.Command<string, R, E, unknown>
  }
}
