import Sqlite from "better-sqlite3"
import * as fs from "node:fs"
import * as path from "node:path"
import { afterEach, beforeEach, describe, expect, it } from "vitest"
import { trop, tropAsync } from "../support/cli.js"
import { Sockets } from "./_sockets.js"
import { dbFile, expectOk, exists, makeSandbox, type Sandbox } from "./_helpers.js"

/**
 * Configuration edits hold trop's database write lock for the whole read-modify-write: they
 * wait for another writer up to the busy timeout and give up with exit 2, writing nothing.
 * `compact-exclusions` takes the lock only when it rewrites, so its other runs still never
 * open (or create) the database.
 */

let sb: Sandbox
const sockets = new Sockets()
beforeEach(() => {
  sb = makeSandbox()
})
afterEach(async () => {
  await sockets.closeAll()
  sb.cleanup()
})

const LOCK_TIMEOUT = {
  code: 2,
  stdout: "",
  // The first line as before, then the lock timeout's hint.
  stderr: "Error: database lock timeout while starting an immediate database transaction after 1s\n" +
    "hint: another process held the database lock for 1s; retry, or raise --busy-timeout\n"
}

/** Runs `f` while another connection holds the write lock of the sandbox's database. */
const whileLocked = async <A>(f: () => Promise<A>): Promise<A> => {
  expect(sb.run(["init"]).code).toBe(0)
  const holder = new Sqlite(dbFile(sb.dataDir))
  holder.exec("BEGIN IMMEDIATE")
  try {
    return await f()
  } finally {
    holder.exec("ROLLBACK")
    holder.close()
  }
}

const runAsync = (...args: Array<string>) => tropAsync(["--data-dir", sb.dataDir, ...args], { cwd: sb.work, env: sb.baseEnv })

describe("a configuration edit waits for the write lock, then gives up with exit 2", () => {
  const TEXT = "excluded_ports:\n  - 8080\n  - 8081\n"

  it("exclude", async () => {
    const file = path.join(sb.work, "trop.yaml")
    fs.writeFileSync(file, TEXT)
    expect(await whileLocked(() => runAsync("--busy-timeout", "1", "exclude", "9000"))).toEqual(LOCK_TIMEOUT)
    expect(fs.readFileSync(file, "utf8")).toBe(TEXT)
  })

  it("compact-exclusions", async () => {
    const file = path.join(sb.work, "trop.yaml")
    fs.writeFileSync(file, TEXT)
    expect(await whileLocked(() => runAsync("--busy-timeout", "1", "compact-exclusions", file))).toEqual(LOCK_TIMEOUT)
    expect(fs.readFileSync(file, "utf8")).toBe(TEXT)
  })

  it("scan --autoexclude", async () => {
    const port = await sockets.tcp("127.0.0.1")
    const file = path.join(sb.work, "trop.yaml")
    fs.writeFileSync(file, TEXT)
    const r = await whileLocked(() =>
      runAsync("--busy-timeout", "1", "scan", "--min", String(port), "--max", String(port), "--autoexclude")
    )
    expect(r).toEqual(LOCK_TIMEOUT)
    expect(fs.readFileSync(file, "utf8")).toBe(TEXT)
  })
})

describe("compact-exclusions opens the database only to rewrite", () => {
  const write = (text: string) => {
    const file = path.join(sb.work, "trop.yaml")
    fs.writeFileSync(file, text)
    return file
  }

  it("a dry run, an optimal list or no list: no data directory is created", () => {
    const file = write("excluded_ports:\n  - 8080\n  - 8081\n")
    expectOk(
      sb.run(["compact-exclusions", file, "--dry-run"]),
      "Compacted 2 exclusions to 1\nDry run - no changes made\nWould save: [8080..8081]\n"
    )
    expectOk(sb.run(["compact-exclusions", write("excluded_ports: [8080]\n")]), "Exclusions already optimal\n")
    expectOk(sb.run(["compact-exclusions", write("project: x\n")]), "No exclusions to compact\n")
    expect(exists(sb.dataDir)).toBe(false)
  })

  it("a rewrite takes the lock of the data directory's database, creating it as other commands do", () => {
    const file = write("excluded_ports:\n  - 8080\n  - 8081\n")
    expectOk(sb.run(["compact-exclusions", file]), `Compacted 2 exclusions to 1\nUpdated ${file}\n`)
    expect(exists(dbFile(sb.dataDir))).toBe(true)
  })

  it("with auto-init disabled and no database, it still rewrites, creating nothing", () => {
    const file = write("excluded_ports:\n  - 8080\n  - 8081\n")
    expectOk(sb.run(["--disable-autoinit", "compact-exclusions", file]), `Compacted 2 exclusions to 1\nUpdated ${file}\n`)
    expect(exists(sb.dataDir)).toBe(false)
  })

  it("with auto-init disabled in the user config and no database, it still rewrites, creating nothing", () => {
    const file = write("excluded_ports:\n  - 8080\n  - 8081\n")
    fs.mkdirSync(sb.dataDir)
    fs.writeFileSync(path.join(sb.dataDir, "config.yaml"), "disable_autoinit: true\n")
    expectOk(sb.run(["compact-exclusions", file]), `Compacted 2 exclusions to 1\nUpdated ${file}\n`)
    expect(exists(dbFile(sb.dataDir))).toBe(false)
  })

  it("without any data directory (no HOME, no TROP_DATA_DIR), it still rewrites", () => {
    const file = write("excluded_ports:\n  - 8080\n  - 8081\n")
    const r = trop(["compact-exclusions", file], { cwd: sb.work, env: { HOME: undefined, USERPROFILE: undefined } })
    expectOk(r, `Compacted 2 exclusions to 1\nUpdated ${file}\n`)
  })

  it("an invalid TROP_* variable does not stop it", () => {
    const file = write("excluded_ports:\n  - 8080\n  - 8081\n")
    const r = sb.run(["compact-exclusions", file], { env: { TROP_BUSY_TIMEOUT: "soon" } })
    expectOk(r, `Compacted 2 exclusions to 1\nUpdated ${file}\n`)
  })
})
