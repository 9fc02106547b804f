import * as Either from "effect/Either"
import type { Node } from "yaml"
import { isMap, isNode, isScalar, isSeq } from "yaml"
import type { ExclusionEntry } from "./Validate.js"
import { parseYaml } from "./Yaml.js"

/**
 * Rewrites the `excluded_ports` value of a YAML text in place (docs/concepts.md): the
 * new text is the old one with only that list's items spliced, so comments, key order,
 * spacing and every other key survive byte for byte. No `null` is ever written.
 */

/** How the list changes: entries added (absorbing some items), or the whole list replaced. */
export type ListEdit =
  | {
    readonly _tag: "Add"
    readonly entries: ReadonlyArray<ExclusionEntry>
    /** Indices of the items the entries replace (ascending); empty appends them. */
    readonly absorbed: ReadonlyArray<number>
  }
  | { readonly _tag: "Replace"; readonly entries: ReadonlyArray<ExclusionEntry> }

const range = (node: Node): readonly [number, number, number] => {
  const r = node.range
  if (r === undefined || r === null) throw new Error("YAML node without a source range")
  return [r[0], r[1], r[2]]
}

const lineStart = (text: string, offset: number) => text.lastIndexOf("\n", offset - 1) + 1
const indentOf = (text: string, offset: number) => {
  const start = lineStart(text, offset)
  return /^[ \t]*/.exec(text.slice(start))?.[0] ?? ""
}

const flowItem = (e: ExclusionEntry) => e.start === e.end ? String(e.start) : `{start: ${e.start}, end: ${e.end}}`
/** A block sequence item (with its `- `) at `indent`, ending in a newline. */
const blockItem = (e: ExclusionEntry, indent: string) =>
  e.start === e.end ? `${indent}- ${e.start}\n` : `${indent}- start: ${e.start}\n${indent}  end: ${e.end}\n`

interface Splice {
  readonly from: number
  readonly to: number
  readonly insert: string
}

const apply = (text: string, splices: ReadonlyArray<Splice>): string =>
  [...splices].sort((a, b) => b.from - a.from).reduce(
    (t, s) => t.slice(0, s.from) + s.insert + t.slice(s.to),
    text
  )

const withNewline = (text: string) => text === "" || text.endsWith("\n") ? text : `${text}\n`

const entriesAfter = (edit: ListEdit, existing: ReadonlyArray<string>): ReadonlyArray<string> => {
  if (edit._tag === "Replace") return edit.entries.map(flowItem)
  const added = edit.entries.map(flowItem)
  const kept = existing.flatMap((item, i) => edit.absorbed.includes(i) ? (i === edit.absorbed[0] ? added : []) : [item])
  return edit.absorbed.length === 0 ? [...kept, ...added] : kept
}

/**
 * Applies `edit` to the `excluded_ports` list of `text` (which must parse); a missing list
 * is created. New lines follow the file's line endings.
 */
export const editExcludedPorts = (text: string, edit: ListEdit): Either.Either<string, string> => {
  const eol = text.includes("\r\n") ? "\r\n" : "\n"
  return Either.map(editLf(text, edit), (edited) => eol === "\n" ? edited : edited.replace(/\r?\n/g, eol))
}

const editLf = (text: string, edit: ListEdit): Either.Either<string, string> => {
  const parsed = parseYaml(text)
  if (Either.isLeft(parsed)) return Either.left(parsed.left.join("; "))
  const root = parsed.right.document.contents
  const fresh = (indent: string) => edit.entries.map((e) => blockItem(e, indent)).join("")
  if (root === null) return Either.right(`${withNewline(text)}excluded_ports:\n${fresh("  ")}`)
  if (!isMap(root)) return Either.left("the configuration is not a mapping")
  const pair = root.items.find((p) => isScalar(p.key) && p.key.value === "excluded_ports")
  if (pair === undefined && root.flow) {
    // `{project: web}`: the new key goes inside the braces, in flow style.
    const close = range(root)[1] - 1
    const list = `excluded_ports: [${edit.entries.map(flowItem).join(", ")}]`
    return Either.right(apply(text, [{ from: close, to: close, insert: root.items.length === 0 ? list : `, ${list}` }]))
  }
  if (pair === undefined) return Either.right(`${withNewline(text)}excluded_ports:\n${fresh("  ")}`)
  const value = pair.value
  const key = pair.key
  if (value === null || (isScalar(value) && value.value === null)) {
    // `excluded_ports:` or `excluded_ports: null`: the list takes the null's place.
    const keyIndent = isScalar(key) ? indentOf(text, range(key)[0]) : ""
    const [from, to] = value === null || !isScalar(value) ? [text.length, text.length] : range(value)
    const start = from - (/[ \t]*$/.exec(text.slice(0, from))?.[0].length ?? 0)
    return Either.right(apply(text, [{ from: start, to, insert: `\n${fresh(`${keyIndent}  `).replace(/\n$/, "")}` }]))
  }
  if (!isSeq(value)) return Either.left("excluded_ports is not a list")
  const items = value.items.filter(isNode)
  if (value.flow || items.length === 0) {
    const [from, to] = range(value)
    const existing = items.map((i) => text.slice(range(i)[0], range(i)[1]))
    return Either.right(apply(text, [{ from, to, insert: `[${entriesAfter(edit, existing).join(", ")}]` }]))
  }
  // A block list: each item spans from the start of its `- ` line to the end of its node.
  const spans = items.map((i) => ({ from: lineStart(text, range(i)[0]), to: range(i)[2] }))
  const first = spans[0]
  const last = spans[spans.length - 1]
  if (first === undefined || last === undefined) return Either.left("excluded_ports is empty")
  const indent = indentOf(text, first.from)
  const endsLine = (s: { readonly to: number }) => text.slice(0, s.to).endsWith("\n") ? "" : "\n"
  if (edit._tag === "Replace") return Either.right(apply(text, [{ from: first.from, to: last.to, insert: fresh(indent) }]))
  if (edit.absorbed.length === 0) {
    return Either.right(apply(text, [{ from: last.to, to: last.to, insert: endsLine(last) + fresh(indent) }]))
  }
  return Either.right(apply(
    text,
    edit.absorbed.flatMap((index, n) => {
      const span = spans[index]
      if (span === undefined) return []
      return [{ from: span.from, to: span.to, insert: n === 0 ? fresh(indent) : "" }]
    })
  ))
}
