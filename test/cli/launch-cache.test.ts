import { spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { afterEach, beforeEach, describe, expect, it } from "vitest"
import { cleanEnv } from "../support/cli.js"

/**
 * The launcher (src/launch.ts) writes V8's code cache beside the bundle when it has none.
 * The temporary file must be its own: created exclusively under an unpredictable name, so
 * a symlink planted in the install directory cannot redirect the write.
 */

const repo = fileURLToPath(new URL("../..", import.meta.url))

let dir: string
beforeEach(() => {
  // A copy of the launcher and the bundle without a cache; better-sqlite3 from the checkout.
  dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), "trop-launch-")))
  for (const file of ["bin.cjs", "trop.cjs"]) fs.copyFileSync(path.join(repo, "dist", file), path.join(dir, file))
  fs.symlinkSync(path.join(repo, "node_modules"), path.join(dir, "node_modules"))
})
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }))

/** Runs the copied launcher with `preload` (a CommonJS file) loaded first, in the same process. */
const launch = (preload: string) =>
  spawnSync(process.execPath, ["-r", preload, path.join(dir, "bin.cjs"), "--version"], {
    cwd: dir,
    env: cleanEnv(),
    encoding: "utf8",
    timeout: 60_000
  })

describe("the code cache write", () => {
  it("a symlink at the old predictable name (<cache>.<pid>.tmp) is not followed", () => {
    const victim = path.join(dir, "victim")
    fs.writeFileSync(victim, "precious\n")
    const preload = path.join(dir, "plant.cjs")
    // Runs in the launcher's own process, so it knows the pid the old name used.
    fs.writeFileSync(
      preload,
      `require("fs").symlinkSync(${JSON.stringify(victim)}, ${JSON.stringify(path.join(dir, "trop.cjs.cache"))} + "." + process.pid + ".tmp")\n`
    )
    const r = launch(preload)
    expect(r.status, r.stderr).toBe(0)
    expect(fs.readFileSync(victim, "utf8")).toBe("precious\n")
    const cache = fs.lstatSync(path.join(dir, "trop.cjs.cache"))
    expect(cache.isFile() && cache.size > 0).toBe(true)
    // Only the planted symlink is left of any temporary name: the launcher's own is renamed.
    expect(fs.readdirSync(dir).filter((f) => f.endsWith(".tmp")).map((f) => fs.lstatSync(path.join(dir, f)).isSymbolicLink()))
      .toEqual([true])
  })

  it("the temporary name is not derived from the pid, and nothing is left beside the cache", () => {
    const preload = path.join(dir, "watch.cjs")
    // Records every file the process creates in the install directory through fs.openSync.
    fs.writeFileSync(
      preload,
      [
        "const fs = require('fs')",
        "const open = fs.openSync",
        "fs.writeFileSync(__dirname + '/pid', String(process.pid))",
        // Appended at once: the cache is written in an exit handler that runs after any of ours.
        "fs.openSync = function (file, ...rest) { if (String(file).includes('.cache.')) fs.appendFileSync(__dirname + '/seen', file + '\\n'); return open.call(fs, file, ...rest) }"
      ].join("\n")
    )
    const r = launch(preload)
    expect(r.status, r.stderr).toBe(0)
    const pid = fs.readFileSync(path.join(dir, "pid"), "utf8")
    const seen = fs.existsSync(path.join(dir, "seen")) ? fs.readFileSync(path.join(dir, "seen"), "utf8").split("\n").filter((l) => l !== "") : []
    expect(seen).toHaveLength(1)
    const name = path.basename(seen[0] ?? "")
    expect(path.dirname(seen[0] ?? "")).toBe(dir)
    expect(name).toMatch(/^\.?trop\.cjs\.cache\.[0-9a-f]{16,}\.tmp$/)
    expect(name).not.toBe(`trop.cjs.cache.${pid}.tmp`)
    expect(fs.readdirSync(dir).filter((f) => f.endsWith(".tmp"))).toEqual([])
  })
})
