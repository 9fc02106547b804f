import type { CommandSpec } from "./Definition.js"
import { globalList } from "./Globals.js"
import type { Opt } from "./Opt.js"

/**
 * Shell completion scripts for the command `trop` (D6), generated from the same command
 * declarations as help and parsing, so they always list the real subcommands and options.
 */

export const SHELLS = ["bash", "zsh", "fish"] as const
export type CompletionShell = typeof SHELLS[number]

const optionWords = (options: ReadonlyArray<Opt<unknown>>) => options.map((o) => `--${o.name}`).join(" ")

const bash = (commands: ReadonlyArray<CommandSpec>): string => {
  const cases = commands.map((c) => `    ${c.name}) opts="${optionWords(c.options)}" ;;`).join("\n")
  const pathOptions = [...new Set([...globalList, ...commands.flatMap((c) => c.options)].filter((o) => o.path).map((o) => `--${o.name}`))]
  return `_trop() {
  local cur prev sub i opts
  cur="\${COMP_WORDS[COMP_CWORD]}"
  prev="\${COMP_WORDS[COMP_CWORD-1]}"
  case "$prev" in
    ${pathOptions.join("|")}) COMPREPLY=($(compgen -f -- "$cur")); return ;;
  esac
  sub=""
  for ((i = 1; i < COMP_CWORD; i++)); do
    case "\${COMP_WORDS[i]}" in
      -*) ;;
      *) sub="\${COMP_WORDS[i]}"; break ;;
    esac
  done
  if [ -z "$sub" ]; then
    COMPREPLY=($(compgen -W "${commands.map((c) => c.name).join(" ")} help ${optionWords(globalList)} --help --version" -- "$cur"))
    return
  fi
  case "$sub" in
${cases}
    *) opts="" ;;
  esac
  COMPREPLY=($(compgen -W "$opts ${optionWords(globalList)} --help" -- "$cur"))
}
complete -F _trop trop`
}

const zshText = (text: string) => text.replaceAll("\\", "\\\\").replaceAll("'", "'\\''").replaceAll("[", "\\[").replaceAll("]", "\\]").replaceAll(":", "\\:")

const zshOption = (o: Opt<unknown>) =>
  `'--${o.name}[${zshText(o.description)}]${o.value === undefined ? "" : `:${o.value.toLowerCase()}:${o.path ? "_files" : " "}`}'`

const zsh = (commands: ReadonlyArray<CommandSpec>): string => {
  const described = commands.map((c) => `    '${c.name}:${zshText(c.description)}'`).join("\n")
  const cases = commands.map((c) =>
    `        ${c.name}) _arguments ${[...c.options, ...globalList].map(zshOption).join(" ")} ${
      c.args.map((a) => `':${a.name.toLowerCase()}:_files'`).join(" ")
    } ;;`
  ).join("\n")
  return `#compdef trop
_trop() {
  local -a commands
  commands=(
${described}
  )
  local curcontext="$curcontext" state line
  _arguments -C ${globalList.map(zshOption).join(" ")} '(-h --help)'{-h,--help}'[Print help]' '(-V --version)'{-V,--version}'[Print version]' '1: :->command' '*:: :->argument'
  case $state in
    command) _describe -t commands 'trop command' commands ;;
    argument)
      case $words[1] in
${cases}
      esac ;;
  esac
}
if [ "$funcstack[1]" = "_trop" ]; then
  _trop "$@"
else
  compdef _trop trop
fi`
}

const fishText = (text: string) => `'${text.replaceAll("\\", "\\\\").replaceAll("'", "\\'")}'`

const fish = (commands: ReadonlyArray<CommandSpec>): string => {
  const lines = ["complete -c trop -f"]
  for (const c of commands) {
    lines.push(`complete -c trop -n '__fish_use_subcommand' -a ${c.name} -d ${fishText(c.description)}`)
  }
  for (const o of globalList) {
    lines.push(`complete -c trop -l ${o.name} -d ${fishText(o.description)}${o.value === undefined ? "" : o.path ? " -r -F" : " -r"}`)
  }
  for (const c of commands) {
    for (const o of c.options) {
      lines.push(
        `complete -c trop -n '__fish_seen_subcommand_from ${c.name}' -l ${o.name} -d ${fishText(o.description)}${
          o.value === undefined ? "" : o.path ? " -r -F" : " -r"
        }`
      )
    }
  }
  return lines.join("\n")
}

export const script = (shell: CompletionShell, commands: ReadonlyArray<CommandSpec>): string =>
  shell === "bash" ? bash(commands) : shell === "zsh" ? zsh(commands) : fish(commands)

/** The stderr instructions printed before the script (cli.md §9.22). */
export const instructions = (shell: CompletionShell): ReadonlyArray<string> => [
  `# Generating ${shell} completion script`,
  "# Run the following command to enable completions:",
  ...(shell === "bash"
    ? [
      "#   trop completions bash > ~/.local/share/bash-completion/completions/trop",
      "# Or source it directly in ~/.bashrc:",
      "#   eval \"$(trop completions bash)\""
    ]
    : shell === "zsh"
    ? [
      "#   trop completions zsh > ~/.zsh/completions/_trop",
      "# Make sure ~/.zsh/completions is in your $fpath",
      "# Or add to ~/.zshrc:",
      "#   eval \"$(trop completions zsh)\""
    ]
    : [
      "#   trop completions fish > ~/.config/fish/completions/trop.fish",
      "# Or add to config.fish:",
      "#   trop completions fish | source"
    ]),
  ""
]
