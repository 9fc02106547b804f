import Sqlite from "better-sqlite3"
import * as fs from "node:fs"
import * as path from "node:path"
import { afterEach, describe, expect, it } from "vitest"
import YAML from "yaml"
import type { Result } from "../support/cli.js"
import { tempDir, tropAsync } from "../support/cli.js"

/**
 * Group reservations from many real processes against one database (docs/concepts.md,
 * docs/database.md): BEGIN IMMEDIATE serializes them, so identical requests converge on one mapping and
 * different groups never share a port. Private port range of this file: 28300-28399.
 */
const MIN = 28300
const MAX = 28399

const roots: Array<string> = []
afterEach(() => {
  for (const d of roots.splice(0)) fs.rmSync(d, { recursive: true, force: true })
})

const setup = () => {
  const root = tempDir("trop-group-race-")
  roots.push(root)
  return { root, dataDir: path.join(root, "data") }
}

/**
 * Only the test's own variables: no shell hints, no caller TROP_* (tropAsync strips those), and
 * a busy timeout far beyond what a few short transactions need on a loaded machine.
 */
const ENV = { ZSH_VERSION: undefined, FISH_VERSION: undefined, PSModulePath: undefined, SHELL: undefined, TROP_BUSY_TIMEOUT: "60" }

interface Row {
  readonly path: string
  readonly tag: string
  readonly port: number
  readonly created_at: number
  readonly last_used_at: number
}

const rowsOf = (dataDir: string): Array<Row> => {
  const db = new Sqlite(path.join(dataDir, "trop.db"), { readonly: true })
  try {
    return db.prepare("SELECT path, tag, port, created_at, last_used_at FROM reservations ORDER BY path, tag").all() as Array<Row>
  } finally {
    db.close()
  }
}

const noStackTraces = (results: ReadonlyArray<Result>) => {
  for (const r of results) expect(r.stderr).not.toMatch(/^\s+at /m)
}

const groupFile = (dir: string, services: Record<string, unknown>) => {
  fs.mkdirSync(dir, { recursive: true })
  const file = path.join(dir, "trop.yaml")
  fs.writeFileSync(file, YAML.stringify({ ports: { min: MIN, max: MAX }, reservations: { services } }))
  return file
}

describe("concurrent group reservations", () => {
  it("8 processes reserving the same group at once: all exit 0 with byte-identical stdout, one set of rows", async () => {
    const { dataDir, root } = setup()
    const dir = path.join(root, "app")
    groupFile(dir, { web: {}, api: { offset: 1 }, db: { offset: 2 }, cache: { offset: 3, env: "REDIS_PORT" } })
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        i % 2 === 0
          ? tropAsync(["--data-dir", dataDir, "autoreserve", "--format", "dotenv"], { cwd: dir, env: ENV })
          : tropAsync(["--data-dir", dataDir, "reserve-group", "trop.yaml", "--format", "dotenv"], { cwd: dir, env: ENV }))
    )
    noStackTraces(results)
    expect(results.map((r) => r.code)).toEqual(results.map(() => 0))
    const outputs = new Set(results.map((r) => r.stdout))
    expect(outputs.size).toBe(1)
    expect(results[0]?.stdout).toBe(`API=${MIN + 1}\nREDIS_PORT=${MIN + 3}\nDB=${MIN + 2}\nWEB=${MIN}\n`)
    for (const r of results) expect(r.stderr).toMatch(/Reserved 4 ports\.\n$/)
    const rows = rowsOf(dataDir)
    expect(rows.map((r) => [r.path, r.tag, r.port])).toEqual([
      [dir, "api", MIN + 1],
      [dir, "cache", MIN + 3],
      [dir, "db", MIN + 2],
      [dir, "web", MIN]
    ])
    // one allocation: every row carries the same created_at
    expect(new Set(rows.map((r) => r.created_at)).size).toBe(1)
  }, 180_000)

  it("6 processes reserving 6 different groups at once get pairwise disjoint ports", async () => {
    const { dataDir, root } = setup()
    // All six want the same preferred port and the same offset pattern.
    const dirs = Array.from({ length: 6 }, (_, i) => path.join(root, `g${i}`))
    for (const dir of dirs) groupFile(dir, { web: { preferred: MIN + 90 }, api: { offset: 1 }, db: { offset: 2 } })
    const results = await Promise.all(
      dirs.map((dir) => tropAsync(["--data-dir", dataDir, "autoreserve", "--format", "json"], { cwd: dir, env: ENV }))
    )
    noStackTraces(results)
    expect(results.map((r) => r.code)).toEqual(results.map(() => 0))
    const printed = results.map((r) => JSON.parse(r.stdout) as Record<string, number>)
    const ports = printed.flatMap((m) => Object.values(m))
    expect(ports).toHaveLength(18)
    expect(new Set(ports).size).toBe(18)
    for (const p of ports) {
      expect(p).toBeGreaterThanOrEqual(MIN)
      expect(p).toBeLessThanOrEqual(MAX)
    }
    // exactly one group got the preferred port
    expect(printed.filter((m) => m.web === MIN + 90)).toHaveLength(1)
    // what each process printed is what is stored for its directory
    const rows = rowsOf(dataDir)
    expect(rows).toHaveLength(18)
    dirs.forEach((dir, i) => {
      const stored = Object.fromEntries(rows.filter((r) => r.path === dir).map((r) => [r.tag, r.port]))
      expect(stored).toEqual(printed[i])
    })
  }, 180_000)
})
