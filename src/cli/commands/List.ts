import * as DataDir from "../../config/DataDir.js"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as tty from "node:tty"
import * as List from "../../operations/List.js"
import { define } from "../Definition.js"
import { Invocation } from "../Invocation.js"
import { choice, flag, text } from "../Opt.js"
import * as Opt from "../Opt.js"
import { Output } from "../Output.js"
import * as Session from "../Session.js"
import { formatList } from "./ListFormat.js"

export const list = define({
  name: "list",
  description: "List active reservations",
  options: {
    format: choice("format", "FORMAT", "Output format", ["table", "json", "csv", "tsv"], true),
    filterProject: text("filter-project", "PROJECT", "Filter by project"),
    filterTag: text("filter-tag", "TAG", "Filter by tag"),
    filterPath: Opt.path("filter-path", "Filter by path prefix"),
    showFullPaths: flag("show-full-paths", "Show full paths instead of shortened forms")
  }
}, (o) =>
  Effect.gen(function*() {
    const { dataDir, settings } = yield* Session.discovered(o.globals, { outputFormat: Option.getOrUndefined(o.format) })
    const filterPath = yield* Option.match(o.filterPath, {
      onNone: () => Effect.succeedNone,
      onSome: (raw) => Effect.map(Session.explicitPath(raw), Option.some)
    })
    const rows = yield* List.list({ project: o.filterProject, tag: o.filterTag, path: filterPath }).pipe(
      Session.withDatabase("list", settings, dataDir)
    )
    const { env } = yield* Invocation
    yield* Effect.flatMap(Output, (output) =>
      output.out(formatList(rows, settings.outputFormat, {
        home: DataDir.home(env),
        fullPaths: o.showFullPaths,
        // For people: padded columns on a terminal; tab-separated for programs, as trop 0.2.0.
        aligned: tty.isatty(1)
      })))
  }))
