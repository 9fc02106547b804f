import * as Either from "effect/Either"
import * as Schema from "effect/Schema"

/**
 * Project, task and tag identifiers. The brands hold the stored invariant (trimmed,
 * non-empty); values typed by a user pass the stricter input rules of `fromInput`
 * (semantics.md §4.6), which also reject NUL bytes and more than 255 bytes.
 */
const Trimmed = Schema.String.pipe(
  Schema.filter((s) => s.length > 0 && s === s.trim())
)

export const Project = Trimmed.pipe(Schema.brand("trop/Project"))
export type Project = typeof Project.Type

export const Task = Trimmed.pipe(Schema.brand("trop/Task"))
export type Task = typeof Task.Type

/** A reservation tag; the untagged key has no Tag at all (stored as ''). */
export const Tag = Trimmed.pipe(Schema.brand("trop/Tag"))
export type Tag = typeof Tag.Type

const MAX_BYTES = 255

/** Why `raw` is not a valid project/task identifier, after trimming. */
const identifierProblem = (trimmed: string): string | undefined => {
  if (trimmed.length === 0) return "Cannot be empty or only whitespace"
  if (trimmed.includes("\0")) return "Cannot contain null bytes"
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

export const TAG_MESSAGE = "tag must be non-empty after trimming whitespace"

/** Single-reservation tags are only trimmed and must not be blank (cli.md §8.2). */
export const tagFromInput = (raw: string): Either.Either<Tag, string> => {
  const trimmed = raw.trim()
  return trimmed.length === 0 ? Either.left(TAG_MESSAGE) : Either.right(Tag.make(trimmed))
}

export { quoted } from "./Errors.js"
