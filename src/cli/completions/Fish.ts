import type { Model, Option, Value } from "./Model.js"
import { valued } from "./Model.js"

/**
 * The fish script. fish completes an option's value from that option's own entry; the
 * conditions come from `__trop_state`, which walks the words before the cursor as
 * Model.ts describes.
 */

const quote = (s: string) => `'${s.replaceAll("\\", "\\\\").replaceAll("'", "\\'")}'`

/** A subcommand name as a word: bare when it can be, `''` for the root. */
const word = (name: string) => /^[\w-]+$/.test(name) ? name : quote(name)

/** A condition: a function and its arguments, in double quotes (they hold no `$`, `"` or `\\`). */
const when = (...words: ReadonlyArray<string>) => `"${words.join(" ")}"`

/** The `complete` flags that offer `value`. */
const offer = (value: Value): string => {
  switch (value._tag) {
    case "Choices":
      return `-x -a ${quote(value.choices.join(" "))}`
    case "Directory":
      // The token without a leading `--opt=`, which fish keeps in front of the values itself.
      return `-x -a '(__fish_complete_directories (commandline -ct | string replace -r -- "^--[^=]*=" ""))'`
    case "File":
      return "-r -F"
    case "Text":
      return "-x"
  }
}

const optionLine = (condition: string, o: Option): string => {
  const name = o.flag.startsWith("--") ? `-l ${o.flag.slice(2)}` : `-s ${o.flag.slice(1)}`
  return `complete -c trop -n ${condition} ${name} -d ${quote(o.description)}${o.value === undefined ? "" : ` ${offer(o.value)}`}`
}

const valuedArms = (model: Model): string =>
  [
    ...model.commands.filter((c) => valued(c.options).length > 0).map((c) => ({ name: c.name, options: valued(c.options) })),
    { name: "", options: valued(model.root) }
  ].map(({ name, options }) =>
    `        case ${name === "" ? "''" : word(name)}
            contains -- $argv[2] ${options.map((o) => o.flag).join(" ")}`
  ).join("\n")

const trailingNames = (model: Model) => model.commands.filter((c) => c.trailing).map((c) => word(c.name)).join(" ")

const helpers = (model: Model): string => `# Whether option $argv[2] takes a value in subcommand $argv[1] (the root when empty).
function __trop_valued
    switch $argv[1]
${valuedArms(model)}
        case '*'
            return 1
    end
end

# Prints the subcommand (or ''), its arguments before \`--\`, the words after \`--\`, whether
# \`--\` was seen, and whether the word under the cursor would be an option's value.
function __trop_state
    set -l words (commandline -opc)
    set -e words[1]
    set -l sub ''
    set -l given 0
    set -l after 0
    set -l rest 0
    set -l pending 0
    for w in $words
        # A value never starts with -: the option's value was left out.
        if test $pending = 1; and not string match -q -- '-?*' $w
            set pending 0
            continue
        end
        set pending 0
        if test $rest = 1
            set after (math $after + 1)
        else if not string match -q -- '-?*' $w
            if test -z "$sub"
                set sub $w
            else
                set given (math $given + 1)
            end
        else if test "$w" = --
            test -n "$sub"; and set rest 1
        else if __trop_valued "$sub" $w
            set pending 1
        end
    end
    printf '%s\\n' $sub $given $after $rest $pending
end

# Whether the options of subcommand $argv[1] (the root when empty) apply.
function __trop_options_of
    set -l state (__trop_state)
    test "$state[1]" = "$argv[1]"; and test $state[4] = 0
end

# Whether the word under the cursor is argument number $argv[2] of subcommand $argv[1]
# (the root's argument is the subcommand).
function __trop_argument
    set -l state (__trop_state)
    test "$state[1]" = "$argv[1]"; and test $state[5] = 0; or return 1
    test $state[4] = 1; and contains -- $argv[1] ${trailingNames(model)}; and return 1
    test (math $state[2] + $state[3]) = $argv[2]
end

# Whether the word under the cursor is, after \`--\`, the command ($argv[2] = 0) or one of its
# arguments ($argv[2] = 1) of subcommand $argv[1].
function __trop_command_line
    set -l state (__trop_state)
    test "$state[1]" = "$argv[1]"; and test $state[4] = 1; or return 1
    test (math "min($state[3], 1)") = $argv[2]
end`

export const fish = (model: Model): string => {
  const lines = [
    "# fish completion for trop",
    helpers(model),
    "",
    "complete -c trop -f",
    ...model.root.map((o) => optionLine(when("__trop_options_of", "''"), o)),
    ...model.commands.map((c) => `complete -c trop -n ${when("__trop_argument", "''", "0")} -a ${word(c.name)} -d ${quote(c.description)}`)
  ]
  for (const c of model.commands) {
    const name = word(c.name)
    lines.push(...c.options.map((o) => optionLine(when("__trop_options_of", name), o)))
    c.args.forEach((a, i) => {
      if (a.value._tag !== "Text") lines.push(`complete -c trop -n ${when("__trop_argument", name, String(i))} ${offer(a.value)}`)
    })
    if (c.trailing) {
      lines.push(
        `complete -c trop -n ${when("__trop_command_line", name, "0")} -x -a '(__fish_complete_command)'`,
        `complete -c trop -n ${when("__trop_command_line", name, "1")} -F`
      )
    }
  }
  return lines.join("\n")
}
