// `npm run bench`: trop against a floor measured in the same run, interleaved so machine
// noise hits both alike. Reports medians and the ratio trop / floor (lower is better).
import { spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { fileURLToPath } from "node:url"

const here = path.dirname(fileURLToPath(import.meta.url))
// The installed executable (package.json "bin").
const TROP = path.join(here, "..", "dist", "bin.cjs")
const FLOOR = path.join(here, "floor-reserve.mjs")
const FLOOR_SCAN = path.join(here, "floor-scan.mjs")
const MEASURE = path.join(here, "measure.mjs")
const RUNS = Number(process.env.BENCH_RUNS ?? 21)

/** Runs `script args` under measure.mjs in `cwd`; returns wall ms and peak RSS KiB. */
const sample = (script, args, cwd) => {
  const started = process.hrtime.bigint()
  const r = spawnSync(process.execPath, [MEASURE, script, ...args], {
    cwd,
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe", "pipe"],
    env: { PATH: process.env.PATH, HOME: os.tmpdir() }
  })
  const ms = Number(process.hrtime.bigint() - started) / 1e6
  if (r.status !== 0) throw new Error(`${script} ${args.join(" ")} failed: ${r.stderr}`)
  return { ms, rssKiB: Number(r.output[3].trim()), stdout: r.stdout.trim() }
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.floor(s.length / 2)]
}

const scenario = (name, prepare, tropArgs, floorArgs, floorScript = FLOOR) => {
  const root = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), "trop-bench-")))
  try {
    const ctx = prepare(root)
    const trop = []
    const floor = []
    for (let i = 0; i < RUNS; i++) {
      const t = sample(TROP, tropArgs(ctx, i), ctx.cwd(i, "trop"))
      const f = sample(floorScript, floorArgs(ctx, i), ctx.cwd(i, "floor"))
      if (i > 0) { // the first pair warms the file cache
        trop.push(t)
        floor.push(f)
      }
    }
    const row = {
      scenario: name,
      "trop ms": median(trop.map((s) => s.ms)).toFixed(1),
      "floor ms": median(floor.map((s) => s.ms)).toFixed(1),
      "time ratio": (median(trop.map((s) => s.ms)) / median(floor.map((s) => s.ms))).toFixed(2),
      "trop MiB": (median(trop.map((s) => s.rssKiB)) / 1024).toFixed(1),
      "floor MiB": (median(floor.map((s) => s.rssKiB)) / 1024).toFixed(1),
      "memory ratio": (median(trop.map((s) => s.rssKiB)) / median(floor.map((s) => s.rssKiB))).toFixed(2)
    }
    return row
  } finally {
    fs.rmSync(root, { recursive: true, force: true })
  }
}

const dirs = (root, prefix, count) =>
  Array.from({ length: count }, (_, i) => {
    const d = path.join(root, `${prefix}${i}`)
    fs.mkdirSync(d)
    return d
  })

const rows = [
  // PORT=$(trop reserve) in a directory that already has its port: the everyday case.
  scenario(
    "reserve (existing key)",
    (root) => {
      const work = dirs(root, "w", 1)[0]
      const tropData = path.join(root, "trop-data")
      const floorData = path.join(root, "floor-data")
      sample(TROP, ["--data-dir", tropData, "reserve"], work)
      sample(TROP, ["--data-dir", floorData, "reserve"], work)
      return { work, tropData, floorData, cwd: () => work }
    },
    (c) => ["--data-dir", c.tropData, "reserve"],
    (c) => [c.floorData, c.work]
  ),
  // A new directory: allocation with occupancy probes, each run on a fresh directory.
  scenario(
    "reserve (new key)",
    (root) => {
      const tropDirs = dirs(root, "t", RUNS)
      const floorDirs = dirs(root, "f", RUNS)
      const tropData = path.join(root, "trop-data")
      const floorData = path.join(root, "floor-data")
      sample(TROP, ["--data-dir", floorData, "reserve", "--path", root], root)
      return { tropDirs, floorDirs, tropData, floorData, cwd: (i, who) => (who === "trop" ? tropDirs : floorDirs)[i] }
    },
    (c) => ["--data-dir", c.tropData, "reserve"],
    (c, i) => [c.floorData, c.floorDirs[i]]
  ),
  // `trop scan` over the default range 5000-7000: 2001 ports × 4 bind probes, then the owner
  // lookup of whatever is in use, against a floor that only binds the same probe sockets.
  scenario(
    "scan (default range)",
    (root) => {
      const work = dirs(root, "w", 1)[0]
      const tropData = path.join(root, "trop-data")
      sample(TROP, ["--data-dir", tropData, "init"], work)
      return { work, tropData, cwd: () => work }
    },
    (c) => ["--data-dir", c.tropData, "scan"],
    () => ["5000", "7000"],
    FLOOR_SCAN
  )
]

console.log(`trop vs floor, median of ${RUNS - 1} interleaved runs each (node ${process.version}, ${os.cpus().length} cpus)`)
console.table(rows)
