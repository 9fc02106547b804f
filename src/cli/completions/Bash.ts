import type { Command, Model, Option, Value } from "./Model.js"
import { valued } from "./Model.js"

/**
 * The bash script. `_trop` walks the words before the cursor as Model.ts describes; bash
 * splits `--opt=value` into `--opt`, `=`, `value`.
 */

/** A single-quoted bash word. */
const quote = (s: string) => `'${s.replaceAll("'", "'\\''")}'`

const words = (options: ReadonlyArray<Option>) => options.map((o) => o.flag).join(" ")

/** The commands that complete `value` (the word being completed is `$cur`). */
const complete = (value: Value): string => {
  switch (value._tag) {
    case "Choices":
      return `_trop_words ${quote(value.choices.join(" "))}`
    case "Directory":
      return "_trop_paths -d"
    case "File":
      return "_trop_paths -f"
    case "Text":
      return "COMPREPLY=()"
  }
}

const arm = (pattern: string, body: string) => `    ${pattern}) ${body} ;;`

/** `_trop_valued SUB OPTION`: whether OPTION takes a value in SUB (the root when empty). */
const valuedFunction = (model: Model): string => {
  const arms = model.commands
    .filter((c) => valued(c.options).length > 0)
    .map((c) => arm(quote(c.name), `case $2 in ${valued(c.options).map((o) => o.flag).join("|")}) return 0 ;; esac`))
  const root = valued(model.root)
  if (root.length > 0) arms.push(arm("''", `case $2 in ${root.map((o) => o.flag).join("|")}) return 0 ;; esac`))
  return `_trop_valued() {
  case $1 in
${arms.join("\n")}
  esac
  return 1
}`
}

/** `_trop_value SUB OPTION`: completes the value of OPTION. */
const valueFunction = (model: Model): string => {
  const arms = [
    ...model.commands.flatMap((c) => valued(c.options).map((o) => arm(`${quote(c.name)}:${o.flag}`, complete(o.value)))),
    ...valued(model.root).map((o) => arm(`'':${o.flag}`, complete(o.value)))
  ]
  return `_trop_value() {
  case $1:$2 in
${arms.join("\n")}
    *) COMPREPLY=() ;;
  esac
}`
}

/** `_trop_argument SUB N`: completes positional N of SUB; fails when SUB has no such slot. */
const argumentFunction = (commands: ReadonlyArray<Command>): string => {
  const arms = commands.flatMap((c) => c.args.map((a, i) => arm(`${quote(c.name)}:${i}`, complete(a.value))))
  return `_trop_argument() {
  case $1:$2 in
${arms.join("\n")}
    *) return 1 ;;
  esac
}`
}

/** `_trop_trailing SUB`: whether the words after `--` are a command line in SUB. */
const trailingFunction = (commands: ReadonlyArray<Command>): string => {
  const names = commands.filter((c) => c.trailing).map((c) => quote(c.name))
  return `_trop_trailing() {${names.length === 0 ? "" : `
  case $1 in
    ${names.join("|")}) return 0 ;;
  esac`}
  return 1
}`
}

/** `_trop_options SUB`: the options of SUB, or of the root when SUB is empty. */
const optionsFunction = (model: Model): string => {
  const arms = [
    ...model.commands.map((c) => arm(quote(c.name), `_trop_words ${quote(words(c.options))}`)),
    arm("''", `_trop_words ${quote(words(model.root))}`)
  ]
  return `_trop_options() {
  case $1 in
${arms.join("\n")}
    *) COMPREPLY=() ;;
  esac
}`
}

export const bash = (model: Model): string => `# bash completion for trop
_trop_words() {
  local w
  COMPREPLY=()
  while IFS= read -r w; do COMPREPLY+=("$prefix$w"); done < <(compgen -W "$1" -- "$cur")
}

# -d: directories, -f: files and directories, -c: commands.
_trop_paths() {
  local w
  COMPREPLY=()
  [[ $1 == -c ]] || compopt -o filenames 2>/dev/null
  while IFS= read -r w; do COMPREPLY+=("$prefix$w"); done < <(compgen "$1" -- "$cur")
}

${valuedFunction(model)}

${valueFunction(model)}

${argumentFunction(model.commands)}

${optionsFunction(model)}

${trailingFunction(model.commands)}

_trop() {
  local cur=\${COMP_WORDS[COMP_CWORD]} prefix="" sub="" pending="" w i
  local -i given=0 after=0 rest=0
  for ((i = 1; i < COMP_CWORD; i++)); do
    w=\${COMP_WORDS[i]}
    if [[ -n $pending && ( $w != -* || $w == - ) ]]; then
      [[ $w == = ]] || pending=""
      continue
    fi
    pending=""
    if ((rest)); then
      after+=1
    elif [[ $w != -* || $w == - ]]; then
      if [[ -z $sub ]]; then sub=$w; else given+=1; fi
    elif [[ $w == -- ]]; then
      [[ -n $sub ]] && rest=1
    elif _trop_valued "$sub" "$w"; then
      pending=$w
    fi
  done
  if [[ -n $pending && ( $cur != -* || $cur == - ) ]]; then
    [[ $cur == = ]] && cur=""
    _trop_value "$sub" "$pending"
  elif ((!rest)) && [[ $cur == --*=* ]] && _trop_valued "$sub" "\${cur%%=*}"; then
    prefix="\${cur%%=*}="
    pending=\${cur%%=*}
    cur=\${cur#*=}
    _trop_value "$sub" "$pending"
  elif ((!rest)) && [[ $cur == -* ]]; then
    _trop_options "$sub"
  elif [[ -z $sub ]]; then
    _trop_words ${quote(model.commands.map((c) => c.name).join(" "))}
  elif ((rest)) && _trop_trailing "$sub"; then
    # A command, then its arguments.
    if ((after == 0)); then _trop_paths -c; else _trop_paths -f; fi
  elif ! _trop_argument "$sub" $((given + after)); then
    if ((rest)); then COMPREPLY=(); else _trop_options "$sub"; fi
  fi
}
complete -F _trop trop`
