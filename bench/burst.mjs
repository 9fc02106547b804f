// A burst of writers (docs/database.md, "Transactions and locking"): ROUNDS rounds, each
// starting PROCS `trop --data-dir D reserve` processes at once, each in its own fresh
// directory (a new key), with the default busy timeout, on one data directory shared by
// all rounds (so its table grows to PROCS × ROUNDS rows). Reports lock timeouts (exit 2),
// other failures, duplicate ports (in the outputs and in the database afterwards), the
// per-process wall latency, the throughput, and how long each reserve held the write lock
// (BEGIN IMMEDIATE → COMMIT) and waited for it, which trop logs under --verbose
// (docs/database.md).
//
// `node build.mjs && node bench/burst.mjs` prints the table; `burstRows()` returns its rows.
// Environment: BURST_PROCS (50), BURST_ROUNDS (10), BURST_BUSY_TIMEOUT (unset: the default),
// BURST_TROP (a `:`-separated list of bin.cjs files to measure instead of dist/bin.cjs: each
// gets its own data directory and their rounds alternate, so machine load hits all alike),
// BURST_DEBUG (print each round).
import Sqlite from "better-sqlite3"
import { spawn } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { dirs, median, percentile, TROP } from "./lib.mjs"

const PROCS = Number(process.env.BURST_PROCS ?? 50)
const ROUNDS = Number(process.env.BURST_ROUNDS ?? 10)
const BUSY = process.env.BURST_BUSY_TIMEOUT
const BINS = process.env.BURST_TROP === undefined ? [TROP] : process.env.BURST_TROP.split(":")

/**
 * `[trop] write transaction: lock held 1.234 ms (committed), after waiting 5.678 ms for it`
 * (src/store/Transaction.ts). The last one is the command's own: the first process on a
 * new data directory also logs the transaction that created the schema.
 */
const TRANSACTION = /^\[trop\] write transaction: lock held ([0-9.]+) ms \(committed\), after waiting ([0-9.]+) ms/gm
const lastTransaction = (stderr) => [...stderr.matchAll(TRANSACTION)].at(-1)

/** One trop process: wall ms from spawn to close, exit code, stdout and stderr. */
const run = (bin, args, cwd) =>
  new Promise((resolve, reject) => {
    const started = process.hrtime.bigint()
    const child = spawn(process.execPath, [bin, ...args], {
      cwd,
      stdio: ["ignore", "pipe", "pipe"],
      env: { PATH: process.env.PATH, HOME: os.tmpdir() }
    })
    let stdout = ""
    let stderr = ""
    child.stdout.setEncoding("utf8").on("data", (d) => (stdout += d))
    child.stderr.setEncoding("utf8").on("data", (d) => (stderr += d))
    child.on("error", reject)
    child.on("close", (code) => resolve({ cwd, code, stdout, stderr, ms: Number(process.hrtime.bigint() - started) / 1e6 }))
  })

const fixed = (x, digits = 1) => (x === undefined ? "" : x.toFixed(digits))

/** One row of the table from all rounds of one executable. */
const row = (bin, dataDir, results, wall) => {
  const ok = results.filter((r) => r.code === 0)
  const timeouts = results.filter((r) => r.code === 2)
  const others = results.filter((r) => r.code !== 0 && r.code !== 2)
  for (const r of [...timeouts, ...others].slice(0, 3)) {
    console.error(`exit ${r.code} in ${r.cwd}: ${r.stderr.split("\n").filter((l) => l !== "" && !l.startsWith("[trop]")).join(" | ")}`)
  }
  const printed = ok.map((r) => Number(r.stdout.trim()))
  // The database afterwards: one row per success, at the port it printed, no port twice.
  const db = new Sqlite(path.join(dataDir, "trop.db"), { readonly: true })
  const stored = db.prepare("SELECT path, port FROM reservations").all()
  db.close()
  const byPath = new Map(stored.map((r) => [r.path, r.port]))
  const mismatched = ok.filter((r) => byPath.get(r.cwd) !== Number(r.stdout.trim())).length +
    Math.abs(stored.length - ok.length)
  const duplicates = (printed.length - new Set(printed).size) + (stored.length - new Set(stored.map((r) => r.port)).size)
  const logged = ok.map((r) => lastTransaction(r.stderr)).filter((m) => m !== undefined)
  const held = logged.map((m) => Number(m[1]))
  const waited = logged.map((m) => Number(m[2]))
  const latencies = results.map((r) => r.ms)
  const stat = (xs, f) => (xs.length === 0 ? "" : fixed(f(xs), 1))
  return {
    scenario: `reserve burst (new keys, ${PROCS} × ${ROUNDS}, busy timeout ${BUSY ?? "default"})`,
    ...(BINS.length > 1 ? { trop: path.relative(process.cwd(), bin) } : {}),
    processes: results.length,
    "exit 2": timeouts.length,
    "other failures": others.length,
    duplicates,
    "rows (mismatched)": `${stored.length} (${mismatched})`,
    "p50 ms": fixed(median(latencies)),
    "p99 ms": fixed(percentile(latencies, 99)),
    "reserves/s": fixed(ok.length / (wall / 1000)),
    "hold p50 ms": stat(held, median),
    "hold p99 ms": stat(held, (xs) => percentile(xs, 99)),
    "wait p50 ms": stat(waited, median),
    "wait p99 ms": stat(waited, (xs) => percentile(xs, 99))
  }
}

export const burstRows = async () => {
  const root = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), "trop-burst-")))
  try {
    const runs = BINS.map((bin, b) => ({ bin, dataDir: path.join(root, `data${b}`), results: [], wall: 0 }))
    for (let round = 0; round < ROUNDS; round++) {
      for (const [b, r] of runs.entries()) {
        const args = ["--data-dir", r.dataDir, "--verbose", ...(BUSY === undefined ? [] : ["--busy-timeout", BUSY]), "reserve"]
        const cwds = dirs(root, `b${b}r${round}-`, PROCS)
        const started = process.hrtime.bigint()
        const results = await Promise.all(cwds.map((cwd) => run(r.bin, args, cwd)))
        const ms = Number(process.hrtime.bigint() - started) / 1e6
        r.results.push(...results)
        r.wall += ms
        if (process.env.BURST_DEBUG !== undefined) {
          const logged = results.map((x) => lastTransaction(x.stderr)).filter((m) => m !== undefined)
          const held = logged.reduce((a, m) => a + Number(m[1]), 0)
          console.error(
            `${path.relative(process.cwd(), r.bin)} round ${round}: ${ms.toFixed(0)} ms, exit 2: ${
              results.filter((x) => x.code === 2).length
            }, lock held ${held.toFixed(0)} ms in all, longest wait ${Math.max(0, ...logged.map((m) => Number(m[2]))).toFixed(0)} ms, load ${
              os.loadavg()[0].toFixed(1)
            }`
          )
        }
      }
    }
    return runs.map((r) => row(r.bin, r.dataDir, r.results, r.wall))
  } finally {
    fs.rmSync(root, { recursive: true, force: true })
  }
}

if (process.argv[1] !== undefined && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const rows = await burstRows()
  console.log(`trop reserve bursts (node ${process.version}, ${os.cpus().length} cpus, load ${os.loadavg()[0].toFixed(2)})`)
  console.table(rows)
}
