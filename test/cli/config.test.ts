import * as fs from "node:fs"
import * as path from "node:path"
import { afterEach, beforeEach, describe, expect, it } from "vitest"
import type { RunOptions } from "../support/cli.js"
import { dbFile, expectError, expectOk, exists, listJson, makeSandbox, type Sandbox } from "./_helpers.js"

/**
 * Configuration layers end to end (docs/configuration.md): built-in
 * defaults < user config.yaml < trop.yaml < trop.local.yaml < TROP_* < command line.
 * Private port range of this file: 31900-31999.
 */

let sb: Sandbox
beforeEach(() => {
  // No TROP_PORT_* from the helper: the layers under test supply the range.
  sb = makeSandbox()
})
afterEach(() => sb.cleanup())

const write = (file: string, text: string) => {
  fs.mkdirSync(path.dirname(file), { recursive: true })
  fs.writeFileSync(file, text)
  return file
}
const userConfig = (text: string) => write(path.join(sb.dataDir, "config.yaml"), text)
const projectFile = (text: string, dir = sb.work) => write(path.join(dir, "trop.yaml"), text)
const localFile = (text: string, dir = sb.work) => write(path.join(dir, "trop.local.yaml"), text)

const env = (vars: Record<string, string | undefined>): RunOptions => ({ env: vars })

/** The port `reserve --dry-run` would take (no probes, nothing created). */
const plannedPort = (args: ReadonlyArray<string> = [], options: RunOptions = {}): number => {
  const r = sb.run(["reserve", "--dry-run", "--skip-occupancy-check", ...args], options)
  expect(r.code, r.stderr).toBe(0)
  const m = /^Dry run - would perform the following actions:\n {2}1\. Reserve port (\d+) for .*\n$/.exec(r.stderr)
  expect(m, r.stderr).not.toBeNull()
  return Number(m?.[1])
}

/**
 * The effective range `[min, max]`, read from the exhaustion message of a dry run in which
 * every port is excluded (TROP_EXCLUDED_PORTS appends to the file exclusions).
 */
const effectiveRange = (args: ReadonlyArray<string> = [], vars: Record<string, string> = {}): string => {
  const r = sb.run(["reserve", "--dry-run", "--disable-autoclean", ...args], env({ TROP_EXCLUDED_PORTS: "1..65535", ...vars }))
  const m = /^Error: port range (\d+-\d+) exhausted: cleanup was skipped/.exec(r.stderr)
  expect({ code: r.code, matched: m !== null }, r.stderr).toEqual({ code: 6, matched: true })
  return m?.[1] ?? ""
}

describe("ports: every layer in order (docs/configuration.md)", () => {
  it("defaults < config.yaml < trop.yaml < trop.local.yaml < TROP_PORT_MIN < --min", () => {
    expect(plannedPort()).toBe(5000)
    userConfig("ports:\n  min: 31900\n  max: 31999\n")
    expect(plannedPort()).toBe(31900)
    projectFile("ports:\n  min: 31910\n")
    expect(plannedPort()).toBe(31910)
    localFile("ports:\n  min: 31920\n")
    expect(plannedPort()).toBe(31920)
    expect(plannedPort([], env({ TROP_PORT_MIN: "31930" }))).toBe(31930)
    expect(plannedPort(["--min", "31940"], env({ TROP_PORT_MIN: "31930" }))).toBe(31940)
    // Nothing was created by the dry runs.
    expect(exists(dbFile(sb.dataDir))).toBe(false)
  })

  it("max and max_offset: inheritance, mutual clearing, env offset beats env max, --max clears the offset", () => {
    expect(effectiveRange()).toBe("5000-7000")
    userConfig("ports:\n  min: 31900\n  max: 31999\n")
    expect(effectiveRange()).toBe("31900-31999")
    // A block with only min keeps the inherited max.
    projectFile("ports:\n  min: 31950\n")
    expect(effectiveRange()).toBe("31950-31999")
    // max_offset clears the inherited max.
    localFile("ports:\n  min: 31960\n  max_offset: 5\n")
    expect(effectiveRange()).toBe("31960-31965")
    // TROP_PORT_MAX clears the offset; TROP_PORT_MAX_OFFSET wins over it when both are set.
    expect(effectiveRange([], { TROP_PORT_MAX: "31990" })).toBe("31960-31990")
    expect(effectiveRange([], { TROP_PORT_MAX: "31990", TROP_PORT_MAX_OFFSET: "2" })).toBe("31960-31962")
    // --max clears the environment's offset; --min alone keeps the inherited offset.
    expect(effectiveRange(["--max", "31970"], { TROP_PORT_MAX_OFFSET: "2" })).toBe("31960-31970")
    expect(effectiveRange(["--min", "31961"])).toBe("31961-31966")
  })

  it("reserve --min 8000 with the default max → exit 7 annotated <command line>", () => {
    expectError(
      sb.run(["reserve", "--min", "8000"]),
      7,
      "Configuration error: validation error for 'ports (<command line>)': max must be >= min"
    )
    expect(exists(sb.dataDir)).toBe(false)
  })

  it("a cross-layer inconsistency names the layer that set the last ports leaf", () => {
    userConfig("ports:\n  min: 31900\n  max: 31950\n")
    const file = projectFile("ports:\n  min: 31960\n")
    expectError(sb.run(["list"]), 7, `Configuration error: validation error for 'ports (${file})': max must be >= min`)
    expectError(
      sb.run(["list"], env({ TROP_PORT_MAX: "31955" })),
      7,
      "Configuration error: validation error for 'ports (TROP_PORT_MAX)': max must be >= min"
    )
    expect(exists(dbFile(sb.dataDir))).toBe(false)
  })
})

describe("excluded_ports accumulate across every layer (docs/configuration.md, docs/concepts.md)", () => {
  it("user config, trop.yaml, trop.local.yaml and TROP_EXCLUDED_PORTS all exclude", () => {
    userConfig("ports:\n  min: 31900\n  max: 31999\nexcluded_ports: [31900]\n")
    expect(plannedPort()).toBe(31901)
    projectFile("excluded_ports:\n  - 31901\n")
    expect(plannedPort()).toBe(31902)
    localFile('excluded_ports:\n  - "31902..31903"\n')
    expect(plannedPort()).toBe(31904)
    expect(plannedPort([], env({ TROP_EXCLUDED_PORTS: "31904, 31905..31906" }))).toBe(31907)
  })

  it("a port excluded only in the user config is skipped even when project files set other exclusions", () => {
    projectFile("ports:\n  min: 31900\n  max: 31999\nexcluded_ports: [31950]\n")
    localFile("excluded_ports: [31960]\n")
    expect(plannedPort()).toBe(31900)
    userConfig("excluded_ports: [31900]\n")
    expect(plannedPort()).toBe(31901)
    // A real reservation obeys it too.
    expectOk(sb.run(["reserve", "--skip-occupancy-check"]), "31901\n")
  })
})

describe("output_format: every layer (docs/cli.md)", () => {
  const TABLE = "PORT\tPATH\tTAG\tPROJECT\tTASK\tCREATED_AT\tLAST_USED_AT\n"
  const CSV = "port,path,tag,project,task,created_at,last_used_at\n"
  const TSV = "port\tpath\ttag\tproject\ttask\tcreated_at\tlast_used_at\n"

  it("defaults table < config.yaml < trop.yaml < trop.local.yaml < TROP_OUTPUT_FORMAT < --format", () => {
    expectOk(sb.run(["list"]), TABLE)
    userConfig("output_format: json\n")
    expectOk(sb.run(["list"]), "[]\n")
    projectFile("output_format: csv\n")
    expectOk(sb.run(["list"]), CSV)
    localFile("output_format: tsv\n")
    expectOk(sb.run(["list"]), TSV)
    expectOk(sb.run(["list"], env({ TROP_OUTPUT_FORMAT: "JSON" })), "[]\n")
    expectOk(sb.run(["list", "--format", "table"], env({ TROP_OUTPUT_FORMAT: "json" })), TABLE)
  })

  it("an invalid TROP_OUTPUT_FORMAT breaks every configuration-resolving command (exit 7), even reserve", () => {
    expectError(
      sb.run(["reserve"], env({ TROP_OUTPUT_FORMAT: "xml" })),
      7,
      "Configuration error: validation error for 'TROP_OUTPUT_FORMAT': Invalid output format: 'xml' (expected table/json/csv/tsv)"
    )
    expect(exists(sb.dataDir)).toBe(false)
  })
})

describe("booleans and other scalars: every layer", () => {
  const NOT_FOUND = "Data directory not found (use --data-dir or enable auto-init)"

  it("disable_autoinit: config.yaml < trop.yaml < trop.local.yaml < TROP_DISABLE_AUTOINIT < --disable-autoinit", () => {
    // Dry runs: with auto-init on they plan against an empty set (exit 0); off, they fail like the real run (exit 3).
    const dry = (args: ReadonlyArray<string> = [], options: RunOptions = {}) =>
      sb.run([...args, "reserve", "--dry-run", "--skip-occupancy-check"], options)
    userConfig("disable_autoinit: true\n")
    expectError(dry(), 3, NOT_FOUND)
    projectFile("disable_autoinit: false\n")
    expect(dry().code).toBe(0)
    localFile("disable_autoinit: true\n")
    expectError(dry(), 3, NOT_FOUND)
    expect(dry([], env({ TROP_DISABLE_AUTOINIT: "off" })).code).toBe(0)
    localFile("disable_autoinit: false\n")
    expectError(dry([], env({ TROP_DISABLE_AUTOINIT: "yes" })), 3, NOT_FOUND)
    expectError(dry(["--disable-autoinit"], env({ TROP_DISABLE_AUTOINIT: "off" })), 3, NOT_FOUND)
    expect(exists(dbFile(sb.dataDir))).toBe(false)
    expectError(sb.run(["list"], env({ TROP_DISABLE_AUTOINIT: "1" })), 3, NOT_FOUND)
    expect(exists(dbFile(sb.dataDir))).toBe(false)
  })

  it("project: trop.yaml < trop.local.yaml < TROP_PROJECT < --project; --clear-project wins over all", () => {
    projectFile("project: from-yaml\nports:\n  min: 31900\n  max: 31999\n")
    const reserve = (tag: string, args: ReadonlyArray<string> = [], options: RunOptions = {}) =>
      expect(sb.run(["reserve", "--skip-occupancy-check", "--tag", tag, ...args], options).code).toBe(0)
    reserve("a")
    localFile("project: from-local\n")
    reserve("b")
    reserve("c", [], env({ TROP_PROJECT: "from-env" }))
    reserve("d", ["--project", "from-cli"], env({ TROP_PROJECT: "from-env" }))
    reserve("e", ["--clear-project"], env({ TROP_PROJECT: "from-env" }))
    expect(listJson(sb).map((r) => [r.tag, r.project])).toEqual([
      ["a", "from-yaml"],
      ["b", "from-local"],
      ["c", "from-env"],
      ["d", "from-cli"],
      ["e", null]
    ])
  })

  it("maximum_lock_wait_seconds: the winning source is named when the value is too large", () => {
    const file = projectFile("maximum_lock_wait_seconds: 2147484\n")
    expectError(
      sb.run(["list"]),
      7,
      `Configuration error: validation error for 'maximum_lock_wait_seconds (${file})': Timeout must not exceed 2147483 seconds`
    )
    fs.rmSync(file)
    expectError(
      sb.run(["list"], env({ TROP_BUSY_TIMEOUT: "2147484" })),
      7,
      "Configuration error: validation error for 'maximum_lock_wait_seconds (TROP_BUSY_TIMEOUT)': Timeout must not exceed 2147483 seconds"
    )
    expectError(
      sb.run(["--busy-timeout", "2147484", "list"], env({ TROP_BUSY_TIMEOUT: "5" })),
      7,
      "Configuration error: validation error for 'maximum_lock_wait_seconds (<command line>)': Timeout must not exceed 2147483 seconds"
    )
    // The command line's valid value wins over an environment value that is too large.
    expect(sb.run(["--busy-timeout", "3", "list"], env({ TROP_BUSY_TIMEOUT: "2147484" })).code).toBe(0)
  })
})

describe("configuration errors (docs/configuration.md)", () => {
  it("an invalid value in a trop.yaml up the tree breaks `trop list` with the annotated message naming the file", () => {
    const file = projectFile("ports:\n  min: 6000\n  max: 5000\n")
    const nested = path.join(sb.work, "a", "b")
    fs.mkdirSync(nested, { recursive: true })
    expectError(sb.run(["list"], { cwd: nested }), 7, `Configuration error: validation error for 'ports (${file})': max must be >= min`)
    expect(exists(sb.dataDir)).toBe(false)
  })

  it("an invalid exclusion entry names the entry index and the file", () => {
    const file = localFile('excluded_ports:\n  - 31900\n  - "0..5"\n')
    expectError(
      sb.run(["list"]),
      7,
      `Configuration error: validation error for 'excluded_ports[1] (${file})': Invalid start port: 0`
    )
  })

  it("a project key in the user config.yaml fails every configuration-resolving command", () => {
    const file = userConfig("project: nope\n")
    expectError(
      sb.run(["list"]),
      7,
      `Configuration error: validation error for 'project (${file})': project is only valid in trop.yaml/trop.local.yaml, not user config.yaml`
    )
  })

  it("a YAML syntax error exits 7 naming the file and the line", () => {
    const file = projectFile("project: web\nports:\n  min: 5000\n max: 6000\n")
    const r = sb.run(["list"])
    expect({ code: r.code, stdout: r.stdout }).toEqual({ code: 7, stdout: "" })
    expect(r.stderr.startsWith(`Error: Configuration error: validation error for '${file}': Invalid YAML: `), r.stderr).toBe(true)
    expect(r.stderr).toMatch(/\bline 4\b/)
    expect(r.stderr.split("\n")).toHaveLength(2)
  })

  it("an unknown key exits 7 naming the file, the key and the line", () => {
    const file = localFile("project: web\n\noccupancy_check:\n  skip_tpc: true\n")
    const r = sb.run(["reserve", "--dry-run"])
    expect({ code: r.code, stdout: r.stdout }).toEqual({ code: 7, stdout: "" })
    expect(r.stderr.startsWith(`Error: Configuration error: validation error for '${file}': Invalid YAML: `), r.stderr).toBe(true)
    expect(r.stderr).toContain("unknown field `skip_tpc`")
    expect(r.stderr).toMatch(/\bline 4\b/)
  })

  it("a YAML boolean spelled `yes` is a type error in a file (exit 7), although TROP_* accepts it", () => {
    const file = projectFile("allow_change: yes\n")
    const r = sb.run(["list"])
    expect(r.code).toBe(7)
    expect(r.stderr.startsWith(`Error: Configuration error: validation error for '${file}': Invalid YAML: `), r.stderr).toBe(true)
    expect(r.stderr).toMatch(/\bline 1\b/)
  })
})

describe("configuration scope per command (docs/configuration.md)", () => {
  it("show-path and show-data-dir ignore a broken trop.yaml, a broken config.yaml and bad TROP_* variables (scope None)", () => {
    projectFile("ports: [\n")
    userConfig("bogus: true\n")
    const bad = env({ TROP_PORT_MIN: "abc", TROP_OUTPUT_FORMAT: "xml" })
    expectOk(sb.run(["show-path"], bad), `${sb.work}\n`)
    expectOk(sb.run(["show-data-dir"], bad), `${sb.dataDir}\n`)
    expectOk(sb.run(["--busy-timeout", "9999999", "show-path"]), `${sb.work}\n`)
  })

  it("init ignores YAML files (even broken ones) but applies the environment layer", () => {
    projectFile("ports: [\n")
    userConfig("bogus: true\n")
    const r = sb.run(["init"])
    expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: "" })
    expect(exists(dbFile(sb.dataDir))).toBe(true)
  })

  it("init fails with exit 7 on a bad TROP_* variable before creating anything", () => {
    projectFile("ports: [\n")
    expectError(
      sb.run(["init"], env({ TROP_DISABLE_AUTOPRUNE: "maybe" })),
      7,
      "Configuration error: validation error for 'TROP_DISABLE_AUTOPRUNE': Invalid boolean value: 'maybe' (expected true/false/1/0/yes/no/on/off)"
    )
    expect(exists(sb.dataDir)).toBe(false)
    expectError(
      sb.run(["init", "--with-config"], env({ TROP_TASK: "" })),
      7,
      "Configuration error: validation error for 'task (TROP_TASK)': Cannot be empty or only whitespace"
    )
    expect(exists(sb.dataDir)).toBe(false)
  })
})

describe("decoded configuration files kept in <data-dir>/cache (docs/configuration.md)", () => {
  it("a file is kept once decoded, and an edit takes effect on the next run", () => {
    fs.mkdirSync(sb.dataDir, { recursive: true })
    projectFile("ports:\n  min: 31940\n  max: 31999\n")
    expect(plannedPort()).toBe(31940)
    const cache = path.join(sb.dataDir, "cache")
    expect(fs.readdirSync(cache)).toHaveLength(1)
    expect(plannedPort()).toBe(31940)
    projectFile("ports:\n  min: 31950\n  max: 31999\n")
    expect(plannedPort()).toBe(31950)
    userConfig("excluded_ports: [31950]\n")
    expect(plannedPort()).toBe(31951)
    // One entry per text: both texts of trop.yaml, and config.yaml's.
    expect(fs.readdirSync(cache)).toHaveLength(3)
  })

  it("without a data directory, nothing is created for it", () => {
    projectFile("ports:\n  min: 31960\n  max: 31999\n")
    expect(plannedPort()).toBe(31960)
    expect(exists(sb.dataDir)).toBe(false)
  })
})
