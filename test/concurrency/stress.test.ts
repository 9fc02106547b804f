// Mixed-operation stress with real processes (docs/database.md): eight concurrent workers each
// run a fixed number of reserve / release / reserve-group / prune / migrate / list operations
// against one data directory, with a busy timeout far beyond what a loaded machine needs (the
// work, not the clock, bounds the test). Every outcome must be a clean domain result, never a
// lock timeout or a crash, and the database must stay valid.
import Sqlite from "better-sqlite3"
import * as fs from "node:fs"
import * as path from "node:path"
import { afterEach, describe, expect, it } from "vitest"
import { type Result, tempDir, tropAsync } from "../support/cli.js"

const MIN = 41600
const MAX = 41699
const WORKERS = 8
const OPERATIONS_PER_WORKER = 8
/** Seconds: never reached unless a lock is never released; then the test fails with exit 2. */
const BUSY_TIMEOUT = "60"

const roots: Array<string> = []
afterEach(() => {
  for (const r of roots.splice(0)) fs.rmSync(r, { recursive: true, force: true })
})

/** A small deterministic PRNG, so a failing interleaving's choices can be replayed. */
const rng = (seed: number) => {
  let x = seed >>> 0 || 1
  return (n: number) => {
    x ^= x << 13
    x >>>= 0
    x ^= x >>> 17
    x ^= x << 5
    x >>>= 0
    return x % n
  }
}

interface Outcome {
  readonly worker: number
  readonly args: ReadonlyArray<string>
  readonly result: Result
}

describe("stress: 8 processes, mixed operations, one data directory", () => {
  it("every exit is a domain outcome (0, 1 or 6; never 2, never a crash); the database stays valid with unique ports and keys", async () => {
    const root = tempDir("trop-stress-")
    roots.push(root)
    const dataDir = path.join(root, "data")
    const home = path.join(root, "home")
    fs.mkdirSync(home)
    const mk = (name: string) => {
      const p = path.join(root, name)
      fs.mkdirSync(p, { recursive: true })
      return p
    }
    const dirs = ["d0", "d1", "d2"].map(mk)
    const moveA = mk("move-a")
    const moveB = mk("move-b")
    const groups = ["g0", "g1"].map((g) => {
      const dir = mk(g)
      fs.writeFileSync(path.join(dir, "trop.yaml"), "reservations:\n  services:\n    web: {}\n    api: { offset: 1 }\n    db: { offset: 2 }\n")
      return dir
    })
    const env = { HOME: home, TROP_PORT_MIN: String(MIN), TROP_PORT_MAX: String(MAX), TROP_DATA_DIR: dataDir, TROP_BUSY_TIMEOUT: BUSY_TIMEOUT }
    const run = (args: ReadonlyArray<string>, cwd: string) => tropAsync(args, { cwd, env })
    const tags = [[], ["--tag", "web"], ["--tag", "api"]] as const

    const outcomes: Array<Outcome> = []
    const worker = async (id: number) => {
      const pick = rng(0x9e3779b9 * (id + 1))
      for (let i = 0; i < OPERATIONS_PER_WORKER; i++) {
        const op = pick(10)
        let args: Array<string>
        let cwd = root
        const singleDirs = [...dirs, moveA, moveB]
        if (op <= 2) {
          cwd = singleDirs[pick(singleDirs.length)] ?? root
          args = ["reserve", ...(tags[pick(tags.length)] ?? []), "--skip-occupancy-check"]
        } else if (op === 3) {
          cwd = singleDirs[pick(singleDirs.length)] ?? root
          args = ["release", ...(tags[pick(tags.length)] ?? [])]
        } else if (op <= 5) {
          cwd = groups[pick(groups.length)] ?? root
          args = ["reserve-group", "trop.yaml", "--skip-occupancy-check", "--format", "json"]
        } else if (op === 6) {
          args = ["prune"]
        } else if (op === 7) {
          const [from, to] = pick(2) === 0 ? [moveA, moveB] : [moveB, moveA]
          args = ["migrate", "--from", from, "--to", to, "--force"]
        } else {
          args = ["list", "--format", "json"]
        }
        outcomes.push({ worker: id, args, result: await run(args, cwd) })
      }
    }
    await Promise.all(Array.from({ length: WORKERS }, (_, i) => worker(i)))

    const report = (o: Outcome) => `worker ${o.worker}: trop ${o.args.join(" ")} → ${o.result.code}\n${o.result.stderr}`
    expect(outcomes).toHaveLength(WORKERS * OPERATIONS_PER_WORKER)
    for (const o of outcomes) {
      const { code, stdout, stderr } = o.result
      expect([0, 1, 6], report(o)).toContain(code)
      expect(stderr, report(o)).not.toMatch(/^\s+at\s/m)
      expect(stderr, report(o)).not.toMatch(/lock timeout|database error|corruption|defect|TypeError|ReferenceError/i)
      if (code !== 0) {
        expect(stdout, report(o)).toBe("")
        expect(stderr, report(o)).toMatch(/^(Warning: .*\n)*Error: [^\n]+\n$/)
      }
      // Readers never fail during writes.
      if (o.args[0] === "list") {
        expect(code, report(o)).toBe(0)
        expect(Array.isArray(JSON.parse(stdout))).toBe(true)
      }
      if (o.args[0] === "reserve" && code === 0) expect(stdout).toMatch(/^\d+\n$/)
    }
    // Some work of every kind really happened.
    const succeeded = new Set(outcomes.filter((o) => o.result.code === 0).map((o) => o.args[0]))
    expect(succeeded.has("reserve")).toBe(true)
    expect(succeeded.has("list")).toBe(true)
    expect(succeeded.has("reserve-group")).toBe(true)

    const validate = await tropAsync(["assert-data-dir", "--validate"], { cwd: root, env })
    expect(validate).toEqual({ code: 0, stdout: "", stderr: "" })

    const db = new Sqlite(path.join(dataDir, "trop.db"), { readonly: true })
    try {
      const stored = db.prepare("SELECT path, tag, port FROM reservations").all() as Array<{ path: string; tag: string; port: number }>
      expect(new Set(stored.map((r) => r.port)).size).toBe(stored.length)
      expect(new Set(stored.map((r) => JSON.stringify([r.path, r.tag]))).size).toBe(stored.length)
      for (const r of stored) {
        expect(r.port).toBeGreaterThanOrEqual(MIN)
        expect(r.port).toBeLessThanOrEqual(MAX)
      }
      // A group is stored completely or not at all.
      for (const g of groups) {
        const tagsAt = stored.filter((r) => r.path === g).map((r) => r.tag).sort()
        expect([[], ["api", "db", "web"]]).toContainEqual(tagsAt)
      }
      // Only the directories the workers used appear.
      const known = new Set([...dirs, moveA, moveB, ...groups])
      for (const r of stored) expect(known.has(r.path), r.path).toBe(true)
      expect(db.prepare("SELECT value FROM metadata WHERE key = 'schema_version'").all()).toEqual([{ value: "2" }])
    } finally {
      db.close()
    }
  }, 300_000)
})
