import * as Effect from "effect/Effect"
import * as fs from "node:fs"
import * as nodePath from "node:path"
import { AbsolutePath } from "../domain/AbsolutePath.js"
import type { CanonicalizeError } from "../domain/Errors.js"
import { causeCode, FileSystemError, PathNotFound, PathPermissionDenied, SymlinkLoop } from "../domain/Errors.js"

const toError = (path: string, cause: unknown): CanonicalizeError => {
  switch (causeCode(cause)) {
    case "ENOENT":
    case "ENOTDIR":
      return new PathNotFound({ path })
    case "EACCES":
    case "EPERM":
      return new PathPermissionDenied({ path })
    case "ELOOP":
      return new SymlinkLoop({ path })
    default:
      return FileSystemError.fromCause(cause)
  }
}

/** Resolves every symlink of an existing path (realpath). */
export const canonicalize = (path: string): Effect.Effect<AbsolutePath, CanonicalizeError> =>
  Effect.try({
    try: () => AbsolutePath.make(fs.realpathSync.native(path)),
    catch: (cause) => toError(path, cause)
  })

/**
 * Canonicalizes the longest existing ancestor of `path` and re-appends the part that does
 * not exist yet; used by the path guard to compare paths physically.
 */
export const canonicalizeExistingPrefix = (path: AbsolutePath): Effect.Effect<AbsolutePath, CanonicalizeError> => {
  const loop = (prefix: string, rest: Array<string>): Effect.Effect<AbsolutePath, CanonicalizeError> =>
    canonicalize(prefix).pipe(
      Effect.map((real) => AbsolutePath.make(rest.length === 0 ? real : nodePath.join(real, ...rest))),
      Effect.catchTag("PathNotFound", (e) => {
        const parent = nodePath.dirname(prefix)
        return parent === prefix ? Effect.fail(e) : loop(parent, [nodePath.basename(prefix), ...rest])
      })
    )
  return loop(path, [])
}
