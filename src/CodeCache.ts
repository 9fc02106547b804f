/**
 * Runs a CommonJS bundle of dist/ through V8's code cache: compiling a bundle from scratch
 * costs more than a whole `trop reserve`, so the compiled code is kept in `<file>.cache`
 * (made by the build's warm-up runs, remade on the first run whenever V8 rejects it, e.g.
 * after a Node upgrade). Used by the launcher for the CLI (dist/trop.cjs) and the help
 * front (dist/front.cjs), and by the CLI for the YAML library (dist/yaml.cjs), which most
 * runs never load: kept apart, its compiled code is not in every run's cache.
 */
import { randomBytes } from "node:crypto"
import * as fs from "node:fs"
import { createRequire } from "node:module"
import * as path from "node:path"
import * as vm from "node:vm"

const readCache = (cacheFile: string): Buffer | undefined => {
  try {
    return fs.readFileSync(cacheFile)
  } catch {
    return undefined
  }
}

// O_EXCL: a file or symlink already at the name fails the open instead of redirecting the write.
const EXCLUSIVE = fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL

/**
 * Best effort and atomic: a read-only install or a concurrent writer just means no cache.
 * The temporary file is this process's own: created exclusively, under a random name in
 * the cache's directory (a predictable one could be planted there first), then renamed.
 */
const writeCache = (script: vm.Script, cacheFile: string) => {
  const temporary = `${cacheFile}.${randomBytes(8).toString("hex")}.tmp`
  let fd: number
  try {
    fd = fs.openSync(temporary, EXCLUSIVE, 0o644)
  } catch {
    return
  }
  try {
    try {
      fs.writeFileSync(fd, script.createCachedData())
    } finally {
      fs.closeSync(fd)
    }
    fs.renameSync(temporary, cacheFile)
  } catch {
    fs.rmSync(temporary, { force: true })
  }
}

/** Runs the CommonJS bundle `file` (an absolute path) through its code cache and returns its exports. */
export const runCached = (file: string): unknown => {
  const cacheFile = `${file}.cache`
  const cachedData = readCache(cacheFile)
  const script = new vm.Script(
    `(function (exports, require, module, __filename, __dirname) {${fs.readFileSync(file, "utf8")}\n})`,
    { filename: file, ...(cachedData === undefined ? {} : { cachedData }) }
  )
  // Written at exit, so the cache also holds the functions this run compiled lazily.
  if (cachedData === undefined || script.cachedDataRejected === true) process.once("exit", () => writeCache(script, cacheFile))
  const module = { exports: {} }
  const run = script.runInThisContext() as (...args: ReadonlyArray<unknown>) => void
  run(module.exports, createRequire(file), module, file, path.dirname(file))
  return module.exports
}
