// Errors that name the fix: a `hint:` line after the unchanged first line (docs/cli.md), and
// the `Warning:` of a preferred port that was not granted.
import * as fs from "node:fs"
import * as path from "node:path"
import { afterEach, beforeEach, describe, expect, it } from "vitest"
import { trop } from "../support/cli.js"
import { expectOk, listJson, makeSandbox, type Result, type Sandbox, withDb } from "./_helpers.js"
import { exhaustedHint, expectHinted, lockHint, preferredWarning, unrelatedHint } from "./_hints.js"
import Sqlite from "better-sqlite3"

// Private port range of this file (see _helpers.ts).
const MIN = 43100
const MAX = 43199

let sb: Sandbox
beforeEach(() => {
  sb = makeSandbox([MIN, MAX])
})
afterEach(() => sb.cleanup())

const streams = (r: Result) => ({ code: r.code, stdout: r.stdout, stderr: r.stderr })

/** A usage error as trop prints it: the error line, its hint (if any), the usage line. */
const usage = (line: string, hint: string | undefined, usageLine: string) => ({
  code: 4,
  stdout: "",
  stderr: `error: ${line}\n${hint === undefined ? "" : `hint: ${hint}\n`}\nUsage: ${usageLine}\n\nFor more information, try '--help'.\n`
})

const write = (file: string, text: string) => {
  fs.mkdirSync(path.dirname(file), { recursive: true })
  fs.writeFileSync(file, text)
  return file
}

describe("an unknown subcommand or option: did you mean ... (chosen as clap, and so trop 0.2.0, chooses)", () => {
  it("trop reserv → 'reserve', the closest of the similar subcommands", () => {
    expect(streams(sb.run(["reserv"]))).toEqual(
      usage("unrecognized subcommand 'reserv'", "did you mean 'reserve'?", "trop [OPTIONS] <COMMAND>")
    )
  })

  it("trop reserve --tga x → '--task' (Jaro similarity, as trop 0.2.0 suggests it, not '--tag')", () => {
    expect(streams(sb.run(["reserve", "--tga", "x"]))).toEqual(
      usage("unexpected argument '--tga' found", "did you mean '--task'?", "trop reserve [OPTIONS]")
    )
  })

  it.each([
    [["lst"], "unrecognized subcommand 'lst'", "'list'", "trop [OPTIONS] <COMMAND>"],
    [["relase"], "unrecognized subcommand 'relase'", "'release'", "trop [OPTIONS] <COMMAND>"],
    [["reservegroup"], "unrecognized subcommand 'reservegroup'", "'reserve-group'", "trop [OPTIONS] <COMMAND>"],
    [["help", "reserv"], "unrecognized subcommand 'reserv'", "'reserve'", "trop [OPTIONS] <COMMAND>"],
    [["list", "--formt", "json"], "unexpected argument '--formt' found", "'--format'", "trop list [OPTIONS]"],
    [["list", "--formt=json"], "unexpected argument '--formt' found", "'--format'", "trop list [OPTIONS]"],
    [["--dta-dir", "x", "list"], "unexpected argument '--dta-dir' found", "'--data-dir'", "trop [OPTIONS] <COMMAND>"],
    [["reserve", "--busy"], "unexpected argument '--busy' found", "'--busy-timeout'", "trop reserve [OPTIONS]"],
    [["reserve", "--hel"], "unexpected argument '--hel' found", "'--help'", "trop reserve [OPTIONS]"]
  ])("%j → %s, did you mean %s", (args, line, suggestion, usageLine) => {
    expect(streams(sb.run(args))).toEqual(usage(line, `did you mean ${suggestion}?`, usageLine))
  })

  it("nothing similar, or a short option: no hint", () => {
    expect(streams(sb.run(["xyz"]))).toEqual(usage("unrecognized subcommand 'xyz'", undefined, "trop [OPTIONS] <COMMAND>"))
    expect(streams(sb.run(["reserve", "-x"]))).toEqual(usage("unexpected argument '-x' found", undefined, "trop reserve [OPTIONS]"))
  })
})

describe("--busy-timeout -1: an invalid value in clap's words (exit 4, as before)", () => {
  const invalid = (usageLine: string) =>
    usage("invalid value '-1' for '--busy-timeout <SECONDS>': expected an integer in 0..4294967295", undefined, usageLine)

  it("before or after the subcommand, spaced or with =", () => {
    expect(streams(sb.run(["--busy-timeout", "-1", "list"]))).toEqual(invalid("trop list [OPTIONS]"))
    expect(streams(sb.run(["list", "--busy-timeout", "-1"]))).toEqual(invalid("trop list [OPTIONS]"))
    expect(streams(sb.run(["--busy-timeout=-1", "list"]))).toEqual(invalid("trop list [OPTIONS]"))
  })

  it("a value that is an option is still missing its value; other numbers name their placeholder too", () => {
    expect(streams(sb.run(["list", "--busy-timeout", "--quiet"]))).toEqual(
      usage("a value is required for '--busy-timeout <SECONDS>' but none was supplied", undefined, "trop list [OPTIONS]")
    )
    expect(streams(sb.run(["expire", "--days", "-3"]))).toEqual(
      usage("invalid value '-3' for '--days <DAYS>': expected an integer in 0..4294967295", undefined, "trop expire [OPTIONS]")
    )
  })

  it("reserve --port -1 / --min -1: the port check's own words, as with --port=-1 (exit 4)", () => {
    const invalid = { code: 4, stdout: "", stderr: "Error: Invalid arguments: Invalid port number: '-1' is not a valid number\n" }
    expect(streams(sb.run(["reserve", "--port", "-1"]))).toEqual(invalid)
    expect(streams(sb.run(["reserve", "--port=-1"]))).toEqual(invalid)
    expect(streams(sb.run(["reserve", "--min", "-1"]))).toEqual({
      code: 4,
      stdout: "",
      stderr: "Error: Invalid arguments: invalid --min value: Invalid port number: '-1' is not a valid number\n"
    })
  })
})

describe("the data directory is a file: '<path> is not a directory' (exit 6, as before)", () => {
  it("/dev/null, a regular file, a file among its parents; reserve and init alike", () => {
    const file = write(path.join(sb.root, "plain"), "not a directory\n")
    const run = (dataDir: string, ...args: Array<string>) => trop(["--data-dir", dataDir, ...args], { cwd: sb.work, env: sb.baseEnv })
    expect(streams(run("/dev/null", "reserve"))).toEqual({ code: 6, stdout: "", stderr: "Error: I/O error: /dev/null is not a directory\n" })
    expect(streams(run("/dev/null", "init"))).toEqual({ code: 6, stdout: "", stderr: "Error: I/O error: /dev/null is not a directory\n" })
    expect(streams(run(file, "list"))).toEqual({ code: 6, stdout: "", stderr: `Error: I/O error: ${file} is not a directory\n` })
    expect(streams(run(path.join(file, "sub"), "reserve"))).toEqual({
      code: 6,
      stdout: "",
      stderr: `Error: I/O error: ${file} is not a directory\n`
    })
    expect(fs.readFileSync(file, "utf8")).toBe("not a directory\n")
  })
})

describe("validate <directory>: 'is a directory, expected a YAML file' (exit 5, as before)", () => {
  it("names the path as given", () => {
    expect(streams(sb.run(["validate", sb.root]))).toEqual({
      code: 5,
      stdout: "",
      stderr: `Error: I/O error: ${sb.root} is a directory, expected a YAML file\n`
    })
  })

  it("a discovered trop.yaml that is a directory says the same (exit 7, as before)", () => {
    fs.mkdirSync(path.join(sb.work, "trop.yaml"))
    expect(streams(sb.run(["list"]))).toEqual({
      code: 7,
      stdout: "",
      stderr: `Error: Configuration error: invalid path ${path.join(sb.work, "trop.yaml")}: Failed to read configuration file: is a directory, expected a YAML file\n`
    })
  })
})

describe("init on an initialized data directory: nothing to do (exit 6, as before)", () => {
  it("says so; --overwrite only as the destructive option it is", () => {
    expectOk(sb.run(["reserve", "--skip-occupancy-check"]), `${MIN}\n`)
    expectHinted(
      sb.run(["init"]),
      6,
      `Database already exists at ${path.join(sb.dataDir, "trop.db")}: trop is already initialized here, nothing needs doing`,
      "only to start over with no reservations: 'trop init --overwrite' deletes every reservation"
    )
    expect(listJson(sb)).toHaveLength(1)
  })
})

describe("hints that name the fix", () => {
  it("a path relationship violation names --allow-unrelated-path, which gets past it", () => {
    const other = sb.dir("elsewhere")
    expectHinted(
      sb.run(["reserve", "--path", other]),
      1,
      `path relationship violation: ${other} and ${sb.work} are unrelated paths`,
      unrelatedHint
    )
    expectOk(sb.run(["reserve", "--path", other, "--allow-unrelated-path", "--skip-occupancy-check"]), `${MIN}\n`)
  })

  it("a lock timeout: retry, or raise --busy-timeout", () => {
    expectOk(sb.run(["reserve", "--skip-occupancy-check"]), `${MIN}\n`)
    const holder = new Sqlite(path.join(sb.dataDir, "trop.db"), { timeout: 0 })
    try {
      holder.prepare("BEGIN IMMEDIATE").run()
      expectHinted(
        sb.run(["--busy-timeout", "0", "reserve", "--tag", "x"]),
        2,
        "database lock timeout while starting an immediate database transaction after 0s",
        lockHint(0)
      )
    } finally {
      holder.prepare("ROLLBACK").run()
      holder.close()
    }
  })

  describe("a group that no longer matches its stored reservations", () => {
    const groupFile = (services: string) => write(path.join(sb.work, "trop.yaml"), `reservations:\n  services:\n${services}`)
    const conflict = `reservation conflict: existing group at ${"<dir>"} is incompatible: requested service set does not match stored service set`
    const conflictAt = (dir: string) => conflict.replace("<dir>", dir)

    it("names the missing and the extra tags, and both ways out; releasing the stray reservation works", () => {
      groupFile("    web: {}\n    api: {offset: 1}\n")
      expectOk(sb.run(["reserve", "--tag", "stray", "--port", String(MIN + 50), "--skip-occupancy-check"]), `${MIN + 50}\n`)
      expectHinted(
        sb.run(["autoreserve", "--skip-occupancy-check"]),
        6,
        conflictAt(sb.work),
        `the stored group at ${sb.work} lacks 'api', 'web' and has 'stray', which the configuration does not list`,
        `pass --force to reserve the whole group anew (its ports may change), or release a stray single reservation: trop release --path ${sb.work} --tag stray`
      )
      // The hint's command, as printed, is the way out.
      expectOk(sb.run(["release", "--path", sb.work, "--tag", "stray"]), "", "Released reservation successfully\n")
      expectOk(sb.run(["--quiet", "autoreserve", "--skip-occupancy-check"]), `export API=${MIN + 1}\nexport WEB=${MIN}\n`)
    })

    it("a service added to the file: the tag the stored group lacks, and --force", () => {
      groupFile("    web: {}\n")
      expectOk(sb.run(["--quiet", "autoreserve", "--skip-occupancy-check"]), `export WEB=${MIN}\n`)
      groupFile("    web: {}\n    db: {offset: 2}\n")
      expectHinted(
        sb.run(["autoreserve", "--skip-occupancy-check"]),
        6,
        conflictAt(sb.work),
        `the stored group at ${sb.work} lacks 'db'`,
        "pass --force to reserve the whole group anew (its ports may change)"
      )
      expectOk(
        sb.run(["--quiet", "autoreserve", "--skip-occupancy-check", "--force"]),
        `export DB=${MIN + 2}\nexport WEB=${MIN}\n`
      )
    })
  })

  describe("an exhausted range", () => {
    const range = ["--min", String(MIN + 10), "--max", String(MIN + 11), "--skip-occupancy-check"]

    it("names the range, how many reservations hold it, --max / ports.max and trop autoclean", () => {
      expectOk(sb.run(["reserve", "--tag", "a", ...range]), `${MIN + 10}\n`)
      expectOk(sb.run(["reserve", "--tag", "b", ...range]), `${MIN + 11}\n`)
      expectHinted(
        sb.run(["reserve", "--tag", "c", ...range, "--disable-autoclean"]),
        6,
        `port range ${MIN + 10}-${MIN + 11} exhausted: cleanup was skipped (automatic pruning and expiration disabled); remaining blockers: reserved`,
        `2 reservation(s) hold ports of ${MIN + 10}-${MIN + 11}; widen the range with --max (or ports.max in the configuration), or remove stale reservations with 'trop autoclean'`
      )
      // After the automatic cleanup ran, autoclean helps only with fewer days.
      expectHinted(
        sb.run(["reserve", "--tag", "c", ...range]),
        6,
        `port range ${MIN + 10}-${MIN + 11} exhausted after cleanup: remaining blockers after the single retry: reserved; automatic cleanup pruned 0 and expired 0 reservation(s); automatic pruning and expiration enabled`,
        `2 reservation(s) hold ports of ${MIN + 10}-${MIN + 11}; widen the range with --max (or ports.max in the configuration), or expire unused reservations sooner with 'trop autoclean --days <DAYS>'`
      )
      expect(exhaustedHint(2, `${MIN + 10}-${MIN + 11}`, "skipped")).toContain("'trop autoclean'")
    })

    it("no reservation in the range: only widening helps", () => {
      expectHinted(
        sb.run(["reserve", ...range, "--disable-autoclean"], { env: { TROP_EXCLUDED_PORTS: `${MIN + 10}..${MIN + 11}` } }),
        6,
        `port range ${MIN + 10}-${MIN + 11} exhausted: cleanup was skipped (automatic pruning and expiration disabled); remaining blockers: excluded`,
        `no reservation holds a port of ${MIN + 10}-${MIN + 11} (its ports are excluded or in use); widen the range with --max (or ports.max in the configuration)`
      )
    })

    it("a cleanup the failed retry rolled back is told as what it would have freed; nothing was removed", () => {
      const gone = sb.dir("work", "gone")
      expectOk(sb.run(["reserve", "--path", gone, "--port", String(MIN + 60), "--skip-occupancy-check"]), `${MIN + 60}\n`)
      expectOk(sb.run(["reserve", "--tag", "a", ...range]), `${MIN + 10}\n`)
      expectOk(sb.run(["reserve", "--tag", "b", ...range]), `${MIN + 11}\n`)
      fs.rmdirSync(gone)
      expectHinted(
        sb.run(["reserve", "--tag", "c", ...range]),
        6,
        `port range ${MIN + 10}-${MIN + 11} exhausted after cleanup: remaining blockers after the single retry: reserved; automatic cleanup would have pruned 1 and expired 0 reservation(s), freeing port ${
          MIN + 60
        } but no usable port of the range, so nothing was removed; automatic pruning and expiration enabled`,
        exhaustedHint(2, `${MIN + 10}-${MIN + 11}`, "rolled back")
      )
      // Indeed nothing was removed: the prunable row is still there.
      expect(listJson(sb).map((r) => r.path)).toContain(gone)
    })
  })

  describe("exclude", () => {
    const project = () => write(path.join(sb.work, "trop.yaml"), "")

    it("a reserved port names who holds it (path:tag) and the release command", () => {
      const file = project()
      expectOk(sb.run(["reserve", "--tag", "web", "--port", String(MIN + 80), "--skip-occupancy-check"]), `${MIN + 80}\n`)
      expectHinted(
        sb.run(["exclude", String(MIN + 80)]),
        4,
        `Invalid arguments: Port ${MIN + 80} is reserved. Use --force to override.`,
        `port ${MIN + 80} is reserved by ${sb.work}:web; release it first: trop release --path ${sb.work} --tag web`
      )
      expect(fs.readFileSync(file, "utf8")).toBe("")
    })

    it("an untagged holder in a path with a space: the command quotes it", () => {
      project()
      const spaced = sb.dir("work", "my app")
      expectOk(sb.run(["reserve", "--path", spaced, "--port", String(MIN + 81), "--skip-occupancy-check"]), `${MIN + 81}\n`)
      expectHinted(
        sb.run(["exclude", `${MIN + 70}..${MIN + 90}`]),
        4,
        `Invalid arguments: Port ${MIN + 81} is reserved. Use --force to override.`,
        `port ${MIN + 81} is reserved by ${spaced}; release it first: trop release --path '${spaced}'`
      )
    })

    it("a range written with a dash: the range syntax with two dots", () => {
      project()
      expectHinted(sb.run(["exclude", "6000-6010"]), 4, "Invalid arguments: Invalid port number", "a range is written with two dots: 6000..6010")
      expectOk(sb.run(["exclude", "6000..6010"]), `Added exclusion to ${path.join(sb.work, "trop.yaml")}\n`)
      // Not a dashed range: no hint.
      expectHinted(sb.run(["exclude", "abc"]), 4, "Invalid arguments: Invalid port number")
    })
  })
})

describe("a preferred port that was not granted: one Warning line on stderr, stdout unchanged", () => {
  it("reserved by another key: names it (path:tag) and the port given instead; --quiet silences it", () => {
    expectOk(sb.run(["reserve", "--tag", "web", "--port", String(MIN + 50), "--skip-occupancy-check"]), `${MIN + 50}\n`)
    expectOk(
      sb.run(["reserve", "--tag", "api", "--port", String(MIN + 50), "--skip-occupancy-check"]),
      `${MIN}\n`,
      `Warning: preferred port ${MIN + 50} not granted (reserved by ${sb.work}:web); got ${MIN} instead\n`
    )
    expectOk(sb.run(["--quiet", "reserve", "--tag", "db", "--port", String(MIN + 50), "--skip-occupancy-check"]), `${MIN + 1}\n`, "")
  })

  it("excluded", () => {
    expectOk(
      sb.run(["reserve", "--port", String(MIN + 90), "--skip-occupancy-check"], { env: { TROP_EXCLUDED_PORTS: String(MIN + 90) } }),
      `${MIN}\n`,
      preferredWarning(MIN + 90, "excluded", MIN)
    )
  })

  it("a granted preferred port, or none asked: no warning", () => {
    expectOk(sb.run(["reserve", "--port", String(MIN + 5), "--skip-occupancy-check"]), `${MIN + 5}\n`, "")
    expectOk(sb.run(["reserve", "--tag", "x", "--skip-occupancy-check"]), `${MIN}\n`, "")
  })

  it("a group service's preferred port: names the service; the export lines are unchanged", () => {
    expectOk(sb.run(["reserve", "--path", sb.dir("work", "sub"), "--port", String(MIN + 50), "--skip-occupancy-check"]), `${MIN + 50}\n`)
    write(path.join(sb.work, "trop.yaml"), `reservations:\n  services:\n    web: {preferred: ${MIN + 50}}\n    api: {offset: 1}\n`)
    expectOk(
      sb.run(["reserve-group", "trop.yaml", "--skip-occupancy-check"]),
      `export API=${MIN + 1}\nexport WEB=${MIN}\n`,
      `${preferredWarning(MIN + 50, `reserved by ${path.join(sb.work, "sub")}`, MIN, "web")}Reserved 2 ports.\n`
    )
    // Refreshing the stored group grants nothing anew: no warning.
    expectOk(sb.run(["reserve-group", "trop.yaml", "--skip-occupancy-check"]), `export API=${MIN + 1}\nexport WEB=${MIN}\n`, "Reserved 2 ports.\n")
    withDb(sb.dataDir, (db) => db.prepare("DELETE FROM reservations WHERE tag != ''").run())
    expectOk(sb.run(["--quiet", "reserve-group", "trop.yaml", "--skip-occupancy-check"]), `export API=${MIN + 1}\nexport WEB=${MIN}\n`, "")
  })

  it("exec --port: the same warning before the command runs; the command gets the port given", () => {
    expectOk(sb.run(["reserve", "--tag", "web", "--port", String(MIN + 50), "--skip-occupancy-check"]), `${MIN + 50}\n`)
    expectOk(
      sb.run(["exec", "--tag", "api", "--port", String(MIN + 50), "--skip-occupancy-check", "--", process.execPath, "-e", "console.log(process.env.PORT)"]),
      `${MIN}\n`,
      preferredWarning(MIN + 50, `reserved by ${sb.work}:web`, MIN)
    )
  })
})
