import { spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"

/**
 * Drives the generated completion scripts in real shells: each helper loads a script,
 * completes one command line (the cursor at its end) and returns the candidates offered.
 */

export const has = (program: string): boolean => spawnSync("sh", ["-c", `command -v ${program}`]).status === 0

/** Why a live test of `shell` cannot run here, or undefined when it can. */
export const missing = (shell: string): string | undefined => {
  if (shell === "pwsh" && !has(shell)) return "pwsh is not installed (PowerShell is not packaged in Debian)"
  if (!has(shell)) return `${shell} is not installed (.ci/run installs zsh, fish and elvish where apt-get is available)`
  // elvish only completes in an interactive session on a terminal; `script` provides one.
  if (shell === "elvish" && !has("script")) return "elvish needs `script` (util-linux) for a terminal"
  if (shell === "zsh" && spawnSync("zsh", ["-fc", "zmodload zsh/zpty"]).status !== 0) return "zsh lacks the zsh/zpty module"
  return undefined
}

const run = (program: string, args: ReadonlyArray<string>, cwd: string) => {
  const r = spawnSync(program, args, { cwd, encoding: "utf8", timeout: 20_000, env: { ...process.env, HOME: cwd } })
  if (r.error !== undefined) throw r.error
  if (r.status !== 0) throw new Error(`${program} exited ${r.status}: ${r.stderr}`)
  return r
}

const unique = (words: ReadonlyArray<string>) => [...new Set(words.filter((w) => w !== ""))].sort()

/** The words bash gives a completion function: split at blanks and at `=` (COMP_WORDBREAKS). */
export const bashWords = (line: string): Array<string> => {
  const words = line.split(" ").flatMap((w) => w.split(/(=)/).filter((part) => part !== ""))
  return line.endsWith(" ") ? [...words.filter((w) => w !== ""), ""] : words.filter((w) => w !== "")
}

/** bash: the function `complete -p trop` names, called with COMP_WORDS/COMP_CWORD set. */
export const bash = (script: string, line: string, cwd: string): Array<string> => {
  const words = bashWords(line)
  const program = [
    `source "$1"; shift`,
    `fn=$(complete -p trop | sed -n 's/.* -F \\([^ ]*\\) .*/\\1/p')`,
    `COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); COMP_LINE="$LINE"; COMP_POINT=\${#LINE}`,
    `"$fn" trop "\${COMP_WORDS[COMP_CWORD]}" "\${COMP_WORDS[COMP_CWORD-1]}"`,
    `printf '%s\\n' "\${COMPREPLY[@]}"`
  ].join("\n")
  return unique(
    spawnSync("bash", ["-c", program, "bash", script, ...words], {
      cwd,
      encoding: "utf8",
      env: { ...process.env, LINE: line }
    }).stdout.split("\n")
  )
}

/**
 * zsh: an interactive `zsh -f` on a pseudo-terminal (zsh/zpty) with compinit loaded and
 * the script sourced; TAB runs the real completion system, and a `compadd` wrapper writes
 * every candidate it is given that matches the word under the cursor to a file.
 */
const ZSH_DRIVER = `
zmodload zsh/zpty zsh/zselect
local setup=$1 out=$2 line=$3
zpty z zsh -f -i
zpty -w z "source \${(q)setup}"
local junk
integer deadline=$(( SECONDS + 15 ))
while [[ ! -e $out.ready ]] && (( SECONDS < deadline )); do zpty -r -t z junk || zselect -t 5; done
zpty -w -n z "$line"$'\\t'
while [[ ! -e $out.done ]] && (( SECONDS < deadline )); do zpty -r -t z junk || zselect -t 5; done
zpty -d z
[[ -e $out.done ]]
`

/** `installed`: the script is the `_trop` autoloaded from $fpath, else it is sourced. */
const zshSetup = (script: string, out: string, installed: boolean) => String.raw`
PS1=''
${installed ? `fpath=(${JSON.stringify(path.dirname(script))} $fpath)` : ""}
autoload -U compinit && compinit -u -D
${installed ? "" : `source ${JSON.stringify(script)}`}
compadd() {
  # Calls that only query (-O/-A/-D) are passed through untouched.
  if [[ ${"${@[1,(i)(-|--)]}"} == *-(O|A|D)\ * ]]; then builtin compadd "$@"; return; fi
  local -a __hits
  builtin compadd -O __hits "$@"
  (( $#__hits )) && print -rl -- $__hits >> ${JSON.stringify(out)}
  builtin compadd "$@"
}
_trop_test_done() { : > ${JSON.stringify(`${out}.done`)} }
comppostfuncs=(_trop_test_done)
bindkey '^I' complete-word
: > ${JSON.stringify(`${out}.ready`)}
`

export const zsh = (script: string, line: string, cwd: string, installed = false): Array<string> => {
  const out = path.join(cwd, ".zsh-candidates")
  for (const f of [out, `${out}.ready`, `${out}.done`]) fs.rmSync(f, { force: true })
  const setup = path.join(cwd, ".zsh-setup")
  fs.writeFileSync(setup, zshSetup(script, out, installed))
  const driver = path.join(cwd, ".zsh-driver")
  fs.writeFileSync(driver, ZSH_DRIVER)
  run("zsh", ["-f", driver, setup, out, line], cwd)
  const hits = fs.existsSync(out) ? fs.readFileSync(out, "utf8").split("\n") : []
  // zsh offers `--tag=` style options with the `=` as a removable suffix.
  return unique(hits.map((h) => h.replace(/=$/, "")))
}

/**
 * fish: `complete -C` on the line, with the script sourced; or, `installed`, autoloaded from
 * ~/.config/fish/completions/trop.fish (fish does that for a command on PATH).
 */
export const fish = (script: string, line: string, cwd: string, installed = false): Array<string> => {
  const complete = `complete -C ${JSON.stringify(line)}`
  if (!installed) {
    return unique(
      run("fish", ["--no-config", "-c", `source ${JSON.stringify(script)}; ${complete}`], cwd)
        .stdout.split("\n").map((l) => l.split("\t")[0] ?? "")
    )
  }
  const home = fs.mkdtempSync(path.join(cwd, ".fish-home-"))
  const completions = path.join(home, ".config", "fish", "completions")
  fs.mkdirSync(completions, { recursive: true })
  fs.copyFileSync(script, path.join(completions, "trop.fish"))
  const r = spawnSync("fish", ["-c", complete], {
    cwd,
    encoding: "utf8",
    timeout: 20_000,
    env: { ...process.env, HOME: home, XDG_CONFIG_HOME: path.join(home, ".config") }
  })
  fs.rmSync(home, { recursive: true, force: true })
  if (r.error !== undefined) throw r.error
  return unique(r.stdout.split("\n").map((l) => l.split("\t")[0] ?? ""))
}

/**
 * elvish: an interactive session (under `script`, for a terminal) with the script
 * installed as the instructions say (a module in ~/.config/elvish/lib, `use trop` in the
 * rc file), calling the completer for `trop` with the line's words and keeping the
 * candidates that start with the last word, as elvish's default prefix matcher does.
 */
export const elvish = (script: string, line: string, cwd: string): Array<string> => {
  const home = fs.mkdtempSync(path.join(cwd, ".elvish-home-"))
  const lib = path.join(home, ".config", "elvish", "lib")
  fs.mkdirSync(lib, { recursive: true })
  fs.copyFileSync(script, path.join(lib, "trop.elv"))
  const out = path.join(home, "candidates")
  const words = line.split(" ").filter((w, i, all) => w !== "" || i === all.length - 1)
  const quoted = words.map((w) => `'${w.replaceAll("'", "''")}'`)
  const rc = path.join(home, "rc.elv")
  fs.writeFileSync(
    rc,
    [
      "use str",
      "try {",
      "  use trop",
      `  $edit:completion:arg-completer[trop] ${quoted.join(" ")} | each {|c|`,
      "    var s = (if (eq (kind-of $c) string) { put $c } else { put $c[stem] })",
      `    if (str:has-prefix $s ${quoted.at(-1)}) { echo $s }`,
      `  } > '${out}'`,
      "} finally {",
      "  exit 0",
      "}"
    ].join("\n")
  )
  const r = spawnSync("script", ["-qec", `elvish -rc '${rc}'`, "/dev/null"], {
    cwd,
    encoding: "utf8",
    timeout: 20_000,
    env: { ...process.env, HOME: home, XDG_CONFIG_HOME: path.join(home, ".config") }
  })
  const result = fs.existsSync(out) ? fs.readFileSync(out, "utf8").split("\n") : []
  fs.rmSync(home, { recursive: true, force: true })
  if (r.error !== undefined) throw r.error
  return unique(result)
}

/** PowerShell: TabExpansion2 on the line, with the script dot-sourced (it must end in .ps1). */
export const pwsh = (script: string, line: string, cwd: string): Array<string> => {
  const quoted = (s: string) => `'${s.replaceAll("'", "''")}'`
  const program = [
    `. ${quoted(script)}`,
    `(TabExpansion2 -inputScript ${quoted(line)} -cursorColumn ${line.length}).CompletionMatches | ForEach-Object { $_.CompletionText }`
  ].join("; ")
  return unique(run("pwsh", ["-NoProfile", "-NonInteractive", "-Command", program], cwd).stdout.split(/\r?\n/))
}

/** The file name each shell loads a script from. */
export const scriptName = (shell: string): string => shell === "pwsh" ? "trop.ps1" : `trop.${shell}`

/** Each shell under test: the `trop completions` argument, its program and its driver. */
export const LIVE = [
  { shell: "bash", program: "bash", complete: bash },
  { shell: "zsh", program: "zsh", complete: zsh },
  { shell: "fish", program: "fish", complete: fish },
  { shell: "elvish", program: "elvish", complete: elvish },
  { shell: "powershell", program: "pwsh", complete: pwsh }
] as const

/**
 * Candidates as the user sees them once inserted: without a directory's trailing slash,
 * PowerShell's leading `./`, or the `--opt=` some shells keep in front of a value.
 */
export const normalize = (candidates: ReadonlyArray<string>): Array<string> =>
  [...new Set(candidates.map((c) => c.replace(/[\\/]$/, "").replace(/^\.[\\/]/, "").replace(/^--[a-z-]+=/, "")))].sort()

/** Creates executables `zz-tool` and `trop` (fish loads completions of commands on PATH) in `dir`/bin, for PATH. */
export const toolOnPath = (dir: string): string => {
  const bin = path.join(dir, "bin")
  fs.mkdirSync(bin, { recursive: true })
  for (const name of ["zz-tool", "trop"]) fs.writeFileSync(path.join(bin, name), "#!/bin/sh\n", { mode: 0o755 })
  return bin
}
