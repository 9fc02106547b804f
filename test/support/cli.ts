import { spawn, spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { fileURLToPath } from "node:url"

/** The built CLI (`npm test` builds it first). */
export const BIN = fileURLToPath(new URL("../../dist/bin.cjs", import.meta.url))

/**
 * The fault-injection build of the same CLI (build.mjs; never published): it alone honours
 * TROP_TEST_CHECKPOINT (src/cli/FaultHook.ts), so fault tests run this one.
 */
export const FAULTS_BIN = fileURLToPath(new URL("../../dist/test/bin.cjs", import.meta.url))

export interface Result {
  readonly code: number | null
  readonly stdout: string
  readonly stderr: string
}

export interface RunOptions {
  readonly cwd?: string
  readonly env?: Record<string, string | undefined>
  readonly input?: string
}

/** An environment without the caller's TROP_* variables, so tests see only what they set. */
export const cleanEnv = (extra: Record<string, string | undefined> = {}): Record<string, string> => {
  const env: Record<string, string> = {}
  for (const [k, v] of Object.entries(process.env)) {
    if (!k.startsWith("TROP_") && v !== undefined) env[k] = v
  }
  for (const [k, v] of Object.entries(extra)) {
    if (v === undefined) delete env[k]
    else env[k] = v
  }
  return env
}

/** Runs `trop args...` synchronously as a real process. */
export const trop = (args: ReadonlyArray<string>, options: RunOptions = {}): Result => {
  const result = spawnSync(process.execPath, [BIN, ...args], {
    cwd: options.cwd ?? os.tmpdir(),
    env: cleanEnv(options.env),
    input: options.input ?? "",
    encoding: "utf8"
  })
  return { code: result.status, stdout: result.stdout, stderr: result.stderr }
}

/** A `trop` process started by `startTrop`. */
export interface Running {
  readonly pid: number
  /** Resolves when it has ended and its output is read. */
  readonly done: Promise<Result>
  /** Whether it has ended. */
  readonly exited: () => boolean
  /** SIGKILLs it if it is still running (for cleanup). */
  readonly kill: () => void
}

/** Starts `trop args...` (the built CLI, or `bin`) as a real process and returns at once. */
export const startTrop = (args: ReadonlyArray<string>, options: RunOptions & { readonly bin?: string } = {}): Running => {
  const child = spawn(process.execPath, [options.bin ?? BIN, ...args], {
    cwd: options.cwd ?? os.tmpdir(),
    env: cleanEnv(options.env),
    stdio: ["pipe", "pipe", "pipe"]
  })
  child.stdin.end(options.input ?? "")
  let stdout = ""
  let stderr = ""
  let exited = false
  child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d))
  child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d))
  child.on("exit", () => (exited = true))
  const done = new Promise<Result>((resolve, reject) => {
    child.on("error", reject)
    child.on("close", (code) => resolve({ code, stdout, stderr }))
  })
  if (child.pid === undefined) {
    done.catch(() => undefined)
    throw new Error("trop could not be started")
  }
  return {
    pid: child.pid,
    done,
    exited: () => exited || child.exitCode !== null || child.signalCode !== null,
    kill: () => {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL")
    }
  }
}

/** Runs `trop args...` as a real process without blocking, for concurrency tests. */
export const tropAsync = (args: ReadonlyArray<string>, options: RunOptions = {}): Promise<Result> =>
  new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: options.cwd ?? os.tmpdir(),
      env: cleanEnv(options.env),
      stdio: ["ignore", "pipe", "pipe"]
    })
    let stdout = ""
    let stderr = ""
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d))
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d))
    child.on("error", reject)
    child.on("close", (code) => resolve({ code, stdout, stderr }))
  })

/** A fresh temporary directory (real path, symlinks resolved), removed by `cleanup`. */
export const tempDir = (prefix = "trop-test-"): string => fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), prefix)))

/** A sandbox for one test: a data dir and a work dir inside one temp dir. */
export const sandbox = () => {
  const root = tempDir()
  const dataDir = path.join(root, "data")
  const work = path.join(root, "work")
  fs.mkdirSync(work)
  const run = (args: ReadonlyArray<string>, options: RunOptions = {}) =>
    trop(["--data-dir", dataDir, ...args], { cwd: work, ...options })
  return { root, dataDir, work, run, cleanup: () => fs.rmSync(root, { recursive: true, force: true }) }
}
