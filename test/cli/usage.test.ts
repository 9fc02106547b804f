import * as path from "node:path"
import { afterEach, beforeEach, describe, expect, it } from "vitest"
import { trop } from "../support/cli.js"
import {
  dbFile,
  expectError,
  expectOk,
  expectPort,
  expectUsageError,
  exists,
  listJson,
  makeSandbox,
  type Sandbox
} from "./_helpers.js"

const MIN = 25000
const MAX = 25099

let sb: Sandbox
beforeEach(() => {
  sb = makeSandbox([MIN, MAX])
})
afterEach(() => sb.cleanup())

/** Runs without the sandbox's --data-dir but with the sandbox HOME and port range. */
const bare = (args: Array<string>, env: Record<string, string | undefined> = {}) =>
  trop(args, { cwd: sb.work, env: { ...sb.baseEnv, ...env } })

const SUBCOMMANDS: ReadonlyArray<readonly [string, string]> = [
  ["reserve", "Reserve a port for a directory"],
  ["release", "Release a port reservation"],
  ["list", "List active reservations"],
  ["assert-reservation", "Assert that a reservation exists for a path/tag"],
  ["assert-port", "Assert that a specific port is reserved"],
  ["show-data-dir", "Show the resolved data directory path"],
  ["show-path", "Show the resolved path for a reservation"]
]

const ROOT_DESCRIPTION = "Manage ephemeral port reservations"

describe("global options", () => {
  it("are accepted before and after the subcommand; the occurrence after wins", () => {
    const a = path.join(sb.root, "A")
    const b = path.join(sb.root, "B")
    expectOk(bare(["--data-dir", a, "reserve", "--data-dir", b]), `${MIN}\n`)
    expect(exists(dbFile(b))).toBe(true)
    expect(exists(a)).toBe(false)
    expectOk(bare(["reserve", "--data-dir", a, "--tag", "x"]), `${MIN}\n`)
    expect(exists(dbFile(a))).toBe(true)
  })

  it("the same global flag once before and once after is allowed", () => {
    expectOk(sb.run(["--quiet", "reserve", "--quiet"]), `${MIN}\n`)
  })

  it("--data-dir beats TROP_DATA_DIR; TROP_DATA_DIR is used without the flag", () => {
    const env = path.join(sb.root, "envdir")
    const flag = path.join(sb.root, "flagdir")
    expectOk(bare(["reserve"], { TROP_DATA_DIR: env }), `${MIN}\n`)
    expect(exists(dbFile(env))).toBe(true)
    expectOk(bare(["reserve", "--data-dir", flag], { TROP_DATA_DIR: env }), `${MIN}\n`)
    expect(exists(dbFile(flag))).toBe(true)
  })

  it("a relative --data-dir is relative to the process working directory", () => {
    expectOk(bare(["--data-dir", "rel/d", "reserve"]), `${MIN}\n`)
    expect(exists(path.join(sb.work, "rel", "d", "trop.db"))).toBe(true)
  })

  it("the default data directory is $HOME/.trop", () => {
    expectOk(bare(["reserve"]), `${MIN}\n`)
    expect(exists(path.join(sb.home, ".trop", "trop.db"))).toBe(true)
  })

  it("database commands without HOME, flag or TROP_DATA_DIR → exit 7", () => {
    expectError(
      bare(["reserve"], { HOME: undefined }),
      7,
      "Configuration error: Could not determine the trop data directory"
    )
  })

  it("TROP_DATA_DIR=\"\" and TROP_PATH=\"\" are usage errors (a value is required)", () => {
    expectUsageError(bare(["reserve"], { TROP_DATA_DIR: "" }), /--data-dir|TROP_DATA_DIR/, "a value is required")
    expectUsageError(bare(["show-data-dir"], { TROP_DATA_DIR: "" }), /--data-dir|TROP_DATA_DIR/)
    expectUsageError(sb.run(["reserve"], { env: { TROP_PATH: "" } }), /--path|TROP_PATH/, "a value is required")
  })

  it("--busy-timeout is a u32: non-numeric, negative or too large values are usage errors; + is tolerated", () => {
    expectUsageError(sb.run(["--busy-timeout", "abc", "reserve"]), "--busy-timeout", "abc")
    expectUsageError(sb.run(["--busy-timeout", "-1", "reserve"]), "--busy-timeout")
    expectUsageError(sb.run(["reserve", "--busy-timeout", "4294967296"]), "--busy-timeout", "4294967296")
    expectOk(sb.run(["--busy-timeout", "+3", "reserve"]), `${MIN}\n`)
    expectError(
      sb.run(["reserve", "--busy-timeout", "4294967295"]),
      7,
      "Configuration error: validation error for 'maximum_lock_wait_seconds (<command line>)': Timeout must not exceed 2147483 seconds"
    )
  })
})

describe("usage errors (exit 4)", () => {
  it("a repeated option in the same position", () => {
    const b = path.join(sb.root, "B")
    const c = path.join(sb.root, "C")
    expectUsageError(trop(["reserve", "--data-dir", b, "--data-dir", c], { cwd: sb.work }), "--data-dir")
    expectUsageError(trop(["--data-dir", b, "--data-dir", c, "reserve"], { cwd: sb.work }), "--data-dir")
    expectUsageError(sb.run(["--quiet", "--quiet", "reserve"]), "--quiet")
    expectUsageError(sb.run(["reserve", "--tag", "a", "--tag", "b"]), "--tag")
    expectUsageError(sb.run(["list", "--format", "json", "--format=csv"]), "--format")
    expectUsageError(sb.run(["release", "--recursive", "--recursive"]), "--recursive")
    expect(exists(b)).toBe(false)
    expect(exists(c)).toBe(false)
  })

  it("unknown options, anywhere", () => {
    expectUsageError(sb.run(["reserve", "--bogus"]), "--bogus")
    expectUsageError(sb.run(["--bogus", "reserve"]), "--bogus")
    expectUsageError(sb.run(["assert-port", "--bogus"]), "--bogus")
    expectUsageError(sb.run(["list", "--bogus=1"]), "--bogus")
    expect(exists(sb.dataDir)).toBe(false)
  })

  it("unknown subcommand and unimplemented-looking typos", () => {
    expectUsageError(sb.run(["nosuch"]), "nosuch")
    expectUsageError(sb.run(["help", "nosuch"]), "nosuch")
  })

  it("extra positional arguments", () => {
    expectUsageError(sb.run(["reserve", "extra"]), "extra")
    expectUsageError(sb.run(["list", "extra"]), "extra")
  })

  it("subcommand options before the subcommand", () => {
    expectUsageError(sb.run(["--tag", "web", "reserve"]), "--tag")
  })

  it("an option without its value", () => {
    expectUsageError(sb.run(["reserve", "--tag"]), "--tag")
    expectUsageError(sb.run(["reserve", "--path"]), "--path")
    expectUsageError(sb.run(["list", "--format"]), "--format")
  })

  it("a space-separated value starting with '-' is an option: --tag -x is an error, --tag=-x is the value", () => {
    expectUsageError(sb.run(["reserve", "--tag", "-x"]), "--tag")
    expectPort(sb.run(["reserve", "--tag=-x"]))
    expect(listJson(sb).map((r) => r.tag)).toEqual(["-x"])
  })

  it("--version is only accepted by the root command", () => {
    expectUsageError(sb.run(["reserve", "--version"]), "--version")
    expectUsageError(sb.run(["list", "-V"]), "-V")
  })

  it("-x style short options other than -h/-V are errors", () => {
    expectUsageError(sb.run(["reserve", "-t", "web"]), "-t")
  })
})

describe("--flag=value is equivalent to --flag value", () => {
  it("for global and subcommand options", () => {
    const d = path.join(sb.root, "eq")
    expectOk(bare([`--data-dir=${d}`, "reserve", "--tag=web", `--port=${MIN + 5}`]), `${MIN + 5}\n`)
    expectOk(bare(["--data-dir", d, "reserve", "--tag", "web"]), `${MIN + 5}\n`)
  })

  it("--project= (empty) is the same as --project '' (exit 7, not a usage error)", () => {
    const msg = "Configuration error: validation error for 'project (<command line>)': Cannot be empty or only whitespace"
    expectError(sb.run(["reserve", "--project", ""]), 7, msg)
    expectError(sb.run(["reserve", "--project="]), 7, msg)
  })

  it("--port= (empty) is the same as --port '' (an invalid port number)", () => {
    const msg = "Invalid arguments: Invalid port number: '' is not a valid number"
    expectError(sb.run(["reserve", "--port", ""]), 4, msg)
    expectError(sb.run(["reserve", "--port="]), 4, msg)
  })

  it("--data-dir= (empty) is a usage error naming --data-dir, like --data-dir ''", () => {
    expectUsageError(bare(["--data-dir", "", "show-data-dir"]), "--data-dir")
    expectUsageError(bare(["--data-dir=", "show-data-dir"]), "--data-dir")
  })
})

describe("help", () => {
  const expectHelp = (args: Array<string>, description: string, env: Record<string, string | undefined> = {}) => {
    const r = bare(args, env)
    expect(r.code, r.stderr).toBe(0)
    expect(r.stderr).toBe("")
    expect(r.stdout).toContain("Usage:")
    expect(r.stdout).toContain(description)
    expect(r.stdout).not.toContain("\x1b")
    return r.stdout
  }

  it("trop alone prints the full help on stderr and exits 4 (also with only global options)", () => {
    for (const args of [[], ["--quiet"], ["--data-dir", "/x"]]) {
      const r = bare(args)
      expect(r.code).toBe(4)
      expect(r.stdout).toBe("")
      expect(r.stderr).toContain("Usage:")
      expect(r.stderr).toContain(ROOT_DESCRIPTION)
      for (const [name] of SUBCOMMANDS) expect(r.stderr).toContain(name)
      expect(r.stderr).not.toContain("\x1b")
    }
  })

  it("--help, -h and help print the root help on stdout, exit 0, listing every subcommand", () => {
    const a = expectHelp(["--help"], ROOT_DESCRIPTION)
    expect(expectHelp(["-h"], ROOT_DESCRIPTION)).toBe(a)
    expect(expectHelp(["help"], ROOT_DESCRIPTION)).toBe(a)
    for (const [name, description] of SUBCOMMANDS) {
      expect(a).toContain(name)
      expect(a).toContain(description)
    }
    for (const text of [
      "Enable verbose output",
      "Suppress non-essential output",
      "Override the data directory location",
      "Database lock wait in seconds; 0 disables waiting (max 2147483)",
      "Disable automatic database initialization"
    ]) expect(a).toContain(text)
  })

  it("help is printed even when other global options are present, without touching the data dir", () => {
    expectHelp(["--data-dir", path.join(sb.root, "h"), "--quiet", "-h"], ROOT_DESCRIPTION)
    expectHelp(["reserve", "--help"], "Reserve a port for a directory", { TROP_OUTPUT_FORMAT: "xml" })
    expect(exists(path.join(sb.root, "h"))).toBe(false)
  })

  it.each(SUBCOMMANDS)("help %s prints its description (%s) on stdout", (name, description) => {
    const viaHelp = expectHelp(["help", name], description)
    expect(viaHelp).toContain(name)
    expect(viaHelp).not.toContain(ROOT_DESCRIPTION)
    if (name === "reserve") {
      expect(expectHelp([name, "--help"], description)).toBe(viaHelp)
      expect(expectHelp([name, "-h"], description)).toBe(viaHelp)
    }
  })

  it("option help texts and env bindings are shown", () => {
    const reserve = expectHelp(["help", "reserve"], "Reserve a port for a directory")
    for (const text of [
      "--path <PATH>",
      "Directory path (default: current directory)",
      "TROP_PATH",
      "--tag <TAG>",
      "Service tag",
      "--port <PORT>",
      "Preferred port number",
      "--min <MIN>",
      "--max <MAX>",
      "Reallocate an existing reservation for the exact path and tag",
      "Overwrite and bypass path, metadata, occupancy, and exclusion guards",
      "Disable all automatic cleanup",
      "Perform a dry run"
    ]) expect(reserve).toContain(text)
    const list = expectHelp(["list", "--help"], "List active reservations")
    for (const text of ["--format <FORMAT>", "--filter-project <PROJECT>", "--filter-path <PATH>", "Show full paths instead of shortened forms"]) {
      expect(list).toContain(text)
    }
  })

  it("NO_COLOR / non-TTY: no ANSI escapes even when colour is forced by the environment", () => {
    expectHelp(["--help"], ROOT_DESCRIPTION, { NO_COLOR: "1", FORCE_COLOR: "1" })
  })
})

describe("--version", () => {
  it("--version and -V print 'trop 0.2.0' on stdout", () => {
    expectOk(bare(["--version"]), "trop 0.2.0\n")
    expectOk(bare(["-V"]), "trop 0.2.0\n")
  })
})

describe("--verbose and diagnostic logging (docs/cli.md)", () => {
  it("--verbose writes [trop] lines to stderr only; stdout is still just the port", () => {
    const r = sb.run(["--verbose", "reserve"])
    expect(r.code).toBe(0)
    expect(r.stdout).toBe(`${MIN}\n`)
    const lines = r.stderr.split("\n").filter((l) => l !== "")
    expect(lines.length).toBeGreaterThan(0)
    for (const l of lines) expect(l.startsWith("[trop] ")).toBe(true)
    expect(r.stdout).not.toContain("[trop]")
  })

  it("--verbose after the subcommand and TROP_LOG_MODE=verbose log too", () => {
    const a = sb.run(["reserve", "--verbose"])
    expect(a.stdout).toBe(`${MIN}\n`)
    expect(a.stderr).toMatch(/^\[trop\] /)
    const b = sb.run(["list", "--format", "json"], { env: { TROP_LOG_MODE: "VERBOSE" } })
    expect(JSON.parse(b.stdout)).toHaveLength(1)
    expect(b.stderr).toMatch(/^\[trop\] /)
    for (const l of b.stderr.split("\n").filter((x) => x !== "")) expect(l.startsWith("[trop] ")).toBe(true)
  })

  it("--quiet wins over --verbose and over TROP_LOG_MODE=verbose", () => {
    expectOk(sb.run(["--verbose", "reserve", "--quiet"]), `${MIN}\n`, "")
    expectOk(sb.run(["reserve", "--quiet"], { env: { TROP_LOG_MODE: "verbose" } }), `${MIN}\n`, "")
  })

  it("without --verbose or TROP_LOG_MODE=verbose nothing is logged", () => {
    expectOk(sb.run(["reserve"], { env: { TROP_LOG_MODE: "normal" } }), `${MIN}\n`, "")
    expectOk(sb.run(["reserve"], { env: { TROP_LOG_MODE: "chatty" } }), `${MIN}\n`, "")
  })

  it("errors stay one Error: line (after any [trop] log lines) and stdout stays empty", () => {
    const r = sb.run(["--verbose", "assert-port", "25050"])
    expect(r.code).toBe(1)
    expect(r.stdout).toBe("")
    const lines = r.stderr.split("\n").filter((l) => l !== "")
    expect(lines.filter((l) => l.startsWith("Error: "))).toEqual(["Error: Assertion failed: port 25050 is not reserved"])
  })
})
