import { spawn, spawnSync } from "node:child_process"
import { afterEach, beforeEach, describe, expect, it } from "vitest"
import { BIN, cleanEnv } from "../support/cli.js"
import { expectOk, makeSandbox, type Sandbox, withDb } from "./_helpers.js"

// Private port range of this file (see _helpers.ts).
const MIN = 29400
const MAX = 29499

/**
 * Enough rows that `list` prints far more than a pipe holds (64 KiB on Linux): after the
 * reader goes away, trop's remaining writes must fail with EPIPE.
 */
const ROWS = 5000

let sb: Sandbox
beforeEach(() => {
  sb = makeSandbox([MIN, MAX])
  // trop creates the database; the rows go in directly (thousands of `reserve` runs would take minutes).
  expectOk(sb.run(["reserve"]), `${MIN}\n`)
  withDb(sb.dataDir, (db) => {
    const insert = db.prepare(
      "INSERT INTO reservations (path, tag, port, project, task, created_at, last_used_at) VALUES (?, '', ?, NULL, NULL, ?, ?)"
    )
    db.transaction(() => {
      for (let i = 0; i < ROWS; i++) insert.run(`${sb.root}/${"worktree-".repeat(10)}${i}`, 30000 + i, 1_700_000_000, 1_700_000_000)
    })()
  })
})
afterEach(() => sb.cleanup())

const tropArgs = (args: ReadonlyArray<string>) => [BIN, "--data-dir", sb.dataDir, ...args]

/** Runs trop with stdout on a pipe whose reader closes it after the first chunk it reads. */
const readFirstChunk = (args: ReadonlyArray<string>) =>
  new Promise<{ code: number | null; signal: NodeJS.Signals | null; first: string; stderr: string }>((resolve, reject) => {
    const child = spawn(process.execPath, tropArgs(args), {
      cwd: sb.work,
      env: cleanEnv(sb.baseEnv),
      stdio: ["ignore", "pipe", "pipe"]
    })
    let first = ""
    let stderr = ""
    child.stdout.once("data", (chunk: Buffer) => {
      first = chunk.toString("utf8")
      child.stdout.destroy()
    })
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d))
    child.on("error", reject)
    child.on("close", (code, signal) => resolve({ code, signal, first, stderr }))
  })

/** `bash -o pipefail -c 'trop ... | <reader>'`: the pipeline's status is trop's unless the reader fails. */
const pipeline = (args: ReadonlyArray<string>, reader: string) => {
  const quoted = [process.execPath, ...tropArgs(args)].map((a) => `'${a.replaceAll("'", "'\\''")}'`).join(" ")
  const r = spawnSync("bash", ["-o", "pipefail", "-c", `${quoted} | ${reader}`], {
    cwd: sb.work,
    env: cleanEnv(sb.baseEnv),
    encoding: "utf8"
  })
  return { code: r.status, stdout: r.stdout, stderr: r.stderr }
}

describe("a closed stdout ends trop quietly (exit 0, nothing on stderr)", () => {
  it("list: the reader closes the pipe after its first chunk", async () => {
    const r = await readFirstChunk(["list"])
    expect(r.first.startsWith("PORT\tPATH\t")).toBe(true)
    expect({ code: r.code, signal: r.signal, stderr: r.stderr }).toEqual({ code: 0, signal: null, stderr: "" })
  })

  it("list --format json: the same", async () => {
    const r = await readFirstChunk(["list", "--format", "json"])
    expect(r.first.startsWith("[")).toBe(true)
    expect({ code: r.code, signal: r.signal, stderr: r.stderr }).toEqual({ code: 0, signal: null, stderr: "" })
  })

  it("`set -o pipefail; trop list | head -1` succeeds with the header line", () => {
    expect(pipeline(["list"], "head -1")).toEqual({
      code: 0,
      stdout: "PORT\tPATH\tTAG\tPROJECT\tTASK\tCREATED_AT\tLAST_USED_AT\n",
      stderr: ""
    })
  })

  it("`set -o pipefail; trop list --format json | head -c 10` succeeds", () => {
    const r = pipeline(["list", "--format", "json"], "head -c 10")
    expect({ code: r.code, stderr: r.stderr, length: r.stdout.length }).toEqual({ code: 0, stderr: "", length: 10 })
  })

  it("other write errors are still I/O errors (exit 5): stdout on /dev/full", () => {
    const r = spawnSync("bash", ["-c", `'${process.execPath}' '${BIN}' --data-dir '${sb.dataDir}' list > /dev/full`], {
      cwd: sb.work,
      env: cleanEnv(sb.baseEnv),
      encoding: "utf8"
    })
    expect(r.status).toBe(5)
    expect(r.stderr).toMatch(/^Error: I\/O error: ENOSPC/)
  })
})
