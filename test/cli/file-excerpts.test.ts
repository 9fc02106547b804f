// No error prints more than a short excerpt of a user's file: the line and column say where
// (docs/configuration.md). `reserve-group /etc/passwd` used to print the whole file.
import * as fs from "node:fs"
import * as path from "node:path"
import { afterEach, beforeEach, describe, expect, it } from "vitest"
import { makeSandbox, type Result, type Sandbox } from "./_helpers.js"

// Private port range of this file (see _helpers.ts).
const MIN = 43200
const MAX = 43299

let sb: Sandbox
beforeEach(() => {
  sb = makeSandbox([MIN, MAX])
})
afterEach(() => sb.cleanup())

const streams = (r: Result) => ({ code: r.code, stdout: r.stdout, stderr: r.stderr })

const write = (name: string, text: string) => {
  const file = path.join(sb.work, name)
  fs.writeFileSync(file, text)
  return file
}

/** A passwd-like file: YAML reads it as one long plain string. */
const PASSWD = Array.from(
  { length: 40 },
  (_, i) => `user${i}:x:${1000 + i}:${1000 + i}:User ${i},,,:/home/user${i}:/bin/bash`
).join("\n") + "\n"

const LONG = "x".repeat(300)
/** What messages show of LONG: its first 40 characters, then `...`. */
const CUT = `${"x".repeat(40)}...`

describe("a file that is not a configuration at all", () => {
  it("reserve-group <passwd-like file>: exit 7, 40 characters of it, then where it starts", () => {
    const file = write("passwd", PASSWD)
    expect(streams(sb.run(["reserve-group", file]))).toEqual({
      code: 7,
      stdout: "",
      stderr:
        `Error: Configuration error: validation error for '${file}': Invalid YAML: invalid type: string "user0:x:1000:1000:User 0,,,:/home/user0:"..., expected a mapping of configuration keys at line 1 column 1\n`
    })
  })

  it("validate <passwd-like file>: the same problem, one line", () => {
    write("passwd", PASSWD)
    expect(streams(sb.run(["validate", "passwd"]))).toEqual({
      code: 1,
      stdout: "",
      stderr:
        `Parse error in passwd: invalid type: string "user0:x:1000:1000:User 0,,,:/home/user0:"..., expected a mapping of configuration keys at line 1 column 1\n` +
        "Error: Configuration file is invalid\n"
    })
  })

  it("a short document keeps its whole value, and gets its position too", () => {
    write("short.yaml", "just text\n")
    expect(streams(sb.run(["validate", "short.yaml"]))).toEqual({
      code: 1,
      stdout: "",
      stderr:
        `Parse error in short.yaml: invalid type: string "just text", expected a mapping of configuration keys at line 1 column 1\n` +
        "Error: Configuration file is invalid\n"
    })
  })
})

describe("long keys and values in a configuration file are cut to 40 characters", () => {
  it("an unknown key, a string for a number, a service name, an unknown output format", () => {
    write(
      "trop.yaml",
      `${LONG}: 1\nreservations:\n  services:\n    ${LONG}:\n      bogus: 1\noutput_format: ${LONG}\nports: {min: "${LONG}"}\n`
    )
    const r = sb.run(["validate", "trop.yaml"])
    expect(streams(r)).toEqual({
      code: 1,
      stdout: "",
      stderr: [
        `Parse error in trop.yaml: unknown field \`${CUT}\`, expected one of \`project\`, \`ports\`, \`excluded_ports\`, \`cleanup\`, \`occupancy_check\`, \`reservations\`, \`disable_autoinit\`, \`disable_autoprune\`, \`disable_autoexpire\`, \`allow_unrelated_path\`, \`allow_change_project\`, \`allow_change_task\`, \`allow_change\`, \`maximum_lock_wait_seconds\`, \`output_format\` at line 1 column 1`,
        `Parse error in trop.yaml: ports.min: invalid type: string "${"x".repeat(40)}"..., expected u16 at line 7 column 14`,
        `Parse error in trop.yaml: reservations.services.${CUT}: unknown field \`bogus\`, expected one of \`offset\`, \`preferred\`, \`env\` at line 5 column 7`,
        `Parse error in trop.yaml: output_format: unknown variant \`${CUT}\`, expected one of \`json\`, \`csv\`, \`tsv\`, \`table\` at line 6 column 16`,
        "Error: Configuration file is invalid",
        ""
      ].join("\n")
    })
    // The first of them is the error of every command that loads the file.
    const list = sb.run(["list"])
    expect(streams(list)).toEqual({
      code: 7,
      stdout: "",
      stderr: `Error: Configuration error: validation error for '${path.join(sb.work, "trop.yaml")}': Invalid YAML: unknown field \`${CUT}\`, expected one of \`project\`, \`ports\`, \`excluded_ports\`, \`cleanup\`, \`occupancy_check\`, \`reservations\`, \`disable_autoinit\`, \`disable_autoprune\`, \`disable_autoexpire\`, \`allow_unrelated_path\`, \`allow_change_project\`, \`allow_change_task\`, \`allow_change\`, \`maximum_lock_wait_seconds\`, \`output_format\` at line 1 column 1\n`
    })
  })

  it("excluded_ports strings that are not ports", () => {
    write("trop.yaml", `excluded_ports: ["${LONG}", "1..${LONG}"]\n`)
    expect(streams(sb.run(["validate", "trop.yaml"]))).toEqual({
      code: 1,
      stdout: "",
      stderr:
        `Validation error: validation error for 'excluded_ports[0] (trop.yaml)': Invalid port: ${CUT}\n` +
        `Validation error: validation error for 'excluded_ports[1] (trop.yaml)': Invalid port in range: 1..${"x".repeat(37)}...\n` +
        "Error: Configuration validation failed\n"
    })
  })

  it("messages of the YAML parser that quote the document (an alias name) are cut too", () => {
    write("trop.yaml", `project: *${LONG}\n`)
    const r = sb.run(["validate", "trop.yaml"])
    expect(streams(r)).toEqual({
      code: 1,
      stdout: "",
      stderr: `Parse error in trop.yaml: Unresolved alias (the anchor must be set before the alias): ${"x".repeat(20)}...\nError: Configuration file is invalid\n`
    })
  })

  it("a service that may not export its variable is named by 40 characters of its name", () => {
    write("trop.yaml", `reservations:\n  services:\n    ${"s".repeat(100)}:\n      env: PATH\n`)
    const r = sb.run(["validate", "trop.yaml"])
    expect(r.code).toBe(1)
    expect(r.stderr).toContain(`service '${"s".repeat(40)}...' may not export this variable`)
    expect(r.stderr).not.toContain("s".repeat(41))
  })
})
