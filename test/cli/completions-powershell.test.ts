import { describe, expect, it } from "vitest"
import { trop } from "../support/cli.js"

/**
 * The PowerShell script's structure, checked here because PowerShell is not packaged in
 * Debian; where `pwsh` is installed, completions-shells.test.ts completes with it live.
 */

/** The brackets of a PowerShell script outside strings and comments, checked for balance. */
const unbalanced = (script: string): string | undefined => {
  const closing: Record<string, string> = { "(": ")", "{": "}", "[": "]" }
  const stack: Array<string> = []
  for (let i = 0; i < script.length; i++) {
    const c = script[i] ?? ""
    if (c === "#") {
      i = script.indexOf("\n", i)
      if (i < 0) break
    } else if (c === "'" || c === "\"") {
      // In a single-quoted string, '' is a quote.
      let end = script.indexOf(c, i + 1)
      while (c === "'" && end >= 0 && script[end + 1] === "'") end = script.indexOf(c, end + 2)
      if (end < 0) return `unterminated string at offset ${i}`
      i = end
    } else if (c in closing) {
      stack.push(closing[c] ?? "")
    } else if (c === ")" || c === "}" || c === "]") {
      if (stack.pop() !== c) return `unexpected '${c}' at offset ${i}`
    }
  }
  return stack.length === 0 ? undefined : `unclosed: ${stack.join("")}`
}

describe("completions powershell", () => {
  const script = trop(["completions", "powershell"]).stdout

  it("registers a native completer for trop, with balanced brackets", () => {
    expect(script).toMatch(/^Register-ArgumentCompleter -Native -CommandName 'trop' -ScriptBlock \{$/m)
    expect(unbalanced(script)).toBeUndefined()
  })

  it("tables every subcommand with its options, their values and its arguments", () => {
    expect(script).toContain("'reserve' = 'Reserve a port for a directory'")
    expect(script).toContain("'help' = 'Print this message or the help of the given subcommand(s)'")
    expect(script).toContain(
      "@{ Flag = '--format'; Text = 'Output format'; Kind = 'choices'; Choices = @('table', 'json', 'csv', 'tsv') }"
    )
    expect(script).toContain("@{ Flag = '--data-dir'; Text = 'Override the data directory location'; Kind = 'dir'; Choices = @() }")
    expect(script).toContain("@{ Flag = '--tag'; Text = 'Service tag'; Kind = 'text'; Choices = @() }")
    expect(script).toContain("@{ Flag = '--quiet'; Text = 'Suppress non-essential output'; Kind = 'flag'; Choices = @() }")
    const args = script.slice(script.indexOf("$arguments = @{"), script.indexOf("$commands ="))
    expect(args).toMatch(/'validate' = @\(\s*@\{ Kind = 'file'; Choices = @\(\) \}\s*\)/)
    expect(args).toMatch(
      /'completions' = @\(\s*@\{ Kind = 'choices'; Choices = @\('bash', 'elvish', 'fish', 'powershell', 'zsh'\) \}\s*\)/
    )
  })

  it("walks the words before the cursor, skipping the values of options that take one", () => {
    expect(script).toContain("Where-Object { $_.Extent.EndOffset -lt $cursorPosition }")
    expect(script).toMatch(/\$option\.Kind -ne 'flag'\) \{ \$pending = \$option \}/)
  })
})
