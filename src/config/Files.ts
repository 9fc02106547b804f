import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import { causeCode, InvalidConfiguration, invalidField } from "../domain/Errors.js"
import type { ReadFailure } from "../paths/SafeRead.js"
import { CONFIGURATION_LIMIT, describeFailure, readBounded } from "../paths/SafeRead.js"
import type { ConfigLayer, Merged } from "./Effective.js"
import { addExclusions, setMax, setMaxOffset, setMin } from "./Effective.js"
import type { ConfigFile } from "./FileSchema.js"
import type { FileKind } from "./Validate.js"
import { exclusionEntry, fileProblems } from "./Validate.js"
import * as DecodedCache from "./DecodedCache.js"
import type { DecodedConfig } from "./Yaml.js"
import { decodeConfig, parseYaml } from "./Yaml.js"

/** One configuration file, read, decoded and validated on its own. */
export interface LoadedFile {
  readonly path: string
  readonly kind: FileKind
  readonly config: ConfigFile
  /** `reservations: null`: clears a group inherited from a lower layer (project files only). */
  readonly clearsReservations: boolean
}


/** Why a configuration file could not be read, as the configuration error naming it (exit 7). */
export const readFailure = (path: string, failure: ReadFailure): InvalidConfiguration =>
  new InvalidConfiguration({
    detail: `invalid path ${path}: Failed to read configuration file: ${
      failure._tag === "Unreadable" && causeCode(failure.cause) === "EISDIR"
        ? "is a directory, expected a YAML file"
        : describeFailure(failure)
    }`
  })

/** The file's text, read up to the configuration limit; failures are configuration errors naming the file (exit 7). */
export const readText = (path: string): Effect.Effect<string, InvalidConfiguration> =>
  Either.match(readBounded(path, CONFIGURATION_LIMIT), {
    onLeft: (failure) => Effect.fail(readFailure(path, failure)),
    onRight: (bytes) => Effect.succeed(bytes.toString("utf8"))
  })

/**
 * Reads and decodes one file (docs/configuration.md): read failures, YAML and schema errors
 * (`validation error for '<file>': Invalid YAML: ...`). Its rules are not checked yet. With a
 * `cache`, a text decoded before is not decoded again (DecodedCache.ts).
 */
export const parse = (
  path: string,
  kind: FileKind,
  cache?: DecodedCache.Cache
): Effect.Effect<LoadedFile, InvalidConfiguration> =>
  Effect.flatMap(readText(path), (text) => {
    const loaded = ({ clearsReservations, config }: DecodedConfig) => Effect.succeed({ path, kind, config, clearsReservations })
    const cached = cache === undefined ? undefined : DecodedCache.lookup(cache, text)
    if (cached !== undefined) return loaded(cached)
    return Either.match(Either.flatMap(parseYaml(text), (parsed) => decodeConfig(parsed, { all: false })), {
      onLeft: ([message]) => Effect.fail(invalidField(path, undefined, `Invalid YAML: ${message}`)),
      onRight: (decoded) => {
        if (cache !== undefined) DecodedCache.remember(cache, text, decoded)
        return loaded(decoded)
      }
    })
  })

/**
 * The rules of one decoded file on its own (docs/configuration.md): the first problem, as
 * `validation error for '<field> (<file>)': ...`.
 */
export const check = (file: LoadedFile): Effect.Effect<LoadedFile, InvalidConfiguration> => {
  const [problem] = fileProblems(file.config, file.kind)
  return problem === undefined ? Effect.succeed(file) : Effect.fail(invalidField(problem.field, file.path, problem.message))
}

/** Loads one file on its own (docs/configuration.md): `parse`, then `check`. */
export const load = (path: string, kind: FileKind): Effect.Effect<LoadedFile, InvalidConfiguration> =>
  Effect.flatMap(parse(path, kind), check)

/** How a loaded (valid) file changes the layers below it (docs/configuration.md). */
export const layer = (file: LoadedFile): ConfigLayer => (m: Merged): Merged => {
  const c = file.config
  const source = file.path
  let r = m
  if (c.project !== undefined) r = { ...r, project: Option.some({ value: c.project, source }) }
  if (c.ports !== undefined) {
    // A ports block always sets min; max and max_offset each clear the other.
    r = setMin(r, c.ports.min, source)
    if (c.ports.max !== undefined) r = setMax(r, c.ports.max, source)
    if (c.ports.max_offset !== undefined) r = setMaxOffset(r, c.ports.max_offset, source)
    // Both given: both kept, so validation reports it (a loaded file never has both).
    if (c.ports.max !== undefined && c.ports.max_offset !== undefined) {
      r = { ...r, ports: { ...r.ports, max: Option.some(c.ports.max) } }
    }
  }
  if (c.excluded_ports !== undefined) {
    r = addExclusions(r, c.excluded_ports.flatMap((item) => Either.match(exclusionEntry(item), { onLeft: () => [], onRight: (e) => [e] })), source)
  }
  if (c.cleanup?.expire_after_days !== undefined) {
    r = { ...r, expireAfterDays: { value: c.cleanup.expire_after_days, source } }
  }
  r = { ...r, occupancyCheck: { ...r.occupancyCheck, ...c.occupancy_check } }
  const flags = {
    disableAutoinit: c.disable_autoinit,
    disableAutoprune: c.disable_autoprune,
    disableAutoexpire: c.disable_autoexpire,
    allowUnrelatedPath: c.allow_unrelated_path,
    allowChangeProject: c.allow_change_project,
    allowChangeTask: c.allow_change_task,
    allowChange: c.allow_change
  }
  for (const [field, value] of Object.entries(flags)) if (value !== undefined) r = { ...r, [field]: value }
  if (c.maximum_lock_wait_seconds !== undefined) {
    r = { ...r, maximumLockWaitSeconds: { value: c.maximum_lock_wait_seconds, source } }
  }
  if (c.output_format !== undefined) r = { ...r, outputFormat: c.output_format }
  // Groups never merge: a mapping replaces, `null` clears; both are inert in the user config.
  if (file.kind === "project") {
    if (c.reservations !== undefined) r = { ...r, reservations: Option.some({ value: c.reservations, source }) }
    else if (file.clearsReservations) r = { ...r, reservations: Option.some({ value: null, source }) }
  }
  return r
}
