import { spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { describe, expect, it } from "vitest"
import { BIN, cleanEnv, tempDir } from "../support/cli.js"

const hasScript = spawnSync("sh", ["-c", "command -v script"]).status === 0

describe("scan progress (docs/cli.md)", () => {
  it.skipIf(!hasScript)("shows a progress line on a terminal's stderr, and only there", () => {
    const root = tempDir()
    const data = path.join(root, "data")
    // `script` gives the command a pseudo-terminal; stdout goes to a file.
    const out = path.join(root, "out.txt")
    const r = spawnSync(
      "script",
      ["-qec", `${process.execPath} ${BIN} --data-dir ${data} scan --min 24000 --max 24300 > ${out}`, "/dev/null"],
      { encoding: "utf8", env: cleanEnv({ HOME: root }) }
    )
    expect(r.status).toBe(0)
    expect(r.stdout).toContain("\rScanning ports 24000-24300: 301/301")
    expect(fs.readFileSync(out, "utf8")).not.toContain("Scanning")
    fs.rmSync(root, { recursive: true, force: true })
  })
})
