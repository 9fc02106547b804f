import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import { canonicalize } from "../../paths/Canonical.js"
import { define } from "../Definition.js"
import { flag } from "../Opt.js"
import * as Opt from "../Opt.js"
import { Output } from "../Output.js"
import * as Session from "../Session.js"

export const showPath = define({
  name: "show-path",
  description: "Show the resolved path for a reservation",
  options: {
    // No TROP_PATH fallback here (docs/configuration.md).
    path: Opt.path("path", "Directory path (default: current directory)"),
    canonicalize: flag("canonicalize", "Explicitly request canonicalization")
  }
}, (o) =>
  Effect.gen(function*() {
    const cwd = yield* Session.workingDirectory
    const path = yield* Session.targetPath("show-path", o.path, cwd)
    const shown = o.canonicalize && Option.isSome(o.path) ? yield* canonicalize(path) : path
    yield* Effect.flatMap(Output, (output) => output.out(shown))
  }))
