import * as Either from "effect/Either"
import * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"
import type { Document, ScalarTag } from "yaml"
import { isMap, isScalar, LineCounter, parseDocument } from "yaml"
import { ConfigFile, describeValue, FIELDS, YamlFloat } from "./FileSchema.js"

/**
 * YAML 1.2 core schema, as trop 0.2.0 reads it (semantics.md §4.1): only true/false are
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

/** Parses YAML text; syntax errors come back as one-line messages naming the line. */
export const parseYaml = (text: string): Either.Either<ParsedYaml, ReadonlyArray<string>> => {
  const lineCounter = new LineCounter()
  const document = parseDocument(text, {
    version: "1.2",
    uniqueKeys: true,
    customTags: [binaryInt],
    lineCounter,
    prettyErrors: false,
    keepSourceTokens: true,
    // Integers arrive as bigint and floats as number, so `5000.0` is not taken for a port.
    intAsBigInt: true
  })
  if (document.errors.length > 0) {
    return Either.left(
      document.errors.map((e) => `${e.message.split("\n")[0]}${position(lineCounter, e.pos[0])}`)
    )
  }
  return Either.right({ document, lineCounter })
}

/** Where the node at `path` starts — for an unknown key, the key itself — or its nearest ancestor. */
const nodeOffset = (parsed: ParsedYaml, path: ReadonlyArray<PropertyKey>, atKey: boolean): number | undefined => {
  if (atKey) {
    const parent = path.length === 1 ? parsed.document.contents : parsed.document.getIn(path.slice(0, -1), true)
    if (isMap(parent)) {
      const pair = parent.items.find((p) => isScalar(p.key) && p.key.value === path[path.length - 1])
      if (pair !== undefined && isScalar(pair.key) && pair.key.range) return pair.key.range[0]
    }
  }
  for (let n = path.length; n >= 0; n--) {
    const node = path.length === 0 && n === 0 ? parsed.document.contents : parsed.document.getIn(path.slice(0, n), true)
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
      return `unknown field \`${key}\`, expected one of ${
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
  const value: unknown = parsed.document.toJS()
  if (!isMap(contents) || value === null || typeof value !== "object") {
    return Either.left([`invalid type: ${describeValue(value)}, expected a mapping of configuration keys`])
  }
  const clearsReservations = "reservations" in value && value.reservations === null
  const input = normalize(value)
  return Schema.decodeUnknownEither(ConfigFile)(input, {
    onExcessProperty: "error",
    errors: options.all ? "all" : "first"
  }).pipe(
    Either.mapLeft((error) =>
      ParseResult.ArrayFormatter.formatErrorSync(error).map((formatted) => {
        const issue = { ...formatted, path: formatted.path.map((p) => p === PROTO_STANDIN ? PROTO : p) }
        const parent = issue._tag === "Unexpected" || issue._tag === "Missing" ? issue.path.slice(0, -1) : issue.path
        const prefix = parent.length > 0 ? `${parent.map(String).join(".")}: ` : ""
        return `${prefix}${describeIssue(issue, input)}${position(parsed.lineCounter, nodeOffset(parsed, issue.path, issue._tag === "Unexpected"))}`
      })
    ),
    Either.map((config) => ({ config: withProtoService(config), clearsReservations }))
  )
}
