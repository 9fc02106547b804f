import * as fs from "node:fs"
import * as nodePath from "node:path"
import { causeCode } from "../domain/Errors.js"

/** A file where a directory should be: `<path> is not a directory` (ENOTDIR). */
export class NotADirectory extends Error {
  readonly code = "ENOTDIR"
  constructor(readonly path: string) {
    super(`${path} is not a directory`)
  }
}

/** The mode of directories only their owner may use: the data directory and any parent trop makes for it. */
export const PRIVATE_DIRECTORY_MODE = 0o700

/**
 * Creates `directory` and its missing parents, each 0700 whatever the umask: mkdir's mode
 * goes through the umask, which may add bits back (000) or take the owner's away (277),
 * so it is set again after creation. Existing directories keep their mode. Throws the
 * mkdir/chmod error, or `<path> is not a directory` when a file (`/dev/null`) stands where
 * the directory or one of its parents should be.
 */
export const makePrivateDirectory = (directory: string): void => {
  const missing: Array<string> = []
  let existing = nodePath.resolve(directory)
  for (; !fs.existsSync(existing); existing = nodePath.dirname(existing)) {
    missing.unshift(existing)
    if (nodePath.dirname(existing) === existing) break
  }
  if (fs.existsSync(existing) && !fs.statSync(existing).isDirectory()) throw new NotADirectory(existing)
  for (const d of missing) {
    try {
      fs.mkdirSync(d, { mode: PRIVATE_DIRECTORY_MODE })
    } catch (cause) {
      // Made by a concurrent process meanwhile: theirs, as it is.
      if (causeCode(cause) === "EEXIST") continue
      throw cause
    }
    // lstat first: chmod follows symlinks, and one swapped in is not ours to change.
    const made = fs.lstatSync(d)
    if (made.isDirectory() && (made.mode & 0o777) !== PRIVATE_DIRECTORY_MODE) fs.chmodSync(d, PRIVATE_DIRECTORY_MODE)
  }
}
