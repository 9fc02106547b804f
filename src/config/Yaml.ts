import * as Either from "effect/Either"
import * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"
import type { Document, Pair, ScalarTag, YAMLMap } from "yaml"
import { isMap, isNode, isScalar, isSeq, LineCounter, parseDocument, visit } from "yaml"
import { causeMessage } from "../domain/Errors.js"
import { excerpt } from "../domain/Escape.js"
import { ConfigFile, describeValue, FIELDS, YamlFloat } from "./FileSchema.js"

/**
 * YAML 1.2 core schema, as trop 0.2.0 reads it (docs/configuration.md): only true/false are
 * booleans, duplicate keys are errors, and integers may also be written `0b101`.
 */
const binaryInt: ScalarTag = {
  tag: "tag:yaml.org,2002:int",
  format: "BIN",
  default: true,
  test: /^0b[01]+$/,
  resolve: (source) => BigInt(source),
  // Never chosen when writing: numbers keep their decimal spelling.
  identify: () => false
}

/** A parsed YAML document and where its nodes are, for messages and in-place edits. */
export interface ParsedYaml {
  readonly document: Document.Parsed
  readonly lineCounter: LineCounter
}

const position = (lineCounter: LineCounter, offset: number | undefined): string => {
  if (offset === undefined) return ""
  const { col, line } = lineCounter.linePos(offset)
  return ` at line ${line} column ${col}`
}

const DUPLICATE_KEY = "Map keys must be unique"

/**
 * A message of the YAML library, cut to its first line and MESSAGE_LENGTH characters: some
 * quote the document (a tag, a directive, an alias name), which may be the whole file.
 */
const MESSAGE_LENGTH = 80
const libraryMessage = (message: string): string => excerpt(message.split("\n")[0] ?? "", MESSAGE_LENGTH)

/** A problem of a document and where it starts. */
interface Problem {
  readonly offset: number
  readonly message: string
}

/**
 * Where a scalar key repeats one of its mapping, in one pass per mapping: the YAML
 * library's own check compares each key with every earlier one, which takes minutes for
 * a 1 MiB file of distinct keys. Keys are equal as the library compares them (`===` of
 * the resolved values: `1` and `0x1` are, `1` and `"1"` are not, NaN never is).
 */
const duplicateKeys = (document: Document.Parsed): ReadonlyArray<Problem> => {
  const problems: Array<Problem> = []
  try {
    visit(document, {
      Map(_, map) {
        const seen = new Set<unknown>()
        for (const { key } of map.items) {
          if (!isScalar(key) || Number.isNaN(key.value)) continue
          if (seen.has(key.value)) problems.push({ offset: key.range?.[0] ?? 0, message: DUPLICATE_KEY })
          else seen.add(key.value)
        }
      }
    })
  } catch (cause) {
    // Nesting too deep to walk is a problem of the document too (no check is skipped).
    problems.push({ offset: 0, message: libraryMessage(causeMessage(cause)) })
  }
  return problems
}

/** Parses YAML text; syntax errors come back as one-line messages naming the line. */
export const parseYaml = (text: string): Either.Either<ParsedYaml, ReadonlyArray<string>> => {
  const lineCounter = new LineCounter()
  const document = parseDocument(text, {
    version: "1.2",
    uniqueKeys: false,
    customTags: [binaryInt],
    lineCounter,
    prettyErrors: false,
    keepSourceTokens: true,
    // Integers arrive as bigint and floats as number, so `5000.0` is not taken for a port.
    intAsBigInt: true
  })
  const errors = merge(
    document.errors.map((e) => ({ offset: e.pos[0], message: libraryMessage(e.message) })),
    duplicateKeys(document)
  )
  if (errors.length > 0) {
    return Either.left(errors.map((e) => `${e.message}${position(lineCounter, e.offset)}`))
  }
  return Either.right({ document, lineCounter })
}

/**
 * The library's errors with `extra` problems placed where the library would have reported
 * them: each before the first error that starts after it (errors keep their own order).
 */
const merge = (errors: ReadonlyArray<Problem>, extra: ReadonlyArray<Problem>): ReadonlyArray<Problem> => {
  if (extra.length === 0) return errors
  // reach[i]: the furthest offset among errors 0..i; the first i beyond an offset is its slot.
  const reach: Array<number> = []
  for (const e of errors) reach.push(Math.max(e.offset, reach[reach.length - 1] ?? -1))
  const slot = (offset: number) => {
    let low = 0
    let high = reach.length
    while (low < high) {
      const mid = (low + high) >> 1
      if ((reach[mid] ?? 0) > offset) high = mid
      else low = mid + 1
    }
    return low
  }
  const bySlot = new Map<number, Array<Problem>>()
  for (const problem of [...extra].sort((a, b) => a.offset - b.offset)) {
    const at = slot(problem.offset)
    const list = bySlot.get(at)
    if (list === undefined) bySlot.set(at, [problem])
    else list.push(problem)
  }
  return errors.flatMap((e, i) => [...(bySlot.get(i) ?? []), e]).concat(bySlot.get(errors.length) ?? [])
}

/** Finds a mapping's pair by key. */
type PairOf = (map: YAMLMap, key: PropertyKey) => Pair | undefined

/**
 * Finds pairs as `getIn` does (the first pair whose scalar key is `key`), from an index of
 * each mapping built on first use: `getIn` scans every pair, so messages for every key of a
 * large file would take quadratic time.
 */
const pairFinder = (): PairOf => {
  const indexes = new Map<YAMLMap, Map<unknown, Pair>>()
  return (map, key) => {
    let index = indexes.get(map)
    if (index === undefined) {
      index = new Map()
      for (const pair of map.items) {
        if (isScalar(pair.key) && !index.has(pair.key.value)) index.set(pair.key.value, pair)
      }
      indexes.set(map, index)
    }
    return index.get(key)
  }
}

/** The node at `path` from the document's root (`getIn(path, true)`). */
const nodeAt = (parsed: ParsedYaml, pairOf: PairOf, path: ReadonlyArray<PropertyKey>): unknown =>
  path.reduce<unknown>((node, key) => {
    if (isMap(node)) return pairOf(node, key)?.value
    const index = typeof key === "string" && key !== "" ? Number(key) : key
    return isSeq(node) && typeof index === "number" && Number.isInteger(index) && index >= 0 ? node.items[index] : undefined
  }, parsed.document.contents)

/** Where the node at `path` starts — for an unknown key, the key itself — or its nearest ancestor. */
const nodeOffset = (parsed: ParsedYaml, pairOf: PairOf, path: ReadonlyArray<PropertyKey>, atKey: boolean): number | undefined => {
  const key = path[path.length - 1]
  if (atKey && key !== undefined) {
    const parent = nodeAt(parsed, pairOf, path.slice(0, -1))
    const pair = isMap(parent) ? pairOf(parent, key) : undefined
    if (pair !== undefined && isScalar(pair.key) && pair.key.range) return pair.key.range[0]
  }
  for (let n = path.length; n >= 0; n--) {
    const node = nodeAt(parsed, pairOf, path.slice(0, n))
    if (node !== undefined && node !== null && typeof node === "object" && "range" in node) {
      const range = node.range as ReadonlyArray<number> | undefined
      if (range !== undefined) return range[0]
    }
  }
  return undefined
}

const fieldsAt = (parent: ReadonlyArray<PropertyKey>): ReadonlyArray<string> =>
  parent.length === 3 && parent[0] === "reservations" && parent[1] === "services"
    ? FIELDS.service ?? []
    : FIELDS[parent.join(".")] ?? []

/** The value at `path` of the decoded input, for type messages. */
const valueAt = (value: unknown, path: ReadonlyArray<PropertyKey>): unknown =>
  path.reduce<unknown>(
    (v, key) => v !== null && typeof v === "object" ? (v as Record<PropertyKey, unknown>)[key] : undefined,
    value
  )

const describeIssue = (issue: ParseResult.ArrayFormatterIssue, input: unknown): string => {
  const key = String(issue.path[issue.path.length - 1])
  switch (issue._tag) {
    case "Unexpected":
      return `unknown field \`${excerpt(key)}\`, expected one of ${
        fieldsAt(issue.path.slice(0, -1)).map((f) => `\`${f}\``).join(", ")
      }`
    case "Missing":
      return `missing field \`${key}\``
    case "Type":
      // Mappings and lists come with the schema's own wording; say it the way trop does.
      if (issue.message.startsWith("Expected {")) {
        return `invalid type: ${describeValue(valueAt(input, issue.path))}, expected a mapping`
      }
      if (issue.message.startsWith("Expected ReadonlyArray")) {
        return `invalid type: ${describeValue(valueAt(input, issue.path))}, expected a sequence`
      }
      return issue.message
    default:
      return issue.message
  }
}

/**
 * Prepares `toJS()` output for the schema: keys whose value is null mean "not set" and go
 * away (a service written `web:` is a service with no settings); integers become numbers
 * and floats `YamlFloat`s, which no integer field accepts.
 */
/**
 * A service may be called `__proto__`; decoding builds plain objects, where that key would
 * set the prototype instead of adding a service, so it travels under a stand-in.
 */
const PROTO = "__proto__"
const PROTO_STANDIN = "\u0000__proto__"

const normalize = (value: unknown, path: ReadonlyArray<string> = []): unknown => {
  if (typeof value === "bigint") return Number(value)
  if (typeof value === "number") return new YamlFloat(value)
  if (Array.isArray(value)) return value.map((v) => normalize(v, path))
  if (value === null || typeof value !== "object") return value
  const inServices = path.length === 2 && path[0] === "reservations" && path[1] === "services"
  return Object.fromEntries(
    Object.entries(value)
      .filter(([, v]) => v !== null || inServices)
      .map(([k, v]) => [inServices && k === PROTO ? PROTO_STANDIN : k, inServices && v === null ? {} : normalize(v, [...path, k])])
  )
}

/** Puts a service decoded under the stand-in back under its real name, as an own key. */
const withProtoService = (config: ConfigFile): ConfigFile => {
  const services = config.reservations?.services
  if (services === undefined || !(PROTO_STANDIN in services)) return config
  const entries = Object.entries(services).map(([k, v]) => [k === PROTO_STANDIN ? PROTO : k, v] as const)
  return { ...config, reservations: { ...config.reservations, services: Object.fromEntries(entries) } }
}

/** A decoded file; `reservations: null` is kept apart because it clears an inherited group. */
export interface DecodedConfig {
  readonly config: ConfigFile
  readonly clearsReservations: boolean
}

/**
 * Decodes a parsed document as a configuration file. Each problem is one line: the key
 * path, what is wrong, and where (`ports.min: invalid type: ... at line 2 column 8`).
 * `all` collects every problem instead of stopping at the first.
 */
export const decodeConfig = (
  parsed: ParsedYaml,
  options: { readonly all: boolean }
): Either.Either<DecodedConfig, ReadonlyArray<string>> => {
  const contents = parsed.document.contents
  // An empty or comment-only file is a valid empty configuration.
  if (contents === null) return Either.right({ config: {}, clearsReservations: false })
  // toJS refuses alias expansions beyond the library's limit (a resource exhaustion attack):
  // a problem of this document, like any other.
  const converted = Either.try(() => parsed.document.toJS() as unknown)
  if (Either.isLeft(converted)) return Either.left([libraryMessage(causeMessage(converted.left))])
  const value = converted.right
  if (!isMap(contents) || value === null || typeof value !== "object") {
    return Either.left([
      `invalid type: ${describeValue(value)}, expected a mapping of configuration keys${
        position(parsed.lineCounter, isNode(contents) ? contents.range?.[0] : undefined)
      }`
    ])
  }
  const clearsReservations = "reservations" in value && value.reservations === null
  const input = normalize(value)
  return Schema.decodeUnknownEither(ConfigFile)(input, {
    onExcessProperty: "error",
    errors: options.all ? "all" : "first"
  }).pipe(
    Either.mapLeft((error) => {
      const pairOf = pairFinder()
      return ParseResult.ArrayFormatter.formatErrorSync(error).map((formatted) => {
        const issue = { ...formatted, path: formatted.path.map((p) => p === PROTO_STANDIN ? PROTO : p) }
        const parent = issue._tag === "Unexpected" || issue._tag === "Missing" ? issue.path.slice(0, -1) : issue.path
        // A service's name is the file's content too: each segment is cut like a value.
        const prefix = parent.length > 0 ? `${parent.map((p) => excerpt(String(p))).join(".")}: ` : ""
        return `${prefix}${describeIssue(issue, input)}${position(parsed.lineCounter, nodeOffset(parsed, pairOf, issue.path, issue._tag === "Unexpected"))}`
      })
    }),
    Either.map((config) => ({ config: withProtoService(config), clearsReservations }))
  )
}
