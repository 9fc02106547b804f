import * as fs from "node:fs"
import * as path from "node:path"
import { parse as parseYamlText } from "yaml"
import { afterEach, describe, expect, it } from "vitest"
import { Sockets } from "../cli/_sockets.js"
import type { Result } from "../support/cli.js"
import { tempDir, tropAsync } from "../support/cli.js"

/**
 * Many real processes editing one configuration file at once (`exclude`,
 * `compact-exclusions`, `scan --autoexclude`, `init --with-config`): each re-reads the file
 * under trop's database write lock, so N concurrent edits keep all N.
 */

/** Far beyond what 20 short edits on 2 cores need: a timeout here means a lock was never released. */
const BUSY = ["--busy-timeout", "300"]

const dirs: Array<string> = []
const sockets = new Sockets()
afterEach(async () => {
  await sockets.closeAll()
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true })
})

const setup = (text = "project: web\n") => {
  const root = tempDir("trop-exclusions-")
  dirs.push(root)
  const dataDir = path.join(root, "data")
  const work = path.join(root, "work")
  fs.mkdirSync(work)
  const file = path.join(work, "trop.yaml")
  fs.writeFileSync(file, text)
  const run = (...args: Array<string>) =>
    tropAsync(["--data-dir", dataDir, ...BUSY, ...args], { cwd: work, env: { HOME: root } })
  return { root, dataDir, work, file, run }
}

/** The set of ports a file's `excluded_ports` list covers, read independently of trop's code. */
const excludedPorts = (file: string): ReadonlyArray<number> => {
  const doc: unknown = parseYamlText(fs.readFileSync(file, "utf8"))
  const items: unknown = typeof doc === "object" && doc !== null && "excluded_ports" in doc ? doc.excluded_ports : []
  const ports = new Set<number>()
  for (const item of Array.isArray(items) ? items : []) {
    const [start, end] = typeof item === "number"
      ? [item, item]
      : typeof item === "string"
      ? item.split("..").map(Number)
      : [(item as { start: number }).start, (item as { end: number }).end]
    for (let p = start ?? 0; p <= (end ?? start ?? 0); p++) ports.add(p)
  }
  return [...ports].sort((a, b) => a - b)
}

const expectAllOk = (results: ReadonlyArray<Result>) =>
  expect(results.map((r) => ({ code: r.code, stderr: r.stderr }))).toEqual(results.map(() => ({ code: 0, stderr: "" })))

/** Ten distinct ports, none adjacent to another (so no two merge into one entry). */
const tenPorts = (base: number) => Array.from({ length: 10 }, (_, i) => base + 2 * i)

describe("concurrent edits of one configuration file", () => {
  it("10 concurrent excludes of distinct ports on one trop.yaml, 3 rounds: all 30 kept", async () => {
    const { file, run } = setup()
    const expected: Array<number> = []
    for (const round of [0, 1, 2]) {
      const ports = tenPorts(20000 + 100 * round)
      const results = await Promise.all(ports.map((p) => run("exclude", String(p))))
      expectAllOk(results)
      for (const r of results) expect(r.stdout).toBe(`Added exclusion to ${file}\n`)
      expected.push(...ports)
      expect(excludedPorts(file), `round ${round}`).toEqual(expected)
    }
  }, 300_000)

  it("10 excludes and 3 compact-exclusions at once: every port of the file and of each exclude is kept", async () => {
    // Adjacent pairs, so every compaction has something to do until one of them wins.
    const initial = [30000, 30001, 30010, 30011, 30020, 30021]
    const { file, run } = setup(`project: web\nexcluded_ports:\n${initial.map((p) => `  - ${p}\n`).join("")}`)
    const ports = tenPorts(31000)
    const results = await Promise.all([
      ...ports.map((p) => run("exclude", String(p))),
      ...[0, 1, 2].map(() => run("compact-exclusions", file))
    ])
    expectAllOk(results)
    expect(excludedPorts(file)).toEqual([...initial, ...ports])
  }, 300_000)

  it("excludes and scan --autoexclude --autocompact at once: every exclusion is kept", async () => {
    const occupied = [await sockets.tcp("127.0.0.1"), await sockets.tcp("127.0.0.1"), await sockets.tcp("127.0.0.1")]
    const { file, run } = setup()
    const ports = tenPorts(32000)
    const results = await Promise.all([
      ...ports.map((p) => run("exclude", String(p))),
      ...occupied.map((p) => run("scan", "--min", String(p), "--max", String(p), "--autoexclude", "--autocompact", "--quiet"))
    ])
    expect(results.map((r) => r.code)).toEqual(results.map(() => 0))
    expect(excludedPorts(file)).toEqual([...ports, ...occupied].sort((a, b) => a - b))
  }, 300_000)

  it("excludes --global and init --with-config at once: the exclusions and the init both succeed", async () => {
    const { dataDir, run } = setup()
    const ports = tenPorts(33000)
    const results = await Promise.all([
      ...ports.map((p) => run("exclude", "--global", String(p))),
      run("init", "--overwrite", "--with-config")
    ])
    expectAllOk(results)
    expect(excludedPorts(path.join(dataDir, "config.yaml"))).toEqual(ports)
  }, 300_000)
})
