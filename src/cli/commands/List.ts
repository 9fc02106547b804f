import * as DataDir from "../../config/DataDir.js"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as tty from "node:tty"
import type { OutputFormat } from "../../config/Settings.js"
import type { Reservation } from "../../domain/Reservation.js"
import * as List from "../../operations/List.js"
import { define } from "../Definition.js"
import { Invocation } from "../Invocation.js"
import { choice, flag, text } from "../Opt.js"
import * as Opt from "../Opt.js"
import type { CliIoError } from "../Errors.js"
import type { StdoutClosed } from "../Output.js"
import { Output } from "../Output.js"
import * as Session from "../Session.js"
import type { ListOptions } from "./ListFormat.js"
import { formatList, listPieces } from "./ListFormat.js"

/** About how much output is gathered before it is written (UTF-16 code units, whole lines). */
const CHUNK = 16 * 1024

/**
 * Prints the rows of `list` as they come, in chunks of whole lines of about CHUNK, so
 * memory stays flat whatever the number of rows. Output.out adds a newline to each write,
 * so a chunk ends where a line ends and leaves that newline to it; the last write ends
 * with the output's final newline. The bytes are exactly those of formatList and a newline.
 */
const streamed = (filter: List.ListFilter, format: OutputFormat, options: ListOptions) =>
  Effect.flatMap(Output, (output) => {
    const pieces = listPieces(format, options)
    let pending = pieces.start
    // Formats rows in a plain loop (no Effect per row), leaving it only to write a chunk.
    const print = (rows: ReadonlyArray<Reservation>) => {
      const from = (start: number): Effect.Effect<void, CliIoError | StdoutClosed> => {
        for (let i = start; i < rows.length; i++) {
          pending += pieces.row(rows[i]!)
          if (pending.length >= CHUNK) {
            const end = pending.lastIndexOf("\n")
            if (end !== -1) {
              const lines = pending.slice(0, end)
              pending = pending.slice(end + 1)
              return Effect.flatMap(output.out(lines), () => from(i + 1))
            }
          }
        }
        return Effect.void
      }
      return Effect.suspend(() => from(0))
    }
    return List.forEachPage(filter, print).pipe(Effect.zipRight(Effect.suspend(() => output.out(pending + pieces.end()))))
  })

/** The aligned table: its column widths need every row first. */
const alignedTable = (filter: List.ListFilter, options: ListOptions) =>
  Effect.gen(function*() {
    const all: Array<Reservation> = []
    yield* List.forEachPage(filter, (rows) => Effect.sync(() => all.push(...rows)))
    const output = yield* Output
    yield* output.out(formatList(all, "table", { ...options, aligned: true }))
  })

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
    const { env } = yield* Invocation
    const filter = { project: o.filterProject, tag: o.filterTag, path: filterPath }
    const options = { home: DataDir.home(env), fullPaths: o.showFullPaths }
    // For people: padded columns on a terminal; for programs, tab-separated as trop 0.2.0
    // and printed as the rows are read.
    yield* (settings.outputFormat === "table" && tty.isatty(1)
      ? alignedTable(filter, options)
      : streamed(filter, settings.outputFormat, options)).pipe(Session.withDatabase("list", settings, dataDir))
  }))
