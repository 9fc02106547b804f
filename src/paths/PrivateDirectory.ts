import * as fs from "node:fs"
import * as nodePath from "node:path"
import { causeCode } from "../domain/Errors.js"

/** The mode of directories only their owner may use: the data directory and any parent trop makes for it. */
export const PRIVATE_DIRECTORY_MODE = 0o700

/**
 * Creates `directory` and its missing parents, each 0700 whatever the umask: mkdir's mode
 * goes through the umask, which may add bits back (000) or take the owner's away (277),
 * so it is set again after creation. Existing directories keep their mode. Throws the
 * mkdir/chmod error.
 */
export const makePrivateDirectory = (directory: string): void => {
  const missing: Array<string> = []
  for (let d = nodePath.resolve(directory); !fs.existsSync(d); d = nodePath.dirname(d)) {
    missing.unshift(d)
    if (nodePath.dirname(d) === d) break
  }
  // Something else already there fails as mkdir reports it (EEXIST).
  if (missing.length === 0 && !fs.statSync(directory).isDirectory()) fs.mkdirSync(directory)
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
