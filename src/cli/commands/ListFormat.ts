import * as Option from "effect/Option"
import * as nodePath from "node:path"
import { isUnder } from "../../domain/AbsolutePath.js"
import * as Escape from "../../domain/Escape.js"
import type { Reservation } from "../../domain/Reservation.js"
import { formatTimestamp } from "../../domain/Reservation.js"
import type { OutputFormat } from "../../config/Settings.js"

/** `~/rest` for paths under the home directory (component-wise), else the full path. */
const shorten = (path: string, rawHome: string | undefined): string => {
  if (rawHome === undefined || rawHome === "") return path
  // Component-wise: `/home/me/` is the same directory as `/home/me`.
  const home = nodePath.resolve(rawHome)
  if (!isUnder(path, home)) return path
  return path === home ? "~/" : `~/${nodePath.relative(home, path)}`
}

// Made on first use: creating a Segmenter loads ICU's break rules (~20 ms), and only an
// aligned table on a terminal needs one.
let graphemes: Intl.Segmenter | undefined

/** East Asian wide and fullwidth characters and emoji: two terminal columns. */
const WIDE = /^(?:\p{Extended_Pictographic}|[\u1100-\u115f\u2e80-\u303e\u3041-\u33ff\u3400-\u4dbf\u4e00-\u9fff\ua000-\ua4cf\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6\u{20000}-\u{3fffd}])/u

/** Zero-width on their own: format characters (U+200B, U+FEFF, ...) and lone combining marks. */
const ZERO_WIDTH = /^[\p{Cf}\p{M}]+$/u

/** The terminal columns `text` takes (grapheme by grapheme; control characters are already escaped). */
const columns = (text: string): number => {
  let width = 0
  for (const { segment } of (graphemes ??= new Intl.Segmenter()).segment(text)) width += ZERO_WIDTH.test(segment) ? 0 : WIDE.test(segment) ? 2 : 1
  return width
}

/** Cells padded to their column's width, two spaces between columns, no trailing blanks. */
const aligned = (table: ReadonlyArray<ReadonlyArray<string>>): string => {
  const widths: Array<number> = []
  for (const cells of table) cells.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, columns(cell))))
  return table.map((cells) =>
    cells.map((cell, i) => i === cells.length - 1 ? cell : cell + " ".repeat((widths[i] ?? 0) - columns(cell))).join("  ")
  ).join("\n")
}

/** Quotes a delimited field only when it must (docs/cli.md). */
const quoteField = (field: string, delimiter: string): string =>
  field.includes(delimiter) || /["\r\n]/.test(field) ? `"${field.replaceAll("\"", "\"\"")}"` : field

/** csv or tsv text with minimal quoting, `\n` line ends, no final newline (`list`, `scan`). */
export const delimited = (
  format: "csv" | "tsv",
  header: ReadonlyArray<string>,
  rows: ReadonlyArray<ReadonlyArray<string>>
): string => {
  const delimiter = format === "csv" ? "," : "\t"
  return [header, ...rows].map((fields) => fields.map((f) => quoteField(f, delimiter)).join(delimiter)).join("\n")
}

/**
 * A reservation as JSON output shows it (`list --format json`, and the rows in the JSON of
 * `reserve`, `release`, `port-info` and the cleanup commands): keys in alphabetical order,
 * timestamps as `YYYY-MM-DD HH:MM:SS` UTC, absent values as null (docs/output-formats.md).
 */
export const reservationJson = (r: Reservation) => ({
  created_at: formatTimestamp(r.createdAt),
  last_used_at: formatTimestamp(r.lastUsedAt),
  path: r.key.path,
  port: r.port,
  project: Option.getOrNull(r.project),
  tag: Option.getOrNull(r.key.tag),
  task: Option.getOrNull(r.task)
})

/**
 * One JSON document, indented by two spaces, without the final newline; control characters
 * are escaped, C1 and DEL included (Escape.json), so every value stays exact.
 */
export const jsonDocument = (value: unknown): string => Escape.json(JSON.stringify(value, null, 2))

/** The `list` output in one of its formats, without the final newline. */
export const formatList = (
  rows: ReadonlyArray<Reservation>,
  format: OutputFormat,
  options: {
    readonly home: string | undefined
    readonly fullPaths: boolean
    /** The table with padded columns (stdout is a terminal) instead of tab-separated. */
    readonly aligned?: boolean
  }
): string => {
  const text = (o: Option.Option<string>) => Option.getOrElse(o, () => "")
  switch (format) {
    case "table": {
      // Stored values may come from other tools: control characters are shown escaped.
      const table = [
        ["PORT", "PATH", "TAG", "PROJECT", "TASK", "CREATED_AT", "LAST_USED_AT"],
        ...rows.map((r) =>
          [
            String(r.port),
            options.fullPaths ? r.key.path : shorten(r.key.path, options.home),
            Option.getOrElse(r.key.tag, () => "-"),
            Option.getOrElse(r.project, () => "-"),
            Option.getOrElse(r.task, () => "-"),
            formatTimestamp(r.createdAt),
            formatTimestamp(r.lastUsedAt)
          ].map(Escape.display)
        )
      ]
      return options.aligned === true ? aligned(table) : table.map((cells) => cells.join("\t")).join("\n")
    }
    case "json":
      return jsonDocument(rows.map(reservationJson))
    case "csv":
    case "tsv":
      // Escaped like the table: a configuration file can make these the default format, so
      // they reach terminals too; only JSON keeps every value exact (docs/security.md).
      return delimited(
        format,
        ["port", "path", "tag", "project", "task", "created_at", "last_used_at"],
        rows.map((r) =>
          [
            String(r.port),
            r.key.path,
            text(r.key.tag),
            text(r.project),
            text(r.task),
            formatTimestamp(r.createdAt),
            formatTimestamp(r.lastUsedAt)
          ].map(Escape.display)
        )
      )
  }
}
