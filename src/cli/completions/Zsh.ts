import type { Argument, Command, Model, Option, Value } from "./Model.js"

/**
 * The zsh script, built on `_arguments`, which itself consumes option values and handles
 * `--opt=value`: global options are specs at the root and in every subcommand. The root
 * hands everything after the subcommand name (`*:::`) to the subcommand's `_arguments`,
 * so the root's own specs never claim a global option given after the name.
 */

/** Text inside a single-quoted `_arguments` spec. */
const quote = (s: string) => s.replaceAll("'", "'\\''")

/** A description inside `[...]`. */
const bracketed = (s: string) => quote(s.replaceAll("\\", "\\\\").replaceAll("[", "\\[").replaceAll("]", "\\]").replaceAll(":", "\\:"))

/** A message or word inside a `:message:action` spec. */
const field = (s: string) => quote(s.replaceAll("\\", "\\\\").replaceAll(":", "\\:"))

const action = (value: Value): string => {
  switch (value._tag) {
    case "Choices":
      return `(${value.choices.map((c) => field(c.replace(/[ ()\\]/g, "\\$&"))).join(" ")})`
    case "Directory":
      return "_files -/"
    case "File":
      return "_files"
    case "Text":
      // A single space: show the message, offer nothing.
      return " "
  }
}

const optionSpec = (o: Option): string =>
  o.value === undefined
    ? `'${o.flag}[${bracketed(o.description)}]'`
    : `'${o.flag}=[${bracketed(o.description)}]${o.optional ? "::" : ":"}${field(o.placeholder)}:${action(o.value)}'`

const argumentSpec = (a: Argument): string => `':${field(a.name)}:${action(a.value)}'`

const continued = (specs: ReadonlyArray<string>, indent: string) => specs.map((s) => ` \\\n${indent}${s}`).join("")

/**
 * The words after `--` of a command with a trailing argument are a command line, which
 * `_normal` completes (the command, then its own completion); before `--` only options.
 */
const commandArm = (c: Command): string => {
  const indent = "            "
  const specs = [...c.options.map(optionSpec), ...c.args.map(argumentSpec)]
  const call = (extra: ReadonlyArray<string>, flags: string) => `_arguments ${flags} :${continued([...specs, ...extra], indent)} && ret=0`
  return c.trailing
    ? `        (${c.name})
          if (( \${\${(@)words[1,CURRENT-1]}[(I)--]} )); then
            ${call(["'*:::command:_normal'"], "-S")}
          else
            ${call([], "-s -S")}
          fi
          ;;`
    : `        (${c.name})
          ${call([], "-s -S")}
          ;;`
}

export const zsh = (model: Model): string => `#compdef trop
# zsh completion for trop

_trop_commands() {
  local -a commands
  commands=(${model.commands.map((c) => `\n    '${quote(c.name.replaceAll(":", "\\:"))}:${quote(c.description)}'`).join("")}
  )
  _describe -t commands 'trop command' commands
}

_trop() {
  local curcontext=$curcontext state state_descr line ret=1
  typeset -A opt_args
  _arguments -s -S -C :${continued([...model.root.map(optionSpec), "':command:_trop_commands'", "'*::: :->command'"], "    ")} && ret=0
  case $state in
    (command)
      # The words of the subcommand: its name, then what follows it.
      words=($line[1] "\${words[@]}")
      (( CURRENT += 1 ))
      curcontext=\${curcontext%:*:*}:trop-$words[1]:
      case $words[1] in
${model.commands.map(commandArm).join("\n")}
      esac
      ;;
  esac
  return $ret
}

if [ "$funcstack[1]" = "_trop" ]; then
  _trop "$@"
else
  compdef _trop trop
fi`
