import * as Effect from "effect/Effect"
import * as Escape from "../../domain/Escape.js"
import * as List from "../../operations/List.js"
import { define } from "../Definition.js"
import { Output } from "../Output.js"
import * as Session from "../Session.js"

export const listProjects = define({
  name: "list-projects",
  description: "List all unique project identifiers",
  options: {}
}, (o) =>
  Effect.gen(function*() {
    const { dataDir, settings } = yield* Session.discovered(o.globals)
    const projects = yield* List.projects.pipe(Session.withDatabase("list-projects", settings, dataDir))
    const output = yield* Output
    // Stored values may come from other tools: control characters are shown escaped.
    for (const project of projects) yield* output.out(Escape.display(project))
  }))
