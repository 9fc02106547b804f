import Sqlite from "better-sqlite3"
import { spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { afterEach, beforeEach, describe, expect, it } from "vitest"
import { BIN, cleanEnv, type Result } from "../support/cli.js"
import { makeSandbox, type Sandbox } from "./_helpers.js"

/**
 * Modes of what trop creates: new data directories 0700, a new trop.db 0600 (and so its
 * -wal/-shm, which SQLite creates with trop.db's mode), whatever the umask.
 */

// Private port range of this file.
const MIN = 33900
const MAX = 33999

let sb: Sandbox
beforeEach(() => {
  sb = makeSandbox([MIN, MAX])
})
afterEach(() => sb.cleanup())

/** Runs trop under `umask`, set in a shell that then becomes trop. */
const runWithUmask = (umask: string, dataDir: string, args: ReadonlyArray<string>): Result => {
  const r = spawnSync("sh", ["-c", `umask ${umask}; exec "$0" "$@"`, process.execPath, BIN, "--data-dir", dataDir, ...args], {
    cwd: sb.work,
    env: cleanEnv(sb.baseEnv),
    encoding: "utf8",
    input: ""
  })
  return { code: r.status, stdout: r.stdout, stderr: r.stderr }
}

const mode = (p: string) => fs.statSync(p).mode & 0o777

describe.each(["000", "077", "022", "277"])("umask %s", (umask) => {
  it("new data directories (parents included) are 0700, a new trop.db 0600, and so its -wal/-shm", () => {
    const dataDir = path.join(sb.root, "new", "parent", "data")
    const r = runWithUmask(umask, dataDir, ["reserve"])
    expect(r.code, r.stderr).toBe(0)
    for (const dir of [path.join(sb.root, "new"), path.join(sb.root, "new", "parent"), dataDir]) {
      expect([dir, mode(dir).toString(8)]).toEqual([dir, "700"])
    }
    const db = path.join(dataDir, "trop.db")
    expect(mode(db).toString(8)).toBe("600")
    // A connection in WAL mode makes -wal and -shm beside trop.db; SQLite gives them its mode.
    const open = new Sqlite(db)
    try {
      open.prepare("UPDATE reservations SET last_used_at = last_used_at").run()
      expect([mode(`${db}-wal`), mode(`${db}-shm`)].map((m) => m.toString(8))).toEqual(["600", "600"])
    } finally {
      open.close()
    }
  })
})

describe("existing directories and databases keep their modes", () => {
  it("a 0755 data directory and a 0644 trop.db stay as they are", () => {
    fs.mkdirSync(sb.dataDir, { mode: 0o755 })
    fs.chmodSync(sb.dataDir, 0o755)
    expect(runWithUmask("000", sb.dataDir, ["reserve"]).code).toBe(0)
    expect(mode(sb.dataDir).toString(8)).toBe("755")
    const db = path.join(sb.dataDir, "trop.db")
    fs.chmodSync(db, 0o644)
    expect(runWithUmask("077", sb.dataDir, ["reserve", "--path", path.join(sb.work, "b")]).code).toBe(0)
    expect(mode(db).toString(8)).toBe("644")
  })

  it("an empty data directory gets a 0600 trop.db", () => {
    fs.mkdirSync(sb.dataDir)
    expect(runWithUmask("000", sb.dataDir, ["list"]).code).toBe(0)
    expect(mode(path.join(sb.dataDir, "trop.db")).toString(8)).toBe("600")
  })
})
