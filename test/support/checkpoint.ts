import { spawn } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { cleanEnv, FAULTS_BIN, type Result } from "./cli.js"

export interface Stopped {
  readonly pid: number
  /** Lets the command go on from the checkpoint (to its COMMIT) and waits for it to end. */
  readonly resume: () => Promise<Result>
  /** SIGKILLs it if it is still running (for cleanup). */
  readonly kill: () => void
}

/**
 * Runs `trop args...` from the fault-injection build (FAULTS_BIN) until it reaches
 * `checkpoint` inside its write transaction, holding the write lock; resolves once it is
 * stopped there (its pid in the marker). Deleting the marker lets it go on (src/cli/FaultHook.ts).
 */
export const stopAtCheckpoint = async (options: {
  readonly checkpoint: string
  readonly args: ReadonlyArray<string>
  readonly cwd: string
  readonly env?: Record<string, string | undefined>
  /** Where the marker goes (a directory the test owns). */
  readonly scratch: string
}): Promise<Stopped> => {
  const marker = path.join(options.scratch, `checkpoint-${options.checkpoint}-${Date.now()}`)
  const child = spawn(process.execPath, [FAULTS_BIN, ...options.args], {
    cwd: options.cwd,
    env: cleanEnv({ ...options.env, TROP_TEST_CHECKPOINT: `${options.checkpoint}:${marker}` }),
    stdio: ["ignore", "pipe", "pipe"]
  })
  let stdout = ""
  let stderr = ""
  child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d))
  child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d))
  const ended = new Promise<Result>((resolve) => child.on("close", (code) => resolve({ code, stdout, stderr })))
  const kill = () => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL")
  }
  // Generous: the machine may be busy; a run that never gets there fails here, not by hanging.
  const deadline = Date.now() + 30_000
  while (!(fs.existsSync(marker) && fs.readFileSync(marker, "utf8") !== "")) {
    if (child.exitCode !== null) throw new Error(`trop ended before the checkpoint: ${stdout}${stderr}`)
    if (Date.now() > deadline) {
      kill()
      throw new Error(`checkpoint ${options.checkpoint} never reached`)
    }
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
  const pid = Number(fs.readFileSync(marker, "utf8"))
  if (pid !== child.pid) throw new Error(`marker holds ${pid}, not trop's pid ${child.pid}`)
  return {
    pid,
    resume: () => {
      fs.rmSync(marker)
      return ended
    },
    kill
  }
}
