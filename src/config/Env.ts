import * as Either from "effect/Either"
import * as Option from "effect/Option"
import type { InvalidConfiguration } from "../domain/Errors.js"
import { invalidField } from "../domain/Errors.js"
import type { OccupancyCheck } from "../probe/Policy.js"
import type { ConfigLayer, Merged } from "./Effective.js"
import { addExclusions, setMax, setMaxOffset, setMin } from "./Effective.js"
import type { OutputFormat } from "./Settings.js"
import type { ExclusionEntry } from "./Validate.js"
import { parseExclusionText } from "./Validate.js"

/** The process environment, or any other name → value lookup. */
export type Environment = Readonly<Record<string, string | undefined>>

type Parsed<A> = Either.Either<A, InvalidConfiguration>

/** Parse errors are reported without a source annotation (docs/configuration.md). */
const parseError = (variable: string, reason: string) => invalidField(variable, undefined, reason)

const TRUE = new Set(["true", "1", "yes", "on"])
const FALSE = new Set(["false", "0", "no", "off"])

const parseBoolean = (variable: string, raw: string): Parsed<boolean> => {
  const v = raw.toLowerCase()
  if (TRUE.has(v)) return Either.right(true)
  if (FALSE.has(v)) return Either.right(false)
  return Either.left(
    parseError(variable, `Invalid boolean value: '${raw}' (expected true/false/1/0/yes/no/on/off)`)
  )
}

/** Decimal digits, a leading `+` tolerated, no trimming; at most `max`. */
const parseUnsigned = (variable: string, raw: string, max: bigint, reason: string): Parsed<number> =>
  /^\+?[0-9]+$/.test(raw) && BigInt(raw.replace(/^\+/, "")) <= max
    ? Either.right(Number(raw.replace(/^\+/, "")))
    : Either.left(parseError(variable, reason))

const U16 = 65535n
const U32 = 4294967295n
/** Values this large only fail validation later (`Timeout must not exceed ...`), like trop 0.2.0's u64. */
const U64 = 18446744073709551615n

/** Comma list, items trimmed, empty items skipped; range sides are not trimmed (docs/configuration.md). */
const parseExcludedPorts = (variable: string, raw: string): Parsed<ReadonlyArray<ExclusionEntry>> =>
  Either.all(
    raw.split(",").map((item) => item.trim()).filter((item) => item !== "").map((item) =>
      Either.mapLeft(parseExclusionText(item, false), (reason) => parseError(variable, reason))
    )
  )

const OUTPUT_FORMATS: ReadonlyArray<OutputFormat> = ["table", "json", "csv", "tsv"]

const parseOutputFormat = (variable: string, raw: string): Parsed<OutputFormat> => {
  const format = OUTPUT_FORMATS.find((f) => f === raw.toLowerCase())
  return format === undefined
    ? Either.left(parseError(variable, `Invalid output format: '${raw}' (expected table/json/csv/tsv)`))
    : Either.right(format)
}

type BooleanField =
  | "disableAutoinit"
  | "disableAutoprune"
  | "disableAutoexpire"
  | "allowUnrelatedPath"
  | "allowChangeProject"
  | "allowChangeTask"
  | "allowChange"

/** Boolean settings and their variables; the first name is canonical, the second an alias. */
const BOOLEANS: ReadonlyArray<readonly [ReadonlyArray<string>, BooleanField]> = [
  [["TROP_DISABLE_AUTOINIT"], "disableAutoinit"],
  [["TROP_DISABLE_AUTOPRUNE"], "disableAutoprune"],
  [["TROP_DISABLE_AUTOEXPIRE"], "disableAutoexpire"],
  [["TROP_ALLOW_UNRELATED_PATH"], "allowUnrelatedPath"],
  [["TROP_ALLOW_PROJECT_CHANGE", "TROP_ALLOW_CHANGE_PROJECT"], "allowChangeProject"],
  [["TROP_ALLOW_TASK_CHANGE", "TROP_ALLOW_CHANGE_TASK"], "allowChangeTask"],
  [["TROP_ALLOW_CHANGE"], "allowChange"]
]

const OCCUPANCY: ReadonlyArray<readonly [string, keyof OccupancyCheck]> = [
  ["TROP_SKIP_OCCUPANCY_CHECK", "skip"],
  ["TROP_SKIP_IPV4", "skip_ip4"],
  ["TROP_SKIP_IPV6", "skip_ip6"],
  ["TROP_SKIP_TCP", "skip_tcp"],
  ["TROP_SKIP_UDP", "skip_udp"],
  ["TROP_CHECK_ALL_INTERFACES", "check_all_interfaces"]
]

/**
 * The environment layer (docs/configuration.md): every `TROP_*` setting that is set, even to an
 * empty string, is parsed; the first invalid one fails the whole configuration.
 */
export const layer = (env: Environment): Parsed<ConfigLayer> =>
  Either.gen(function*() {
    const updates: Array<ConfigLayer> = []
    const read = (names: ReadonlyArray<string>) => {
      const name = names.find((n) => env[n] !== undefined)
      return name === undefined ? undefined : { name, raw: env[name] ?? "" }
    }
    const project = read(["TROP_PROJECT"])
    if (project) updates.push((m) => ({ ...m, project: Option.some({ value: project.raw, source: project.name }) }))
    const task = read(["TROP_TASK"])
    if (task) updates.push((m) => ({ ...m, task: Option.some({ value: task.raw, source: task.name }) }))
    for (const [names, field] of BOOLEANS) {
      const v = read(names)
      if (v) {
        const value = yield* parseBoolean(v.name, v.raw)
        updates.push((m) => ({ ...m, [field]: value }))
      }
    }
    const min = read(["TROP_PORT_MIN"])
    if (min) {
      const value = yield* parseUnsigned(min.name, min.raw, U16, "Invalid port number")
      updates.push((m) => setMin(m, value, min.name))
    }
    const max = read(["TROP_PORT_MAX"])
    if (max) {
      const value = yield* parseUnsigned(max.name, max.raw, U16, "Invalid port number")
      updates.push((m) => setMax(m, value, max.name))
    }
    const offset = read(["TROP_PORT_MAX_OFFSET"])
    if (offset) {
      const value = yield* parseUnsigned(offset.name, offset.raw, U16, "Invalid port offset")
      updates.push((m) => setMaxOffset(m, value, offset.name))
    }
    const excluded = read(["TROP_EXCLUDED_PORTS"])
    if (excluded) {
      const entries = yield* parseExcludedPorts(excluded.name, excluded.raw)
      updates.push((m) => addExclusions(m, entries, excluded.name))
    }
    const days = read(["TROP_EXPIRE_AFTER_DAYS"])
    if (days) {
      const value = yield* parseUnsigned(days.name, days.raw, U32, "Must be a positive integer")
      updates.push((m) => ({ ...m, expireAfterDays: { value, source: days.name } }))
    }
    const lockWait = read(["TROP_BUSY_TIMEOUT", "TROP_MAXIMUM_LOCK_WAIT_SECONDS"])
    if (lockWait) {
      const value = yield* parseUnsigned(lockWait.name, lockWait.raw, U64, "Must be a positive integer")
      updates.push((m) => ({ ...m, maximumLockWaitSeconds: { value, source: lockWait.name } }))
    }
    const format = read(["TROP_OUTPUT_FORMAT"])
    if (format) {
      const value = yield* parseOutputFormat(format.name, format.raw)
      updates.push((m) => ({ ...m, outputFormat: value }))
    }
    for (const [name, leaf] of OCCUPANCY) {
      const v = read([name])
      if (v) {
        const value = yield* parseBoolean(v.name, v.raw)
        updates.push((m) => ({ ...m, occupancyCheck: { ...m.occupancyCheck, [leaf]: value } }))
      }
    }
    return (m: Merged) => updates.reduce((acc, update) => update(acc), m)
  })
