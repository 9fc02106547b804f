import { spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { afterEach, beforeEach, describe, expect, it } from "vitest"
import { cleanEnv } from "../support/cli.js"
import {
  dbFile,
  exists,
  expectError,
  expectOk,
  expectPort,
  listJson,
  makeSandbox,
  type Result,
  type Sandbox,
  seed,
  T0_TEXT,
  T1_TEXT
} from "./_helpers.js"
import { expectHinted, unrelatedHint } from "./_hints.js"

/**
 * Control characters never reach the terminal (docs/security.md): new values with C0/C1
 * controls are refused with the exit code of an invalid value of that field; values already
 * stored (by another tool) are shown escaped in tables, csv/tsv, `list-projects` and errors.
 */

// Private port range of this file.
const MIN = 34760
const MAX = 34809

let sb: Sandbox
beforeEach(() => {
  sb = makeSandbox([MIN, MAX])
})
afterEach(() => sb.cleanup())

const RED = "\u001b[31mred\nFAKE LINE"
const RED_SHOWN = "\\x1b[31mred\\nFAKE LINE"
const CONTROLS = ["\u001b[2J", "a\nb", "a\rb", "a\tb", "a\u0007b", "a\u007fb", "a\u009bb", "a\u0085b"]

const nothingStored = () => expect(exists(dbFile(sb.dataDir))).toBe(false)

/** Any output of a run that must not carry a raw control character (newlines end lines). */
// eslint-disable-next-line no-control-regex
const RAW_CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/

const expectClean = (r: Result) => {
  expect(RAW_CONTROL.test(r.stdout), JSON.stringify(r.stdout)).toBe(false)
  expect(RAW_CONTROL.test(r.stderr), JSON.stringify(r.stderr)).toBe(false)
}

describe("new values with control characters are refused", () => {
  // The loops run a process per value: asynchronously, so they never block the worker's event loop.
  it("reserve --project/--task: configuration errors, exit 7", async () => {
    for (const value of CONTROLS) {
      const p = await sb.runAsync(["reserve", "--project", value])
      expectError(p, 7, "Configuration error: validation error for 'project (<command line>)': Cannot contain control characters")
      const t = await sb.runAsync(["reserve", "--task", value])
      expectError(t, 7, "Configuration error: validation error for 'task (<command line>)': Cannot contain control characters")
    }
    nothingStored()
  }, 180_000)

  it("surrounding whitespace is still trimmed, not refused", () => {
    expectPort(sb.run(["reserve", "--project", "\tweb\n", "--tag", " api\r\n"]))
    expect(listJson(sb).map((r) => [r.tag, r.project])).toEqual([["api", "web"]])
  })

  it("TROP_PROJECT and TROP_TASK: exit 7, in every configuration-loading command", () => {
    expectError(
      sb.run(["reserve"], { env: { TROP_PROJECT: RED } }),
      7,
      "Configuration error: validation error for 'project (TROP_PROJECT)': Cannot contain control characters"
    )
    expectError(
      sb.run(["list"], { env: { TROP_TASK: "a\u009bb" } }),
      7,
      "Configuration error: validation error for 'task (TROP_TASK)': Cannot contain control characters"
    )
    // --task is checked with the database open, as trop 0.2.0 does: it may exist, empty.
    expect(JSON.parse(sb.run(["list", "--format", "json"]).stdout)).toEqual([])
  })

  it("--tag: exit 4 in reserve and release, exit 6 in assert-reservation (as a blank tag)", async () => {
    const reason = "validation error for 'tag': tag must not contain control characters"
    for (const value of CONTROLS) {
      expectError(await sb.runAsync(["reserve", "--tag", value]), 4, `Invalid arguments: ${reason}`)
      expectError(await sb.runAsync(["release", "--tag", value]), 4, `Invalid arguments: ${reason}`)
      expectError(await sb.runAsync(["assert-reservation", "--tag", value]), 6, reason)
    }
    nothingStored()
  }, 180_000)

  it("project in trop.yaml: exit 7 for commands, listed by validate (exit 1)", () => {
    const file = path.join(sb.work, "trop.yaml")
    fs.writeFileSync(file, "project: \"\\e[31mred\\nFAKE LINE\"\n")
    const r = sb.run(["reserve"])
    expectError(r, 7, `Configuration error: validation error for 'project (${file})': Cannot contain control characters`)
    expect(sb.run(["validate", "trop.yaml"])).toEqual({
      code: 1,
      stdout: "",
      stderr: "Validation error: validation error for 'project (trop.yaml)': Cannot contain control characters\n" +
        "Error: Configuration validation failed\n"
    })
    nothingStored()
  })

  it("group service tags: exit 7; reserve-group --task: exit 6 (as a blank --task)", () => {
    fs.writeFileSync(path.join(sb.work, "bad.yaml"), "reservations:\n  services:\n    \"a\\x1bb\": {env: A}\n")
    const bad = sb.run(["reserve-group", "bad.yaml"])
    expect(bad.code).toBe(7)
    expect(bad.stderr).toBe(
      `Error: Configuration error: validation error for 'reservations.services.tag (${path.join(sb.work, "bad.yaml")})': Cannot contain control characters\n`
    )
    fs.writeFileSync(path.join(sb.work, "good.yaml"), "reservations:\n  services:\n    web: {}\n")
    expectError(sb.run(["reserve-group", "good.yaml", "--task", "a\u001bb"]), 6, "validation error for 'task': Cannot contain control characters")
    expectError(
      sb.run(["reserve-group", "good.yaml"], { env: { TROP_TASK: "a\u001bb" } }),
      7,
      "Configuration error: validation error for 'task (TROP_TASK)': Cannot contain control characters"
    )
    // --task is checked with the database open, as trop 0.2.0 does: it may exist, empty.
    expect(JSON.parse(sb.run(["list", "--format", "json"]).stdout)).toEqual([])
  })

  it("exclusion texts are shown escaped in messages", () => {
    expectError(
      sb.run(["reserve"], { env: { TROP_EXCLUDED_PORTS: "50\u001b[2J" } }),
      7,
      "Configuration error: validation error for 'TROP_EXCLUDED_PORTS': Invalid port: 50\\x1b[2J"
    )
  })
})

const gitMissing = spawnSync("git", ["--version"]).status !== 0

describe.skipIf(gitMissing)("Git inference", () => {
  it("drops an inferred project or task with control characters, like other invalid candidates", () => {
    const home = sb.dir("git-home")
    const env = cleanEnv({ HOME: home, GIT_CONFIG_NOSYSTEM: "1", GIT_CONFIG_GLOBAL: path.join(home, "none") })
    for (const k of Object.keys(env)) if (k.startsWith("GIT_") && k !== "GIT_CONFIG_NOSYSTEM" && k !== "GIT_CONFIG_GLOBAL") delete env[k]
    const dir = sb.dir("g", "evil\u001b[31mrepo")
    const init = spawnSync("git", ["init", "-q", "-b", "main"], { cwd: dir, env, encoding: "utf8" })
    expect(init.status, init.stderr).toBe(0)
    expectPort(sb.run(["reserve"], { cwd: dir }))
    expect(listJson(sb).map((r) => [r.project, r.task])).toEqual([[null, "main"]])
  })
})

describe("stored values are shown escaped", () => {
  const storedRow = () => {
    const dir = sb.dir("w\u001bdir")
    seed(sb, [{ path: dir, tag: "t\tx", port: MIN, project: RED, task: "a\u009bb" }])
    return dir
  }

  it("list: table, csv and tsv escape; json stays exact JSON", () => {
    const dir = storedRow()
    const shownDir = dir.replace("\u001b", "\\x1b")
    const table = sb.run(["list", "--show-full-paths"])
    expectOk(
      table,
      "PORT\tPATH\tTAG\tPROJECT\tTASK\tCREATED_AT\tLAST_USED_AT\n" +
        `${MIN}\t${shownDir}\tt\\tx\t${RED_SHOWN}\ta\\u009bb\t${T0_TEXT}\t${T1_TEXT}\n`
    )
    expectOk(
      sb.run(["list", "--format", "csv"]),
      "port,path,tag,project,task,created_at,last_used_at\n" +
        `${MIN},${shownDir},t\\tx,${RED_SHOWN},a\\u009bb,${T0_TEXT},${T1_TEXT}\n`
    )
    expectOk(
      sb.run(["list", "--format", "tsv"]),
      "port\tpath\ttag\tproject\ttask\tcreated_at\tlast_used_at\n" +
        `${MIN}\t${shownDir}\tt\\tx\t${RED_SHOWN}\ta\\u009bb\t${T0_TEXT}\t${T1_TEXT}\n`
    )
    const json = sb.run(["list", "--format", "json"])
    expectClean(json)
    expect(json.stdout).toContain("\"task\": \"a\\u009bb\"")
    expect(JSON.parse(json.stdout)).toEqual([
      { created_at: T0_TEXT, last_used_at: T1_TEXT, path: dir, port: MIN, project: RED, tag: "t\tx", task: "a\u009bb" }
    ])
  })

  it("list-projects", () => {
    storedRow()
    expectOk(sb.run(["list-projects"]), `${RED_SHOWN}\n`)
  })

  it("the sticky-field error shows both values escaped on one line", () => {
    seed(sb, [{ path: sb.work, port: MIN, project: RED }])
    const r = sb.run(["reserve", "--project", "web"])
    expectError(
      r,
      1,
      `cannot change sticky field 'project': Cannot change project from '${RED_SHOWN}' to 'web' without --force or --allow-project-change`
    )
  })

  it("path errors show the path escaped", () => {
    const other = sb.dir("other\ndir")
    expectHinted(
      sb.run(["reserve", "--path", other]),
      1,
      `path relationship violation: ${other.replace("\n", "\\n")} and ${sb.work} are unrelated paths`,
      unrelatedHint
    )
    expectError(
      sb.run(["assert-reservation", "--path", other]),
      1,
      `Assertion failed: no reservation found for ${other.replace("\n", "\\n")}`
    )
  })
})
