import * as Either from "effect/Either"
import * as fs from "node:fs"
import { causeMessage } from "../domain/Errors.js"

/**
 * Bounded reads of files a repository controls (configuration, Git metadata): a FIFO
 * must not block trop, a device or a huge file must not exhaust its memory.
 */

/** The most trop reads of one configuration file. */
export const CONFIGURATION_LIMIT = 1024 * 1024
/** The most trop reads of one Git metadata file (`HEAD`, `commondir`, a `.git` file). */
export const GIT_METADATA_LIMIT = 64 * 1024

/** Why a file was not read. */
export type ReadFailure =
  /** open/read failed (missing, permissions, a directory's EISDIR, ...). */
  | { readonly _tag: "Unreadable"; readonly cause: unknown }
  /** A FIFO, socket or device. */
  | { readonly _tag: "NotRegularFile" }
  | { readonly _tag: "TooLarge"; readonly limit: number }

/** `1 MiB`, `64 KiB`: the limits as messages name them. */
const formatLimit = (bytes: number): string =>
  bytes % (1024 * 1024) === 0 ? `${bytes / (1024 * 1024)} MiB` : bytes % 1024 === 0 ? `${bytes / 1024} KiB` : `${bytes} bytes`

/** The reason as one message fragment: `not a regular file`, `larger than the 1 MiB limit`, or the OS error. */
export const describeFailure = (failure: ReadFailure): string => {
  switch (failure._tag) {
    case "Unreadable":
      return causeMessage(failure.cause)
    case "NotRegularFile":
      return "not a regular file"
    case "TooLarge":
      return `larger than the ${formatLimit(failure.limit)} limit`
  }
}

// Non-blocking, so opening a FIFO returns at once; no controlling terminal from a tty.
const OPEN_FLAGS = fs.constants.O_RDONLY | (fs.constants.O_NONBLOCK ?? 0) | (fs.constants.O_NOCTTY ?? 0)

/**
 * The bytes of `path` (symlinks followed), at most `limit` of them. The type is checked
 * with fstat on the open descriptor, so a file swapped after a stat cannot slip through.
 * A directory is read like any file and fails with EISDIR, as it always has.
 */
export const readBounded = (path: string, limit: number): Either.Either<Buffer, ReadFailure> => {
  let fd: number
  try {
    fd = fs.openSync(path, OPEN_FLAGS)
  } catch (cause) {
    return Either.left({ _tag: "Unreadable", cause })
  }
  try {
    const stat = fs.fstatSync(fd)
    if (!stat.isFile() && !stat.isDirectory()) return Either.left({ _tag: "NotRegularFile" })
    if (stat.isFile() && stat.size > limit) return Either.left({ _tag: "TooLarge", limit })
    // The size is a hint: the file may grow while it is read, so reading stops one byte past the limit.
    let buffer = Buffer.allocUnsafe(Math.min(limit, stat.size) + 1)
    let length = 0
    while (true) {
      if (length === buffer.length) {
        if (length > limit) return Either.left({ _tag: "TooLarge", limit })
        const grown = Buffer.allocUnsafe(Math.min(limit + 1, buffer.length * 2))
        buffer.copy(grown, 0, 0, length)
        buffer = grown
      }
      const read = fs.readSync(fd, buffer, length, buffer.length - length, null)
      if (read === 0) return Either.right(buffer.subarray(0, length))
      length += read
    }
  } catch (cause) {
    return Either.left({ _tag: "Unreadable", cause })
  } finally {
    fs.closeSync(fd)
  }
}
