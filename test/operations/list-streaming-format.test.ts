// `trop list` streams its output piece by piece (listPieces), with its own timestamp,
// escaping and ~/ shortening fast paths. Whatever the rows, the bytes must be exactly those
// of the earlier, non-streaming formatList, kept here verbatim as the reference.
import * as fc from "fast-check"
import { Option } from "effect"
import * as nodePath from "node:path"
import { describe, expect, it } from "vitest"
import { formatList, listPieces } from "../../src/cli/commands/ListFormat.js"
import type { OutputFormat } from "../../src/config/Settings.js"
import { isUnder } from "../../src/domain/AbsolutePath.js"
import * as Escape from "../../src/domain/Escape.js"
import type { Reservation } from "../../src/domain/Reservation.js"
import { formatTimestamp } from "../../src/domain/Reservation.js"

// ---------------------------------------------------------------------------------------
// The reference: formatList as it was before `list` streamed (src/cli/commands/ListFormat.ts).

const shorten = (path: string, rawHome: string | undefined): string => {
  if (rawHome === undefined || rawHome === "") return path
  const home = nodePath.resolve(rawHome)
  if (!isUnder(path, home)) return path
  return path === home ? "~/" : `~/${nodePath.relative(home, path)}`
}

const quoteField = (field: string, delimiter: string): string =>
  field.includes(delimiter) || /["\r\n]/.test(field) ? `"${field.replaceAll("\"", "\"\"")}"` : field

const delimited = (
  format: "csv" | "tsv",
  header: ReadonlyArray<string>,
  rows: ReadonlyArray<ReadonlyArray<string>>
): string => {
  const delimiter = format === "csv" ? "," : "\t"
  return [header, ...rows].map((fields) => fields.map((f) => quoteField(f, delimiter)).join(delimiter)).join("\n")
}

const reservationJson = (r: Reservation) => ({
  created_at: formatTimestamp(r.createdAt),
  last_used_at: formatTimestamp(r.lastUsedAt),
  path: r.key.path,
  port: r.port,
  project: Option.getOrNull(r.project),
  tag: Option.getOrNull(r.key.tag),
  task: Option.getOrNull(r.task)
})

const jsonDocument = (value: unknown): string => Escape.json(JSON.stringify(value, null, 2))

let graphemes: Intl.Segmenter | undefined
const WIDE = /^(?:\p{Extended_Pictographic}|[\u1100-\u115f\u2e80-\u303e\u3041-\u33ff\u3400-\u4dbf\u4e00-\u9fff\ua000-\ua4cf\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6\u{20000}-\u{3fffd}])/u
const ZERO_WIDTH = /^[\p{Cf}\p{M}]+$/u
const columns = (text: string): number => {
  let width = 0
  for (const { segment } of (graphemes ??= new Intl.Segmenter()).segment(text)) width += ZERO_WIDTH.test(segment) ? 0 : WIDE.test(segment) ? 2 : 1
  return width
}
const alignedTable = (table: ReadonlyArray<ReadonlyArray<string>>): string => {
  const widths: Array<number> = []
  for (const cells of table) cells.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, columns(cell))))
  return table.map((cells) =>
    cells.map((cell, i) => i === cells.length - 1 ? cell : cell + " ".repeat((widths[i] ?? 0) - columns(cell))).join("  ")
  ).join("\n")
}

const referenceFormatList = (
  rows: ReadonlyArray<Reservation>,
  format: OutputFormat,
  options: { readonly home: string | undefined; readonly fullPaths: boolean; readonly aligned?: boolean }
): string => {
  const text = (o: Option.Option<string>) => Option.getOrElse(o, () => "")
  switch (format) {
    case "table": {
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
      return options.aligned === true ? alignedTable(table) : table.map((cells) => cells.join("\t")).join("\n")
    }
    case "json":
      return jsonDocument(rows.map(reservationJson))
    case "csv":
    case "tsv":
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

// ---------------------------------------------------------------------------------------
// Rows: text with everything the formats treat specially.

const LAST_UNIX_SECOND = 8210298412799

const char = fc.constantFrom(
  "a", "b", "z", "Z", "0", "-", "_", ".", " ", ",", "\"", "'", "\\", "/", "\t", "\n", "\r", "\u0000", "\u001b",
  "\u007f", "\u0080", "\u009b", "\u009f", "\u00a0", "é", "ø", "日", "本", "🚀", "\u200b", "\ufeff", "\u2028", "\ud800"
)
const text = fc.array(char, { minLength: 1, maxLength: 12 }).map((cs) => cs.join(""))
const component = fc.array(fc.constantFrom("a", "b", "é", " ", ",", "\"", "\t", "\u009b", "日", "🚀", "-", "x"), {
  minLength: 1,
  maxLength: 6
}).map((cs) => cs.join(""))
/** Absolute, lexically normal paths, some under the homes below. */
const path = fc.oneof(
  fc.constant("/"),
  fc.array(component, { minLength: 1, maxLength: 4 }).map((cs) => `/${cs.join("/")}`),
  fc.array(component, { maxLength: 3 }).map((cs) => ["/home/me", ...cs].join("/")),
  fc.array(component, { maxLength: 3 }).map((cs) => ["/home/me x", ...cs].join("/"))
)
const seconds = fc.oneof(
  fc.integer({ min: 0, max: LAST_UNIX_SECOND }),
  fc.integer({ min: 0, max: 4_102_444_800 }),
  fc.constantFrom(0, 59, 60, 86399, 86400, 951782400, 951868800, 253402300799, 253402300800, LAST_UNIX_SECOND)
)
const reservation: fc.Arbitrary<Reservation> = fc.record({
  path,
  tag: fc.option(text, { nil: undefined }),
  port: fc.integer({ min: 1, max: 65535 }),
  project: fc.option(text, { nil: undefined }),
  task: fc.option(text, { nil: undefined }),
  createdAt: seconds,
  lastUsedAt: seconds
}).map((r) =>
  ({
    key: { path: r.path, tag: Option.fromNullable(r.tag) },
    port: r.port,
    project: Option.fromNullable(r.project),
    task: Option.fromNullable(r.task),
    createdAt: r.createdAt,
    lastUsedAt: r.lastUsedAt
  }) as unknown as Reservation
)
const home = fc.constantFrom(undefined, "", "/", "/home/me", "/home/me/", "/home//me", "/home/me/..//me", "/home/me x", "/nowhere")
const format = fc.constantFrom<OutputFormat>("table", "json", "csv", "tsv")

const pieced = (rows: ReadonlyArray<Reservation>, f: OutputFormat, options: { home: string | undefined; fullPaths: boolean }) => {
  const pieces = listPieces(f, options)
  let out = pieces.start
  for (const r of rows) out += pieces.row(r)
  return out + pieces.end()
}

describe("list output, streamed piece by piece, is byte for byte the non-streaming output", () => {
  it("any rows, any format, any HOME, with and without --show-full-paths", () => {
    fc.assert(
      fc.property(fc.array(reservation, { maxLength: 8 }), format, home, fc.boolean(), (rows, f, h, fullPaths) => {
        const options = { home: h, fullPaths }
        const expected = referenceFormatList(rows, f, options)
        expect(pieced(rows, f, options)).toBe(expected)
        expect(formatList(rows, f, options)).toBe(expected)
      }),
      { numRuns: 3000 }
    )
  })

  it("the aligned table of a terminal (not streamed: its widths need every row)", () => {
    fc.assert(
      fc.property(fc.array(reservation, { maxLength: 8 }), home, fc.boolean(), (rows, h, fullPaths) => {
        const options = { home: h, fullPaths, aligned: true }
        expect(formatList(rows, "table", options)).toBe(referenceFormatList(rows, "table", options))
      }),
      { numRuns: 1000 }
    )
  })

  it("timestamps over the whole storable range, one row at a time", () => {
    fc.assert(
      fc.property(seconds, seconds, (c, l) => {
        const row = { key: { path: "/a", tag: Option.none() }, port: 1, project: Option.none(), task: Option.none(), createdAt: c, lastUsedAt: l } as unknown as Reservation
        expect(pieced([row], "csv", { home: undefined, fullPaths: true }).split("\n")[1]).toBe(
          `1,/a,,,,${formatTimestamp(row.createdAt)},${formatTimestamp(row.lastUsedAt)}`
        )
      }),
      { numRuns: 20000 }
    )
  })

  it("no rows: the header, or []", () => {
    for (const f of ["table", "json", "csv", "tsv"] as const) {
      expect(pieced([], f, { home: undefined, fullPaths: false })).toBe(referenceFormatList([], f, { home: undefined, fullPaths: false }))
    }
    expect(pieced([], "json", { home: undefined, fullPaths: false })).toBe("[]")
  })
})
