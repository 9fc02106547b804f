import * as fs from "node:fs"
import * as path from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { tempDir, trop } from "../support/cli.js"
import * as Shell from "./_completion.js"

/**
 * The generated completion scripts in the real shells: completion keeps working after
 * global options (before or after the subcommand, with their values), completes option
 * values with fixed choices, the shells `completions` knows, files for file arguments and
 * directories for path options.
 */

/**
 * A completion request, typed in a directory holding `trop.yaml`, `notes.txt` and `trees/`,
 * with a command `zz-tool` on PATH.
 */
interface Case {
  readonly line: string
  readonly expected: ReadonlyArray<string>
}

const CASES: ReadonlyArray<Case> = [
  { line: "trop res", expected: ["reserve", "reserve-group"] },
  { line: "trop --data-dir /tmp reserve --ta", expected: ["--tag", "--task"] },
  { line: "trop --busy-timeout 3 res", expected: ["reserve", "reserve-group"] },
  { line: "trop --data-dir=/tmp res", expected: ["reserve", "reserve-group"] },
  { line: "trop --quiet --busy-timeout 3 --data-dir /tmp list --format c", expected: ["csv"] },
  { line: "trop reserve --quiet --data-dir /tmp --ta", expected: ["--tag", "--task"] },
  { line: "trop reserve --tag web --disable-autoc", expected: ["--disable-autoclean"] },
  { line: "trop list --format j", expected: ["json"] },
  { line: "trop list --format=j", expected: ["json"] },
  { line: "trop list --format json --filter-p", expected: ["--filter-path", "--filter-project"] },
  { line: "trop reserve-group --format ", expected: ["dotenv", "export", "human", "json"] },
  { line: "trop scan --format t", expected: ["table", "tsv"] },
  { line: "trop completions ", expected: ["bash", "elvish", "fish", "powershell", "zsh"] },
  { line: "trop --verbose completions f", expected: ["fish"] },
  { line: "trop help res", expected: ["reserve", "reserve-group"] },
  { line: "trop validate tr", expected: ["trees", "trop.yaml"] },
  { line: "trop reserve-group --dry-run tr", expected: ["trees", "trop.yaml"] },
  { line: "trop --data-dir tr", expected: ["trees"] },
  { line: "trop reserve --path tr", expected: ["trees"] },
  { line: "trop migrate --from /tmp --to tr", expected: ["trees"] },
  // exec: `--group [FILE]` takes a file or nothing; after `--` a command, then its files.
  { line: "trop exe", expected: ["exec"] },
  { line: "trop exec --group tr", expected: ["trees", "trop.yaml"] },
  { line: "trop exec --group --ta", expected: ["--tag", "--task"] },
  { line: "trop --data-dir /tmp exec --tag web -- zz-t", expected: ["zz-tool"] },
  { line: "trop exec --env PORT -- zz-tool tr", expected: ["trees", "trop.yaml"] }
]

let dir = ""
let scripts = ""
beforeAll(() => {
  dir = tempDir()
  scripts = tempDir()
  fs.writeFileSync(path.join(dir, "trop.yaml"), "project: demo\n")
  fs.writeFileSync(path.join(dir, "notes.txt"), "")
  fs.mkdirSync(path.join(dir, "trees"))
  process.env.PATH = `${Shell.toolOnPath(scripts)}${path.delimiter}${process.env.PATH ?? ""}`
})
afterAll(() => {
  for (const d of [dir, scripts]) fs.rmSync(d, { recursive: true, force: true })
})

for (const shell of Shell.LIVE) {
  const reason = Shell.missing(shell.program)
  describe.skipIf(reason !== undefined)(`${shell.program} completion, live`, () => {
    let script = ""
    beforeAll(() => {
      script = path.join(scripts, Shell.scriptName(shell.program))
      fs.writeFileSync(script, trop(["completions", shell.shell]).stdout)
    })
    it.each(CASES)(`$line`, ({ expected, line }) => {
      expect(Shell.normalize(shell.complete(script, line, dir))).toEqual([...expected].sort())
    })
  })
  if (reason !== undefined) {
    it.skip(`${shell.program} completion, live: skipped because ${reason}`, () => {})
    console.warn(`completions: live ${shell.program} tests skipped: ${reason}`)
  }
}

/** The first way each set of instructions gives: a file the shell loads by itself. */
describe("installed as the instructions say", () => {
  const cases = [
    { line: "trop --busy-timeout 3 res", expected: ["reserve", "reserve-group"] },
    { line: "trop list --format j", expected: ["json"] }
  ]
  const installed = [
    { shell: "zsh", file: path.join("zfunc", "_trop"), complete: Shell.zsh },
    { shell: "fish", file: "trop.fish", complete: Shell.fish }
  ] as const
  for (const { complete, file, shell } of installed) {
    const reason = Shell.missing(shell)
    describe.skipIf(reason !== undefined)(`${shell}: ${file}`, () => {
      it.each(cases)("$line", ({ expected, line }) => {
        const script = path.join(scripts, file)
        fs.mkdirSync(path.dirname(script), { recursive: true })
        fs.writeFileSync(script, trop(["completions", shell]).stdout)
        expect(Shell.normalize(complete(script, line, dir, true))).toEqual(expected)
      })
    })
  }
})
