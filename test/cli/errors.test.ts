// Exit codes that need a special environment: lock timeouts (2), stdout write failures and an
// unreadable working directory (5) — docs/cli.md, docs/configuration.md, docs/database.md.
import Sqlite from "better-sqlite3"
import { spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { afterEach, beforeEach, describe, expect, it } from "vitest"
import { BIN, cleanEnv } from "../support/cli.js"
import { dbFile, expectOk, expectPort, listJson, makeSandbox, type Sandbox } from "./_helpers.js"
import { expectHinted, lockHint } from "./_hints.js"

const MIN = 27100
const MAX = 27199

let sb: Sandbox
beforeEach(() => {
  sb = makeSandbox([MIN, MAX])
})
afterEach(() => sb.cleanup())

const lockMsg = (seconds: number) =>
  `database lock timeout while starting an immediate database transaction after ${seconds}s`

/** Holds `BEGIN IMMEDIATE` on the sandbox database while `f` runs. */
const whileLocked = <T>(f: () => T): T => {
  const db = new Sqlite(dbFile(sb.dataDir), { timeout: 0 })
  db.prepare("BEGIN IMMEDIATE").run()
  try {
    return f()
  } finally {
    db.prepare("ROLLBACK").run()
    db.close()
  }
}

describe("lock timeout (exit 2)", () => {
  it("mutating commands report the immediate transaction with the configured seconds; nothing committed", () => {
    const port = expectPort(sb.run(["reserve"]))
    whileLocked(() => {
      expectHinted(sb.run(["reserve", "--tag", "new", "--busy-timeout", "0"]), 2, lockMsg(0), lockHint(0))
      expectHinted(sb.run(["--busy-timeout", "0", "release"]), 2, lockMsg(0), lockHint(0))
      expectHinted(sb.run(["reserve", "--dry-run", "--tag", "x"], { env: { TROP_BUSY_TIMEOUT: "0" } }), 2, lockMsg(0), lockHint(0))
      expectHinted(sb.run(["reserve", "--tag", "x"], { env: { TROP_MAXIMUM_LOCK_WAIT_SECONDS: "0" } }), 2, lockMsg(0), lockHint(0))
      // the flag beats the environment
      expectHinted(sb.run(["reserve", "--tag", "y", "--busy-timeout", "1"], { env: { TROP_BUSY_TIMEOUT: "0" } }), 2, lockMsg(1), lockHint(1))
    })
    expect(listJson(sb).map((r) => [r.tag, r.port])).toEqual([[null, port]])
  })

  it("readers are not blocked by a writer, even with --busy-timeout 0", () => {
    const port = expectPort(sb.run(["reserve"]))
    whileLocked(() => {
      const list = sb.run(["list", "--format", "json", "--busy-timeout", "0"])
      expect(list.code, list.stderr).toBe(0)
      expect(JSON.parse(list.stdout)).toHaveLength(1)
      expectOk(sb.run(["assert-reservation", "--busy-timeout", "0"]), `${port}\n`)
      expectOk(sb.run(["assert-port", String(port), "--busy-timeout", "0"]), "")
    })
  })
})

describe("I/O errors in the CLI layer (exit 5)", () => {
  const runWithBrokenStdout = (args: Array<string>) => {
    const fd = fs.openSync(process.platform === "win32" ? "NUL" : "/dev/null", "r")
    try {
      const r = spawnSync(process.execPath, [BIN, "--data-dir", sb.dataDir, ...args], {
        cwd: sb.work,
        env: cleanEnv({ ...sb.baseEnv }),
        stdio: ["ignore", fd, "pipe"],
        encoding: "utf8"
      })
      return { code: r.status, stderr: r.stderr }
    } finally {
      fs.closeSync(fd)
    }
  }

  it.skipIf(process.platform === "win32")("a stdout write failure exits 5 with one I/O error line", () => {
    for (const args of [["show-data-dir"], ["list"]]) {
      const r = runWithBrokenStdout(args)
      expect(r.code).toBe(5)
      expect(r.stderr).toMatch(/^Error: I\/O error: .+\n$/)
    }
  })

  it.skipIf(process.platform === "win32")("a deleted working directory fails cleanly (no stack trace, nothing on stdout)", () => {
    const gone = path.join(sb.root, "gone")
    fs.mkdirSync(gone)
    const r = spawnSync("sh", ["-c", `cd "${gone}" && rmdir "${gone}" && exec "$0" "$@"`, process.execPath, BIN, "--data-dir", sb.dataDir, "reserve"], {
      env: cleanEnv({ ...sb.baseEnv }),
      encoding: "utf8"
    })
    expect(r.stdout).toBe("")
    expect(r.stderr).not.toMatch(/^\s+at\s/m)
    // The working directory: unreadable → 5 `I/O error`; nonexistent → warning + 6 `path not found`
    if (r.status === 5) {
      expect(r.stderr).toMatch(/^Error: I\/O error: .+\n$/)
    } else {
      expect(r.status).toBe(6)
      expect(r.stderr).toBe(
        `Warning: Cannot canonicalize inferred path because it does not exist: ${gone}\nError: path not found: ${gone}\n`
      )
    }
    expect(fs.existsSync(sb.dataDir)).toBe(false)
  })
})
