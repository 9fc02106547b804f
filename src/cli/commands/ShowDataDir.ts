import * as Effect from "effect/Effect"
import { define } from "../Definition.js"
import { Output } from "../Output.js"
import * as Session from "../Session.js"

export const showDataDir = define({
  name: "show-data-dir",
  description: "Show the resolved data directory path",
  options: {}
}, (o) =>
  Effect.gen(function*() {
    const dataDir = yield* Session.dataDirectory(o.globals)
    yield* Session.workingDirectory
    yield* Effect.flatMap(Output, (output) => output.out(dataDir))
  }))
