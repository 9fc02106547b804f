import * as crypto from "node:crypto"
import * as fs from "node:fs"
import * as nodePath from "node:path"

/**
 * Replacing a file's contents atomically: readers see the old file or the new one, never
 * half of either. The temporary file is created exclusively, without following symlinks,
 * under an unpredictable name in the target's own directory, so nothing planted in that
 * directory can redirect the write; its mode is set on the open descriptor, never by path.
 */

/** The mode of files only their owner may read: the user `config.yaml`. */
export const PRIVATE_FILE_MODE = 0o600

/** Attempts before giving up on finding an unused random name (a collision is ~2^-64 each). */
const ATTEMPTS = 8

/** Not every platform has O_NOFOLLOW; O_EXCL alone already refuses an existing symlink. */
const EXCLUSIVE = fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_WRONLY | (fs.constants.O_NOFOLLOW ?? 0)

const isExisting = (cause: unknown) =>
  typeof cause === "object" && cause !== null && "code" in cause && cause.code === "EEXIST"

/**
 * Creates `path` for writing, failing if anything (a file, a symlink) is already there;
 * `mode` is applied with fchmod, so the umask has no say. Returns the descriptor.
 */
export const createExclusive = (path: string, mode: number): number => {
  const fd = fs.openSync(path, EXCLUSIVE, mode)
  try {
    fs.fchmodSync(fd, mode)
    return fd
  } catch (cause) {
    fs.closeSync(fd)
    fs.rmSync(path, { force: true })
    throw cause
  }
}

const temporaryName = (target: string) =>
  nodePath.join(nodePath.dirname(target), `.${nodePath.basename(target)}.${crypto.randomBytes(8).toString("hex")}.tmp`)

/** Writes all of `text` and flushes it to disk before the descriptor is closed. */
const writeAndSync = (fd: number, text: string) => {
  try {
    fs.writeFileSync(fd, text)
    fs.fsyncSync(fd)
  } finally {
    fs.closeSync(fd)
  }
}

/**
 * Makes a rename or a new directory entry durable. Some file systems cannot fsync a
 * directory; the data itself is already on disk by then.
 */
const syncDirectory = (directory: string) => {
  let fd: number
  try {
    fd = fs.openSync(directory, fs.constants.O_RDONLY | (fs.constants.O_DIRECTORY ?? 0))
  } catch {
    return
  }
  try {
    fs.fsyncSync(fd)
  } catch (cause) {
    const code = typeof cause === "object" && cause !== null && "code" in cause ? cause.code : undefined
    if (code !== "EINVAL" && code !== "ENOTSUP" && code !== "EISDIR" && code !== "EPERM") throw cause
  } finally {
    fs.closeSync(fd)
  }
}

/**
 * Replaces the contents of `path` with `text`. A symlink at `path` stays a symlink: its
 * target is rewritten. An existing file keeps its mode; a new one gets `newFileMode`, or
 * 0666 less the umask when none is given. Throws what the file system reports.
 */
export const replaceFile = (path: string, text: string, newFileMode?: number): void => {
  const target = fs.existsSync(path) ? fs.realpathSync(path) : path
  const existing = fs.statSync(target, { throwIfNoEntry: false })?.mode
  const mode = existing === undefined ? newFileMode : existing & 0o7777
  let temporary = temporaryName(target)
  let fd: number | undefined
  for (let attempt = 1; fd === undefined; attempt++) {
    try {
      // Without a mode to keep or impose, the kernel applies the umask to 0666 as for any new file.
      fd = mode === undefined ? fs.openSync(temporary, EXCLUSIVE, 0o666) : createExclusive(temporary, mode)
    } catch (cause) {
      if (!isExisting(cause) || attempt === ATTEMPTS) throw cause
      temporary = temporaryName(target)
    }
  }
  try {
    writeAndSync(fd, text)
    fs.renameSync(temporary, target)
  } catch (cause) {
    // The name is ours: we created it exclusively and nobody else could predict it.
    fs.rmSync(temporary, { force: true })
    throw cause
  }
  syncDirectory(nodePath.dirname(target))
}

/**
 * Creates `path` with `text`, failing with EEXIST if anything (even a dangling symlink) is
 * already there. The file is durable when this returns.
 */
export const createFile = (path: string, text: string, mode: number): void => {
  const fd = createExclusive(path, mode)
  try {
    writeAndSync(fd, text)
  } catch (cause) {
    fs.rmSync(path, { force: true })
    throw cause
  }
  syncDirectory(nodePath.dirname(path))
}
