import * as Schema from "effect/Schema"
import { excerpt } from "../domain/Escape.js"

/**
 * The YAML configuration file as written (docs/configuration.md): typed at parse time
 * (ports are u16, strings are never coerced to numbers), unknown keys rejected at every
 * level. Rules between values (max >= min, ...) are checked later, in Validate.ts.
 */

/** A YAML float (`5000.0`, `1e3`, `.inf`): kept apart from integers so no integer field takes it. */
export class YamlFloat {
  constructor(readonly value: number) {}
}

/** A string of a user's file as messages quote it: JSON-quoted, cut after EXCERPT_LENGTH (`"abc"...`). */
export const quotedExcerpt = (text: string): string => {
  const cut = excerpt(text)
  return cut === text ? JSON.stringify(text) : `${JSON.stringify(cut.slice(0, -3))}...`
}

/** How serde, and so trop 0.2.0, names a YAML value in type errors; long strings are cut. */
export const describeValue = (u: unknown): string => {
  if (u instanceof YamlFloat) return `floating point \`${u.value}\``
  if (typeof u === "string") return `string ${quotedExcerpt(u)}`
  if (typeof u === "number") return Number.isInteger(u) ? `integer \`${u}\`` : `floating point \`${u}\``
  if (typeof u === "boolean") return `boolean \`${u}\``
  if (u === null || u === undefined) return "unit value"
  return Array.isArray(u) ? "sequence" : "map"
}

const actualOf = (issue: unknown): unknown =>
  typeof issue === "object" && issue !== null && "actual" in issue ? issue.actual : undefined

const unsigned = (name: string, max: number) =>
  Schema.declare((u): u is number => typeof u === "number" && Number.isInteger(u) && u >= 0 && u <= max, {
    message: (issue) => {
      const actual = actualOf(issue)
      const kind = typeof actual === "number" && Number.isInteger(actual) ? "invalid value" : "invalid type"
      return `${kind}: ${describeValue(actual)}, expected ${name}`
    }
  })

export const U16 = unsigned("u16", 65535)
export const U32 = unsigned("u32", 4294967295)
export const U64 = unsigned("u64", Number.MAX_SAFE_INTEGER)

const typed = <A>(is: (u: unknown) => u is A, expected: string) =>
  Schema.declare(is, { message: (issue) => `invalid type: ${describeValue(actualOf(issue))}, expected ${expected}` })

export const Bool = typed((u): u is boolean => typeof u === "boolean", "a boolean")
export const Text = typed((u): u is string => typeof u === "string", "a string")

const OUTPUT_FORMATS = ["json", "csv", "tsv", "table"] as const
export const OutputFormatField = Schema.declare(
  (u): u is typeof OUTPUT_FORMATS[number] => typeof u === "string" && (OUTPUT_FORMATS as ReadonlyArray<string>).includes(u),
  {
    message: (issue) => {
      const actual = actualOf(issue)
      return typeof actual === "string"
        ? `unknown variant \`${excerpt(actual)}\`, expected one of ${OUTPUT_FORMATS.map((f) => `\`${f}\``).join(", ")}`
        : `invalid type: ${describeValue(actual)}, expected an output format`
    }
  }
)

/**
 * An optional key. `null` (or a key without value) means the same as absent; Yaml.ts
 * removes such keys before decoding, so absent is the only other case.
 */
const optional = <S extends Schema.Schema.Any>(schema: S) => Schema.optionalWith(schema, { exact: true })

const isU16 = (u: unknown): u is number => typeof u === "number" && Number.isInteger(u) && u >= 0 && u <= 65535

/** `{start, end}` inside `excluded_ports`; other keys are ignored (docs/configuration.md). */
export interface RangeEntry {
  readonly start: number
  readonly end: number
}

/** `5001`, `"5001"`, `"5005..5009"` or `{start, end}`. */
export type ExclusionItem = number | string | RangeEntry

export const ExclusionItem = Schema.declare(
  (u): u is ExclusionItem =>
    isU16(u) || typeof u === "string" ||
    (typeof u === "object" && u !== null && "start" in u && "end" in u && isU16(u.start) && isU16(u.end)),
  {
    message: (issue) =>
      `invalid type: ${describeValue(actualOf(issue))}, expected a port, a "start..end" string or a {start, end} mapping`
  }
)

export const Service = Schema.Struct({
  offset: optional(U16),
  preferred: optional(U16),
  env: optional(Text)
})
export type Service = typeof Service.Type

export const Reservations = Schema.Struct({
  base: optional(U16),
  services: Schema.Record({ key: Schema.String, value: Service })
})
export type Reservations = typeof Reservations.Type

export const ConfigFile = Schema.Struct({
  project: optional(Text),
  ports: optional(Schema.Struct({ min: U16, max: optional(U16), max_offset: optional(U16) })),
  excluded_ports: optional(Schema.Array(ExclusionItem)),
  cleanup: optional(Schema.Struct({ expire_after_days: optional(U32) })),
  occupancy_check: optional(Schema.Struct({
    skip: optional(Bool),
    skip_ip4: optional(Bool),
    skip_ip6: optional(Bool),
    skip_tcp: optional(Bool),
    skip_udp: optional(Bool),
    check_all_interfaces: optional(Bool)
  })),
  reservations: optional(Reservations),
  disable_autoinit: optional(Bool),
  disable_autoprune: optional(Bool),
  disable_autoexpire: optional(Bool),
  allow_unrelated_path: optional(Bool),
  allow_change_project: optional(Bool),
  allow_change_task: optional(Bool),
  allow_change: optional(Bool),
  maximum_lock_wait_seconds: optional(U64),
  output_format: optional(OutputFormatField)
})
export type ConfigFile = typeof ConfigFile.Type

/** The keys each mapping accepts, for `unknown field` messages. */
export const FIELDS: Readonly<Record<string, ReadonlyArray<string>>> = {
  "": Object.keys(ConfigFile.fields),
  ports: ["min", "max", "max_offset"],
  cleanup: ["expire_after_days"],
  occupancy_check: ["skip", "skip_ip4", "skip_ip6", "skip_tcp", "skip_udp", "check_all_interfaces"],
  reservations: ["base", "services"],
  service: Object.keys(Service.fields)
}
