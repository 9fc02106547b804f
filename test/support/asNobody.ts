import { spawn, spawnSync } from "node:child_process"
import * as fs from "node:fs"
import { createRequire } from "node:module"
import * as os from "node:os"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { afterAll } from "vitest"
import { cleanEnv, type Result } from "./cli.js"

/**
 * Running the built CLI as `nobody` (uid/gid 65534, through util-linux `setpriv`), for tests
 * of what file modes and other users' processes keep from trop. The suite runs as root, whom
 * modes do not stop; nobody is.
 *
 * nobody cannot read the checkout when it lives in a private directory (a `mktemp -d`
 * folder, a 0700 home), so nobody never runs it from there: once per test process, what the
 * CLI loads is copied into a fresh world-readable directory under the system's temporary
 * directory — the launcher and the bundle (dist/bin.cjs, dist/trop.cjs and its code cache)
 * and what the bundle requires of better-sqlite3 (whose JavaScript it includes): the native
 * addon, in its package's layout — and, when nobody cannot execute this Node, Node itself. A run as nobody proves the copy loads before any test uses it. The copy
 * is removed after the test file (and remade if a later file in the same process needs it).
 *
 * Where that cannot be done (not Linux, not root, no setpriv, nobody cannot reach the
 * temporary directory), `asNobody()` returns the reason instead, printed once per process;
 * tests skip with it (`it.skipIf(typeof nobody === "string")`, or `ctx.skip(reason)`).
 */

export const NOBODY = 65534

/** setpriv's arguments that make the rest of the command line run as nobody, without groups. */
const SETPRIV = [`--reuid=${NOBODY}`, `--regid=${NOBODY}`, "--clear-groups"]

const repo = fileURLToPath(new URL("../../", import.meta.url))

export interface NobodyRunOptions {
  readonly cwd: string
  readonly env?: Record<string, string | undefined>
  readonly input?: string
}

export interface Nobody {
  /** The world-readable copy (removed after the test file). */
  readonly root: string
  /** The copy of dist/bin.cjs, the `trop` executable. */
  readonly bin: string
  /** The Node nobody runs it with: this one, or a copy when nobody cannot execute this one. */
  readonly node: string
  /** What goes before a program to run it as nobody (`setpriv ...`). */
  readonly prefix: ReadonlyArray<string>
  /** The program and arguments that run `trop args...` as nobody (for a test's own spawn). */
  readonly command: (args: ReadonlyArray<string>) => { readonly file: string; readonly args: ReadonlyArray<string> }
  /** Runs `trop args...` as nobody to completion (killed after 5 minutes: a hang fails instead of blocking). */
  readonly run: (args: ReadonlyArray<string>, options: NobodyRunOptions) => Result
  /** The same without blocking this process's event loop. */
  readonly runAsync: (args: ReadonlyArray<string>, options: NobodyRunOptions) => Promise<Result>
}

/** Where `name` (a package) is installed, resolved as `from`'s code resolves it. */
const packageDir = (name: string, from: string): string =>
  path.dirname(createRequire(path.join(from, "noop.js")).resolve(`${name}/package.json`))

/** Copies `from` (a file or directory) to `to`, every directory on the way 0755 and every file world-readable. */
const copyReadable = (from: string, to: string) => {
  fs.mkdirSync(path.dirname(to), { recursive: true, mode: 0o755 })
  fs.cpSync(from, to, { recursive: true, dereference: true })
  const open = (p: string) => {
    const s = fs.statSync(p)
    if (s.isDirectory()) {
      fs.chmodSync(p, 0o755)
      for (const entry of fs.readdirSync(p)) open(path.join(p, entry))
    } else {
      fs.chmodSync(p, s.mode & 0o111 ? 0o755 : 0o644)
    }
  }
  open(to)
}

/** Runs `file args...` as nobody; the reason it failed, or undefined when it exited 0. */
const failsAsNobody = (file: string, args: ReadonlyArray<string>): string | undefined => {
  const r = spawnSync("setpriv", [...SETPRIV, file, ...args], {
    cwd: "/",
    env: cleanEnv(),
    encoding: "utf8",
    timeout: 120_000,
    killSignal: "SIGKILL"
  })
  if (r.error !== undefined) return r.error.message
  if (r.status === 0) return undefined
  const lines = r.stderr.split("\n").map((l) => l.trim()).filter((l) => l !== "")
  return lines.find((l) => /error/i.test(l)) ?? lines[0] ?? `exit ${r.status ?? r.signal}`
}

/** Makes the world-readable copy; the reason when nobody still cannot run it. */
const install = (): Nobody | string => {
  if (process.platform !== "linux") return "switching to nobody is set up for Linux only"
  if (process.getuid?.() !== 0) return "not running as root: cannot switch to nobody"
  const setpriv = spawnSync("setpriv", ["--version"], { encoding: "utf8" })
  if (setpriv.error !== undefined || setpriv.status !== 0) return "util-linux setpriv is not available"

  const root = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), "trop-nobody-")))
  try {
    fs.chmodSync(root, 0o755)
    for (const file of ["bin.cjs", "trop.cjs", "trop.cjs.cache", "yaml.cjs", "yaml.cjs.cache"]) {
      const from = path.join(repo, "dist", file)
      if (file.endsWith(".cache") && !fs.existsSync(from)) continue
      copyReadable(from, path.join(root, "dist", file))
    }
    // What dist/trop.cjs requires of better-sqlite3, whose JavaScript it bundles: the native
    // addon, by its path in the installed package (and the package's package.json).
    const sqlite = packageDir("better-sqlite3", repo)
    const modules = path.join(root, "node_modules")
    const addon = path.join("build", "Release", "better_sqlite3.node")
    for (const file of ["package.json", addon]) {
      copyReadable(path.join(sqlite, file), path.join(modules, "better-sqlite3", file))
    }

    // Node itself, when nobody cannot execute this one (e.g. installed under a private home).
    let node = process.execPath
    if (failsAsNobody(node, ["-e", ""]) !== undefined) {
      node = path.join(root, "node", path.basename(process.execPath))
      copyReadable(process.execPath, node)
      const refused = failsAsNobody(node, ["-e", ""])
      if (refused !== undefined) throw new Error(`nobody cannot run Node, even copied to ${root}: ${refused}`)
    }

    // The proof: as nobody, the copy is reachable, loads better-sqlite3 (native build
    // included), and trop runs.
    const reach = failsAsNobody(node, ["-e", "require('fs').accessSync(process.argv[1], require('fs').constants.X_OK)", modules])
    if (reach !== undefined) {
      throw new Error(`nobody cannot reach ${root} (a parent directory is private; point TMPDIR at one every user can search): ${reach}`)
    }
    const bin = path.join(root, "dist", "bin.cjs")
    const loads = failsAsNobody(node, ["-e", "require(process.argv[1])", path.join(modules, "better-sqlite3", addon)])
    if (loads !== undefined) throw new Error(`nobody cannot load better-sqlite3's addon from ${root}: ${loads}`)
    const runs = failsAsNobody(node, [bin, "--version"])
    if (runs !== undefined) throw new Error(`nobody cannot run trop from ${root}: ${runs}`)

    const command = (args: ReadonlyArray<string>) => ({ file: "setpriv", args: [...SETPRIV, node, bin, ...args] })
    const spawnOptions = (options: NobodyRunOptions) => ({ cwd: options.cwd, env: cleanEnv(options.env) })
    return {
      root,
      bin,
      node,
      prefix: ["setpriv", ...SETPRIV],
      command,
      run: (args, options) => {
        const c = command(args)
        const r = spawnSync(c.file, c.args, {
          ...spawnOptions(options),
          input: options.input ?? "",
          encoding: "utf8",
          timeout: 300_000,
          killSignal: "SIGKILL"
        })
        if (r.error !== undefined) throw r.error
        return { code: r.status, stdout: r.stdout, stderr: r.stderr }
      },
      runAsync: (args, options) =>
        new Promise((resolve, reject) => {
          const c = command(args)
          const child = spawn(c.file, c.args, { ...spawnOptions(options), stdio: ["pipe", "pipe", "pipe"] })
          let stdout = ""
          let stderr = ""
          child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d))
          child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d))
          child.stdin.end(options.input ?? "")
          child.on("error", reject)
          child.on("close", (code) => resolve({ code, stdout, stderr }))
        })
    }
  } catch (e) {
    fs.rmSync(root, { recursive: true, force: true })
    return e instanceof Error ? e.message : String(e)
  }
}

let made: Nobody | string | undefined

/**
 * What runs trop as nobody, or why nothing can here (printed once per process). The copy is
 * made on the first call in a test process and reused by every later one.
 */
export const asNobody = (): Nobody | string => {
  if (made === undefined || (typeof made !== "string" && !fs.existsSync(made.bin))) {
    made = install()
    if (typeof made === "string") console.warn(`tests that run trop as nobody are skipped: ${made}`)
  }
  return made
}

const remove = () => {
  if (made !== undefined && typeof made !== "string") fs.rmSync(made.root, { recursive: true, force: true })
}
// After the test file that imports this module: vitest's forks are killed once their files
// are done, so an exit handler alone would not run (it stays for processes that do exit).
afterAll(remove)
process.once("exit", remove)
