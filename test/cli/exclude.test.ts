import { Either } from "effect"
import * as fs from "node:fs"
import * as path from "node:path"
import { parse as parseYamlText } from "yaml"
import { afterEach, beforeEach, describe, expect, it } from "vitest"
import { fileProblems } from "../../src/config/Validate.js"
import { decodeConfig, parseYaml } from "../../src/config/Yaml.js"
import { dbFile, expectError, expectOk, exists, makeSandbox, type Sandbox } from "./_helpers.js"
import { expectHinted } from "./_hints.js"

/**
 * `trop exclude <PORT_OR_RANGE> [--global] [--force]` (docs/cli.md, docs/configuration.md,
 * docs/concepts.md). Private port range of this file: 31100-31199.
 */

const MIN = 31100
const MAX = 31199

let sb: Sandbox
beforeEach(() => {
  sb = makeSandbox([MIN, MAX])
})
afterEach(() => sb.cleanup())

const write = (file: string, text: string) => {
  fs.mkdirSync(path.dirname(file), { recursive: true })
  fs.writeFileSync(file, text)
  return file
}
const read = (file: string) => fs.readFileSync(file, "utf8")
const projectFile = (text: string, dir = sb.work) => write(path.join(dir, "trop.yaml"), text)
const localFile = (text: string, dir = sb.work) => write(path.join(dir, "trop.local.yaml"), text)
const userConfigPath = () => path.join(sb.dataDir, "config.yaml")

/** The file still parses and validates as a configuration of its kind. */
const expectValidConfig = (text: string, kind: "user" | "project" = "project") => {
  const decoded = Either.flatMap(parseYaml(text), (p) => decodeConfig(p, { all: true }))
  expect(Either.isRight(decoded), Either.isLeft(decoded) ? decoded.left.join("; ") : "").toBe(true)
  if (Either.isRight(decoded)) expect(fileProblems(decoded.right.config, kind)).toEqual([])
}

/** The `excluded_ports` items of a file as parsed data. */
const itemsOf = (text: string): unknown => {
  // An independent YAML 1.2 reading of the result (plain numbers, no project code involved).
  const doc: unknown = parseYamlText(text)
  return typeof doc === "object" && doc !== null && "excluded_ports" in doc ? doc.excluded_ports : undefined
}

const added = (file: string) => `Added exclusion to ${file}\n`

describe("the documented example (docs/concepts.md)", () => {
  it("exclude 8081 merges into 8080, keeping comments and other keys byte for byte", () => {
    const file = projectFile("# shared settings\nproject: web   # keep me\nexcluded_ports:\n  - 8080\n  - 9000\n")
    expectOk(sb.run(["exclude", "8081"]), added(file))
    expect(read(file)).toBe("# shared settings\nproject: web   # keep me\nexcluded_ports:\n  - start: 8080\n    end: 8081\n  - 9000\n")
  })
})

describe("in-place editing: everything outside the list is byte-identical (docs/concepts.md)", () => {
  const BEFORE = [
    "# Team configuration -- do not reformat!",
    "project:   \"my-proj\"    # trailing comment",
    "ports: { min: 31100,   max: 31199 }   # flow map, odd spacing",
    "",
    "occupancy_check:",
    "    skip_udp:    true      # four-space indent",
    "excluded_ports:    # the list",
    ""
  ].join("\n")
  const LIST = [
    "  - 8001",
    '  - "8010..8012"',
    "  # interior comment line",
    "  - {start: 8020, end: 8021}",
    "  - start: 8030",
    "    end: 8032",
    "  - '8040'",
    ""
  ].join("\n")
  const AFTER = [
    "",
    "# about cleanup",
    "cleanup:",
    "  expire_after_days: 12   # days",
    "output_format: 'json'",
    "# footer comment, no newline at end"
  ].join("\n")

  const check = (file: string, expectedItems: unknown) => {
    const text = read(file)
    expect(text.startsWith(BEFORE), text).toBe(true)
    expect(text.endsWith(AFTER), text).toBe(true)
    expect(itemsOf(text)).toEqual(expectedItems)
    expectValidConfig(text)
    // No stray temporary files next to the target (atomic write through a rename).
    expect(fs.readdirSync(path.dirname(file)).sort()).toEqual(["trop.yaml"])
  }

  it("appending a disjoint entry", () => {
    const file = projectFile(BEFORE + LIST + AFTER)
    expectOk(sb.run(["exclude", "9000"]), added(file))
    check(file, [8001, "8010..8012", { start: 8020, end: 8021 }, { start: 8030, end: 8032 }, "8040", 9000])
  })

  it("a range absorbing a quoted string range and a plain integer; untouched entries keep their spelling", () => {
    const file = projectFile(BEFORE + LIST + AFTER)
    expectOk(sb.run(["exclude", "8002..8009"]), added(file))
    check(file, [{ start: 8001, end: 8012 }, { start: 8020, end: 8021 }, { start: 8030, end: 8032 }, "8040"])
    expect(read(file)).toContain("  - {start: 8020, end: 8021}\n  - start: 8030\n    end: 8032\n  - '8040'\n")
  })

  it("absorbing a flow mapping, a block mapping and a quoted single (adjacent on both sides)", () => {
    const file = projectFile(BEFORE + LIST + AFTER)
    expectOk(sb.run(["exclude", "8022..8039"]), added(file))
    check(file, [8001, "8010..8012", { start: 8020, end: 8040 }])
  })

  it("one entry absorbing the whole list", () => {
    const file = projectFile(BEFORE + LIST + AFTER)
    expectOk(sb.run(["exclude", "8000..8100"]), added(file))
    check(file, [{ start: 8000, end: 8100 }])
  })

  it("several edits in a row", () => {
    const file = projectFile(BEFORE + LIST + AFTER)
    for (const entry of ["8002", "8003..8005", "8041", "8000", "9000..9001"]) expectOk(sb.run(["exclude", entry]), added(file))
    check(file, [
      { start: 8000, end: 8005 },
      "8010..8012",
      { start: 8020, end: 8021 },
      { start: 8030, end: 8032 },
      { start: 8040, end: 8041 },
      { start: 9000, end: 9001 }
    ])
  })
})

describe("merging (docs/concepts.md)", () => {
  it("overlapping and adjacent entries merge transitively; the merged entry takes the first absorbed position", () => {
    const file = projectFile("excluded_ports:\n  - 100\n  - 200..205\n  - 7\n  - 210\n  - 50..60\n")
    expectOk(sb.run(["exclude", "206..209"]), added(file))
    expect(itemsOf(read(file))).toEqual([100, { start: 200, end: 210 }, 7, "50..60"])
    expectOk(sb.run(["exclude", "61..99"]), added(file))
    expect(itemsOf(read(file))).toEqual([{ start: 50, end: 100 }, { start: 200, end: 210 }, 7])
  })

  it("an entry covered only by several entries together is merged, not a no-op", () => {
    const file = projectFile("excluded_ports:\n  - 10..12\n  - 13..15\n")
    expectOk(sb.run(["exclude", "11..14"]), added(file))
    expect(itemsOf(read(file))).toEqual([{ start: 10, end: 15 }])
  })

  it("a flow sequence stays a flow sequence with flow entries", () => {
    const file = projectFile("project: web\nexcluded_ports: [5001, 5003]  # inline\n")
    expectOk(sb.run(["exclude", "5002"]), added(file))
    expect(read(file)).toBe("project: web\nexcluded_ports: [{start: 5001, end: 5003}]  # inline\n")
    expectOk(sb.run(["exclude", "6000"]), added(file))
    expect(read(file)).toBe("project: web\nexcluded_ports: [{start: 5001, end: 5003}, 6000]  # inline\n")
  })
})

describe("no-op when one existing entry covers the new one", () => {
  const cases: ReadonlyArray<readonly [string, string]> = [
    ["excluded_ports:\n  - 5001\n", "5001"],
    ['excluded_ports:\n  - "5001"\n', "5001"],
    ['excluded_ports:\n  - "5001..5001"\n', "5001"],
    ["excluded_ports:\n  - 5001\n", "5001..5001"],
    ["excluded_ports:\n  - {start: 5000, end: 5010}\n", "5003..5007"],
    ['excluded_ports:\n  - " 5000 .. 5010 "\n', "5000..5010"]
  ]

  it("prints Exclusion already exists in <file> and leaves the file untouched (bytes and mtime)", () => {
    const file = projectFile("")
    for (const [text, entry] of cases) {
      fs.writeFileSync(file, text)
      const old = new Date("2020-01-02T03:04:05Z")
      fs.utimesSync(file, old, old)
      expectOk(sb.run(["exclude", entry]), `Exclusion already exists in ${file}\n`)
      expect(read(file), `${text} + ${entry}`).toBe(text)
      expect(fs.statSync(file).mtimeMs).toBe(old.getTime())
    }
  })
})

describe("target file (docs/configuration.md, docs/cli.md)", () => {
  it("trop.local.yaml is preferred over trop.yaml", () => {
    const project = projectFile("project: web\n")
    const local = localFile("# mine\n")
    expectOk(sb.run(["exclude", "5000"]), added(local))
    expect(read(project)).toBe("project: web\n")
    expect(read(local)).toBe("# mine\nexcluded_ports:\n  - 5000\n")
  })

  it("the discovered file of the nearest ancestor is the target when run from a nested directory", () => {
    const project = projectFile("project: web\n")
    const nested = path.join(sb.work, "a", "b")
    fs.mkdirSync(nested, { recursive: true })
    expectOk(sb.run(["exclude", "5000..5002"], { cwd: nested }), added(project))
    expect(read(project)).toBe("project: web\nexcluded_ports:\n  - start: 5000\n    end: 5002\n")
  })

  it("without a project file and without --global → exit 4, and no database is created", () => {
    expectError(
      sb.run(["exclude", "5000"]),
      4,
      `Invalid arguments: No trop.yaml or trop.local.yaml found (searched from: ${sb.work}); use --global to add the exclusion to ${userConfigPath()}`
    )
    expect(exists(dbFile(sb.dataDir))).toBe(false)
    expect(exists(userConfigPath())).toBe(false)
  })

  it("--global writes <data-dir>/config.yaml, creating it (only the list, no null)", () => {
    projectFile("project: web\n")
    expectOk(sb.run(["exclude", "--global", "5000"]), added(userConfigPath()))
    expect(read(userConfigPath())).toBe("excluded_ports:\n  - 5000\n")
    expectOk(sb.run(["exclude", "5001..5003", "--global"]), added(userConfigPath()))
    expect(read(userConfigPath())).toBe("excluded_ports:\n  - start: 5000\n    end: 5003\n")
    expect(read(path.join(sb.work, "trop.yaml"))).toBe("project: web\n")
    expectValidConfig(read(userConfigPath()), "user")
  })

  it("--global edits an existing config.yaml in place", () => {
    write(userConfigPath(), "# user settings\noutput_format: json\n")
    expectOk(sb.run(["exclude", "--global", "5000"]), added(userConfigPath()))
    expect(read(userConfigPath())).toBe("# user settings\noutput_format: json\nexcluded_ports:\n  - 5000\n")
  })

  it("--quiet suppresses the stdout message", () => {
    const file = projectFile("")
    expectOk(sb.run(["--quiet", "exclude", "5000"]), "")
    expectOk(sb.run(["exclude", "5000", "--quiet"]), "")
    expect(read(file)).toBe("excluded_ports:\n  - 5000\n")
  })

  it("a broken target file fails with exit 7 and is not modified", () => {
    const file = projectFile("project: web\nports: [\n")
    const r = sb.run(["exclude", "5000"])
    expect({ code: r.code, stdout: r.stdout }).toEqual({ code: 7, stdout: "" })
    expect(r.stderr.startsWith("Error: Configuration error: ")).toBe(true)
    expect(read(file)).toBe("project: web\nports: [\n")
  })
})

describe("the edited file keeps its identity (spec silent: what a user expects of an in-place edit)", () => {
  it("a symlinked trop.yaml: the link's target is edited and the link stays a link", () => {
    const shared = write(path.join(sb.root, "shared", "common.yaml"), "project: shared\n")
    const link = path.join(sb.work, "trop.yaml")
    fs.symlinkSync(shared, link)
    expectOk(sb.run(["exclude", "5000"]), added(link))
    expect(fs.lstatSync(link).isSymbolicLink()).toBe(true)
    expect(read(shared)).toBe("project: shared\nexcluded_ports:\n  - 5000\n")
  })

  it("the file's permission bits are preserved", () => {
    const file = projectFile("project: web\n")
    fs.chmodSync(file, 0o600)
    expectOk(sb.run(["exclude", "5000"]), added(file))
    expect(fs.statSync(file).mode & 0o777).toBe(0o600)
  })
})

describe("never writes null (docs/concepts.md)", () => {
  it("an `excluded_ports:` key without value gets its list in place", () => {
    const file = projectFile("excluded_ports:\nproject: web\n")
    expectOk(sb.run(["exclude", "5000"]), added(file))
    expect(read(file)).toBe("excluded_ports:\n  - 5000\nproject: web\n")
  })

  it("excluded_ports: null gets its value in place", () => {
    const file = projectFile("project: web\nexcluded_ports: null\ncleanup:\n  expire_after_days: 3\n")
    expectOk(sb.run(["exclude", "5000..5001"]), added(file))
    const text = read(file)
    expect(text.startsWith("project: web\nexcluded_ports:")).toBe(true)
    expect(text.endsWith("cleanup:\n  expire_after_days: 3\n")).toBe(true)
    expect(text).not.toMatch(/null|~/)
    expect(itemsOf(text)).toEqual([{ start: 5000, end: 5001 }])
  })

  it("a file without the key gets it appended at the end of the root mapping; no other key is written", () => {
    const file = projectFile("project: web\nreservations:\n  services:\n    web: {}\n")
    expectOk(sb.run(["exclude", "5000"]), added(file))
    expect(read(file)).toBe("project: web\nreservations:\n  services:\n    web: {}\nexcluded_ports:\n  - 5000\n")
  })

  it("a file whose last line has no newline", () => {
    const file = projectFile("project: web # no newline")
    expectOk(sb.run(["exclude", "5000"]), added(file))
    expect(read(file)).toBe("project: web # no newline\nexcluded_ports:\n  - 5000\n")
  })

  it("a root written as a flow mapping can be edited too", () => {
    const file = projectFile("{project: web}\n")
    expectOk(sb.run(["exclude", "5000"]), added(file))
    const text = read(file)
    expect(itemsOf(text)).toEqual([5000])
    expect(parseYamlText(text)).toEqual({ project: "web", excluded_ports: [5000] })
  })
})

describe("reserved ports (docs/concepts.md)", () => {
  const reserve = (port: number, tag: string) =>
    expect(sb.run(["reserve", "--port", String(port), "--tag", tag, "--skip-occupancy-check"]).stdout).toBe(`${port}\n`)

  it("a reserved port → exit 4 naming the lowest reserved port; the file is untouched; --force overrides", () => {
    const file = projectFile("excluded_ports: [31150]\n")
    reserve(31170, "b")
    reserve(31160, "a")
    expectHinted(
      sb.run(["exclude", "31151..31180"]),
      4,
      "Invalid arguments: Port 31160 is reserved. Use --force to override.",
      `port 31160 is reserved by ${sb.work}:a; release it first: trop release --path ${sb.work} --tag a`
    )
    expectHinted(
      sb.run(["exclude", "31170"]),
      4,
      "Invalid arguments: Port 31170 is reserved. Use --force to override.",
      `port 31170 is reserved by ${sb.work}:b; release it first: trop release --path ${sb.work} --tag b`
    )
    expect(read(file)).toBe("excluded_ports: [31150]\n")
    expectOk(sb.run(["exclude", "31151..31180", "--force"]), added(file))
    expect(itemsOf(read(file))).toEqual([{ start: 31150, end: 31180 }])
  })

  it("an unreserved entry next to reserved ports is fine", () => {
    const file = projectFile("")
    reserve(31160, "a")
    expectOk(sb.run(["exclude", "31161..31165"]), added(file))
  })
})

describe("the database step (docs/concepts.md, docs/cli.md)", () => {
  it("database errors propagate (exit 6) and nothing is written", () => {
    const file = projectFile("project: web\n")
    fs.mkdirSync(sb.dataDir)
    fs.writeFileSync(dbFile(sb.dataDir), "definitely not a SQLite database ".repeat(8))
    const r = sb.run(["exclude", "5000"])
    expect({ code: r.code, stdout: r.stdout }).toEqual({ code: 6, stdout: "" })
    // (Its wording belongs to the database layer, docs/database.md; here only propagation matters.)
    expect(r.stderr).toMatch(/^Error: .+\n$/)
    expect(read(file)).toBe("project: web\n")
  })

  it("a missing database with auto-init disabled → exit 3, nothing written; otherwise it is created", () => {
    const file = projectFile("project: web\n")
    expectError(sb.run(["--disable-autoinit", "exclude", "5000"]), 3, "Data directory not found (use --data-dir or enable auto-init)")
    expect(read(file)).toBe("project: web\n")
    expectOk(sb.run(["exclude", "5000"]), added(file))
    expect(exists(dbFile(sb.dataDir))).toBe(true)
  })
})

describe("invalid entries → exit 4 (docs/cli.md, docs/concepts.md)", () => {
  it("exact messages; checked before the target file, the database and the configuration files", () => {
    // No project file: the entry error still comes first.
    const cases: ReadonlyArray<readonly [string, string]> = [
      ["abc", "Invalid arguments: Invalid port number"],
      ["65536", "Invalid arguments: Invalid port number"],
      ["5000..", "Invalid arguments: Invalid port number"],
      ["5000..abc", "Invalid arguments: Invalid port number"],
      ["1..2..3", "Invalid arguments: Invalid port number"],
      ["0", "Invalid arguments: Invalid port number: port 0 is reserved and cannot be used"],
      ["0..10", "Invalid arguments: Invalid port number: port 0 is reserved and cannot be used"],
      ["5001..5000", "Invalid arguments: Invalid port range: start (5001) must be less than or equal to end (5000)"]
    ]
    for (const [entry, message] of cases) expectError(sb.run(["exclude", entry]), 4, message)
    expect(exists(sb.dataDir)).toBe(false)
  })

  it("sides are not trimmed", () => {
    projectFile("")
    expectError(sb.run(["exclude", "5000 ..5001"]), 4, "Invalid arguments: Invalid port number")
    expectError(sb.run(["exclude", " 5000"]), 4, "Invalid arguments: Invalid port number")
  })

  it("A..A and 65535 are valid", () => {
    const file = projectFile("")
    expectOk(sb.run(["exclude", "5000..5000"]), added(file))
    expectOk(sb.run(["exclude", "65535"]), added(file))
    expect(read(file)).toBe("excluded_ports:\n  - 5000\n  - 65535\n")
  })
})
