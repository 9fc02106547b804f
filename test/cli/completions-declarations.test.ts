import * as Effect from "effect/Effect"
import * as fs from "node:fs"
import * as path from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import * as Completions from "../../src/cli/Completions.js"
import { define, positional, trailing } from "../../src/cli/Definition.js"
import { specs } from "../../src/cli/Main.js"
import { choice, flag, text } from "../../src/cli/Opt.js"
import { tempDir } from "../support/cli.js"
import * as Shell from "./_completion.js"

/**
 * The scripts come from the command declarations alone: a command declared later (here a
 * made-up one, as `exec` will be) is completed in every shell, options, values and all.
 */

const added = define({
  name: "zz-added",
  description: "A command declared after the completion generators were written",
  options: {
    env: text("env", "NAME", "Variable to set"),
    mode: choice("mode", "MODE", "How to run", ["fast", "slow"]),
    keep: flag("keep", "Keep it")
  },
  args: { target: positional("TARGET_FILE", "A file"), command: trailing("COMMAND", "A command line") }
}, () => Effect.void).spec

const declared = [...specs, added]

const CASES = [
  { line: "trop zz", expected: ["zz-added"] },
  { line: "trop --quiet zz-added --", expected: ["--busy-timeout", "--data-dir", "--disable-autoinit", "--env", "--help", "--keep", "--mode", "--quiet", "--verbose"] },
  { line: "trop --data-dir /tmp zz-added --env PORT --mode f", expected: ["fast"] },
  { line: "trop help zz", expected: ["zz-added"] },
  { line: "trop zz-added --keep tr", expected: ["trees", "trop.yaml"] },
  // After `--`: a trailing argument's command, then its arguments; else the declared arguments.
  { line: "trop zz-added target -- zz-t", expected: ["zz-tool"] },
  { line: "trop zz-added --keep target -- zz-tool tr", expected: ["trees", "trop.yaml"] },
  { line: "trop validate -- tr", expected: ["trees", "trop.yaml"] }
]

let dir = ""
let scripts = ""
beforeAll(() => {
  dir = tempDir()
  scripts = tempDir()
  fs.writeFileSync(path.join(dir, "trop.yaml"), "project: demo\n")
  fs.mkdirSync(path.join(dir, "trees"))
  process.env.PATH = `${Shell.toolOnPath(scripts)}${path.delimiter}${process.env.PATH ?? ""}`
})
afterAll(() => {
  for (const d of [dir, scripts]) fs.rmSync(d, { recursive: true, force: true })
})

it("every script names the added command and its options", () => {
  for (const shell of Completions.SHELLS) {
    const script = Completions.script(shell, declared)
    for (const word of ["zz-added", "env", "mode", "fast", "slow", "keep"]) expect(script, `${shell}: ${word}`).toContain(word)
  }
})

for (const shell of Shell.LIVE) {
  const reason = Shell.missing(shell.program)
  if (reason !== undefined) console.warn(`completions: live ${shell.program} tests skipped: ${reason}`)
  describe.skipIf(reason !== undefined)(`${shell.program}: a command added to the declarations`, () => {
    let script = ""
    beforeAll(() => {
      script = path.join(scripts, Shell.scriptName(shell.program))
      fs.writeFileSync(script, Completions.script(shell.shell, declared))
    })
    it.each(CASES)(`$line`, ({ expected, line }) => {
      expect(Shell.normalize(shell.complete(script, line, dir))).toEqual([...expected].sort())
    })
  })
}
