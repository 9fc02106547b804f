import Sqlite from "better-sqlite3"
import { spawn, spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { afterEach, beforeEach, describe, expect, it } from "vitest"
import YAML from "yaml"
import { BIN, cleanEnv } from "../support/cli.js"
import { dbFile, expectOk, expectPort, expectUsageError, listJson, makeSandbox, type Sandbox, withDb } from "./_helpers.js"
import { lockHint } from "./_hints.js"

/** `trop exec` end to end, with real children (docs/exec.md). Private port range: 29600-29699. */
const MIN = 29600
const MAX = 29699

let sb: Sandbox
beforeEach(() => {
  sb = makeSandbox([MIN, MAX])
})
afterEach(() => sb.cleanup())

/** A child: `node -e script`, no shell involved. */
const node = (script: string) => ["--", process.execPath, "-e", script]

/** A child that prints the named variables as NAME=value lines (`-` when unset). */
const printEnv = (...names: Array<string>) =>
  node(`for (const n of ${JSON.stringify(names)}) console.log(n + "=" + (process.env[n] ?? "-"))`)

/** A child that leaves a file behind if it ever runs. */
const marker = () => path.join(sb.root, "child-ran")
const touchMarker = () => node(`require("fs").writeFileSync(${JSON.stringify(marker())}, "")`)

const writeYaml = (file: string, content: unknown) => {
  fs.mkdirSync(path.dirname(file), { recursive: true })
  fs.writeFileSync(file, YAML.stringify(content))
  return file
}

const GROUP = { reservations: { services: { web: {}, api: { offset: 1, env: "API_PORT" } } } }

/** Every stored row (none without a database). */
const rows = () =>
  !fs.existsSync(dbFile(sb.dataDir)) ? [] : withDb(sb.dataDir, (db) =>
    db.prepare("SELECT path, tag, port FROM reservations ORDER BY path, tag").all() as Array<{
      path: string
      tag: string
      port: number
    }>)

/** trop running asynchronously, its stdout/stderr collected, with a way to wait for a line. */
const start = (args: ReadonlyArray<string>) => {
  const child = spawn(process.execPath, [BIN, "--data-dir", sb.dataDir, ...args], {
    cwd: sb.work,
    env: cleanEnv(sb.baseEnv),
    stdio: ["pipe", "pipe", "pipe"]
  })
  let stdout = ""
  let stderr = ""
  const waiters: Array<() => void> = []
  child.stdout.setEncoding("utf8").on("data", (d: string) => {
    stdout += d
    for (const w of waiters.splice(0)) w()
  })
  child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d))
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>(
    (resolve) => child.on("close", (code, signal) => resolve({ code, signal, stdout, stderr }))
  )
  /** Resolves once stdout holds `line` (a whole line); rejects if trop ends first. */
  const line = (wanted: string) =>
    new Promise<void>((resolve, reject) => {
      const check = () => {
        if (stdout.split("\n").includes(wanted)) resolve()
        else waiters.push(check)
      }
      void exited.then((r) => reject(new Error(`trop ended before '${wanted}': ${JSON.stringify(r)}`)))
      check()
    })
  return { child, exited, line }
}

describe("exec: the child's environment", () => {
  it("PORT is this directory's reservation, which stays; stdout is only the child's", () => {
    const r = sb.run(["exec", ...printEnv("PORT")])
    expectOk(r, `PORT=${MIN}\n`)
    expect(listJson(sb).map((row) => [row.path, row.tag, row.port])).toEqual([[sb.work, null, MIN]])
    // Stable per directory: reserve and a second exec agree.
    expectOk(sb.run(["reserve"]), `${MIN}\n`)
    expectOk(sb.run(["exec", ...printEnv("PORT")]), `PORT=${MIN}\n`)
  })

  it("takes reserve's options: --tag, --port, --path", () => {
    const other = sb.dir("work", "sub")
    expectOk(sb.run(["exec", "--tag", "api", ...printEnv("PORT")]), `PORT=${MIN}\n`)
    expectOk(sb.run(["exec", "--tag", "web", "--port", String(MIN + 42), ...printEnv("PORT")]), `PORT=${MIN + 42}\n`)
    expectOk(sb.run(["exec", "--path", other, ...printEnv("PORT")]), `PORT=${MIN + 1}\n`)
    expect(rows()).toEqual([
      { path: sb.work, tag: "api", port: MIN },
      { path: sb.work, tag: "web", port: MIN + 42 },
      { path: other, tag: "", port: MIN + 1 }
    ])
  })

  it("--env NAME carries the port instead of PORT; the rest of the environment is inherited", () => {
    const r = sb.run(["exec", "--env", "WEB_PORT", ...printEnv("WEB_PORT", "PORT", "INHERITED")], { env: { INHERITED: "yes" } })
    expectOk(r, `WEB_PORT=${MIN}\nPORT=-\nINHERITED=yes\n`)
  })

  it("--group sets every service's variable (autoreserve), --group FILE those of FILE (reserve-group)", () => {
    writeYaml(path.join(sb.work, "trop.yaml"), GROUP)
    expectOk(sb.run(["exec", "--group", ...printEnv("WEB", "API_PORT", "PORT")]), `WEB=${MIN}\nAPI_PORT=${MIN + 1}\nPORT=-\n`)
    expectOk(sb.run(["autoreserve", "--format", "dotenv", "--quiet"]), `API_PORT=${MIN + 1}\nWEB=${MIN}\n`)
    const file = writeYaml(path.join(sb.work, "db", "services.yaml"), {
      reservations: { services: { db: { preferred: MIN + 50 } } }
    })
    expectOk(sb.run(["exec", "--group", file, ...printEnv("DB")]), `DB=${MIN + 50}\n`)
    expect(rows()).toEqual([
      { path: sb.work, tag: "api", port: MIN + 1 },
      { path: sb.work, tag: "web", port: MIN },
      { path: path.dirname(file), tag: "db", port: MIN + 50 }
    ])
  })

  it("a group variable no program may receive is refused before anything is stored or run", () => {
    writeYaml(path.join(sb.work, "trop.yaml"), { reservations: { services: { web: { env: "LD_PRELOAD" } } } })
    const r = sb.run(["exec", "--group", ...touchMarker()])
    expect({ code: r.code, stdout: r.stdout }).toEqual({ code: 7, stdout: "" })
    expect(r.stderr).toMatch(/^Error: Configuration error: .*'web' may not export this variable/)
    expect(fs.existsSync(marker())).toBe(false)
    expect(rows()).toEqual([])
  })
})

describe("exec: the child's exit status is trop's", () => {
  it("0 and 3 are passed on", () => {
    expectOk(sb.run(["exec", ...node("process.exit(0)")]), "")
    const r = sb.run(["exec", ...node("process.exit(3)")])
    expect({ code: r.code, stdout: r.stdout, stderr: r.stderr }).toEqual({ code: 3, stdout: "", stderr: "" })
  })

  it("a child ended by signal n gives 128 + n", () => {
    const r = sb.run(["exec", ...node("process.kill(process.pid, 'SIGTERM')")])
    expect({ code: r.code, stdout: r.stdout, stderr: r.stderr }).toEqual({ code: 128 + 15, stdout: "", stderr: "" })
  })

  it("a command that does not exist: one line, exit 127; one that cannot be executed: 126", () => {
    const missing = sb.run(["exec", "--", "trop-no-such-command", "arg"])
    expect(missing).toEqual({ code: 127, stdout: "", stderr: "Error: command not found: trop-no-such-command\n" })
    const script = path.join(sb.root, "not-executable.sh")
    fs.writeFileSync(script, "#!/bin/sh\necho never\n", { mode: 0o644 })
    const denied = sb.run(["exec", "--", script])
    expect(denied).toEqual({ code: 126, stdout: "", stderr: `Error: permission denied: ${script}\n` })
  })
})

describe("exec: the child shares trop's terminal", () => {
  it("stdin reaches the child untouched", () => {
    const r = sb.run(["exec", "--", "cat"], { input: "first line\nsecond line\n" })
    expectOk(r, "first line\nsecond line\n")
  })

  it("words after '--' are the child's, options and help included", () => {
    // node's own `--` ends node's options: what follows is the script's.
    const r = sb.run(["exec", ...node("console.log(process.argv.slice(1).join(' '))"), "--", "--help", "-V", "--tag", "x", "--"])
    expectOk(r, "--help -V --tag x --\n")
  })

  for (const signal of ["SIGTERM", "SIGINT", "SIGHUP"] as const) {
    it(`${signal} sent to trop is forwarded to the child, and the child's status is trop's`, async () => {
      const trop = start([
        "exec",
        ...node(
          `for (const s of ["SIGTERM", "SIGINT", "SIGHUP"]) process.on(s, () => { console.log("child got " + s); process.exit(7) });` +
            `console.log("ready"); setInterval(() => {}, 1000)`
        )
      ])
      await trop.line("ready")
      // Only trop is signalled (not its process group): the child hears of it through trop.
      trop.child.kill(signal)
      expect(await trop.exited).toEqual({ code: 7, signal: null, stdout: `ready\nchild got ${signal}\n`, stderr: "" })
    })
  }

  it("a forwarded signal the child does not handle ends it: 128 + n", async () => {
    const trop = start(["exec", ...node(`console.log("ready"); setInterval(() => {}, 1000)`)])
    await trop.line("ready")
    trop.child.kill("SIGHUP")
    expect(await trop.exited).toEqual({ code: 128 + 1, signal: null, stdout: "ready\n", stderr: "" })
  })
})

/** Whether a network namespace of one's own can be made (`unshare -rn`): no address there, so probes warn. */
const canUnshareNetwork = spawnSync("unshare", ["-rn", "true"]).status === 0

describe("exec: trop's own messages come before the child's", () => {
  it.skipIf(!canUnshareNetwork)("probe warnings (here: no usable address family) are printed before the child runs", () => {
    const r = spawnSync(
      "unshare",
      ["-rn", process.execPath, BIN, "--data-dir", sb.dataDir, "exec", ...node("console.error('child ran')")],
      { cwd: sb.work, env: cleanEnv(sb.baseEnv), encoding: "utf8" }
    )
    expect(r.status, r.stderr).toBe(0)
    const lines = r.stderr.trimEnd().split("\n")
    expect(lines.length).toBeGreaterThan(1)
    expect(lines.at(-1)).toBe("child ran")
    for (const line of lines.slice(0, -1)) expect(line).toMatch(/^Warning: skipping IPv[46] occupancy probes/)
  })
})

describe("exec --release", () => {
  it("frees the reservation when the child exits, whatever its status", () => {
    expectOk(sb.run(["exec", "--release", ...printEnv("PORT")]), `PORT=${MIN}\n`)
    expect(rows()).toEqual([])
    const r = sb.run(["exec", "--release", "--tag", "t", ...node("process.exit(4)")])
    expect(r.code).toBe(4)
    expect(rows()).toEqual([])
  })

  it("frees the group's ports, and only those", () => {
    writeYaml(path.join(sb.work, "trop.yaml"), GROUP)
    const sub = sb.dir("work", "sub")
    expectPort(sb.run(["reserve", "--path", sub]))
    expectOk(sb.run(["exec", "--group", "--release", ...printEnv("WEB")]), `WEB=${MIN + 1}\n`)
    expect(rows()).toEqual([{ path: sub, tag: "", port: MIN }])
  })

  it("a release that fails is reported; the status stays the child's and the reservation stays", async () => {
    // The child waits for a line on stdin; meanwhile the test takes the write lock.
    const trop = start([
      "exec",
      "--release",
      "--busy-timeout",
      "0",
      ...node(`console.log("ready"); process.stdin.once("data", () => process.exit(3))`)
    ])
    await trop.line("ready")
    const db = new Sqlite(dbFile(sb.dataDir))
    db.prepare("BEGIN IMMEDIATE").run()
    trop.child.stdin.end("go\n")
    const result = await trop.exited.finally(() => db.close())
    expect({ code: result.code, stdout: result.stdout }).toEqual({ code: 3, stdout: "ready\n" })
    // The first line as before; the lock timeout's hint follows it.
    expect(result.stderr).toMatch(/^Warning: --release failed: database lock timeout [^\n]*\n/)
    expect(result.stderr.split("\n").slice(1)).toEqual([`hint: ${lockHint(0)}`, ""])
    expect(rows()).toEqual([{ path: sb.work, tag: "", port: MIN }])
  })

  it("also when the command could not be started", () => {
    expect(sb.run(["exec", "--release", "--", "trop-no-such-command"]).code).toBe(127)
    expect(rows()).toEqual([])
  })

  it("leaves a reservation that was made anew while the child ran", () => {
    const reserveAgain = ["--data-dir", sb.dataDir, "reserve", "--overwrite", "--port", String(MIN + 9)]
    const r = sb.run(["exec", "--release", ...node(
      `require("child_process").execFileSync(process.execPath, ${JSON.stringify([BIN, ...reserveAgain])}, { stdio: "inherit" })`
    )])
    expectOk(r, `${MIN + 9}\n`)
    expect(rows()).toEqual([{ path: sb.work, tag: "", port: MIN + 9 }])
  })
})

describe("exec: failures before the child starts are trop's own", () => {
  /** trop's code, nothing on stdout, and the child never ran. */
  const refused = (args: ReadonlyArray<string>, code: number, env: Record<string, string> = {}) => {
    const r = sb.run(["exec", ...args, ...touchMarker()], { env })
    expect({ code: r.code, stdout: r.stdout }, r.stderr).toEqual({ code, stdout: "" })
    expect(fs.existsSync(marker())).toBe(false)
    return r
  }

  it("usage (4): no '--', no command, bad or refused --env, options a group has no use for, --dry-run", () => {
    expectUsageError(sb.run(["exec", "node", "-v"]), "unexpected argument 'node' found", "hint: the command goes after '--'")
    expectUsageError(sb.run(["exec"]), "<COMMAND>...")
    expectUsageError(sb.run(["exec", "--"]), "<COMMAND>...")
    expectUsageError(refused(["--env", "1PORT"], 4), "invalid value '1PORT' for '--env <NAME>'")
    for (const name of ["PATH", "LD_PRELOAD", "node_options"]) {
      expectUsageError(refused(["--env", name], 4), `invalid value '${name}' for '--env <NAME>'`)
    }
    expectUsageError(refused(["--group", "--tag", "web"], 4), "'--group' cannot be used with '--tag'")
    expectUsageError(refused(["--group", "--env", "X"], 4), "'--group' cannot be used with '--env'")
    expectUsageError(refused(["--dry-run"], 4), "unexpected argument '--dry-run'")
    expect(fs.existsSync(dbFile(sb.dataDir))).toBe(false)
  })

  it("no configuration for --group (4), invalid configuration (7)", () => {
    expect(refused(["--group"], 4).stderr).toBe(`Error: Invalid arguments: No trop configuration file found (searched from: ${sb.work})\n`)
    expect(refused(["--min", String(MAX + 1)], 7).stderr).toMatch(/^Error: Configuration error: .*max must be >= min\n$/)
  })

  it("database busy (2)", () => {
    expectPort(sb.run(["reserve"]))
    withDb(sb.dataDir, (db) => {
      db.prepare("BEGIN IMMEDIATE").run()
      try {
        refused(["--busy-timeout", "0"], 2)
      } finally {
        db.prepare("ROLLBACK").run()
      }
    })
  })

  it("an exhausted range (6)", () => {
    const one = { TROP_PORT_MIN: String(MIN), TROP_PORT_MAX: String(MIN) }
    expectOk(sb.run(["reserve", "--tag", "a"], { env: one }), `${MIN}\n`)
    refused(["--tag", "b"], 6, one)
    expect(rows()).toEqual([{ path: sb.work, tag: "a", port: MIN }])
  })
})

describe("exec: declared like every command", () => {
  it("help (both forms), the root's command list and completions come from the declaration", () => {
    const help = sb.run(["help", "exec"])
    expect(help.code).toBe(0)
    expect(sb.run(["exec", "--help"])).toEqual(help)
    expect(help.stdout).toContain("Usage: trop exec [OPTIONS] -- <COMMAND>...\n")
    for (const option of ["--group [<FILE>]", "--env <NAME>", "--release", "--tag <TAG>", "--port <PORT>", "--force"]) {
      expect(help.stdout).toContain(option)
    }
    expect(help.stdout).not.toContain("--dry-run")
    expect(sb.run(["--help"]).stdout).toMatch(/^ {2}exec {2,}Reserve a port/m)
    const script = path.join(sb.root, "trop.bash")
    fs.writeFileSync(script, sb.run(["completions", "bash"]).stdout)
    const complete = (words: string) =>
      spawnSync("bash", ["-c", `source ${script}; COMP_WORDS=(${words}); COMP_CWORD=$((\${#COMP_WORDS[@]} - 1)); _trop; echo "\${COMPREPLY[*]}"`], {
        encoding: "utf8"
      }).stdout.trim().split(" ").sort()
    expect(complete("trop ex")).toContain("exec")
    expect(complete("trop exec --re")).toEqual(["--release"])
    expect(complete("trop exec --gr")).toEqual(["--group"])
  })
})
