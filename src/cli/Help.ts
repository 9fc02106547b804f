import type { ArgumentSpec, CommandSpec, OptionSpec } from "./Definition.js"
import { globalList } from "./Globals.js"

/**
 * Help text, plain (no ANSI escapes whether or not stdout is a terminal, docs/cli.md), in the
 * layout users know from clap-based tools such as trop 0.2.0.
 */

export const ROOT_DESCRIPTION = "Manage ephemeral port reservations"

const argument = (a: ArgumentSpec) => a.trailing ? `<${a.name}>...` : `<${a.name}>`

/** `trop reserve [OPTIONS]`, `trop validate [OPTIONS] <CONFIG_PATH>`, `trop exec [OPTIONS] -- <COMMAND>...`, or the root's. */
export const usageLine = (command: CommandSpec | undefined): string =>
  command === undefined
    ? "trop [OPTIONS] <COMMAND>"
    : ["trop", command.name, "[OPTIONS]", ...command.args.map((a) => a.trailing ? `-- ${argument(a)}` : argument(a))].join(" ")

const table = (rows: ReadonlyArray<readonly [string, string]>): Array<string> => {
  const width = Math.max(...rows.map(([left]) => left.length))
  return rows.map(([left, right]) => `  ${left.padEnd(width)}  ${right}`.trimEnd())
}

const optionRow = (opt: OptionSpec): readonly [string, string] => [
  `    --${opt.name}${opt.value === undefined ? "" : opt.valueOptional ? ` [<${opt.value}>]` : ` <${opt.value}>`}`,
  opt.env === undefined ? opt.description : `${opt.description} [env: ${opt.env}]`
]

/** The full help of the root (`command` undefined) or of one subcommand. */
export const render = (command: CommandSpec | undefined, commands: ReadonlyArray<CommandSpec>): string => {
  const lines: Array<string> = [command?.description ?? ROOT_DESCRIPTION, "", `Usage: ${usageLine(command)}`, ""]
  if (command === undefined) {
    lines.push(
      "Commands:",
      ...table([
        ...commands.map((c) => [c.name, c.description] as const),
        ["help", "Print this message or the help of the given subcommand(s)"]
      ]),
      ""
    )
  } else if (command.args.length > 0) {
    lines.push("Arguments:", ...table(command.args.map((a) => [argument(a), a.description] as const)), "")
  }
  const options = command === undefined ? globalList : [...command.options, ...globalList]
  lines.push(
    "Options:",
    ...table([
      ...options.map(optionRow),
      ["-h, --help", "Print help"],
      ...(command === undefined ? [["-V, --version", "Print version"] as const] : [])
    ])
  )
  return lines.join("\n") + "\n"
}
