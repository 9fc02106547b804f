import * as Either from "effect/Either"
import * as nodePath from "node:path"
import { AbsolutePath } from "../domain/AbsolutePath.js"
import { InvalidPath } from "../domain/Errors.js"

/** Where relative paths and `~` point: the process working directory and home. */
export interface PathContext {
  readonly cwd: string
  readonly home: string | undefined
}

/** `~` and `~/rest` → the home directory (+ rest); other leading `~` forms are refused. */
export const expandTilde = (raw: string, home: string | undefined): Either.Either<string, string> => {
  if (!raw.startsWith("~")) return Either.right(raw)
  const rest = raw.slice(1)
  if (rest !== "" && !rest.startsWith("/") && !(nodePath.sep === "\\" && rest.startsWith("\\"))) {
    return Either.left("~user syntax is not supported; use ~ or ~/path")
  }
  if (home === undefined || home === "") return Either.left("Cannot determine home directory")
  return Either.right(home + rest)
}

/** No empty, `.` or `..` component and no trailing separator: a POSIX path AbsolutePath accepts as it is. */
const NORMAL_POSIX = /^(?:\/(?:[^/.]|\.[^/.]|\.\.[^/])[^/]*)+$/

const isNormal = (absolute: string): boolean => nodePath.sep === "/" && NORMAL_POSIX.test(absolute)

/**
 * Resolves `.` and `..` component by component. Unlike `path.resolve`, `..` at the
 * root is an error rather than silently clamped (docs/concepts.md).
 */
const resolveLexically = (absolute: string): Either.Either<AbsolutePath, string> => {
  // Already normal, as most paths a program passes are: nothing to resolve, nothing to check.
  if (isNormal(absolute)) return Either.right(absolute as AbsolutePath)
  const { root } = nodePath.parse(absolute)
  const parts: Array<string> = []
  for (const part of absolute.slice(root.length).split(/[\\/]+/)) {
    if (part === "" || part === ".") continue
    if (part === "..") {
      if (parts.pop() === undefined) return Either.left("Path contains too many '..' components (escapes root)")
      continue
    }
    parts.push(part)
  }
  return Either.right(AbsolutePath.make(root.replace(/[\\/]+$/, nodePath.sep) + parts.join(nodePath.sep)))
}

/**
 * Normalizes an explicit path (`--path`, `TROP_PATH`, ...): tilde expansion, joined onto
 * the working directory, lexical `.`/`..`. No filesystem access; symlinks are kept.
 */
export const normalize = (raw: string, context: PathContext): Either.Either<AbsolutePath, InvalidPath> => {
  const fail = (reason: string) => new InvalidPath({ path: raw, reason })
  if (!raw.isWellFormed()) return Either.left(fail("Path contains invalid UTF-8"))
  return expandTilde(raw, context.home).pipe(
    Either.map((expanded) => nodePath.isAbsolute(expanded) ? expanded : context.cwd + nodePath.sep + expanded),
    Either.flatMap(resolveLexically),
    Either.mapLeft(fail)
  )
}
