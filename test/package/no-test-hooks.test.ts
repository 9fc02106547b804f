/**
 * The CLI users install carries no test hook: the TROP_TEST_CHECKPOINT fault hook is built
 * into the test-only bundle (dist/test/, FAULTS_BIN) and not into dist/trop.cjs, and the
 * package does not publish dist/test/. Before, the installed `trop` with
 * `TROP_TEST_CHECKPOINT=reserve:<file>` overwrote <file> and froze holding the write lock.
 */
import { spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { afterEach, beforeEach, describe, expect, it } from "vitest"
import { expectPort, makeSandbox, type Sandbox } from "../cli/_helpers.js"
import { stopAtCheckpoint } from "../support/checkpoint.js"
import { BIN, cleanEnv } from "../support/cli.js"
import { pack, ROOT } from "./scratchApp.js"

const HOOK = "TROP_TEST_CHECKPOINT"
const NO_PROBES = ["--skip-occupancy-check"]

let sb: Sandbox
beforeEach(() => {
  sb = makeSandbox([41800, 41899])
})
afterEach(() => sb.cleanup())

/** The shipped `trop args...` with the hook variable set; killed after 30 s, so a frozen run fails the test instead of hanging it. */
const runWithHook = (hook: string, args: ReadonlyArray<string>, cwd = sb.work) => {
  const r = spawnSync(process.execPath, [BIN, "--data-dir", sb.dataDir, ...args], {
    cwd,
    env: cleanEnv({ ...sb.baseEnv, [HOOK]: hook }),
    encoding: "utf8",
    timeout: 30_000,
    killSignal: "SIGKILL"
  })
  return { code: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr }
}

describe("no fault hook in what users install", () => {
  it("no published file under dist/ names the hook variable, dist/test/ is not published, and the test build does have the hook", async () => {
    const packed = await pack(fs.mkdtempSync(path.join(sb.root, "pack-")))
    expect(packed.entries).toContain("dist/trop.cjs")
    expect(packed.entries.filter((entry) => entry.startsWith("dist/test/"))).toEqual([])
    // The tarball's own bytes (README.md documents the variable; code must not contain it).
    const unpacked = sb.dir("unpacked")
    expect(spawnSync("tar", ["-xzf", packed.file, "-C", unpacked]).status).toBe(0)
    const naming = packed.entries.filter((entry) =>
      entry.startsWith("dist/") && fs.readFileSync(path.join(unpacked, "package", entry)).includes(HOOK)
    )
    expect(naming).toEqual([])
    // Not vacuous: the name is findable where the hook is built in.
    expect(fs.readFileSync(path.join(ROOT, "dist", "test", "trop.cjs"), "utf8")).toContain(HOOK)
  }, 180_000)

  it("the shipped trop ignores TROP_TEST_CHECKPOINT: each checkpointed command finishes (exit 0) and leaves the named file alone", () => {
    const precious = path.join(sb.root, "precious")
    fs.writeFileSync(precious, "precious data\n")
    const absent = path.join(sb.root, "absent")

    const reserved = runWithHook(`reserve:${precious}`, ["reserve", ...NO_PROBES])
    expect(reserved.signal).toBeNull()
    expectPort(reserved)

    const project = sb.dir("group")
    fs.writeFileSync(path.join(project, "trop.yaml"), "reservations:\n  services:\n    web: {}\n")
    const group = runWithHook(`reserve-group:${absent}`, ["reserve-group", "trop.yaml", "--quiet", ...NO_PROBES], project)
    expect({ code: group.code, signal: group.signal, stderr: group.stderr }).toEqual({ code: 0, signal: null, stderr: "" })

    const to = path.join(sb.root, "moved")
    const migrated = runWithHook(`migrate:${absent}`, ["migrate", "--from", sb.work, "--to", to, "--quiet"])
    expect({ code: migrated.code, signal: migrated.signal, stderr: migrated.stderr }).toEqual({ code: 0, signal: null, stderr: "" })

    expect(fs.readFileSync(precious, "utf8")).toBe("precious data\n")
    expect(fs.existsSync(absent)).toBe(false)
  })

  it("the test build stops at the checkpoint (its pid in the marker) and commits once the marker is deleted", async () => {
    const stopped = await stopAtCheckpoint({
      checkpoint: "reserve",
      args: ["--data-dir", sb.dataDir, "reserve", ...NO_PROBES],
      cwd: sb.work,
      env: sb.baseEnv,
      scratch: sb.root
    })
    try {
      expect(stopped.pid).toBeGreaterThan(0)
      const r = await stopped.resume()
      expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: "" })
      expect(r.stdout).toMatch(/^418\d\d\n$/)
    } finally {
      stopped.kill()
    }
  })
})
