import * as Effect from "effect/Effect"
import * as Completions from "../Completions.js"
import type { CommandSpec } from "../Definition.js"
import { define, positional } from "../Definition.js"
import { UsageError } from "../Errors.js"
import { Output } from "../Output.js"
import * as Session from "../Session.js"

/** `completions` lists every subcommand, itself included, so Main hands it the final list. */
export const makeCompletions = (specs: () => ReadonlyArray<CommandSpec>) =>
  define({
    name: "completions",
    description: "Generate shell completion scripts",
    options: {},
    args: {
      shell: positional("SHELL", `Shell to generate completions for [possible values: ${Completions.SHELLS.join(", ")}]`)
    }
  }, (o) =>
    Effect.gen(function*() {
      const output = yield* Output
      const shell = Completions.SHELLS.find((s) => s === o.shell)
      if (shell === undefined) {
        return yield* new UsageError({
          detail: `invalid value '${o.shell}' for '<SHELL>' [possible values: ${Completions.SHELLS.join(", ")}]`,
          usage: "trop completions [OPTIONS] <SHELL>"
        })
      }
      yield* Session.workingDirectory
      for (const line of Completions.instructions(shell)) yield* output.err(line)
      yield* output.out(Completions.script(shell, specs()))
    }))
