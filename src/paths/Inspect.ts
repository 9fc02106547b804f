import * as Effect from "effect/Effect"
import * as fs from "node:fs"

/** Why a stored directory could not be inspected; such reservations are kept. */
export type UninspectableKind =
  | "permission denied"
  | "symlink loop"
  | "transient I/O error"
  | "unsupported filesystem operation"
  | "unknown filesystem error"

/** What prune learns from one `stat` of a stored path (docs/concepts.md). */
export type DirectoryStatus =
  | { readonly _tag: "Directory" }
  | { readonly _tag: "Prunable" }
  | { readonly _tag: "Uninspectable"; readonly kind: UninspectableKind; readonly reason: string }

const TRANSIENT = new Set([
  "ESTALE",
  "EBUSY",
  "EDEADLK",
  "ETXTBSY",
  "ENETDOWN",
  "ENETUNREACH",
  "EHOSTUNREACH",
  "EINTR",
  "EAGAIN",
  "ETIMEDOUT",
  "ECONNREFUSED",
  "ECONNRESET",
  "ECONNABORTED",
  "ENOTCONN"
])

const classifyError = (error: NodeJS.ErrnoException): DirectoryStatus => {
  const code = error.code ?? ""
  const uninspectable = (kind: UninspectableKind): DirectoryStatus => ({
    _tag: "Uninspectable",
    kind,
    reason: error.message
  })
  switch (code) {
    case "ENOENT":
    case "ENOTDIR":
    case "ENAMETOOLONG":
    case "EINVAL":
    case "ERR_INVALID_ARG_VALUE":
    case "ERR_INVALID_ARG_TYPE":
      return { _tag: "Prunable" }
    case "ELOOP":
      return uninspectable("symlink loop")
    case "EACCES":
    case "EPERM":
      return uninspectable("permission denied")
    case "ENOSYS":
    case "ENOTSUP":
    case "EOPNOTSUPP":
      return uninspectable("unsupported filesystem operation")
    default:
      return uninspectable(TRANSIENT.has(code) ? "transient I/O error" : "unknown filesystem error")
  }
}

/** Stats `path` once, following symlinks: a directory is kept, anything gone or not a directory prunable. */
export const inspectDirectory = (path: string): Effect.Effect<DirectoryStatus> =>
  Effect.sync(() => {
    try {
      return fs.statSync(path).isDirectory() ? { _tag: "Directory" } : { _tag: "Prunable" }
    } catch (error) {
      return classifyError(error as NodeJS.ErrnoException)
    }
  })
