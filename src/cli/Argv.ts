import * as Either from "effect/Either"
import type { CommandSpec, OptionSpec } from "./Definition.js"
import { UsageError } from "./Errors.js"
import { globalList } from "./Globals.js"
import type { Occurrence, Occurrences } from "./Opt.js"
import { closest } from "./Suggest.js"
import { usageLine } from "./Help.js"

/**
 * What to do with a command line: the parser of trop's command lines, in clap's rules
 * (docs/cli.md): unknown options are never positional values, a space-separated value must
 * not start with `-`, an option may not repeat within one position, conflicting and
 * dependent options. Values are decoded afterwards, by each option (Opt.decode).
 */
export type Directive =
  | { readonly _tag: "Help"; readonly command: CommandSpec | undefined }
  /** No subcommand: the root help on stderr, exit 4. */
  | { readonly _tag: "MissingCommand" }
  | { readonly _tag: "Version" }
  | {
    readonly _tag: "Run"
    readonly command: CommandSpec
    /** The options given before the subcommand name (global ones only). */
    readonly before: Occurrences
    /** The options given after it. */
    readonly after: Occurrences
    /** The positional arguments: the fixed ones, then every word of a trailing one. */
    readonly positionals: ReadonlyArray<string>
    /** Whether `--quiet` / `--verbose` appear in either position. */
    readonly quiet: boolean
    readonly verbose: boolean
  }

const isHelp = (token: string) => token === "-h" || token === "--help"

const display = (opt: OptionSpec) =>
  opt.value === undefined ? `--${opt.name}` : opt.valueOptional ? `--${opt.name} [<${opt.value}>]` : `--${opt.name} <${opt.value}>`

interface Position {
  /** Index of the first token after this position's options. */
  readonly next: number
  /** The options given, by name. */
  readonly seen: Occurrences
  readonly positionals: ReadonlyArray<string>
  /** How many of `positionals` came before `--` (all of them without one). */
  readonly beforeDashes: number
}

/**
 * Walks the tokens of one position — before the subcommand name (`root`: stops at the
 * first positional, accepts `-V`) or after it — checking every option against `known`.
 * With `trailing` (a command that takes a command line after `--`), a positional beyond
 * the `fixed` ones before `--` is refused where it stands, with the hint.
 */
const scanPosition = (
  tokens: ReadonlyArray<string>,
  start: number,
  known: ReadonlyArray<OptionSpec>,
  usage: string,
  root: boolean,
  trailing?: { readonly fixed: number; readonly hint: (token: string) => string }
): Either.Either<Position, UsageError> => {
  const fail = (detail: string) => Either.left(new UsageError({ detail, usage }))
  const seen = new Map<string, Occurrence>()
  const positionals: Array<string> = []
  let beforeDashes: number | undefined
  let i = start
  while (i < tokens.length) {
    const token = tokens[i] ?? ""
    if (root && (token === "-V" || token === "--version")) {
      seen.set("version", null)
      i++
      continue
    }
    if (token === "--" && !root) {
      beforeDashes = positionals.length
      positionals.push(...tokens.slice(i + 1))
      i = tokens.length
      break
    }
    if (!token.startsWith("-") || token === "-") {
      if (root) break
      if (trailing !== undefined && positionals.length >= trailing.fixed) {
        return fail(`unexpected argument '${token}' found\n${trailing.hint(token)}`)
      }
      positionals.push(token)
      i++
      continue
    }
    const eq = token.indexOf("=")
    const name = token.startsWith("--") ? token.slice(2, eq < 0 ? undefined : eq) : undefined
    const opt = known.find((o) => o.name === name)
    if (opt === undefined) {
      // A long option gets the closest known one as a hint, as clap gives it.
      const names = [...known.map((o) => o.name), "help", ...(root ? ["version"] : [])]
      const suggestion = name === undefined ? undefined : closest(name, names)
      return Either.left(
        new UsageError({
          detail: `unexpected argument '${eq < 0 ? token : token.slice(0, eq)}' found`,
          usage,
          suggestion: suggestion === undefined ? undefined : `--${suggestion}`
        })
      )
    }
    if (seen.has(opt.name)) return fail(`the argument '${display(opt)}' cannot be used multiple times`)
    if (opt.value === undefined) {
      if (eq >= 0) return fail(`unexpected value '${token.slice(eq + 1)}' for '${display(opt)}' found; no more were expected`)
      seen.set(opt.name, null)
      i++
      continue
    }
    const value = eq >= 0 ? token.slice(eq + 1) : tokens[i + 1]
    if (opt.valueOptional && eq < 0 && (value === undefined || value.startsWith("-"))) {
      seen.set(opt.name, null)
      i++
      continue
    }
    // A negative number is a number's (invalid) value, which its parser refuses in clap's words.
    const dashed = eq < 0 && value !== undefined && value.startsWith("-") && value !== "-" &&
      !(opt.numeric === true && /^-[0-9]+$/.test(value))
    if (value === undefined || dashed || (opt.path && value === "")) {
      return fail(`a value is required for '${display(opt)}' but none was supplied`)
    }
    seen.set(opt.name, value)
    i += eq >= 0 ? 1 : 2
  }
  return Either.right({ next: i, seen, positionals, beforeDashes: beforeDashes ?? positionals.length })
}

/**
 * Decides help/version/run for `argv` (without the node and script names). `env` supplies
 * the variables bound to path options: an empty one is a usage error, like an empty value.
 */
export const scan = (
  argv: ReadonlyArray<string>,
  commands: ReadonlyArray<CommandSpec>,
  env: Readonly<Record<string, string | undefined>> = {}
): Either.Either<Directive, UsageError> => {
  // Help wins over every other problem on the line (docs/cli.md); after `--` words are arguments.
  const dashes = argv.indexOf("--")
  const helpAt = (dashes < 0 ? argv : argv.slice(0, dashes)).findIndex(isHelp)
  if (helpAt >= 0) {
    return Either.right({ _tag: "Help", command: commands.find((c) => argv.slice(0, helpAt).includes(c.name)) })
  }
  const rootUsage = usageLine(undefined)
  return Either.gen(function*() {
    const before = yield* scanPosition(argv, 0, globalList, rootUsage, true)
    if (before.seen.has("version")) return { _tag: "Version" } as const
    const name = argv[before.next]
    if (name === undefined) return { _tag: "MissingCommand" } as const
    const unrecognized = (n: string) =>
      Either.left(
        new UsageError({
          detail: `unrecognized subcommand '${n}'`,
          usage: rootUsage,
          suggestion: closest(n, [...commands.map((c) => c.name), "help"])
        })
      )
    if (name === "help") {
      const [target, ...extra] = argv.slice(before.next + 1)
      if (target === undefined) return { _tag: "Help", command: undefined } as const
      const command = commands.find((c) => c.name === target)
      if (command === undefined) return yield* unrecognized(target)
      if (extra[0] !== undefined) return yield* unrecognized(extra[0])
      return { _tag: "Help", command } as const
    }
    const command = commands.find((c) => c.name === name)
    if (command === undefined) return yield* unrecognized(name)
    const usage = usageLine(command)
    const fail = (detail: string) => Either.left(new UsageError({ detail, usage }))
    // A trailing argument (`exec -- CMD ...`) takes every word after `--` and none before.
    const trailing = command.args.find((a) => a.trailing)
    const fixed = trailing === undefined ? command.args : command.args.filter((a) => !a.trailing)
    const after = yield* scanPosition(
      argv,
      before.next + 1,
      [...command.options, ...globalList],
      usage,
      false,
      trailing === undefined ? undefined : {
        fixed: fixed.length,
        hint: (token) => `hint: the command goes after '--': trop ${command.name} [OPTIONS] -- ${token} ...`
      }
    )
    // An empty variable bound to a path option (as trop 0.2.0, docs/compatibility.md): the command's own
    // (TROP_PATH) when its option is not given, then TROP_DATA_DIR even when --data-dir is.
    const emptyVariable = [
      ...command.options.filter((opt) => !after.seen.has(opt.name)),
      ...globalList
    ].find((opt) => opt.path && opt.env !== undefined && env[opt.env] === "")
    if (emptyVariable !== undefined) {
      return yield* fail(`a value is required for '${display(emptyVariable)}' but none was supplied`)
    }
    const given = trailing === undefined ? after.positionals : after.positionals.slice(0, after.beforeDashes)
    const extra = given[fixed.length]
    if (extra !== undefined) return yield* fail(`unexpected argument '${extra}' found`)
    const missing = fixed[given.length] ??
      (trailing !== undefined && after.positionals.length === after.beforeDashes ? trailing : undefined)
    if (missing !== undefined) {
      return yield* fail(
        `the following required arguments were not provided: <${missing.name}>${missing.trailing ? "..." : ""}`
      )
    }
    const missingOption = command.options.find((opt) => opt.required && !after.seen.has(opt.name))
    if (missingOption !== undefined) {
      return yield* fail(`the following required arguments were not provided: ${display(missingOption)}`)
    }
    for (const [a, b] of command.conflicts) {
      if (after.seen.has(a) && after.seen.has(b)) return yield* fail(`the argument '--${a}' cannot be used with '--${b}'`)
    }
    for (const [a, b] of command.requires) {
      if (after.seen.has(a) && !after.seen.has(b)) return yield* fail(`the argument '--${a}' requires '--${b}'`)
    }
    const used = (name: string) => before.seen.has(name) || after.seen.has(name)
    return {
      _tag: "Run",
      command,
      before: before.seen,
      after: after.seen,
      positionals: after.positionals,
      quiet: used("quiet"),
      verbose: used("verbose")
    } as const
  })
}
