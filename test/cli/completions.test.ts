import { spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { describe, expect, it } from "vitest"
import { tempDir, trop } from "../support/cli.js"

const has = (shell: string) => spawnSync("sh", ["-c", `command -v ${shell}`]).status === 0

const SUBCOMMANDS = [
  "reserve", "release", "list", "reserve-group", "autoreserve", "prune", "expire", "autoclean",
  "assert-reservation", "assert-port", "assert-data-dir", "port-info", "show-data-dir", "show-path",
  "scan", "validate", "exclude", "compact-exclusions", "init", "list-projects", "migrate", "completions"
]

describe("completions (cli.md §9.22, D6)", () => {
  it("bash: instructions on stderr, a script for the command trop on stdout", () => {
    const r = trop(["completions", "bash"])
    expect(r.code).toBe(0)
    expect(r.stderr).toBe([
      "# Generating bash completion script",
      "# Run the following command to enable completions:",
      "#   trop completions bash > ~/.local/share/bash-completion/completions/trop",
      "# Or source it directly in ~/.bashrc:",
      "#   eval \"$(trop completions bash)\"",
      "",
      ""
    ].join("\n"))
    expect(r.stdout).toMatch(/^complete -F _trop trop$/m)
    for (const name of SUBCOMMANDS) expect(r.stdout).toContain(name)
  })

  it("the bash script completes subcommands and their options", () => {
    const dir = tempDir()
    const file = path.join(dir, "trop.bash")
    fs.writeFileSync(file, trop(["completions", "bash"]).stdout)
    const complete = (words: string) =>
      spawnSync("bash", ["-c", `source ${file}; COMP_WORDS=(${words}); COMP_CWORD=$((\${#COMP_WORDS[@]} - 1)); _trop; echo "\${COMPREPLY[*]}"`], {
        encoding: "utf8"
      }).stdout.trim()
    expect(complete("trop res").split(" ").sort()).toEqual(["reserve", "reserve-group"])
    expect(complete("trop reserve --ta").split(" ").sort()).toEqual(["--tag", "--task"])
    expect(complete("trop --quiet migrate --fr")).toBe("--from")
    fs.rmSync(dir, { recursive: true, force: true })
  })

  it("zsh and fish: their instructions, and scripts the shells accept", () => {
    const zsh = trop(["completions", "zsh"])
    expect(zsh.code).toBe(0)
    expect(zsh.stderr.split("\n").slice(2, 6)).toEqual([
      "#   trop completions zsh > ~/.zsh/completions/_trop",
      "# Make sure ~/.zsh/completions is in your $fpath",
      "# Or add to ~/.zshrc:",
      "#   eval \"$(trop completions zsh)\""
    ])
    expect(zsh.stdout.startsWith("#compdef trop\n")).toBe(true)
    const fish = trop(["completions", "fish"])
    expect(fish.stderr.split("\n").slice(2, 5)).toEqual([
      "#   trop completions fish > ~/.config/fish/completions/trop.fish",
      "# Or add to config.fish:",
      "#   trop completions fish | source"
    ])
    expect(fish.stdout).toContain("complete -c trop -n '__fish_use_subcommand' -a reserve -d 'Reserve a port for a directory'")
    for (const [shell, script] of [["zsh", zsh.stdout], ["fish", fish.stdout]] as const) {
      if (!has(shell)) continue // syntax is checked where the shell is installed
      const dir = tempDir()
      const file = path.join(dir, `trop.${shell}`)
      fs.writeFileSync(file, script)
      expect(spawnSync(shell, ["-n", file]).status).toBe(0)
      fs.rmSync(dir, { recursive: true, force: true })
    }
  })

  it("an unknown or differently-cased shell is a usage error", () => {
    for (const shell of ["Bash", "tcsh"]) {
      const r = trop(["completions", shell])
      expect(r.code).toBe(4)
      expect(r.stdout).toBe("")
      expect(r.stderr.split("\n")[0]).toContain(`error: invalid value '${shell}'`)
    }
    expect(trop(["completions"]).code).toBe(4)
  })
})
