// Shared by the benchmarks: run trop and its floor as child processes (peak.cjs preloaded),
// interleaved so machine noise hits both alike, and report medians and ratios.
import { spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { fileURLToPath } from "node:url"

export const here = path.dirname(fileURLToPath(import.meta.url))
/** The installed executable (package.json "bin"). */
export const TROP = path.join(here, "..", "dist", "bin.cjs")
/** Preloaded into every measured process: its peak RSS comes back on fd 3. */
export const PEAK = path.join(here, "peak.cjs")
/** Samples per command; the first pair only warms the file cache. */
export const RUNS = Number(process.env.BENCH_RUNS ?? 21)

/** Runs `node script args` in `cwd` with peak.cjs preloaded; returns wall ms, peak RSS KiB and stdout. */
export const sample = (script, args, cwd, env = {}) => {
  const started = process.hrtime.bigint()
  const r = spawnSync(process.execPath, ["-r", PEAK, script, ...args], {
    cwd,
    encoding: "utf8",
    maxBuffer: 256 * 1024 * 1024,
    stdio: ["ignore", "pipe", "pipe", "pipe"],
    env: { PATH: process.env.PATH, HOME: os.tmpdir(), ...env }
  })
  const ms = Number(process.hrtime.bigint() - started) / 1e6
  if (r.status !== 0) throw new Error(`${script} ${args.join(" ")} failed (${r.status}): ${r.stderr}`)
  return { ms, rssKiB: Number(r.output[3].trim()), stdout: r.stdout }
}

export const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.floor(s.length / 2)]
}

export const percentile = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]
}

/** A scratch directory (real path), removed after `body`. */
export const withScratch = (body) => {
  const root = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), "trop-bench-")))
  try {
    return body(root)
  } finally {
    fs.rmSync(root, { recursive: true, force: true })
  }
}

export const dirs = (root, prefix, count) =>
  Array.from({ length: count }, (_, i) => {
    const d = path.join(root, `${prefix}${i}`)
    fs.mkdirSync(d)
    return d
  })

/**
 * One row of the table: `RUNS` interleaved pairs of trop and its floor.
 * `prepare(root)` returns a context with `cwd(i, "trop" | "floor")`; `tropArgs(ctx, i)` and
 * `floorArgs(ctx, i)` give each run's arguments; `floorScript` is a script in bench/, or `-e`
 * for an inline program (`node -e 0`).
 * `target` is the bound on the time ratio (and on the memory ratio when `memoryTarget`).
 */
export const scenario = ({ name, prepare, tropArgs, floorScript, floorArgs, target, memoryTarget, check }) =>
  withScratch((root) => {
    const ctx = prepare(root)
    const trop = []
    const floor = []
    for (let i = 0; i < RUNS; i++) {
      const t = sample(TROP, tropArgs(ctx, i), ctx.cwd(i, "trop"), ctx.env)
      const f = sample(floorScript === "-e" ? "-e" : path.join(here, floorScript), floorArgs(ctx, i), ctx.cwd(i, "floor"), ctx.env)
      if (check !== undefined) check(t.stdout, f.stdout, i)
      if (i > 0) {
        trop.push(t)
        floor.push(f)
      }
    }
    const ms = (xs) => median(xs.map((s) => s.ms))
    const kib = (xs) => median(xs.map((s) => s.rssKiB))
    return {
      scenario: name,
      "trop ms": ms(trop).toFixed(1),
      "floor ms": ms(floor).toFixed(1),
      "time ratio": (ms(trop) / ms(floor)).toFixed(2),
      "time target": target === undefined ? "" : `≤ ${target}`,
      "trop MiB": (kib(trop) / 1024).toFixed(1),
      "floor MiB": (kib(floor) / 1024).toFixed(1),
      "memory ratio": (kib(trop) / kib(floor)).toFixed(2),
      "memory target": memoryTarget === undefined ? "" : `≤ ${memoryTarget}`
    }
  })
