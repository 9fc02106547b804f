import * as Either from "effect/Either"

/**
 * Environment-variable names for group output (semantics.md §8.6). trop 0.1 printed
 * unvalidated names into `export` lines — a shell-injection hole — so every name that
 * reaches output passes `validate` first. Messages never echo the offending name.
 */

const MAX_BYTES = 255

/** Why `name` is not a portable variable name, or undefined. */
export const problem = (name: string): string | undefined => {
  if (name.length === 0) return "must not be empty and must match [A-Za-z_][A-Za-z0-9_]*"
  if (Buffer.byteLength(name, "utf8") > MAX_BYTES) return "must not exceed 255 bytes"
  if (!/^[A-Za-z_]/.test(name)) return "must start with an ASCII letter or underscore"
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) return "must contain only ASCII letters, digits, and underscores"
  return undefined
}

export const DERIVATION_PROBLEM =
  "service tag cannot be converted to a portable environment-variable name; provide an explicit valid env mapping"

/** `api-v2` → `API_V2`, from the raw (untrimmed) service key; fails for non-portable tags. */
export const derive = (rawTag: string): Either.Either<string, string> => {
  // eslint-disable-next-line no-control-regex
  if (!/^[\x00-\x7f]*$/.test(rawTag)) return Either.left(DERIVATION_PROBLEM)
  const name = rawTag.toUpperCase().replaceAll("-", "_")
  return problem(name) === undefined ? Either.right(name) : Either.left(DERIVATION_PROBLEM)
}

export const UNIQUENESS_PROBLEM = "resolved environment-variable names must be unique when compared without ASCII case"

/** Whether all names differ when ASCII case is ignored. */
export const areUnique = (names: ReadonlyArray<string>): boolean =>
  new Set(names.map((n) => n.toUpperCase())).size === names.length
