import * as fs from "node:fs"
import * as path from "node:path"
import { afterEach, beforeEach, describe, expect, it } from "vitest"
import { expectError, expectOk, exists, makeSandbox, type Result, type Sandbox } from "./_helpers.js"

/** `trop validate <CONFIG_PATH>` (docs/cli.md, docs/configuration.md). */

let sb: Sandbox
beforeEach(() => {
  sb = makeSandbox()
})
afterEach(() => sb.cleanup())

const write = (rel: string, text: string) => {
  const file = path.join(sb.work, rel)
  fs.mkdirSync(path.dirname(file), { recursive: true })
  fs.writeFileSync(file, text)
  return file
}

const validate = (p: string) => sb.run(["validate", p])

/** A failed validation: exit 1, empty stdout, the given stderr lines exactly. */
const expectRejected = (r: Result, lines: ReadonlyArray<string>) => {
  expect({ code: r.code, stdout: r.stdout, stderr: r.stderr }).toEqual({ code: 1, stdout: "", stderr: lines.map((l) => `${l}\n`).join("") })
}

describe("valid files", () => {
  it("prints Configuration is valid on stdout, exit 0; nothing else happens", () => {
    write("trop.yaml", "project: web\nports:\n  min: 5000\n  max: 5100\nexcluded_ports: [5001, \"5005..5009\", {start: 6000, end: 6001}]\n")
    expectOk(validate("trop.yaml"), "Configuration is valid\n")
    expect(exists(sb.dataDir)).toBe(false)
  })

  it("--quiet changes nothing", () => {
    write("trop.yaml", "project: web\n")
    expectOk(sb.run(["--quiet", "validate", "trop.yaml"]), "Configuration is valid\n")
  })

  it("an empty or comment-only file is valid", () => {
    write("empty.yaml", "")
    write("comments.yaml", "# nothing\n# at all\n")
    expectOk(validate("empty.yaml"), "Configuration is valid\n")
    expectOk(validate("comments.yaml"), "Configuration is valid\n")
  })

  it("checks only that document: a ports block with only min is valid on its own (no merge, no defaults)", () => {
    write("trop.yaml", "ports:\n  min: 8000\n")
    expectOk(validate("trop.yaml"), "Configuration is valid\n")
  })

  it("scope None: a broken trop.yaml in the working directory and bad TROP_* variables are ignored", () => {
    write("trop.yaml", "ports: [\n")
    write("sub/other.yaml", "project: ok\n")
    expectOk(
      sb.run(["validate", "sub/other.yaml"], { env: { TROP_PORT_MIN: "abc", TROP_TASK: "", TROP_OUTPUT_FORMAT: "xml" } }),
      "Configuration is valid\n"
    )
  })
})

describe("semantic errors: every problem, one line each (docs/cli.md)", () => {
  it("the documented example", () => {
    write("trop.yaml", "ports:\n  min: 6000\n  max: 5000\n")
    expectRejected(validate("trop.yaml"), [
      "Validation error: validation error for 'ports (trop.yaml)': max must be >= min",
      "Error: Configuration validation failed"
    ])
  })

  it("lists EVERY problem of the file, not only the first, annotated with the path as typed", () => {
    write(
      "conf/trop.local.yaml",
      [
        'project: "   "',
        "ports:",
        "  min: 0",
        "excluded_ports:",
        "  - 5000",
        "  - 0",
        '  - "9000..8000"',
        "  - {start: 0, end: 5}",
        "cleanup:",
        "  expire_after_days: 0",
        "maximum_lock_wait_seconds: 2147484",
        "reservations:",
        "  base: 0",
        "  services:",
        "    web: {preferred: 0}",
        "    api: {env: \"1API\"}",
        ""
      ].join("\n")
    )
    const r = validate("conf/trop.local.yaml")
    const lines = r.stderr.trimEnd().split("\n")
    const f = (field: string, message: string) => `Validation error: validation error for '${field} (conf/trop.local.yaml)': ${message}`
    expect({ code: r.code, stdout: r.stdout, last: lines[lines.length - 1] }).toEqual({
      code: 1,
      stdout: "",
      last: "Error: Configuration validation failed"
    })
    expect([...lines.slice(0, -1)].sort()).toEqual(
      [
        f("project", "Cannot be empty or only whitespace"),
        f("ports.min", "Invalid port number: 0"),
        f("excluded_ports[1]", "Invalid port: 0"),
        f("excluded_ports[2]", "Invalid range: 9000..8000 (end < start)"),
        f("excluded_ports[3]", "Invalid start port: 0"),
        f("cleanup.expire_after_days", "Must be > 0"),
        f("maximum_lock_wait_seconds", "Timeout must not exceed 2147483 seconds"),
        f("reservations.base", "Invalid port: 0"),
        f("reservations.services.preferred", "Invalid port: 0"),
        f("reservations.services.offset", "Duplicate offset: 0"),
        f("reservations.services.env", "must start with an ASCII letter or underscore")
      ].sort()
    )
  })

  it("an absolute path is echoed as typed", () => {
    const file = write("trop.yaml", "ports:\n  min: 5000\n  max_offset: 0\n")
    expectRejected(validate(file), [
      `Validation error: validation error for 'ports.max_offset (${file})': max_offset must be > 0`,
      "Error: Configuration validation failed"
    ])
  })

  it("group rules: tags, env names, uniqueness", () => {
    write(
      "trop.yaml",
      'reservations:\n  services:\n    api.server: {}\n    web: {env: Web, offset: 1}\n    www: {env: WEB, offset: 2}\n    " web ": {env: X, offset: 3}\n'
    )
    const r = validate("trop.yaml")
    const f = (field: string, message: string) => `Validation error: validation error for '${field} (trop.yaml)': ${message}`
    expect(r.code).toBe(1)
    expect(r.stderr.trimEnd().split("\n").slice(0, -1).sort()).toEqual(
      [
        f(
          "reservations.services.tag",
          "service tag cannot be converted to a portable environment-variable name; provide an explicit valid env mapping"
        ),
        f("reservations.services.tag", "Service tags must be unique after trimming whitespace"),
        f("reservations.services.env", "resolved environment-variable names must be unique when compared without ASCII case")
      ].sort()
    )
  })
})

describe("config.yaml is validated as a user config", () => {
  it("project and a reservations mapping are forbidden in a file named config.yaml", () => {
    write("config.yaml", "project: web\nreservations:\n  services:\n    web: {}\n")
    expectRejected(validate("config.yaml"), [
      "Validation error: validation error for 'project (config.yaml)': project is only valid in trop.yaml/trop.local.yaml, not user config.yaml",
      "Validation error: validation error for 'reservations (config.yaml)': reservations are only valid in trop.yaml/trop.local.yaml, not user config.yaml",
      "Error: Configuration validation failed"
    ])
  })

  it("also in another directory; reservations: null is fine there", () => {
    write("nested/dir/config.yaml", "project: web\n")
    expectRejected(validate("nested/dir/config.yaml"), [
      "Validation error: validation error for 'project (nested/dir/config.yaml)': project is only valid in trop.yaml/trop.local.yaml, not user config.yaml",
      "Error: Configuration validation failed"
    ])
    write("other/config.yaml", "reservations: null\nexcluded_ports: [5000]\n")
    expectOk(validate("other/config.yaml"), "Configuration is valid\n")
  })

  it("any other name is a project file: project and reservations are allowed", () => {
    const text = "project: web\nreservations:\n  services:\n    web: {}\n"
    for (const name of ["trop.yaml", "trop.local.yaml", "my-config.yaml", "config.yml", "user-config.yaml"]) {
      write(name, text)
      expectOk(validate(name), "Configuration is valid\n")
    }
  })
})

describe("parse errors (docs/cli.md)", () => {
  it("a YAML syntax error: Parse error in <path>: <message naming the line>, then Configuration file is invalid", () => {
    write("trop.yaml", "project: web\nports:\n  min: 5000\n max: 6000\n")
    const r = validate("trop.yaml")
    expect({ code: r.code, stdout: r.stdout }).toEqual({ code: 1, stdout: "" })
    const lines = r.stderr.split("\n")
    expect(lines).toHaveLength(3)
    expect(lines[0]).toMatch(/^Parse error in trop\.yaml: .*\bline 4\b/)
    expect(lines[1]).toBe("Error: Configuration file is invalid")
  })

  it("a duplicate key is a parse error naming the line", () => {
    write("trop.yaml", "project: a\nports:\n  min: 5000\nproject: b\n")
    const r = validate("trop.yaml")
    expect(r.code).toBe(1)
    expect(r.stderr).toMatch(/^Parse error in trop\.yaml: .*\bline 4\b.*\nError: Configuration file is invalid\n$/)
  })

  it("schema errors (unknown key, wrong type, yes as a boolean) are parse errors, naming the key and line", () => {
    write("a.yaml", "project: web\nbogus: 1\n")
    let r = validate("a.yaml")
    expect(r.code).toBe(1)
    expect(r.stdout).toBe("")
    expect(r.stderr).toMatch(/^Parse error in a\.yaml: .*unknown field `bogus`.*\bline 2\b.*\nError: Configuration file is invalid\n$/)
    write("b.yaml", "ports:\n  min: \"5000\"\n")
    r = validate("b.yaml")
    expect(r.code).toBe(1)
    expect(r.stderr).toMatch(/^Parse error in b\.yaml: .*ports\.min.*\bline 2\b.*\nError: Configuration file is invalid\n$/)
    write("c.yaml", "occupancy_check:\n  skip: yes\n")
    r = validate("c.yaml")
    expect(r.code).toBe(1)
    expect(r.stderr).toMatch(/^Parse error in c\.yaml: .*skip.*\bline 2\b.*\nError: Configuration file is invalid\n$/)
  })

  it("a parse error is reported instead of, not besides, semantic problems", () => {
    write("trop.yaml", "ports:\n  min: 0\nbogus: 1\n")
    const r = validate("trop.yaml")
    expect(r.code).toBe(1)
    expect(r.stderr).not.toContain("Validation error")
    expect(r.stderr.endsWith("Error: Configuration file is invalid\n")).toBe(true)
  })
})

describe("file errors", () => {
  it("a missing file → exit 4 File not found", () => {
    expectError(validate("nope.yaml"), 4, "Invalid arguments: File not found: nope.yaml")
  })

  it("a directory → exit 5 I/O error", () => {
    fs.mkdirSync(path.join(sb.work, "dir.yaml"))
    const r = validate("dir.yaml")
    expect({ code: r.code, stdout: r.stdout }).toEqual({ code: 5, stdout: "" })
    expect(r.stderr).toMatch(/^Error: I\/O error: .+\n$/)
  })

  it("a missing CONFIG_PATH is a usage error", () => {
    const r = sb.run(["validate"])
    expect(r.code).toBe(4)
    expect(r.stdout).toBe("")
  })
})
