// The library in-process: 1,000 `trop.reserve({ path })` calls for 1,000 distinct
// directories through `Trop.layer` (the built dist/lib), each its own BEGIN IMMEDIATE
// transaction as the method makes it, against bench/floor-inprocess.mjs: a raw
// better-sqlite3 loop issuing the very statements trop issues per reserve (traced), each
// reserve in its own BEGIN IMMEDIATE ... COMMIT.
//
// Both sides live in this one process, each on its own fresh database every repetition
// (created by trop, so the schema is trop's), and take turns pass by pass, the order
// alternating, so machine noise hits both alike. A pass is 1,000 calls; only passes are
// timed (opening the layer or the database is not). Three rows:
// - new keys, probes skipped on both sides (`occupancy: { skip: true }`): allocation of
//   1,000 ports (each reserve reads every row, as trop's allocation does), library + SQL;
// - new keys with the four bind probes of each allocated port, on both sides;
// - existing keys: the same 1,000 directories again (a refresh: one read, one UPDATE),
//   EXISTING_PASSES passes per repetition.
// Every pass checks that both sides handed out 1,000 distinct ports of the range, the same
// ones unless probed (a port some other process holds for a moment may be skipped by one
// side only), and existing keys the ports they got when new. "CPU ms" is the process's user+system
// time over the pass: the same comparison without waits for the disk or the scheduler.
//
// `node bench/inprocess.mjs` (after `node build.mjs`) prints the table;
// BENCH_INPROCESS_REPS sets the repetitions (default 5; the first only warms up),
// BENCH_TROP_LIB another build of the library (default ../dist/lib/index.js).
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Scope from "effect/Scope"
import * as Exit from "effect/Exit"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { open } from "./floor-inprocess.mjs"
import { dirs, median } from "./lib.mjs"

const { Trop } = await import(process.env.BENCH_TROP_LIB ?? "../dist/lib/index.js")

const CALLS = 1000
const REPS = Number(process.env.BENCH_INPROCESS_REPS ?? 5)
const EXISTING_PASSES = 5
const TARGET = 3

/** lib.mjs's withScratch, for an async body. */
const withScratch = async (body) => {
  const root = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), "trop-bench-")))
  try {
    return await body(root)
  } finally {
    fs.rmSync(root, { recursive: true, force: true })
  }
}

const wall = () => Number(process.hrtime.bigint()) / 1e6
const cpu = () => {
  const u = process.cpuUsage()
  return (u.user + u.system) / 1000
}

/** Times one pass: `run()` resolves to the ports handed out. */
const timed = async (run) => {
  const w = wall()
  const c = cpu()
  const ports = await run()
  return { ms: wall() - w, cpuMs: cpu() - c, ports }
}

/** `Trop.layer` on `dataDir`, built and kept open: `pass(paths)` runs one program of `paths.length` reserves. */
const openTrop = async (root, dataDir, probes) => {
  const scope = await Effect.runPromise(Scope.make())
  const layer = Trop.layer({ dataDir, cwd: root, env: { HOME: root }, ...(probes ? {} : { occupancy: { skip: true } }) })
  const context = await Effect.runPromise(Layer.buildWithScope(layer, scope))
  const pass = (paths) =>
    Effect.runPromise(
      Effect.gen(function*() {
        const trop = yield* Trop
        const ports = []
        for (const p of paths) ports.push(yield* trop.reserve({ path: p }))
        return ports
      }).pipe(Effect.provide(context))
    )
  return { pass, close: () => Effect.runPromise(Scope.close(scope, Exit.void)) }
}

/** The raw loop on `dataDir`, whose database trop creates first (untimed). */
const openFloor = async (root, dataDir, probes) => {
  await (await openTrop(root, dataDir, probes)).close()
  const db = open(dataDir)
  const pass = async (paths) => {
    const ports = []
    for (const p of paths) ports.push(await db.reserve(p, probes))
    return ports
  }
  return { pass, close: async () => db.close() }
}

/** 1,000 distinct ports of the range; without probes, the very ports of the floor. */
const sane = (what, trop, floor, probed) => {
  for (const [who, ports] of [["trop", trop], ["the floor", floor]]) {
    if (ports.length !== CALLS || new Set(ports).size !== CALLS) throw new Error(`${what}: ${who}'s ports are not ${CALLS} distinct ones`)
    if (ports.some((p) => !Number.isInteger(p) || p < 5000 || p > 7000)) throw new Error(`${what}: ${who} handed out a port outside 5000..7000`)
  }
  // With probes, a port another process holds for a moment may be skipped by one side only.
  if (!probed && trop.join() !== floor.join()) throw new Error(`${what}: trop and the floor handed out different ports`)
}

/** Both sides' pass, in the order `turn` says; checked. */
const both = async (turn, what, trop, floor, paths, probed = false) => {
  const first = turn % 2 === 0 ? trop : floor
  const second = turn % 2 === 0 ? floor : trop
  const a = await timed(() => first.pass(paths))
  const b = await timed(() => second.pass(paths))
  const [t, f] = turn % 2 === 0 ? [a, b] : [b, a]
  sane(what, t.ports, f.ports, probed)
  return { t, f }
}

const row = (name, trop, floor) => {
  const t = median(trop.map((s) => s.ms))
  const f = median(floor.map((s) => s.ms))
  const tc = median(trop.map((s) => s.cpuMs))
  const fc = median(floor.map((s) => s.cpuMs))
  return {
    scenario: name,
    "trop ms": t.toFixed(1),
    "floor ms": f.toFixed(1),
    "time ratio": (t / f).toFixed(2),
    "time target": `≤ ${TARGET}`,
    "trop CPU ms": tc.toFixed(1),
    "floor CPU ms": fc.toFixed(1),
    "CPU ratio": (tc / fc).toFixed(2)
  }
}

export const inProcessRows = () =>
  withScratch(async (root) => {
    const paths = dirs(root, "d", CALLS)
    const samples = { fresh: [[], []], existing: [[], []], probed: [[], []] }
    const keep = (kind, rep, { f, t }) => {
      if (rep === 0 && REPS > 1) return // warm-up
      samples[kind][0].push(t)
      samples[kind][1].push(f)
    }
    for (let rep = 0; rep < REPS; rep++) {
      const data = (name) => path.join(root, `${name}-${rep}`)
      const trop = await openTrop(root, data("trop"), false)
      const floor = await openFloor(root, data("floor"), false)
      const fresh = await both(rep, "new keys", trop, floor, paths)
      keep("fresh", rep, fresh)
      for (let pass = 0; pass < EXISTING_PASSES; pass++) {
        const existing = await both(rep + pass, "existing keys", trop, floor, paths)
        if (existing.t.ports.join() !== fresh.t.ports.join()) throw new Error("existing keys changed port")
        keep("existing", rep, existing)
      }
      await trop.close()
      await floor.close()
      const tropProbed = await openTrop(root, data("trop-probed"), true)
      const floorProbed = await openFloor(root, data("floor-probed"), true)
      keep("probed", rep, await both(rep + 1, "new keys, probed", tropProbed, floorProbed, paths, true))
      await tropProbed.close()
      await floorProbed.close()
      for (const name of ["trop", "floor", "trop-probed", "floor-probed"]) fs.rmSync(data(name), { recursive: true, force: true })
    }
    return [
      row("1,000 reserves in-process, new keys, probes skipped both sides (same SQL per call)", ...samples.fresh),
      row("1,000 reserves in-process, new keys, 4 bind probes per port both sides (same SQL)", ...samples.probed),
      row("1,000 reserves in-process, existing keys (same SQL per call)", ...samples.existing)
    ]
  })

if (process.argv[1] !== undefined && fs.realpathSync(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const rows = await inProcessRows()
  console.log(
    `trop library vs raw better-sqlite3 in one process: medians of ${Math.max(1, REPS - 1)} repetitions ` +
      `(existing keys: ${EXISTING_PASSES} passes each) of ${CALLS} calls (node ${process.version}, ${os.cpus().length} cpus)`
  )
  console.table(rows)
}
