import * as fs from "node:fs"
import * as nodePath from "node:path"
import { createExclusive, PRIVATE_FILE_MODE } from "../paths/AtomicWrite.js"
import { makePrivateDirectory } from "../paths/PrivateDirectory.js"
import { readBounded } from "../paths/SafeRead.js"
import type { DecodedConfig } from "./Yaml.js"

/**
 * Decoded configuration files, kept in `<data-dir>/cache/` (docs/configuration.md): the
 * YAML library costs a run that reads a trop.yaml about as much as its transaction, and
 * `eval "$(trop autoreserve)"` reads the same file again and again, in every worktree of a
 * project. What a file decodes to depends on its text alone, so an entry holds a whole text
 * next to what it decoded to, and is used for any file whose text is exactly that, by the
 * same build of trop (a rebuilt decoder never reads an older one's entries): an edited file
 * is decoded afresh, and a missing, damaged or foreign entry is a miss. Only texts that
 * decoded without a problem and into plain data are kept. Writing is best effort (a
 * read-only or missing data directory keeps nothing): the cache never changes what a run
 * does, only how fast.
 */

/**
 * The build's identity, set by build.mjs in the CLI bundles (esbuild `define`); the library,
 * built by tsc, has none and keeps no cache: it reads its configuration once.
 */
declare const __TROP_BUILD__: string | undefined
export const BUILD: string | undefined = typeof __TROP_BUILD__ === "string" ? __TROP_BUILD__ : undefined

/** Where entries are kept, and the build whose entries count. */
export interface Cache {
  readonly directory: string
  readonly build: string
}

/** The cache of a data directory, in a build that has one. */
export const of = (dataDir: string | undefined): Cache | undefined =>
  dataDir === undefined || BUILD === undefined ? undefined : { directory: nodePath.join(dataDir, "cache"), build: BUILD }

/** Texts longer than this are not kept: the cache is for everyday files. */
const LARGEST_TEXT = 64 * 1024
/** The most read back of one entry (its text is at most LARGEST_TEXT; JSON escaping may grow it). */
const ENTRY_LIMIT = 8 * LARGEST_TEXT
/** Entry files at most: each entry stays until another text takes its slot. */
const SLOTS = 4096

interface Entry {
  readonly build: string
  readonly text: string
  readonly decoded: DecodedConfig
}

/**
 * The entry file of a text: one of SLOTS, by FNV-1a of the text, so the cache stays small
 * however many files trop has read. Two texts in one slot take turns (misses only).
 */
const nameOf = (text: string): string => {
  let hash = 0x811c9dc5
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193)
  return `config-${((hash >>> 0) % SLOTS).toString(16).padStart(3, "0")}.json`
}

/** Strings, finite numbers, booleans, arrays and plain objects only: what JSON gives back unchanged. */
const isPlain = (value: unknown): boolean => {
  if (typeof value === "string" || typeof value === "boolean") return true
  if (typeof value === "number") return Number.isFinite(value)
  if (Array.isArray(value)) return value.every(isPlain)
  if (typeof value !== "object" || value === null) return false
  const prototype = Object.getPrototypeOf(value)
  return (prototype === Object.prototype || prototype === null) && Object.values(value).every(isPlain)
}

const isEntry = (u: unknown): u is Entry => {
  if (typeof u !== "object" || u === null) return false
  const e = u as Record<string, unknown>
  const decoded = e.decoded as Record<string, unknown> | null | undefined
  return typeof e.build === "string" && typeof e.text === "string" && typeof decoded === "object" &&
    decoded !== null && typeof decoded.config === "object" && decoded.config !== null &&
    typeof decoded.clearsReservations === "boolean"
}

/** What a file of `text` decoded to, if this build kept it. */
export const lookup = (cache: Cache, text: string): DecodedConfig | undefined => {
  const bytes = readBounded(nodePath.join(cache.directory, nameOf(text)), ENTRY_LIMIT)
  if (bytes._tag === "Left") return undefined
  try {
    const entry: unknown = JSON.parse(bytes.right.toString("utf8"))
    return isEntry(entry) && entry.build === cache.build && entry.text === text ? entry.decoded : undefined
  } catch {
    return undefined
  }
}

/**
 * Keeps what a file of `text` decoded to, when the cache's data directory exists (the cache
 * directory is made 0700, the entry 0600). The entry is written under a name of this
 * process, created exclusively (whatever is already there makes it give up), and renamed
 * over the old one, so a reader sees a whole entry or none.
 */
export const remember = (cache: Cache, text: string, decoded: DecodedConfig): void => {
  if (text.length > LARGEST_TEXT || !isPlain(decoded.config)) return
  const entry: Entry = { build: cache.build, text, decoded }
  const target = nodePath.join(cache.directory, nameOf(text))
  // No crypto for the name (loading it costs a run a millisecond): the directory is private.
  const temporary = `${target}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`
  let created = false
  try {
    if (!fs.statSync(nodePath.dirname(cache.directory)).isDirectory()) return
    makePrivateDirectory(cache.directory)
    const fd = createExclusive(temporary, PRIVATE_FILE_MODE)
    created = true
    try {
      fs.writeFileSync(fd, JSON.stringify(entry))
    } finally {
      fs.closeSync(fd)
    }
    fs.renameSync(temporary, target)
  } catch {
    if (created) fs.rmSync(temporary, { force: true })
  }
}
