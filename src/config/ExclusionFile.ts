import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as fs from "node:fs"
import { InvalidConfiguration, invalidField, FileSystemError } from "../domain/Errors.js"
import { replaceFile } from "../paths/AtomicWrite.js"
import type { ListEdit } from "./EditYaml.js"
import type { ExclusionItem } from "./FileSchema.js"
import { editExcludedPorts } from "./EditYaml.js"
import type { ExclusionEntry, Problem } from "./Validate.js"
import { exclusionEntry, exclusionProblem } from "./Validate.js"
import type { ParsedYaml } from "./Yaml.js"
import { decodeConfig, parseYaml } from "./Yaml.js"
import { readFailure } from "./Files.js"
import { CONFIGURATION_LIMIT, readBounded } from "../paths/SafeRead.js"

/**
 * Reading and rewriting the `excluded_ports` list of one configuration file, for
 * `exclude`, `compact-exclusions` and `scan --autoexclude` (docs/concepts.md).
 */


/** The file's text; a missing file is an empty document. */
export const readOrEmpty = (path: string): Effect.Effect<string, FileSystemError | InvalidConfiguration> => {
  if (!fs.existsSync(path)) return Effect.succeed("")
  return Either.match(readBounded(path, CONFIGURATION_LIMIT), {
    onLeft: (failure) =>
      Effect.fail(failure._tag === "Unreadable" ? FileSystemError.fromCause(failure.cause) : readFailure(path, failure)),
    onRight: (bytes) => Effect.succeed(bytes.toString("utf8"))
  })
}

/** The `excluded_ports` items of a document: undefined when the key is absent or null. */
export const listItems = (parsed: ParsedYaml): Either.Either<ReadonlyArray<ExclusionItem> | undefined, string> =>
  decodeConfig(parsed, { all: false }).pipe(
    Either.map(({ config }) => config.excluded_ports),
    Either.mapLeft((problems) => problems.join("; "))
  )

/** Each item as a valid entry, or undefined for items that are not (left untouched by merges). */
export const validEntries = (items: ReadonlyArray<ExclusionItem>): ReadonlyArray<ExclusionEntry | undefined> =>
  items.map((item) =>
    Either.match(exclusionEntry(item), {
      onLeft: () => undefined,
      onRight: (e) => exclusionProblem(e) === undefined ? e : undefined
    })
  )

/**
 * Writes through a temporary file beside the real target, so readers never see half a
 * file; a symlinked configuration stays a symlink and the file keeps its permissions. A new
 * file gets `newFileMode` (the user `config.yaml`: PRIVATE_FILE_MODE).
 */
export const writeAtomically = (path: string, text: string, newFileMode?: number): Effect.Effect<void, FileSystemError> =>
  Effect.try({
    try: () => replaceFile(path, text, newFileMode),
    catch: FileSystemError.fromCause
  })

/**
 * Applies `edit` to the text of `path` and checks that the result still parses as a
 * configuration with a valid exclusion list before anything is written.
 */
export const rewrite = (
  path: string,
  text: string,
  edit: ListEdit,
  newFileMode?: number
): Effect.Effect<void, InvalidConfiguration | FileSystemError> =>
  Effect.gen(function*() {
    const edited = editExcludedPorts(text, edit)
    if (Either.isLeft(edited)) return yield* new InvalidConfiguration({ detail: `Failed to parse config: ${edited.left}` })
    const decoded = Either.flatMap(parseYaml(edited.right), (p) => decodeConfig(p, { all: false }))
    if (Either.isLeft(decoded)) {
      return yield* invalidField(path, undefined, `Invalid YAML: ${decoded.left.join("; ")}`)
    }
    const problem = exclusionsProblem(decoded.right.config.excluded_ports ?? [])
    if (problem !== undefined) return yield* invalidField(problem.field, path, problem.message)
    yield* writeAtomically(path, edited.right, newFileMode)
  })

/** The first invalid `excluded_ports` item, with its field name (docs/configuration.md). */
export const exclusionsProblem = (items: ReadonlyArray<ExclusionItem>): Problem | undefined => {
  for (const [index, item] of items.entries()) {
    const message = Either.match(exclusionEntry(item), { onLeft: (m) => m, onRight: exclusionProblem })
    if (message !== undefined) return { field: `excluded_ports[${index}]`, message }
  }
  return undefined
}
