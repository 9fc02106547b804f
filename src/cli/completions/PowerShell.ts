import type { Model, Option, Value } from "./Model.js"
import { choices, kind } from "./Model.js"

/**
 * The PowerShell script: tables of the subcommands, options and arguments, and a native
 * argument completer that walks the words before the cursor as Model.ts describes.
 */

const quote = (s: string) => `'${s.replaceAll("'", "''")}'`

const list = (items: ReadonlyArray<string>) => `@(${items.map(quote).join(", ")})`

const value = (v: Value | undefined) => `Kind = ${quote(kind(v))}; Choices = ${list(choices(v))}`

const optionRow = (o: Option) => `@{ Flag = ${quote(o.flag)}; Text = ${quote(o.description)}; ${value(o.value)} }`

const table = (rows: ReadonlyArray<readonly [string, ReadonlyArray<string>]>) =>
  `@{\n${rows.map(([key, items]) => `        ${quote(key)} = @(${items.map((i) => `\n            ${i}`).join("")}\n        )`).join("\n")}\n    }`

export const powershell = (model: Model): string => `# PowerShell completion for trop
using namespace System.Management.Automation
using namespace System.Management.Automation.Language

Register-ArgumentCompleter -Native -CommandName 'trop' -ScriptBlock {
    param($wordToComplete, $commandAst, $cursorPosition)

    # Per subcommand ('' for the root); Kind is flag, text, file, dir or choices.
    $options = ${table([["", model.root.map(optionRow)], ...model.commands.map((c) => [c.name, c.options.map(optionRow)] as const)])}
    $arguments = ${table(model.commands.map((c) => [c.name, c.args.map((a) => `@{ ${value(a.value)} }`)] as const))}
    $trailing = ${list(model.commands.filter((c) => c.trailing).map((c) => c.name))}
    $commands = [ordered]@{${model.commands.map((c) => `\n        ${quote(c.name)} = ${quote(c.description)}`).join("")}
    }

    function OptionOf([string] $sub, [string] $flag) {
        $options[$sub] | Where-Object { $_.Flag -ceq $flag } | Select-Object -First 1
    }
    # Candidates for a value; $prefix is a leading \`--opt=\` kept in front of them.
    function Offer($value, [string] $seed, [string] $prefix) {
        switch ($value.Kind) {
            'choices' {
                $value.Choices | Where-Object { $_.StartsWith($seed, [StringComparison]::OrdinalIgnoreCase) } |
                    ForEach-Object { [CompletionResult]::new("$prefix$_", $_, [CompletionResultType]::ParameterValue, $_) }
            }
            { $_ -eq 'file' -or $_ -eq 'dir' } {
                [CompletionCompleters]::CompleteFilename($seed) |
                    Where-Object { $value.Kind -eq 'file' -or $_.ResultType -eq [CompletionResultType]::ProviderContainer } |
                    ForEach-Object { [CompletionResult]::new("$prefix$($_.CompletionText)", $_.ListItemText, $_.ResultType, $_.ToolTip) }
            }
        }
    }
    function OfferOptions([string] $sub) {
        $options[$sub] | Where-Object { $_.Flag.StartsWith($wordToComplete, [StringComparison]::Ordinal) } |
            ForEach-Object { [CompletionResult]::new($_.Flag, $_.Flag, [CompletionResultType]::ParameterName, $_.Text) }
    }

    # The words before the one under the cursor, without the command name.
    $words = @($commandAst.CommandElements | Select-Object -Skip 1 |
        Where-Object { $_.Extent.EndOffset -lt $cursorPosition } |
        ForEach-Object { if ($_ -is [StringConstantExpressionAst]) { $_.Value } else { $_.Extent.Text } })
    $sub = ''
    $given = 0
    $rest = $false
    $line = 0
    $pending = $null
    foreach ($w in $words) {
        $optionLike = $w.StartsWith('-') -and $w -ne '-'
        # A value never starts with -: the option's value was left out.
        if ($null -ne $pending -and -not $optionLike) {
            $pending = $null
            continue
        }
        $pending = $null
        if ($rest) {
            $line++
        } elseif (-not $optionLike) {
            if ($sub -eq '') { $sub = $w } else { $given++ }
            if (-not $options.ContainsKey($sub)) { return }
        } elseif ($w -eq '--') {
            if ($sub -ne '') { $rest = $true }
        } else {
            $option = OptionOf $sub $w
            if ($null -ne $option -and $option.Kind -ne 'flag') { $pending = $option }
        }
    }
    $seed = "$wordToComplete"
    $seedOptionLike = $seed.StartsWith('-') -and $seed -ne '-'
    if ($null -ne $pending -and -not $seedOptionLike) {
        Offer $pending $seed ''
    } elseif (-not $rest -and $seed.StartsWith('--') -and $seed.Contains('=')) {
        $flag = $seed.Substring(0, $seed.IndexOf('='))
        $option = OptionOf $sub $flag
        if ($null -ne $option) { Offer $option $seed.Substring($flag.Length + 1) "$flag=" }
    } elseif (-not $rest -and $seedOptionLike) {
        OfferOptions $sub
    } elseif ($sub -eq '') {
        $commands.GetEnumerator() | Where-Object { $_.Key.StartsWith($seed, [StringComparison]::Ordinal) } |
            ForEach-Object { [CompletionResult]::new($_.Key, $_.Key, [CompletionResultType]::ParameterValue, $_.Value) }
    } elseif ($rest -and $trailing -contains $sub) {
        # A command line: the command, then its arguments.
        if ($line -eq 0) { [CompletionCompleters]::CompleteCommand($seed) } else { Offer @{ Kind = 'file' } $seed '' }
    } elseif ($given + $line -lt $arguments[$sub].Count) {
        Offer $arguments[$sub][$given + $line] $seed ''
    } elseif (-not $rest) {
        OfferOptions $sub
    }
}`
