import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import type * as Scope from "effect/Scope"
import * as fs from "node:fs"
import * as os from "node:os"
import * as nodePath from "node:path"

/**
 * Read-only access that leaves nothing behind. SQLite reads a WAL database only through
 * its `-wal` and `-shm` files: a connection that may not write trop.db creates them (with
 * trop.db's mode, so read-only too) and cannot remove them when it closes, and a later
 * writer cannot use them ("attempt to write a readonly database"). So when this process
 * may not write trop.db and no connection has those files open, it reads a private copy.
 */

/** The files that make up the database's state while no connection is open. */
const STATE_SUFFIXES = ["", "-wal", "-journal"] as const

/** What a file is right now, to tell whether it changed while it was copied. */
const signature = (path: string): string => {
  const stat = fs.statSync(path, { bigint: true, throwIfNoEntry: false })
  return stat === undefined ? "absent" : [stat.dev, stat.ino, stat.size, stat.mtimeNs, stat.ctimeNs].join(":")
}

const writable = (file: string): boolean => {
  try {
    fs.accessSync(file, fs.constants.W_OK)
    return true
  } catch {
    return false
  }
}

/**
 * Copies trop.db (with a crashed writer's `-wal` or `-journal`) into a new private
 * directory; none when the copy cannot be made or the files changed meanwhile (a writer
 * started: its own -wal/-shm exist, so reading the original adds nothing).
 */
const copy = (file: string): Option.Option<string> => {
  const before = STATE_SUFFIXES.map((suffix) => signature(file + suffix))
  let directory: string | undefined
  try {
    directory = fs.mkdtempSync(nodePath.join(os.tmpdir(), "trop-read-only-"))
    const target = nodePath.join(directory, "trop.db")
    for (const suffix of STATE_SUFFIXES) {
      if (fs.existsSync(file + suffix)) fs.copyFileSync(file + suffix, target + suffix)
    }
    const after = STATE_SUFFIXES.map((suffix) => signature(file + suffix))
    if (after.join() === before.join() && !fs.existsSync(`${file}-shm`)) return Option.some(target)
  } catch {
    // No temporary directory, no space: read the original as before.
  }
  if (directory !== undefined) fs.rmSync(directory, { recursive: true, force: true })
  return Option.none()
}

/**
 * The file to open instead of `file`, removed with its directory when the scope closes:
 * a copy when this process may not write `file` and no `-shm` (no open connection) exists.
 * Open it read-only: the copy itself is writable, and writes must fail as they would on
 * the original.
 */
export const make = (file: string): Effect.Effect<Option.Option<string>, never, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.sync(() =>
      fs.existsSync(file) && !writable(file) && !fs.existsSync(`${file}-shm`) ? copy(file) : Option.none()
    ),
    (copied) =>
      Effect.sync(() => {
        if (Option.isSome(copied)) fs.rmSync(nodePath.dirname(copied.value), { recursive: true, force: true })
      })
  )
