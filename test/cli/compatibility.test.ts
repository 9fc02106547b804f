import { spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { afterEach, beforeEach, describe, expect, it } from "vitest"
import { BIN, cleanEnv, type Result } from "../support/cli.js"
import { expectError, expectUsageError, makeSandbox, type Sandbox } from "./_helpers.js"

/**
 * Which error a user sees first, as trop 0.2.0 shows it (docs/compatibility.md): the
 * shared steps run in order — arguments, data directory, pre-flight, working directory,
 * configuration — and each command's own checks come after them; configuration errors are
 * reported files-parsed, files-checked, environment, merged.
 */

let sb: Sandbox
beforeEach(() => {
  sb = makeSandbox()
})
afterEach(() => sb.cleanup())

const XML = { TROP_OUTPUT_FORMAT: "xml" }
const XML_ERROR = "Configuration error: validation error for 'TROP_OUTPUT_FORMAT': Invalid output format: 'xml' (expected table/json/csv/tsv)"

/** `trop args...` (with the sandbox data dir) started inside a working directory that no longer exists. */
const inDeletedDirectory = (args: ReadonlyArray<string>, env: Record<string, string> = {}): Result => {
  const gone = path.join(sb.root, `gone-${Math.random().toString(36).slice(2)}`)
  fs.mkdirSync(gone)
  const r = spawnSync(
    "sh",
    ["-c", `cd "${gone}" && rmdir "${gone}" && exec "$0" "$@"`, process.execPath, BIN, "--data-dir", sb.dataDir, ...args],
    { env: cleanEnv({ ...sb.baseEnv, ...env }), encoding: "utf8" }
  )
  return { code: r.status, stdout: r.stdout, stderr: r.stderr }
}

/** The working directory cannot be read: exit 5, one `I/O error` line (its reason is the system's). */
const expectWorkingDirectoryError = (r: Result) => {
  expect({ code: r.code, stdout: r.stdout }).toEqual({ code: 5, stdout: "" })
  expect(r.stderr).toMatch(/^Error: I\/O error: [^\n]+\n$/)
}

const firstLine = (r: Result) => r.stderr.split("\n")[0]

const write = (file: string, text: string) => {
  fs.mkdirSync(path.dirname(file), { recursive: true })
  fs.writeFileSync(file, text)
  return file
}

describe.skipIf(process.platform === "win32")("empty TROP_DATA_DIR / TROP_PATH are usage errors, first", () => {
  const required = (option: string) => `error: a value is required for '${option} <PATH>' but none was supplied`

  it("TROP_DATA_DIR='' is exit 4 in every command, even with --data-dir given (sb.run gives one)", () => {
    const other = path.join(sb.root, "other")
    const commands: ReadonlyArray<ReadonlyArray<string>> = [
      ["show-path", "--canonicalize"],
      ["show-data-dir"],
      ["validate", "trop.yaml"],
      ["compact-exclusions", "trop.yaml"],
      ["completions", "bash"],
      ["expire", "--data-dir", other],
      ["list"],
      ["init", "--dry-run", "--data-dir", other],
      ["assert-data-dir", "--data-dir", other],
      ["exec", "--", "true"]
    ]
    for (const args of commands) {
      const r = sb.run(args, { env: { TROP_DATA_DIR: "" } })
      expectUsageError(r)
      expect(firstLine(r), args.join(" ")).toBe(required("--data-dir"))
    }
    expect(fs.existsSync(other)).toBe(false)
  })

  it("the whole message of a usage error", () => {
    expect(sb.run(["show-data-dir"], { env: { TROP_DATA_DIR: "" } })).toEqual({
      code: 4,
      stdout: "",
      stderr: `${required("--data-dir")}\n\nUsage: trop show-data-dir [OPTIONS]\n\nFor more information, try '--help'.\n`
    })
  })

  it("TROP_PATH='' is reported before the configuration (not exit 7)", () => {
    for (const command of ["reserve", "release", "assert-reservation"]) {
      const r = sb.run([command], { env: { TROP_PATH: "", ...XML } })
      expectUsageError(r)
      expect(firstLine(r), command).toBe(required("--path"))
    }
    expect(fs.existsSync(sb.dataDir)).toBe(false)
  })

  it("TROP_PATH='' before TROP_DATA_DIR=''; a given --path needs no TROP_PATH", () => {
    expect(firstLine(sb.run(["reserve"], { env: { TROP_PATH: "", TROP_DATA_DIR: "" } }))).toBe(required("--path"))
    const r = sb.run(["reserve", "--path", sb.work, "--dry-run"], { env: { TROP_PATH: "" } })
    expect({ code: r.code, stdout: r.stdout }).toEqual({ code: 0, stdout: "" })
  })

  it("help is still help", () => {
    const r = sb.run(["help", "reserve"], { env: { TROP_DATA_DIR: "", TROP_PATH: "" } })
    expect(r.code).toBe(0)
    expect(r.stdout).toContain("Reserve a port for a directory")
  })
})

describe.skipIf(process.platform === "win32")("the shared steps come before each command's own checks", () => {
  it("assert-port 0 / port-info 0 in a deleted working directory: the I/O error, exit 5", () => {
    expectWorkingDirectoryError(inDeletedDirectory(["assert-port", "0"]))
    expectWorkingDirectoryError(inDeletedDirectory(["port-info", "0"]))
  })

  it("assert-port 0 / port-info 0 with an invalid TROP_OUTPUT_FORMAT: the configuration error, exit 7", () => {
    expectError(sb.run(["assert-port", "0"], { env: XML }), 7, XML_ERROR)
    expectError(sb.run(["port-info", "0"], { env: XML }), 7, XML_ERROR)
    expect(fs.existsSync(sb.dataDir)).toBe(false)
  })

  it("port 0 is still refused once the shared steps pass; a port that is no number is a usage error first", () => {
    expectError(sb.run(["assert-port", "0"]), 4, "Invalid arguments: invalid port 0: port 0 is invalid")
    expectError(sb.run(["port-info", "0"]), 4, "Invalid arguments: invalid port 0: port 0 is invalid")
    expectUsageError(inDeletedDirectory(["assert-port", "abc"]), "'abc'")
    expectUsageError(sb.run(["port-info", "70000"], { env: XML }), "'70000'")
  })

  it("exclude validates its entry after the working directory and the configuration", () => {
    for (const entry of ["0", "abc", "9..8"]) {
      expectWorkingDirectoryError(inDeletedDirectory(["exclude", entry]))
      expectError(sb.run(["exclude", entry], { env: XML }), 7, XML_ERROR)
    }
    expectError(sb.run(["exclude", "0", "--global"]), 4, "Invalid arguments: Invalid port number: port 0 is reserved and cannot be used")
    expect(fs.existsSync(sb.dataDir)).toBe(false)
  })
})

describe.skipIf(process.platform === "win32")("reserve-group checks its file before the working directory", () => {
  it("a missing file in a deleted working directory: Configuration file not found, exit 4", () => {
    expectError(inDeletedDirectory(["reserve-group", "nonexist.yaml"]), 4, "Invalid arguments: Configuration file not found: nonexist.yaml")
    expectError(inDeletedDirectory(["reserve-group", sb.work]), 4, `Invalid arguments: Path is not a file: ${sb.work}`)
  })

  it("an existing file: the working directory fails next", () => {
    const file = write(path.join(sb.work, "group.yaml"), "reservations:\n  services:\n    web: {}\n")
    expectWorkingDirectoryError(inDeletedDirectory(["reserve-group", file]))
  })

  it("the file as the system finds it: a name above the root is not found (exit 4, not an invalid path)", () => {
    expectError(sb.run(["reserve-group", "/../nonexist.yaml"]), 4, "Invalid arguments: Configuration file not found: /../nonexist.yaml")
  })

  it("a file that exists but does not normalize fails after the configuration", () => {
    const file = write(path.join(sb.work, "group.yaml"), "reservations:\n  services:\n    web: {}\n")
    const escaping = `/..${file}`
    expectError(sb.run(["reserve-group", escaping, "--dry-run"], { env: XML }), 7, XML_ERROR)
    expectError(
      sb.run(["reserve-group", escaping, "--dry-run"]),
      6,
      `invalid path ${escaping}: Path contains too many '..' components (escapes root)`
    )
  })
})

describe("which configuration error comes first", () => {
  const user = (text: string) => write(path.join(sb.dataDir, "config.yaml"), text)
  const project = (text: string, name = "trop.yaml") => write(path.join(sb.work, name), text)
  const invalid = (field: string, message: string) => `Configuration error: validation error for '${field}': ${message}`

  it("the command-line project before the user config's range (merged: project first)", () => {
    user("ports:\n  min: 8000\n")
    project("")
    expectError(
      sb.run(["reserve", "--project", "p".repeat(256), "--overwrite"]),
      7,
      invalid("project (<command line>)", "Cannot exceed 255 characters")
    )
    expectError(sb.run(["reserve"], { env: { TROP_PROJECT: " " } }), 7, invalid("project (TROP_PROJECT)", "Cannot be empty or only whitespace"))
    expectError(sb.run(["reserve"]), 7, invalid(`ports (${path.join(sb.dataDir, "config.yaml")})`, "max must be >= min"))
  })

  it("every file is parsed before any is checked", () => {
    user("excluded_ports: [0]\n")
    const file = project("bogus: 1\n")
    const r = sb.run(["reserve"])
    expect(r.code).toBe(7)
    expect(firstLine(r)).toMatch(new RegExp(`^Error: Configuration error: validation error for '${file}': Invalid YAML: unknown field \`bogus\``))
    fs.rmSync(sb.dataDir, { recursive: true })
    project("excluded_ports: [0]\n")
    const local = project("bogus: 1\n", "trop.local.yaml")
    expect(firstLine(sb.run(["reserve"]))).toMatch(new RegExp(`^Error: Configuration error: validation error for '${local}': Invalid YAML`))
  })

  it("the files' own rules before the environment's values", () => {
    project("")
    const local = project("excluded_ports: [0]\n", "trop.local.yaml")
    expectError(sb.run(["reserve"], { env: { TROP_PORT_MIN: "abc" } }), 7, invalid(`excluded_ports[0] (${local})`, "Invalid port: 0"))
  })

  it("within a file: project, reservations, then ports and the rest", () => {
    const file = project("excluded_ports: [0]\nports: {min: 9000, max: 8000}\nreservations: {base: 0, services: {web: {}}}\n")
    expectError(sb.run(["reserve"]), 7, invalid(`reservations.base (${file})`, "Invalid port: 0"))
    const r = sb.run(["validate", "trop.yaml"])
    expect(r.stderr.split("\n").filter((l) => l.startsWith("Validation error:"))).toEqual([
      "Validation error: validation error for 'reservations.base (trop.yaml)': Invalid port: 0",
      "Validation error: validation error for 'ports (trop.yaml)': max must be >= min",
      "Validation error: validation error for 'excluded_ports[0] (trop.yaml)': Invalid port: 0"
    ])
  })
})

describe("group conflicts in trop 0.2.0's words", () => {
  const conflict = (reason: string) =>
    `Error: reservation conflict: existing group at ${sb.work} is incompatible: ${reason}`
  const group = (services: string) => write(path.join(sb.work, "trop.yaml"), `reservations:\n  services:\n${services}`)

  it("a missing service, like an extra one: the service sets do not match", () => {
    group("    web: {}\n")
    expect(sb.run(["autoreserve", "--skip-occupancy-check"]).code).toBe(0)
    group("    web: {}\n    api: {offset: 1}\n")
    const r = sb.run(["autoreserve", "--skip-occupancy-check"])
    expect({ code: r.code, stdout: r.stdout, first: firstLine(r) }).toEqual({
      code: 6,
      stdout: "",
      first: conflict("requested service set does not match stored service set")
    })
  })

  it("different bases: the new candidate first, then the base implied before it", () => {
    group("    a: {}\n    b: {offset: 5}\n")
    const first = sb.run(["autoreserve", "--skip-occupancy-check", "--format", "json"])
    expect(first.code).toBe(0)
    const { a } = JSON.parse(first.stdout) as { a: number; b: number }
    group("    a: {}\n    b: {offset: 2}\n")
    expect(firstLine(sb.run(["autoreserve", "--skip-occupancy-check"]))).toBe(
      conflict(`stored offset mappings imply different bases (${a + 3} and ${a})`)
    )
  })
})

describe("a group's own checks: shell, database, services, path guard, --task, base", () => {
  const groupFile = (dir: string, text: string) => write(path.join(dir, "trop.yaml"), text)
  const web = "reservations:\n  services:\n    web: {}\n"

  it("--shell (live output) before --task", () => {
    groupFile(sb.work, web)
    expectError(
      sb.run(["autoreserve", "--task", " ", "--shell", "bogus"]),
      6,
      "validation error for 'shell': unknown shell type 'bogus': supported shells are bash, zsh, fish, powershell"
    )
  })

  it("--task is checked with the database open: a missing database (auto-init off) comes first", () => {
    groupFile(sb.work, web)
    expectError(
      sb.run(["autoreserve", "--task", " "], { env: { TROP_DISABLE_AUTOINIT: "1" } }),
      3,
      "Data directory not found (use --data-dir or enable auto-init)"
    )
  })

  it("an empty group and the path guard before --task; the guard before base", () => {
    groupFile(sb.work, "reservations:\n  services: {}\n")
    expectError(
      sb.run(["autoreserve", "--task", " "]),
      6,
      "validation error for 'reservations.services': Reservation group must contain at least one service"
    )
    const other = groupFile(path.join(sb.root, "other"), "reservations:\n  base: 9000\n  services:\n    web: {}\n")
    const violation = `Error: path relationship violation: ${path.dirname(other)} and ${sb.work} are unrelated paths`
    for (const args of [["reserve-group", other, "--task", " "], ["reserve-group", other], ["reserve-group", other, "--dry-run"]]) {
      const r = sb.run(args)
      expect({ code: r.code, stdout: r.stdout, first: firstLine(r) }, args.join(" ")).toEqual({ code: 1, stdout: "", first: violation })
    }
    expectError(
      sb.run(["reserve-group", other, "--task", " ", "--allow-unrelated-path"]),
      6,
      "validation error for 'task': Cannot be empty or only whitespace"
    )
  })
})

/** With TROP_REFERENCE_BIN naming trop 0.2.0, the same situations give the same first error. */
const REFERENCE = process.env.TROP_REFERENCE_BIN
describe.skipIf(REFERENCE === undefined || process.platform === "win32")("side by side with trop 0.2.0", () => {
  const reference = (args: ReadonlyArray<string>, env: Record<string, string>, cwd: string): Result => {
    const r = spawnSync(REFERENCE ?? "", ["--data-dir", path.join(sb.root, "reference-data"), ...args], {
      cwd,
      env: cleanEnv({ ...sb.baseEnv, ...env }),
      encoding: "utf8"
    })
    return { code: r.status, stdout: r.stdout, stderr: r.stderr }
  }
  // 0.2.0 exits 2 on usage errors where trop exits 4 (one meaning per exit code).
  const comparable = (r: Result, dataDir: string) => ({
    code: r.code === 2 ? 4 : r.code,
    first: r.code === 2 || r.code === 4 ? "usage" : firstLine(r)?.replaceAll(dataDir, "<data>")
  })

  it("argument, configuration and working-directory errors", () => {
    write(path.join(sb.work, "trop.yaml"), "")
    const cases: ReadonlyArray<readonly [ReadonlyArray<string>, Record<string, string>]> = [
      [["assert-port", "0"], XML],
      [["port-info", "0"], XML],
      [["exclude", "abc"], XML],
      [["reserve"], { TROP_PATH: "", ...XML }],
      [["show-path"], { TROP_DATA_DIR: "" }],
      [["reserve"], { TROP_PROJECT: " ", TROP_PORT_MIN: "8000", TROP_BUSY_TIMEOUT: "9999999" }],
      [["reserve-group", "nonexist.yaml"], XML]
    ]
    for (const [args, env] of cases) {
      const ours = sb.run(args, { env })
      const theirs = reference(args, env, sb.work)
      expect(comparable(ours, sb.dataDir), args.join(" ")).toEqual(comparable(theirs, path.join(sb.root, "reference-data")))
    }
  })
})
