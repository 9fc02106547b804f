import type { ArgumentSpec, CommandSpec, OptionSpec } from "../Definition.js"
import { globalList } from "../Globals.js"

/**
 * What every completion script knows about the command line, derived from the command
 * declarations (the same ones help and parsing use), so a command or option added there
 * is completed in every shell without touching the generators.
 *
 * The scripts walk the words before the cursor as the pre-scan (Argv.ts) does: an option
 * with a value consumes the next word unless that word starts with `-` (a required value
 * cannot, an optional one is then left out); the first other word is the subcommand,
 * later ones its arguments; `--` ends the options, and a trailing argument takes every
 * word after it: a command, then that command's arguments (files).
 */

/** What to offer for an option value or a positional argument. */
export type Value =
  | { readonly _tag: "Choices"; readonly choices: ReadonlyArray<string> }
  | { readonly _tag: "Directory" }
  | { readonly _tag: "File" }
  | { readonly _tag: "Text" }

export interface Option {
  /** `--tag`, or `-h`/`-V` for the short help and version flags. */
  readonly flag: string
  readonly description: string
  /** Absent for flags. */
  readonly value: Value | undefined
  /** The value's name in help (`PATH`), empty for flags. */
  readonly placeholder: string
  /** The value may be left out (`--group` or `--group FILE`). */
  readonly optional: boolean
}

export interface Argument {
  readonly name: string
  readonly value: Value
}

export interface Command {
  readonly name: string
  readonly description: string
  /** Its own options, then the global ones, then `-h`/`--help`. */
  readonly options: ReadonlyArray<Option>
  /** The positional arguments before `--` (or after it, without a trailing argument). */
  readonly args: ReadonlyArray<Argument>
  /** Whether the words after `--` are a command line (`exec -- CMD ARGS...`). */
  readonly trailing: boolean
}

export interface Model {
  /** What is accepted before the subcommand: the global options, help and version. */
  readonly root: ReadonlyArray<Option>
  /** Every subcommand, `help` last (its argument is a subcommand name). */
  readonly commands: ReadonlyArray<Command>
}

// Opt.choice and the `completions` argument list their values in the description, as help shows.
const POSSIBLE = /\s*\[possible values: ([^\]]*)\]$/

const choicesIn = (description: string): ReadonlyArray<string> | undefined =>
  POSSIBLE.exec(description)?.[1]?.split(",").map((c) => c.trim()).filter((c) => c !== "")

const plain = (description: string) => description.replace(POSSIBLE, "")

/** A value named `FILE`/`…_PATH`/`PATH` (arguments) is a file; other path options name directories. */
const optionValue = (o: OptionSpec): Value | undefined => {
  if (o.value === undefined) return undefined
  const choices = choicesIn(o.description)
  if (choices !== undefined) return { _tag: "Choices", choices }
  if (/FILE$/.test(o.value)) return { _tag: "File" }
  return o.path ? { _tag: "Directory" } : { _tag: "Text" }
}

/** Positionals named `…PATH`/`…FILE` are files (`CONFIG_PATH`, compact-exclusions' `PATH`). */
const argumentValue = (a: ArgumentSpec): Value => {
  const choices = choicesIn(a.description)
  if (choices !== undefined) return { _tag: "Choices", choices }
  return /(PATH|FILE)$/.test(a.name) ? { _tag: "File" } : { _tag: "Text" }
}

const option = (o: OptionSpec): Option => ({
  flag: `--${o.name}`,
  description: plain(o.description),
  value: optionValue(o),
  placeholder: o.value ?? "",
  optional: o.valueOptional
})

const flagOf = (flag: string, description: string): Option => ({
  flag,
  description,
  value: undefined,
  placeholder: "",
  optional: false
})

const HELP = [flagOf("-h", "Print help"), flagOf("--help", "Print help")]
const VERSION = [flagOf("-V", "Print version"), flagOf("--version", "Print version")]

export const HELP_COMMAND_DESCRIPTION = "Print this message or the help of the given subcommand(s)"

export const model = (specs: ReadonlyArray<CommandSpec>): Model => {
  const globals = globalList.map(option)
  const commands: Array<Command> = specs.map((c) => ({
    name: c.name,
    description: c.description,
    options: [...c.options.map(option), ...globals, ...HELP],
    args: c.args.filter((a) => !a.trailing).map((a) => ({ name: a.name, value: argumentValue(a) })),
    trailing: c.args.some((a) => a.trailing)
  }))
  commands.push({
    name: "help",
    description: HELP_COMMAND_DESCRIPTION,
    options: [],
    args: [{ name: "COMMAND", value: { _tag: "Choices", choices: specs.map((c) => c.name) } }],
    trailing: false
  })
  return { root: [...globals, ...HELP, ...VERSION], commands }
}

export type Valued = Option & { readonly value: Value }

/** The options that take a value. */
export const valued = (options: ReadonlyArray<Option>): ReadonlyArray<Valued> =>
  options.filter((o): o is Valued => o.value !== undefined)

/** The names the elvish and PowerShell scripts use in their tables. */
export const kind = (value: Value | undefined): "flag" | "choices" | "dir" | "file" | "text" =>
  value === undefined
    ? "flag"
    : value._tag === "Choices"
    ? "choices"
    : value._tag === "Directory"
    ? "dir"
    : value._tag === "File"
    ? "file"
    : "text"

export const choices = (value: Value | undefined): ReadonlyArray<string> => value?._tag === "Choices" ? value.choices : []
