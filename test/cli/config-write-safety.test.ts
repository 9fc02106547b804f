import { spawn } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { afterEach, beforeEach, describe, expect, it } from "vitest"
import { BIN, cleanEnv, type Result } from "../support/cli.js"
import { Sockets } from "./_sockets.js"
import { makeSandbox, type Sandbox } from "./_helpers.js"

/**
 * How trop rewrites configuration files: through a temporary file it
 * creates exclusively under an unpredictable name in the target's directory, so a symlink
 * planted where a temporary file might go is never followed; the mode is set on the open file,
 * so an existing file keeps its mode and a new user `config.yaml` is 0600 whatever the umask.
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

const mode = (file: string) => fs.statSync(file).mode & 0o7777

/**
 * Runs trop under `umask`, with `plant(pid)` called once trop's process id is known but before
 * trop starts: a shell waits on its stdin, then execs node under the same pid.
 */
const runAs = (
  args: ReadonlyArray<string>,
  options: { readonly umask?: string; readonly cwd?: string; readonly plant?: (pid: number) => void } = {}
) =>
  new Promise<Result>((resolve, reject) => {
    const script = `umask ${options.umask ?? "022"} && read _ && exec "$0" "$@"`
    const child = spawn("/bin/sh", ["-c", script, process.execPath, BIN, "--data-dir", sb.dataDir, ...args], {
      cwd: options.cwd ?? sb.work,
      env: cleanEnv(sb.baseEnv),
      stdio: ["pipe", "pipe", "pipe"]
    })
    let stdout = ""
    let stderr = ""
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d))
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d))
    child.on("error", reject)
    child.on("close", (code) => resolve({ code, stdout, stderr }))
    if (child.pid === undefined) return reject(new Error("no pid"))
    try {
      options.plant?.(child.pid)
    } finally {
      child.stdin.end("go\n")
    }
  })

/**
 * A file outside the project that an attacker wants overwritten, and symlinks to it at each
 * name the old code used for its temporary file (`.<name>.<pid>.tmp` beside the target).
 */
const trap = () => {
  const victim = path.join(sb.root, "outside", "victim")
  fs.mkdirSync(path.dirname(victim))
  fs.writeFileSync(victim, "precious\n", { mode: 0o640 })
  fs.chmodSync(victim, 0o640)
  const planted: Array<string> = []
  const plant = (...targets: Array<string>) => (pid: number) => {
    for (const target of targets) {
      const link = path.join(path.dirname(target), `.${path.basename(target)}.${pid}.tmp`)
      fs.symlinkSync(victim, link)
      planted.push(link)
    }
  }
  const expectUntouched = () => {
    expect(fs.readFileSync(victim, "utf8")).toBe("precious\n")
    expect(mode(victim).toString(8)).toBe("640")
    for (const link of planted) expect(fs.readlinkSync(link)).toBe(victim)
  }
  return { plant, expectUntouched }
}

/** No temporary file is left beside `file`. */
const noLeftovers = (dir: string, planted = 0) =>
  expect(fs.readdirSync(dir).filter((n) => n.endsWith(".tmp"))).toHaveLength(planted)

describe("planted symlinks at predictable temporary names are never followed", () => {
  it("exclude on trop.yaml", async () => {
    const file = path.join(sb.work, "trop.yaml")
    fs.writeFileSync(file, "project: web\n")
    const { expectUntouched, plant } = trap()
    const r = await runAs(["exclude", "8080"], { plant: plant(file) })
    expect(r).toEqual({ code: 0, stdout: `Added exclusion to ${file}\n`, stderr: "" })
    expectUntouched()
    expect(fs.lstatSync(file).isFile()).toBe(true)
    expect(fs.readFileSync(file, "utf8")).toBe("project: web\nexcluded_ports:\n  - 8080\n")
    noLeftovers(sb.work, 1)
  })

  it("exclude --global creating config.yaml", async () => {
    expect(sb.run(["init"]).code).toBe(0)
    const file = path.join(sb.dataDir, "config.yaml")
    const { expectUntouched, plant } = trap()
    const r = await runAs(["exclude", "--global", "8080"], { plant: plant(file) })
    expect(r).toEqual({ code: 0, stdout: `Added exclusion to ${file}\n`, stderr: "" })
    expectUntouched()
    expect(fs.readFileSync(file, "utf8")).toBe("excluded_ports:\n  - 8080\n")
  })

  it("compact-exclusions", async () => {
    const file = path.join(sb.work, "trop.yaml")
    fs.writeFileSync(file, "excluded_ports:\n  - 8080\n  - 8081\n")
    const { expectUntouched, plant } = trap()
    const r = await runAs(["compact-exclusions", file], { plant: plant(file) })
    expect(r).toEqual({ code: 0, stdout: `Compacted 2 exclusions to 1\nUpdated ${file}\n`, stderr: "" })
    expectUntouched()
    expect(fs.readFileSync(file, "utf8")).toBe("excluded_ports:\n  - start: 8080\n    end: 8081\n")
  })

  it("scan --autoexclude --autocompact (two rewrites)", async () => {
    const port = await sockets.tcp("127.0.0.1")
    const file = path.join(sb.work, "trop.yaml")
    fs.writeFileSync(file, `excluded_ports:\n  - ${port - 1}\n`)
    const { expectUntouched, plant } = trap()
    const r = await runAs(["scan", "--min", String(port), "--max", String(port), "--autoexclude", "--autocompact", "--quiet"], {
      plant: plant(file)
    })
    expect(r.code, r.stderr).toBe(0)
    expectUntouched()
    expect(fs.readFileSync(file, "utf8")).toBe(`excluded_ports:\n  - start: ${port - 1}\n    end: ${port}\n`)
  })

  it("a symlinked trop.yaml: the temporary file goes beside the link's target, the link stays", async () => {
    const real = path.join(sb.work, "shared", "ports.yml")
    fs.mkdirSync(path.dirname(real))
    fs.writeFileSync(real, "project: web\n", { mode: 0o604 })
    fs.chmodSync(real, 0o604)
    const link = path.join(sb.work, "trop.yaml")
    fs.symlinkSync(real, link)
    const { expectUntouched, plant } = trap()
    const r = await runAs(["exclude", "8080"], { plant: plant(real, link) })
    expect(r.code, r.stderr).toBe(0)
    expectUntouched()
    expect(fs.readlinkSync(link)).toBe(real)
    expect(fs.readFileSync(real, "utf8")).toBe("project: web\nexcluded_ports:\n  - 8080\n")
    expect(mode(real).toString(8)).toBe("604")
  })
})

describe("modes whatever the umask", () => {
  it("init --with-config creates config.yaml 0600 under umask 000", async () => {
    const r = await runAs(["init", "--with-config"], { umask: "000" })
    expect(r.code, r.stderr).toBe(0)
    expect(mode(path.join(sb.dataDir, "config.yaml")).toString(8)).toBe("600")
  })

  it("exclude --global creates config.yaml 0600 under umask 000", async () => {
    const r = await runAs(["exclude", "--global", "8080"], { umask: "000" })
    expect(r.code, r.stderr).toBe(0)
    expect(mode(path.join(sb.dataDir, "config.yaml")).toString(8)).toBe("600")
  })

  it("scan --autoexclude without a project file creates config.yaml 0600 under umask 000", async () => {
    const port = await sockets.tcp("127.0.0.1")
    const r = await runAs(["scan", "--min", String(port), "--max", String(port), "--autoexclude", "--quiet"], { umask: "000" })
    expect(r.code, r.stderr).toBe(0)
    const file = path.join(sb.dataDir, "config.yaml")
    expect(fs.readFileSync(file, "utf8")).toBe(`excluded_ports:\n  - ${port}\n`)
    expect(mode(file).toString(8)).toBe("600")
  })

  it("an existing file keeps its mode under umask 000 and umask 077", async () => {
    const file = path.join(sb.work, "trop.yaml")
    fs.writeFileSync(file, "project: web\n")
    for (const [umask, before] of [["000", 0o640], ["077", 0o664]] as const) {
      fs.chmodSync(file, before)
      const r = await runAs(["exclude", umask === "000" ? "8080" : "9090"], { umask })
      expect(r.code, r.stderr).toBe(0)
      expect(mode(file).toString(8)).toBe(before.toString(8))
    }
    noLeftovers(sb.work)
  })
})
