import * as Option from "effect/Option"
import * as nodePath from "node:path"
import { isUnder } from "../../domain/AbsolutePath.js"
import * as Escape from "../../domain/Escape.js"
import type { Reservation } from "../../domain/Reservation.js"
import { formatTimestamp } from "../../domain/Reservation.js"
import type { OutputFormat } from "../../config/Settings.js"

/**
 * `~/rest` for paths under the home directory (component-wise), else the full path. The
 * home directory is resolved once; `path` is a stored, lexically normal absolute path, so
 * below `home` its relative form is simply what follows `home` and its separator.
 */
const shortener = (rawHome: string | undefined): (path: string) => string => {
  if (rawHome === undefined || rawHome === "") return (path) => path
  // Component-wise: `/home/me/` is the same directory as `/home/me`.
  const home = nodePath.resolve(rawHome)
  const rest = home === nodePath.sep ? home.length : home.length + 1
  return (path) => !isUnder(path, home) ? path : path === home ? "~/" : `~/${path.slice(rest)}`
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

/** How `list` shows its rows. */
export interface ListOptions {
  readonly home: string | undefined
  readonly fullPaths: boolean
  /** The table with padded columns (stdout is a terminal) instead of tab-separated. */
  readonly aligned?: boolean
}

const TABLE_HEADER = ["PORT", "PATH", "TAG", "PROJECT", "TASK", "CREATED_AT", "LAST_USED_AT"] as const
const DELIMITED_HEADER = ["port", "path", "tag", "project", "task", "created_at", "last_used_at"] as const

const TWO_DIGITS = Array.from({ length: 60 }, (_, n) => String(n).padStart(2, "0"))

/**
 * formatTimestamp (`YYYY-MM-DD HH:MM:SS`, UTC) without a Date and its six padStart calls:
 * `list` formats two per row. The day's civil date is computed as Date does, in the
 * proleptic Gregorian calendar (H. Hinnant's days-to-civil, for days since 1970-01-01).
 */
const timestamp = (seconds: number): string => {
  const days = Math.floor(seconds / 86400)
  const time = seconds - days * 86400
  const z = days + 719468
  const era = Math.floor(z / 146097)
  const dayOfEra = z - era * 146097
  const yearOfEra = Math.floor(
    (dayOfEra - Math.floor(dayOfEra / 1460) + Math.floor(dayOfEra / 36524) - Math.floor(dayOfEra / 146096)) / 365
  )
  const dayOfYear = dayOfEra - (365 * yearOfEra + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100))
  const m = Math.floor((5 * dayOfYear + 2) / 153)
  const day = dayOfYear - Math.floor((153 * m + 2) / 5) + 1
  const month = m < 10 ? m + 3 : m - 9
  const year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
  const hours = Math.floor(time / 3600)
  const minutes = Math.floor((time - hours * 3600) / 60)
  return `${year < 1000 ? String(year).padStart(4, "0") : year}-${TWO_DIGITS[month]}-${TWO_DIGITS[day]} ${
    TWO_DIGITS[hours]
  }:${TWO_DIGITS[minutes]}:${TWO_DIGITS[time - hours * 3600 - minutes * 60]}`
}

/** Escape.display, skipping the replacement when there is nothing to escape (nearly always). */
const display = (text: string): string => Escape.hasControl(text) ? Escape.display(text) : text

/** A table row's cells, escaped: stored values may come from other tools (docs/security.md). */
const tableCells = (r: Reservation, path: (path: string) => string): Array<string> => [
  String(r.port),
  display(path(r.key.path)),
  Option.isSome(r.key.tag) ? display(r.key.tag.value) : "-",
  Option.isSome(r.project) ? display(r.project.value) : "-",
  Option.isSome(r.task) ? display(r.task.value) : "-",
  // Digits, spaces, `-` and `:` only: nothing to escape.
  timestamp(r.createdAt),
  timestamp(r.lastUsedAt)
]

/** A JSON string literal with C1 controls and DEL escaped too (as jsonDocument does). */
const jsonString = (text: string): string => Escape.json(JSON.stringify(text))

const jsonOptional = (o: Option.Option<string>): string => Option.isSome(o) ? jsonString(o.value) : "null"

/**
 * One reservation of the `list --format json` array as `jsonDocument` indents it there
 * (inside the array: two spaces deeper), without separators: reservationJson's keys, in
 * its order, with its values.
 */
const jsonElement = (r: Reservation): string =>
  `  {\n    "created_at": "${timestamp(r.createdAt)}",\n    "last_used_at": "${timestamp(r.lastUsedAt)}",` +
  `\n    "path": ${jsonString(r.key.path)},\n    "port": ${r.port},\n    "project": ${jsonOptional(r.project)},` +
  `\n    "tag": ${jsonOptional(r.key.tag)},\n    "task": ${jsonOptional(r.task)}\n  }`

/**
 * The `list` output made piece by piece, for streaming: `start`, then `row(r)` for each row
 * in order, then `end()` concatenate to exactly `formatList` of those rows (no final
 * newline). Not for the aligned table, whose column widths depend on every row.
 */
export interface ListPieces {
  readonly start: string
  readonly row: (r: Reservation) => string
  readonly end: () => string
}

export const listPieces = (format: OutputFormat, options: ListOptions): ListPieces => {
  switch (format) {
    case "table": {
      const path = options.fullPaths ? (p: string) => p : shortener(options.home)
      return {
        start: TABLE_HEADER.join("\t"),
        // tableCells joined by tabs, without making the array.
        row: (r) =>
          `\n${r.port}\t${display(path(r.key.path))}\t${Option.isSome(r.key.tag) ? display(r.key.tag.value) : "-"}\t${
            Option.isSome(r.project) ? display(r.project.value) : "-"
          }\t${Option.isSome(r.task) ? display(r.task.value) : "-"}\t${timestamp(r.createdAt)}\t${timestamp(r.lastUsedAt)}`,
        end: () => ""
      }
    }
    case "json": {
      let empty = true
      return {
        start: "",
        row: (r) => {
          const separator = empty ? "[\n" : ",\n"
          empty = false
          return separator + jsonElement(r)
        },
        end: () => empty ? "[]" : "\n]"
      }
    }
    case "csv":
    case "tsv": {
      // Escaped like the table: a configuration file can make these the default format, so
      // they reach terminals too; only JSON keeps every value exact (docs/security.md).
      const delimiter = format === "csv" ? "," : "\t"
      const field = (text: string) => quoteField(display(text), delimiter)
      const optional = (o: Option.Option<string>) => Option.isSome(o) ? field(o.value) : ""
      return {
        start: DELIMITED_HEADER.join(delimiter),
        row: (r) =>
          `\n${r.port}${delimiter}${field(r.key.path)}${delimiter}${optional(r.key.tag)}${delimiter}${
            optional(r.project)
          }${delimiter}${optional(r.task)}${delimiter}${timestamp(r.createdAt)}${delimiter}${timestamp(r.lastUsedAt)}`,
        end: () => ""
      }
    }
  }
}

/** The `list` output in one of its formats, without the final newline. */
export const formatList = (rows: ReadonlyArray<Reservation>, format: OutputFormat, options: ListOptions): string => {
  if (format === "table" && options.aligned === true) {
    const path = options.fullPaths ? (p: string) => p : shortener(options.home)
    return aligned([[...TABLE_HEADER], ...rows.map((r) => tableCells(r, path))])
  }
  const pieces = listPieces(format, options)
  let text = pieces.start
  for (const r of rows) text += pieces.row(r)
  return text + pieces.end()
}
