import * as Either from "effect/Either"
import * as Schema from "effect/Schema"
import { hasControl } from "./Escape.js"

/**
 * Project, task and tag identifiers. The brands hold the stored invariant (trimmed,
 * non-empty); values typed by a user pass the stricter input rules of `fromInput`
 * (docs/configuration.md), which also reject NUL bytes and more than 255 bytes, and control
 * characters, which would reach the terminal in `list` and messages (docs/security.md).
 */
const Trimmed = Schema.String.pipe(
  Schema.filter((s) => s.length > 0 && s === s.trim())
)

/** A project name: trimmed, not empty. */
export const Project = Trimmed.pipe(Schema.brand("trop/Project"))
export type Project = typeof Project.Type

/** A task name: trimmed, not empty. */
export const Task = Trimmed.pipe(Schema.brand("trop/Task"))
export type Task = typeof Task.Type

/** A reservation tag; the untagged key has no Tag at all (stored as ''). */
export const Tag = Trimmed.pipe(Schema.brand("trop/Tag"))
export type Tag = typeof Tag.Type

const MAX_BYTES = 255

/** Why a project or task with control characters is refused. */
export const CONTROL_MESSAGE = "Cannot contain control characters"

/** Why `raw` is not a valid project/task identifier, after trimming. */
const identifierProblem = (trimmed: string): string | undefined => {
  if (trimmed.length === 0) return "Cannot be empty or only whitespace"
  if (trimmed.includes("\0")) return "Cannot contain null bytes"
  if (hasControl(trimmed)) return CONTROL_MESSAGE
  if (Buffer.byteLength(trimmed, "utf8") > MAX_BYTES) return "Cannot exceed 255 characters"
  return undefined
}

const fromInput = <A>(make: (s: string) => A) => (raw: string): Either.Either<A, string> => {
  const trimmed = raw.trim()
  const problem = identifierProblem(trimmed)
  return problem === undefined ? Either.right(make(trimmed)) : Either.left(problem)
}

/** Validates a project typed by a user, read from env/config or inferred from Git. */
export const projectFromInput = fromInput(Project.make)
/** Validates a task typed by a user, read from env or inferred from Git. */
export const taskFromInput = fromInput(Task.make)

/** Why a blank tag is refused. */
export const TAG_MESSAGE = "tag must be non-empty after trimming whitespace"
/** Why a tag with control characters is refused. */
export const TAG_CONTROL_MESSAGE = "tag must not contain control characters"

/** Single-reservation tags are trimmed and must not be blank (docs/cli.md) nor hold control characters. */
export const tagFromInput = (raw: string): Either.Either<Tag, string> => {
  const trimmed = raw.trim()
  if (trimmed.length === 0) return Either.left(TAG_MESSAGE)
  return hasControl(trimmed) ? Either.left(TAG_CONTROL_MESSAGE) : Either.right(Tag.make(trimmed))
}

export { quoted } from "./Errors.js"
