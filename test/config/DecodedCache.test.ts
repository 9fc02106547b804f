import { describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { execFileSync } from "node:child_process"
import * as fs from "node:fs"
import * as nodePath from "node:path"
import { expect } from "vitest"
import type { Cache } from "../../src/config/DecodedCache.js"
import * as Files from "../../src/config/Files.js"
import { tempDirScoped } from "../fixtures/Fixtures.js"

/**
 * The cache of decoded configuration files (src/config/DecodedCache.ts) against real files:
 * a kept file decodes to exactly what the YAML decodes to, and an entry is used only for
 * the same text and the same build, whichever file has it.
 */

const CONFIGS = [
  "",
  "# only a comment\n",
  "project: demo\nports:\n  min: 6000\n  max: 6100\n",
  "ports: { min: 6000, max_offset: 50 }\nexcluded_ports: [6001, \"6005..6009\", { start: 6020, end: 6030 }]\n",
  "occupancy_check:\n  skip_udp: true\n  check_all_interfaces: false\ncleanup:\n  expire_after_days: 7\n",
  "reservations:\n  base: 7000\n  services:\n    web: {}\n    api: { offset: 1, env: API_PORT }\n    __proto__: { offset: 2 }\n",
  "reservations: null\n",
  "disable_autoprune: true\nmaximum_lock_wait_seconds: 3\noutput_format: json\n"
]

/** A data directory with its cache and a project file of `text`. */
const world = (text: string) =>
  Effect.map(tempDirScoped("trop-decoded-"), (dir) => {
    const dataDir = nodePath.join(dir, "data")
    fs.mkdirSync(dataDir)
    const file = nodePath.join(dir, "trop.yaml")
    fs.writeFileSync(file, text)
    const cache: Cache = { directory: nodePath.join(dataDir, "cache"), build: "build-a" }
    return { dataDir, file, cache }
  })

const entries = (cache: Cache): Array<string> => fs.existsSync(cache.directory) ? fs.readdirSync(cache.directory) : []

/** Rewrites the one entry of `cache` with `change` applied to its parsed JSON. */
const tamper = (cache: Cache, change: (entry: { build: string; decoded: { config: Record<string, unknown> } }) => void) => {
  const [name] = entries(cache)
  if (name === undefined) throw new Error("no entry")
  const file = nodePath.join(cache.directory, name)
  const entry = JSON.parse(fs.readFileSync(file, "utf8"))
  change(entry)
  fs.writeFileSync(file, JSON.stringify(entry))
}

describe("a kept file decodes to what its YAML decodes to", () => {
  for (const text of CONFIGS) {
    it.scoped(JSON.stringify(text), () =>
      Effect.gen(function*() {
        const { cache, file } = yield* world(text)
        const fresh = yield* Files.parse(file, "project")
        const first = yield* Files.parse(file, "project", cache)
        expect(entries(cache)).toHaveLength(1)
        const kept = yield* Files.parse(file, "project", cache)
        expect(first).toEqual(fresh)
        expect(kept).toEqual(fresh)
        // A service named __proto__ stays an own key, not the object's prototype.
        const services = kept.config.reservations?.services
        if (services !== undefined) expect(Object.getPrototypeOf(services)).toBe(Object.prototype)
      }))
  }
})

describe("when an entry is used", () => {
  it.scoped("the same text and build: the entry's value is what the run sees, for any file of that text", () =>
    Effect.gen(function*() {
      const { cache, file } = yield* world("project: real\n")
      yield* Files.parse(file, "project", cache)
      tamper(cache, (entry) => {
        entry.decoded.config.project = "kept"
      })
      expect((yield* Files.parse(file, "project", cache)).config.project).toBe("kept")
      // Another worktree's file with the same text.
      const other = nodePath.join(nodePath.dirname(file), "other", "trop.yaml")
      fs.mkdirSync(nodePath.dirname(other))
      fs.copyFileSync(file, other)
      const loaded = yield* Files.parse(other, "project", cache)
      expect({ path: loaded.path, project: loaded.config.project }).toEqual({ path: other, project: "kept" })
    }))

  it.scoped("an edited file is decoded afresh (and kept again)", () =>
    Effect.gen(function*() {
      const { cache, file } = yield* world("project: before\n")
      yield* Files.parse(file, "project", cache)
      tamper(cache, (entry) => {
        entry.decoded.config.project = "stale"
      })
      fs.writeFileSync(file, "project: after\n")
      expect((yield* Files.parse(file, "project", cache)).config.project).toBe("after")
      expect((yield* Files.parse(file, "project", cache)).config.project).toBe("after")
    }))

  it.scoped("another build's entry is not used", () =>
    Effect.gen(function*() {
      const { cache, file } = yield* world("project: real\n")
      yield* Files.parse(file, "project", cache)
      tamper(cache, (entry) => {
        entry.decoded.config.project = "other build"
      })
      expect((yield* Files.parse(file, "project", { ...cache, build: "build-b" })).config.project).toBe("real")
    }))

  it.scoped("a damaged entry, or a FIFO in its place, is a miss: the file is decoded", () =>
    Effect.gen(function*() {
      const { cache, file } = yield* world("project: real\n")
      yield* Files.parse(file, "project", cache)
      const [name] = entries(cache)
      const entry = nodePath.join(cache.directory, name ?? "")
      fs.writeFileSync(entry, "{\"build\": \"build-a\", \"path\": ")
      expect((yield* Files.parse(file, "project", cache)).config.project).toBe("real")
      fs.rmSync(entry)
      execFileSync("mkfifo", [entry])
      expect((yield* Files.parse(file, "project", cache)).config.project).toBe("real")
    }))
})

describe("what is kept, and where", () => {
  it.scoped("the cache directory is 0700 and an entry 0600, whatever the umask", () =>
    Effect.gen(function*() {
      const { cache, file } = yield* world("project: real\n")
      const umask = process.umask(0)
      try {
        yield* Files.parse(file, "project", cache)
      } finally {
        process.umask(umask)
      }
      expect(fs.statSync(cache.directory).mode & 0o777).toBe(0o700)
      const [name] = entries(cache)
      expect(fs.statSync(nodePath.join(cache.directory, name ?? "")).mode & 0o777).toBe(0o600)
    }))

  it.scoped("nothing without a data directory: it is not created for the cache", () =>
    Effect.gen(function*() {
      const { cache, dataDir, file } = yield* world("project: real\n")
      fs.rmSync(dataDir, { recursive: true })
      yield* Files.parse(file, "project", cache)
      expect(fs.existsSync(dataDir)).toBe(false)
    }))

  it.scoped("a file with a problem is not kept", () =>
    Effect.gen(function*() {
      const { cache, file } = yield* world("ports:\n  min: 5000.0\n")
      expect((yield* Effect.flip(Files.parse(file, "project", cache)))._tag).toBe("InvalidConfiguration")
      expect(entries(cache)).toEqual([])
    }))

  it.scoped("a value that JSON would not give back unchanged (a float among a range's ignored keys) is not kept", () =>
    Effect.gen(function*() {
      const { cache, file } = yield* world("excluded_ports:\n  - { start: 6000, end: 6010, note: 1.5 }\n")
      yield* Files.parse(file, "project", cache)
      expect(entries(cache)).toEqual([])
    }))

  it.scoped("a file over 64 KiB is not kept", () =>
    Effect.gen(function*() {
      const { cache, file } = yield* world(`project: real\n${"# padding\n".repeat(7000)}`)
      yield* Files.parse(file, "project", cache)
      expect(entries(cache)).toEqual([])
    }))
})
