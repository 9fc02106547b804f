/**
 * `trop/vitest` as users run it: the packed package installed into a scratch app, a
 * generated suite whose every test takes the `port` fixture, and real `vitest run`
 * processes (several workers each) sharing one trop data directory.
 *
 * - Two vitest processes at once (one with forked workers, one with worker threads): every
 *   test can listen on its port, no port is held by two tests at the same time across both
 *   processes (proven from the tests' own log: start before listen, end after close, on the
 *   machine-wide monotonic clock), and no `vitest:` reservation is left afterwards but one
 *   of a live process, which no sweep may take.
 * - A killed run: its reservation stays behind; the next run sweeps it and passes.
 *
 * The app's trop.yaml gives a port range of its own: the fixture must read configuration
 * from the working directory, and the tests stay clear of ports other suites probe.
 */
import { spawn } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { setTimeout as sleep } from "node:timers/promises"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import {
  cleanEnv,
  createScratchApp,
  describeResult,
  expectSuccess,
  pack,
  removeDir,
  type Result,
  type ScratchApp,
  tempDir
} from "./scratchApp.js"

const FILES = 4
const TESTS_PER_FILE = 5
const TESTS = FILES * TESTS_PER_FILE

/**
 * The fixture's lock wait (seconds), through TROP_BUSY_TIMEOUT: up to eight workers of two
 * vitest processes reserve and release in one database at once; far beyond what their short
 * transactions need on a loaded machine.
 */
const BUSY_TIMEOUT = "60"

/** The app's own range (trop.yaml): away from trop's default 5000 and below Linux's ephemeral ports. */
const PORT_MIN = 20_000 + 100 * Math.floor(Math.random() * 120)
const PORT_MAX = PORT_MIN + 99

/** What each generated test does with its port; one log line per test, written after close. */
const HOLDER = `import * as fs from "node:fs"
import * as net from "node:net"
import { setTimeout as sleep } from "node:timers/promises"
import { threadId } from "node:worker_threads"

/**
 * Listens on 127.0.0.1:port for a few random milliseconds, then closes, and logs
 * "<port> <pid> <thread> <run> <file> <test> <start> <end> <outcome>": start is taken before
 * listen, end after close, on process.hrtime (CLOCK_MONOTONIC: one clock for the machine).
 */
export const hold = async (file: string, name: string, port: number): Promise<void> => {
  const log = process.env["PORT_LOG"]
  if (log === undefined || log === "") throw new Error("PORT_LOG is not set")
  const start = process.hrtime.bigint()
  const server = net.createServer()
  let outcome = "ok"
  try {
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject)
      server.listen(port, "127.0.0.1", () => resolve())
    })
    await sleep(5 + Math.floor(Math.random() * 30))
  } catch (error) {
    outcome = (error as NodeJS.ErrnoException).code ?? "error"
    throw error
  } finally {
    if (server.listening) await new Promise<void>((resolve) => server.close(() => resolve()))
    const end = process.hrtime.bigint()
    const run = process.env["RUN_LABEL"] ?? "-"
    fs.appendFileSync(log, \`\${port} \${process.pid} \${threadId} \${run} \${file} \${name} \${start} \${end} \${outcome}\\n\`)
  }
}
`

const suiteFile = (file: string) => `import { expect } from "vitest"
import { test } from "trop/vitest"
import { hold } from "./holder.js"

for (let i = 1; i <= ${TESTS_PER_FILE}; i++) {
  test(\`test-\${i}\`, async ({ port }) => {
    expect(Number.isInteger(port)).toBe(true)
    await hold("${file}", \`test-\${i}\`, port)
  })
}
`

/** A test that holds its reservation until the process is killed (the marker never appears). */
const BLOCKER = `import * as fs from "node:fs"
import { setTimeout as sleep } from "node:timers/promises"
import { test } from "trop/vitest"

test("blocks until killed", async ({ port }) => {
  fs.writeFileSync(process.env["READY_FILE"]!, \`\${port} \${process.pid}\\n\`)
  while (!fs.existsSync(process.env["MARKER"]!)) await sleep(50)
}, 600_000)
`

interface LogRecord {
  readonly line: string
  readonly port: number
  readonly pid: number
  readonly run: string
  readonly file: string
  readonly test: string
  readonly start: bigint
  readonly end: bigint
  readonly outcome: string
}

const readLog = (file: string): ReadonlyArray<LogRecord> =>
  (fs.existsSync(file) ? fs.readFileSync(file, "utf8") : "").split("\n").filter((line) => line !== "").map((line) => {
    const [port, pid, , run, name, test, start, end, outcome] = line.split(" ")
    return {
      line,
      port: Number(port),
      pid: Number(pid),
      run: run!,
      file: name!,
      test: test!,
      start: BigInt(start!),
      end: BigInt(end!),
      outcome: outcome!
    }
  })

/** Pairs of records on the same port whose [start, end] intervals intersect. */
const overlaps = (records: ReadonlyArray<LogRecord>): ReadonlyArray<string> => {
  const found: Array<string> = []
  const byPort = new Map<number, Array<LogRecord>>()
  for (const r of records) byPort.set(r.port, [...(byPort.get(r.port) ?? []), r])
  for (const group of byPort.values()) {
    const sorted = [...group].sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0))
    for (let i = 0; i < sorted.length; i++) {
      for (let j = i + 1; j < sorted.length && sorted[j]!.start <= sorted[i]!.end; j++) {
        found.push(`${sorted[i]!.line}\n  overlaps\n${sorted[j]!.line}`)
      }
    }
  }
  return found
}

interface Report {
  readonly numTotalTests: number
  readonly numPassedTests: number
  readonly numFailedTests: number
  readonly testResults: ReadonlyArray<unknown>
}

const isAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0)
    return true
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM"
  }
}

interface Reservation {
  readonly port: number
  readonly path: string
  readonly tag: string | null
}

describe("trop/vitest: the port fixture across vitest processes and workers", () => {
  let root: string | undefined
  let app: ScratchApp
  let vitestBin: string

  beforeAll(async () => {
    root = tempDir("trop-vitest-fixture-")
    const packDir = path.join(root, "pack")
    fs.mkdirSync(packDir)
    const packed = await pack(packDir)
    // dist/ is built before this file runs (`npm test`); a tarball without it fails here, clearly.
    const missing = ["dist/bin.cjs", "dist/lib/vitest.js", "dist/lib/promise.js", "dist/lib/index.js"]
      .filter((entry) => !packed.entries.includes(entry))
    if (missing.length > 0) throw new Error(`the packed tarball lacks ${missing.join(", ")}: build dist/ first`)
    app = await createScratchApp(path.join(root, "app"), packed.file)
    vitestBin = path.join(app.dir, "node_modules", "vitest", "vitest.mjs")
    app.write("trop.yaml", `ports:\n  min: ${PORT_MIN}\n  max: ${PORT_MAX}\n`)
    app.write("suite/holder.ts", HOLDER)
    for (let f = 1; f <= FILES; f++) app.write(`suite/ports-${f}.test.ts`, suiteFile(`ports-${f}`))
    app.write("killed/blocks.test.ts", BLOCKER)
  }, 300_000)

  afterAll(() => {
    if (root !== undefined) removeDir(root)
  })

  /** A fresh directory outside the app. */
  const scratch = (name: string) => fs.mkdtempSync(path.join(root!, `${name}-`))

  const vitestArgs = (dir: string, pool: "forks" | "threads", report: string): ReadonlyArray<string> => [
    vitestBin,
    "run",
    "--root",
    app.dir,
    "--dir",
    dir,
    "--pool",
    pool,
    "--maxWorkers",
    "2",
    "--minWorkers",
    "1",
    // Two processes in one app would write the same results cache at once.
    "--no-cache",
    // Generous: the machine may be busy; nothing here measures time.
    "--testTimeout",
    "120000",
    "--hookTimeout",
    "120000",
    "--reporter=default",
    "--reporter=json",
    `--outputFile.json=${report}`
  ]

  /** `vitest run` of the generated suite; resolves with its result and JSON report. */
  const runSuite = async (label: string, pool: "forks" | "threads", dataDir: string, log: string) => {
    const report = path.join(scratch(`report-${label}`), "report.json")
    const result = await app.node(vitestArgs("suite", pool, report), {
      TROP_DATA_DIR: dataDir,
      TROP_BUSY_TIMEOUT: BUSY_TIMEOUT,
      PORT_LOG: log,
      RUN_LABEL: label,
      NO_COLOR: "1"
    })
    return { label, result, report }
  }

  const expectAllPassed = (run: { label: string; result: Result; report: string }) => {
    expect(run.result.code, describeResult(`vitest ${run.label}`, run.result)).toBe(0)
    const summary = JSON.parse(fs.readFileSync(run.report, "utf8")) as Report
    expect(summary.testResults, run.label).toHaveLength(FILES)
    expect({ total: summary.numTotalTests, passed: summary.numPassedTests, failed: summary.numFailedTests }, run.label)
      .toEqual({ total: TESTS, passed: TESTS, failed: 0 })
  }

  /** Every test of `label` logged once, listened successfully, on a port of the app's range. */
  const expectLogged = (records: ReadonlyArray<LogRecord>, label: string) => {
    const mine = records.filter((r) => r.run === label)
    expect(mine.filter((r) => r.outcome !== "ok").map((r) => r.line), `${label}: failed listens`).toEqual([])
    expect(new Set(mine.map((r) => `${r.file}/${r.test}`)).size, `${label}: distinct tests logged`).toBe(TESTS)
    expect(mine, `${label}: log records`).toHaveLength(TESTS)
    expect(mine.filter((r) => r.port < PORT_MIN || r.port > PORT_MAX).map((r) => r.line), `${label}: outside trop.yaml's range`)
      .toEqual([])
  }

  const reservations = async (dataDir: string): Promise<ReadonlyArray<Reservation>> => {
    const listed = expectSuccess("trop list", await app.trop(["--data-dir", dataDir, "list", "--format", "json"]))
    return JSON.parse(listed.stdout) as ReadonlyArray<Reservation>
  }

  const fixtureRows = async (dataDir: string) => (await reservations(dataDir)).filter((r) => r.tag?.startsWith("vitest:"))

  it(
    "two vitest processes with parallel workers: every test listens on its port, no port held by two tests at once, nothing left (a live process's row kept)",
    async () => {
      const dataDir = scratch("data")
      const log = path.join(scratch("log"), "ports.log")
      // A fixture reservation of a process that is alive (this one): no run may sweep it.
      const live = `vitest:${process.pid}:0:1`
      expectSuccess("trop reserve", await app.trop(["--data-dir", dataDir, "reserve", "--tag", live]))
      const runs = await Promise.all([
        runSuite("forks", "forks", dataDir, log),
        runSuite("threads", "threads", dataDir, log)
      ])
      for (const run of runs) expectAllPassed(run)

      const records = readLog(log)
      expectLogged(records, "forks")
      expectLogged(records, "threads")
      expect(records).toHaveLength(2 * TESTS)
      expect(overlaps(records), "a port held by two tests at the same time").toEqual([])

      expect((await fixtureRows(dataDir)).map((r) => r.tag), "fixture rows afterwards: only the live process's").toEqual([live])
    },
    600_000
  )

  it(
    "a killed run leaves its reservation behind; the next run sweeps it and passes",
    async () => {
      const dataDir = scratch("data")
      const waits = scratch("killed")
      const ready = path.join(waits, "ready")
      const report = path.join(waits, "report.json")
      // Worker threads: the tag's pid is the vitest process itself, this test's child, so it
      // is reaped (gone) as soon as it is killed.
      const child = spawn(process.execPath, vitestArgs("killed", "threads", report), {
        cwd: app.dir,
        env: cleanEnv({
          HOME: path.join(app.dir, ".home"),
          TROP_DATA_DIR: dataDir,
          TROP_BUSY_TIMEOUT: BUSY_TIMEOUT,
          READY_FILE: ready,
          MARKER: path.join(waits, "never"),
          NO_COLOR: "1"
        }),
        stdio: ["ignore", "pipe", "pipe"],
        detached: true
      })
      let output = ""
      child.stdout.setEncoding("utf8").on("data", (d: string) => (output += d))
      child.stderr.setEncoding("utf8").on("data", (d: string) => (output += d))
      const closed = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
        child.on("close", (code, signal) => resolve({ code, signal }))
      )
      let exited = false
      void closed.then(() => (exited = true))

      let leftover: Reservation | undefined
      try {
        const deadline = Date.now() + 240_000
        while (leftover === undefined) {
          if (exited) throw new Error(`the blocking vitest run ended on its own:\n${output}`)
          if (Date.now() > deadline) throw new Error(`no fixture reservation appeared:\n${output}`)
          leftover = (await fixtureRows(dataDir))[0]
          if (leftover === undefined) await sleep(100)
        }
      } finally {
        // The whole process group: vitest and anything it started.
        if (!exited) process.kill(-child.pid!, "SIGKILL")
      }
      expect(await closed).toEqual({ code: null, signal: "SIGKILL" })

      const owner = Number(/^vitest:(\d+):\d+:\d+$/.exec(leftover.tag ?? "")?.[1])
      expect(owner, leftover.tag ?? "untagged").toBe(child.pid)
      expect(isAlive(owner)).toBe(false)
      expect(leftover.path).toBe(app.dir)
      expect(fs.readFileSync(ready, "utf8")).toBe(`${leftover.port} ${owner}\n`)
      // Nobody released it: it is still there once its owner is gone.
      expect(await fixtureRows(dataDir)).toEqual([leftover])

      const log = path.join(scratch("log"), "ports.log")
      const run = await runSuite("after-kill", "forks", dataDir, log)
      expectAllPassed(run)
      const records = readLog(log)
      expectLogged(records, "after-kill")
      expect(overlaps(records), "a port held by two tests at the same time").toEqual([])

      expect(await fixtureRows(dataDir), "fixture reservations left behind (the killed run's included)").toEqual([])
    },
    600_000
  )
})
