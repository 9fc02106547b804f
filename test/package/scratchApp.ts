/**
 * Package-level test helpers: pack the repository as npm would publish it, and install the
 * tarball into a scratch app in a temporary directory without the network. The app gets the
 * tarball extracted as node_modules/trop (bins linked into node_modules/.bin, as npm does)
 * and symlinks to this repository's installed copies of trop's peers and the tools a user
 * would have (typescript, vitest, @types/node). Nothing in this path resolves to src/.
 */
import { spawn } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { fileURLToPath } from "node:url"

/** The repository root. */
export const ROOT = fileURLToPath(new URL("../../", import.meta.url))

/** The repository's examples, copied into the scratch app. */
export const EXAMPLES = path.join(ROOT, "examples")

/**
 * What a scratch app gets from this repository's node_modules: trop's peers and the
 * user-side tools. Their own dependencies need no link: Node and TypeScript resolve a
 * symlinked package from its real path, inside this repository's node_modules.
 */
export const LINKED_PACKAGES: ReadonlyArray<string> = [
  "effect",
  "@effect/experimental",
  "@effect/platform",
  "@effect/sql",
  "@effect/sql-sqlite-node",
  "@effect/vitest",
  "better-sqlite3",
  "yaml",
  "vitest",
  "typescript",
  "@types/node"
]

export interface Result {
  readonly code: number | null
  readonly signal: NodeJS.Signals | null
  readonly stdout: string
  readonly stderr: string
}

export interface RunOptions {
  readonly cwd: string
  /** Added to (or, when undefined, removed from) the clean environment. */
  readonly env?: Record<string, string | undefined>
  /** Killed after this long; a slow machine gets a generous default. */
  readonly timeoutMs?: number
}

/**
 * The caller's environment without what would leak into the child: TROP_* settings and the
 * outer vitest's worker variables (a nested vitest must not think it is a worker).
 */
export const cleanEnv = (extra: Record<string, string | undefined> = {}): Record<string, string> => {
  const env: Record<string, string> = {}
  for (const [key, value] of Object.entries(process.env)) {
    if (value !== undefined && !key.startsWith("TROP_") && !key.startsWith("VITEST") && key !== "NODE_OPTIONS") {
      env[key] = value
    }
  }
  for (const [key, value] of Object.entries(extra)) {
    if (value === undefined) delete env[key]
    else env[key] = value
  }
  return env
}

/** Runs a real process to completion without blocking the test's event loop. */
export const run = (command: string, args: ReadonlyArray<string>, options: RunOptions): Promise<Result> =>
  new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: cleanEnv(options.env),
      stdio: ["ignore", "pipe", "pipe"]
    })
    let stdout = ""
    let stderr = ""
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d))
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d))
    const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 240_000)
    child.on("error", (error) => {
      clearTimeout(timer)
      reject(error)
    })
    child.on("close", (code, signal) => {
      clearTimeout(timer)
      resolve({ code, signal, stdout, stderr })
    })
  })

/** Runs `node args...` with the Node running the tests. */
export const node = (args: ReadonlyArray<string>, options: RunOptions): Promise<Result> =>
  run(process.execPath, args, options)

/** One line per stream, for assertion messages. */
export const describeResult = (label: string, result: Result): string =>
  `${label}: exit ${result.code}${result.signal === null ? "" : ` (${result.signal})`}\n` +
  `--- stdout ---\n${result.stdout}\n--- stderr ---\n${result.stderr}`

/** Throws with the process's output unless it exited 0. */
export const expectSuccess = (label: string, result: Result): Result => {
  if (result.code !== 0) throw new Error(describeResult(label, result))
  return result
}

/** A fresh temporary directory (real path) removed by `removeDir`. */
export const tempDir = (prefix = "trop-package-"): string =>
  fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), prefix)))

export const removeDir = (directory: string): void => fs.rmSync(directory, { recursive: true, force: true })

/** npm itself: the one running `npm test` when there is one, else the one on PATH. */
const npmCommand = (): [string, Array<string>] => {
  const execPath = process.env["npm_execpath"]
  return execPath !== undefined && /npm-cli\.c?js$/.test(execPath) ? [process.execPath, [execPath]] : ["npm", []]
}

export interface Packed {
  /** The tarball's absolute path. */
  readonly file: string
  /** Its entries, relative to the package root (without tar's `package/` prefix). */
  readonly entries: ReadonlyArray<string>
}

/**
 * `npm pack` of the repository as it is (dist/ must already be built: `npm test` builds it
 * first), without lifecycle scripts, into `destination`.
 */
export const pack = async (destination: string): Promise<Packed> => {
  const [command, prefix] = npmCommand()
  const result = expectSuccess(
    "npm pack",
    await run(command, [...prefix, "pack", "--ignore-scripts", "--json", "--pack-destination", destination], {
      cwd: ROOT,
      env: { npm_config_dry_run: undefined, npm_config_json: undefined }
    })
  )
  const report = JSON.parse(result.stdout) as ReadonlyArray<{ readonly filename?: string }>
  if (report.length !== 1) throw new Error(`npm pack made ${report.length} tarballs:\n${result.stdout}`)
  const tarballs = fs.readdirSync(destination).filter((name) => name.endsWith(".tgz"))
  if (tarballs.length !== 1) throw new Error(`expected one tarball in ${destination}, found: ${tarballs.join(", ")}`)
  const file = path.join(destination, tarballs[0]!)
  const listing = expectSuccess("tar -tzf", await run("tar", ["-tzf", file], { cwd: destination }))
  const entries = listing.stdout.split("\n").filter((line) => line !== "" && !line.endsWith("/"))
    .map((line) => line.replace(/^package\//, ""))
  return { file, entries }
}

export interface ScratchApp {
  /** The app's directory (its package.json, node_modules/ and whatever the test writes). */
  readonly dir: string
  /** Writes a file (parents created) relative to the app. */
  readonly write: (relative: string, contents: string) => string
  /** `node args...` in the app. */
  readonly node: (args: ReadonlyArray<string>, env?: Record<string, string | undefined>) => Promise<Result>
  /** The installed `trop` executable, through node_modules/.bin like `npx trop`. */
  readonly trop: (args: ReadonlyArray<string>, env?: Record<string, string | undefined>) => Promise<Result>
  /** `tsc -p <project>` with the app's TypeScript. */
  readonly tsc: (project?: string) => Promise<Result>
  /** Copies a directory's files into the app (e.g. the repository's examples). */
  readonly copy: (from: string, to: string) => void
}

/** The environment every process in a scratch app gets: a HOME of its own. */
const appEnv = (home: string, env: Record<string, string | undefined> = {}) => ({ HOME: home, ...env })

/**
 * A scratch app in `directory` (which should be empty) with the tarball installed as
 * node_modules/trop, without npm and without the network.
 */
export const createScratchApp = async (
  directory: string,
  tarball: string,
  linked: ReadonlyArray<string> = LINKED_PACKAGES
): Promise<ScratchApp> => {
  const modules = path.join(directory, "node_modules")
  const installed = path.join(modules, "trop")
  const home = path.join(directory, ".home")
  fs.mkdirSync(installed, { recursive: true })
  fs.mkdirSync(home)
  fs.writeFileSync(
    path.join(directory, "package.json"),
    `${JSON.stringify({ name: "scratch-app", private: true, type: "module" }, null, 2)}\n`
  )
  expectSuccess("tar -xzf", await run("tar", ["-xzf", tarball, "-C", installed, "--strip-components=1"], { cwd: directory }))

  for (const name of linked) {
    const target = path.join(ROOT, "node_modules", name)
    if (!fs.existsSync(target)) throw new Error(`${name} is not installed in ${ROOT}`)
    const link = path.join(modules, name)
    fs.mkdirSync(path.dirname(link), { recursive: true })
    fs.symlinkSync(target, link, "junction")
  }

  // Bins as npm links them: executable, in node_modules/.bin.
  const manifest = JSON.parse(fs.readFileSync(path.join(installed, "package.json"), "utf8")) as {
    readonly bin?: string | Record<string, string>
  }
  const bins = typeof manifest.bin === "string" ? { trop: manifest.bin } : manifest.bin ?? {}
  fs.mkdirSync(path.join(modules, ".bin"), { recursive: true })
  for (const [name, file] of Object.entries(bins)) {
    fs.chmodSync(path.join(installed, file), 0o755)
    fs.symlinkSync(path.join("..", "trop", file), path.join(modules, ".bin", name))
  }

  const options = (env?: Record<string, string | undefined>): RunOptions => ({ cwd: directory, env: appEnv(home, env) })
  return {
    dir: directory,
    write: (relative, contents) => {
      const file = path.join(directory, relative)
      fs.mkdirSync(path.dirname(file), { recursive: true })
      fs.writeFileSync(file, contents)
      return file
    },
    node: (args, env) => node(args, options(env)),
    trop: (args, env) => run(path.join(modules, ".bin", "trop"), args, options(env)),
    tsc: (project = ".") => node([path.join(modules, "typescript", "bin", "tsc"), "-p", project], options()),
    copy: (from, to) => fs.cpSync(from, path.join(directory, to), { recursive: true })
  }
}

/** Every file under `directory`, relative to it, in a stable order. */
export const filesUnder = (directory: string): ReadonlyArray<string> =>
  fs.existsSync(directory)
    ? fs.readdirSync(directory, { recursive: true, withFileTypes: true })
      .filter((entry) => entry.isFile())
      .map((entry) => path.relative(directory, path.join(entry.parentPath, entry.name)))
      .sort()
    : []
