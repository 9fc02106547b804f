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

/** Quotes a delimited field only when it must (cli.md §9.3). */
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

/** The `list` output in one of its formats, without the final newline. */
export const formatList = (
  rows: ReadonlyArray<Reservation>,
  format: OutputFormat,
  options: { readonly home: string | undefined; readonly fullPaths: boolean }
): string => {
  const text = (o: Option.Option<string>) => Option.getOrElse(o, () => "")
  switch (format) {
    case "table":
      // Stored values may come from other tools: control characters are shown escaped.
      return [
        "PORT\tPATH\tTAG\tPROJECT\tTASK\tCREATED_AT\tLAST_USED_AT",
        ...rows.map((r) =>
          [
            String(r.port),
            options.fullPaths ? r.key.path : shorten(r.key.path, options.home),
            Option.getOrElse(r.key.tag, () => "-"),
            Option.getOrElse(r.project, () => "-"),
            Option.getOrElse(r.task, () => "-"),
            formatTimestamp(r.createdAt),
            formatTimestamp(r.lastUsedAt)
          ].map(Escape.display).join("\t")
        )
      ].join("\n")
    case "json":
      return Escape.json(JSON.stringify(
        rows.map((r) => ({
          created_at: formatTimestamp(r.createdAt),
          last_used_at: formatTimestamp(r.lastUsedAt),
          path: r.key.path,
          port: r.port,
          project: Option.getOrNull(r.project),
          tag: Option.getOrNull(r.key.tag),
          task: Option.getOrNull(r.task)
        })),
        null,
        2
      ))
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
