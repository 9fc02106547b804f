import { spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { describe, expect, it } from "vitest"
import { tempDir, trop } from "../support/cli.js"
import { has } from "./_completion.js"

const SHELLS = ["bash", "elvish", "fish", "powershell", "zsh"]

const SUBCOMMANDS = [
  "reserve", "release", "list", "reserve-group", "autoreserve", "prune", "expire", "autoclean",
  "assert-reservation", "assert-port", "assert-data-dir", "port-info", "show-data-dir", "show-path",
  "scan", "validate", "exclude", "compact-exclusions", "init", "list-projects", "migrate", "completions"
]

const header = (shell: string) => [`# Generating ${shell} completion script`, "# Run the following command to enable completions:"]

describe("completions", () => {
  it("bash: instructions on stderr, a script for the command trop on stdout", () => {
    const r = trop(["completions", "bash"])
    expect(r.code).toBe(0)
    expect(r.stderr).toBe([
      ...header("bash"),
      "#   trop completions bash > ~/.local/share/bash-completion/completions/trop",
      "# Or source it directly in ~/.bashrc:",
      "#   eval \"$(trop completions bash)\"",
      "",
      ""
    ].join("\n"))
    expect(r.stdout).toMatch(/^complete -F _trop trop$/m)
  })

  it("bash registers _trop for trop (complete -p)", () => {
    const dir = tempDir()
    const file = path.join(dir, "trop.bash")
    fs.writeFileSync(file, trop(["completions", "bash"]).stdout)
    const r = spawnSync("bash", ["-c", `source ${file} && complete -p trop`], { encoding: "utf8" })
    expect(r.stdout.trim()).toBe("complete -F _trop trop")
    fs.rmSync(dir, { recursive: true, force: true })
  })

  it("zsh, fish, powershell and elvish: their instructions", () => {
    const lines = (shell: string) => trop(["completions", shell]).stderr.split("\n")
    expect(lines("zsh")).toEqual([
      ...header("zsh"),
      "#   trop completions zsh > ~/.zsh/completions/_trop",
      "# Make sure ~/.zsh/completions is in your $fpath",
      "# Or add to ~/.zshrc:",
      "#   eval \"$(trop completions zsh)\"",
      "",
      ""
    ])
    expect(lines("fish")).toEqual([
      ...header("fish"),
      "#   trop completions fish > ~/.config/fish/completions/trop.fish",
      "# Or add to config.fish:",
      "#   trop completions fish | source",
      "",
      ""
    ])
    expect(lines("powershell")).toEqual([
      ...header("powershell"),
      "#   trop completions powershell > $PROFILE",
      "# Or run:",
      "#   trop completions powershell | Out-String | Invoke-Expression",
      "",
      ""
    ])
    expect(lines("elvish")).toEqual([
      ...header("elvish"),
      "#   trop completions elvish > ~/.config/elvish/lib/trop.elv",
      "# and add to ~/.config/elvish/rc.elv:",
      "#   use trop",
      "",
      ""
    ])
  })

  it("every script is for the command trop and names every subcommand", () => {
    const registration: Record<string, RegExp> = {
      bash: /^complete -F _trop trop$/m,
      zsh: /^#compdef trop\n[\s\S]*compdef _trop trop/,
      fish: /^complete -c trop -f$/m,
      powershell: /^Register-ArgumentCompleter -Native -CommandName 'trop' -ScriptBlock \{$/m,
      elvish: /^set edit:completion:arg-completer\[trop\] = \{\|@words\|$/m
    }
    for (const shell of SHELLS) {
      const r = trop(["completions", shell])
      expect(r.code).toBe(0)
      expect(r.stdout).toMatch(registration[shell]!)
      expect(r.stdout).not.toContain("trop-cli")
      for (const name of [...SUBCOMMANDS, "help"]) expect(r.stdout, `${shell}: ${name}`).toContain(name)
    }
  })

  it("zsh and fish accept their scripts (-n)", () => {
    for (const shell of ["zsh", "fish"]) {
      if (!has(shell)) {
        console.warn(`completions: ${shell} syntax check skipped: ${shell} is not installed`)
        continue
      }
      const dir = tempDir()
      const file = path.join(dir, `trop.${shell}`)
      fs.writeFileSync(file, trop(["completions", shell]).stdout)
      expect(spawnSync(shell, ["-n", file]).status).toBe(0)
      fs.rmSync(dir, { recursive: true, force: true })
    }
  })

  it("help lists the shells; an unknown or differently-cased shell is a usage error naming them", () => {
    const help = trop(["completions", "--help"])
    expect(help.stdout).toContain("<SHELL>  Shell to generate completions for [possible values: bash, elvish, fish, powershell, zsh]")
    for (const shell of ["Bash", "tcsh", "PowerShell"]) {
      const r = trop(["completions", shell])
      expect(r.code).toBe(4)
      expect(r.stdout).toBe("")
      expect(r.stderr.split("\n")[0]).toBe(
        `error: invalid value '${shell}' for '<SHELL>' [possible values: bash, elvish, fish, powershell, zsh]`
      )
    }
    expect(trop(["completions"]).code).toBe(4)
  })
})
