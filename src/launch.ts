/**
 * The `trop` executable (dist/bin.cjs, CommonJS: it starts a few ms sooner than an ES module).
 * It runs the bundled CLI (dist/trop.cjs) through V8's code cache: compiling the ~0.6 MB
 * bundle from scratch costs more than the whole rest of a `trop reserve`, so the compiled
 * code is kept in dist/trop.cjs.cache (made at build time, remade on the first run whenever
 * V8 rejects it, e.g. after a Node upgrade). Help and the version are answered before that,
 * from the declarations alone (cli/Front.ts, dist/front.cjs, cached the same way). Nothing
 * else belongs here.
 */
import { randomBytes } from "node:crypto"
import * as fs from "node:fs"
import { createRequire } from "node:module"
import * as path from "node:path"
import * as vm from "node:vm"

// Built as CommonJS only, so __dirname is dist/.
const directory = __dirname

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

/**
 * Runs the CommonJS bundle `name` of dist/ through its code cache (`<name>.cache`) and
 * returns its exports.
 */
const load = (name: string): unknown => {
  const file = path.join(directory, name)
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
  run(module.exports, createRequire(file), module, file, directory)
  return module.exports
}

/** Only a command line with one of these words can ask for help or the version. */
const ASKING = new Set(["help", "-h", "--help", "-V", "--version"])

type Front = typeof import("./cli/Front.js")

/** Whether dist/front.cjs answered (help or version); if it cannot be loaded, the CLI answers. */
const frontAnswered = (argv: ReadonlyArray<string>): boolean => {
  let front: Front
  let specs: Parameters<Front["answered"]>[2]
  try {
    front = load("front.cjs") as Front
    specs = JSON.parse(fs.readFileSync(path.join(directory, "specs.json"), "utf8"))
  } catch {
    return false
  }
  return front.answered(argv, process.env, specs)
}

const argv = process.argv.slice(2)
// The CLI bundle runs the command line as it loads.
if (!(argv.some((word) => ASKING.has(word)) && frontAnswered(argv))) load("trop.cjs")
