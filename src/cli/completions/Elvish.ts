import type { Model, Option, Value } from "./Model.js"
import { choices, kind } from "./Model.js"

/**
 * The elvish script: tables of the subcommands, options and arguments, and a completer
 * that walks the words before the cursor as Model.ts describes. elvish itself keeps the
 * candidates that match the word under the cursor.
 */

const quote = (s: string) => `'${s.replaceAll("'", "''")}'`

/** `[kind choices...]`: what a value is completed with. */
const spec = (value: Value | undefined) => `[${[kind(value), ...choices(value)].map(quote).join(" ")}]`

const optionRow = (o: Option) => `[${quote(o.flag)} ${quote(o.description)} ${spec(o.value)}]`

const table = (rows: ReadonlyArray<readonly [string, ReadonlyArray<string>]>) =>
  `[\n${rows.map(([key, items]) => `        &${quote(key)}=[${items.map((i) => `\n            ${i}`).join("")}\n        ]`).join("\n")}\n    ]`

/** The display column of descriptions: past the longest option or subcommand. */
const width = (model: Model) =>
  Math.max(...[...model.root, ...model.commands.flatMap((c) => c.options)].map((o) => o.flag.length), ...model.commands.map((c) => c.name.length)) + 1

export const elvish = (model: Model): string => `# elvish completion for trop
use builtin
use path
use str

set edit:completion:arg-completer[trop] = {|@words|
    fn spaces {|n|
        builtin:repeat $n ' ' | str:join ''
    }
    fn cand {|text desc|
        edit:complex-candidate $text &display=$text' '(spaces (- ${width(model)} (wcswidth $text)))$desc
    }
    # Per subcommand ('' for the root): [flag description [kind choices...]], where kind
    # is flag, text, file, dir or choices.
    var options = ${table([["", model.root.map(optionRow)], ...model.commands.map((c) => [c.name, c.options.map(optionRow)] as const)])}
    var arguments = ${table(model.commands.map((c) => [c.name, c.args.map((a) => spec(a.value))] as const))}
    var trailing = [${model.commands.filter((c) => c.trailing).map((c) => quote(c.name)).join(" ")}]
    var commands = [${model.commands.map((c) => `\n        [${quote(c.name)} ${quote(c.description)}]`).join("")}
    ]

    fn option-of {|sub flag|
        for o $options[$sub] {
            if (eq $o[0] $flag) { put $o }
        }
    }
    # Candidates for a value: the prefix is a leading \`--opt=\` kept in front of them.
    fn offer {|value seed prefix|
        var k = $value[0]
        if (eq $k choices) {
            for c $value[1..] { edit:complex-candidate $prefix$c }
        } elif (or (eq $k file) (eq $k dir)) {
            edit:complete-filename $seed | each {|c|
                if (or (eq $k file) (path:is-dir $c[stem])) {
                    edit:complex-candidate $prefix$c[stem] &code-suffix=$c[code-suffix] &display=$c[stem]
                }
            }
        }
    }
    fn offer-options {|sub|
        for o $options[$sub] { cand $o[0] $o[1] }
    }

    var sub = ''
    var given = 0
    var rest = $false
    var line = []
    var pending = ''
    for w $words[1..-1] {
        var option-like = (and (str:has-prefix $w -) (not-eq $w -))
        # A value never starts with -: the option's value was left out.
        if (and (not-eq $pending '') (not $option-like)) {
            set pending = ''
            continue
        }
        set pending = ''
        if $rest {
            set line = [$@line $w]
        } elif (not $option-like) {
            if (eq $sub '') { set sub = $w } else { set given = (+ $given 1) }
            if (not (has-key $options $sub)) { return }
        } elif (eq $w --) {
            if (not-eq $sub '') { set rest = $true }
        } elif (> (count [(option-of $sub $w)]) 0) {
            if (not-eq (option-of $sub $w)[2][0] flag) { set pending = $w }
        }
    }
    var seed = $words[-1]
    var seed-option-like = (and (str:has-prefix $seed -) (not-eq $seed -))
    if (and (not-eq $pending '') (not $seed-option-like)) {
        offer (option-of $sub $pending)[2] $seed ''
    } elif (and (not $rest) (str:has-prefix $seed --) (str:contains $seed =)) {
        var flag value = (str:split &max=2 = $seed)
        if (> (count [(option-of $sub $flag)]) 0) {
            offer (option-of $sub $flag)[2] $value $flag'='
        }
    } elif (and (not $rest) $seed-option-like) {
        offer-options $sub
    } elif (eq $sub '') {
        for c $commands { cand $c[0] $c[1] }
    } elif (and $rest (has-value $trailing $sub)) {
        # A command line: the command, then what that command completes.
        edit:complete-sudo trop $@line $seed
    } elif (< (+ $given (count $line)) (count $arguments[$sub])) {
        offer $arguments[$sub][(+ $given (count $line))] $seed ''
    } elif (not $rest) {
        offer-options $sub
    }
}`
