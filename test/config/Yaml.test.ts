import { Effect, Either } from "effect"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { afterAll, describe, expect, it } from "vitest"
import type { ConfigFile } from "../../src/config/FileSchema.js"
import * as Files from "../../src/config/Files.js"
import { decodeConfig, parseYaml } from "../../src/config/Yaml.js"

/**
 * The YAML dialect and schema typing of configuration files (docs/configuration.md): YAML 1.2
 * core-schema scalars, duplicate keys, unknown keys at every level, typed ports, and
 * messages that name the line.
 */

type Decoded = Either.Either<{ readonly config: ConfigFile; readonly clearsReservations: boolean }, ReadonlyArray<string>>

const decode = (text: string, all = false): Decoded => Either.flatMap(parseYaml(text), (p) => decodeConfig(p, { all }))

const config = (text: string): ConfigFile =>
  Either.getOrThrowWith(decode(text), (problems) => new Error(`unexpected failure: ${problems.join("; ")}`)).config

/** The problems of a document that must not decode. */
const failure = (text: string): ReadonlyArray<string> =>
  Either.match(decode(text, true), { onLeft: (p) => p, onRight: () => ["<decoded without error>"] })

const firstFailure = (text: string): string => failure(text)[0] ?? ""

const dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), "trop-yaml-")))
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }))
let counter = 0

const loadDetail = (text: string): { readonly file: string; readonly detail: string } => {
  const file = path.join(dir, `trop-${counter++}.yaml`)
  fs.writeFileSync(file, text)
  const detail = Either.match(Effect.runSync(Effect.either(Files.load(file, "project"))), {
    onLeft: (e) => e.detail,
    onRight: () => "loaded"
  })
  return { file, detail }
}

const BOOL_FIELDS = [
  "disable_autoinit",
  "disable_autoprune",
  "disable_autoexpire",
  "allow_unrelated_path",
  "allow_change_project",
  "allow_change_task",
  "allow_change"
] as const
const OCCUPANCY_LEAVES = ["skip", "skip_ip4", "skip_ip6", "skip_tcp", "skip_udp", "check_all_interfaces"] as const

describe("booleans are YAML 1.2 core-schema booleans only", () => {
  it("true/True/TRUE/false/False/FALSE are booleans in every boolean field", () => {
    for (const [text, value] of [["true", true], ["True", true], ["TRUE", true], ["false", false], ["False", false], ["FALSE", false]] as const) {
      for (const field of BOOL_FIELDS) expect(config(`${field}: ${text}`)[field], `${field}: ${text}`).toBe(value)
      for (const leaf of OCCUPANCY_LEAVES) {
        expect(config(`occupancy_check:\n  ${leaf}: ${text}\n`).occupancy_check?.[leaf], `${leaf}: ${text}`).toBe(value)
      }
    }
  })

  it("yes/no/on/off/y/n are strings, so they are type errors in boolean fields, naming the key and the line", () => {
    for (const word of ["yes", "no", "on", "off", "y", "n", "Yes", "ON", "Off"]) {
      const top = firstFailure(`project: web\ndisable_autoprune: ${word}\n`)
      expect(top, word).toContain("disable_autoprune")
      expect(top, word).toContain(`"${word}"`)
      expect(top, word).toMatch(/\bline 2\b/)
      const leaf = firstFailure(`occupancy_check:\n  skip_udp: ${word}\n`)
      expect(leaf, word).toContain("skip_udp")
      expect(leaf, word).toMatch(/\bline 2\b/)
    }
  })

  it("numbers are not booleans", () => {
    expect(firstFailure("allow_change: 1")).toContain("allow_change")
    expect(firstFailure("allow_change: 0")).toContain("allow_change")
  })
})

describe("integers", () => {
  it("may be written 0x…, 0o…, 0b…", () => {
    expect(config("ports:\n  min: 0x1388\n  max: 0o15530\n").ports).toEqual({ min: 5000, max: 7000 })
    expect(config("ports:\n  min: 0b1001110001000\n  max_offset: 0x10\n").ports).toEqual({ min: 5000, max_offset: 16 })
    expect(config("excluded_ports: [0x1F90, 0o17620, 0b1]").excluded_ports).toEqual([8080, 8080, 1])
    expect(config("cleanup:\n  expire_after_days: 0x1E\n").cleanup).toEqual({ expire_after_days: 30 })
    expect(config("reservations:\n  base: 0x1388\n  services:\n    web: {offset: 0b1, preferred: 0o17620}\n").reservations)
      .toEqual({ base: 5000, services: { web: { offset: 1, preferred: 8080 } } })
  })

  it("floating-point values are not integers: a u16 field rejects them", () => {
    for (const v of ["5000.5", "5000.0", "1e3", "5e3", ".inf", ".nan"]) {
      const f = firstFailure(`ports:\n  min: ${v}\n`)
      expect(f, v).toContain("ports.min")
      expect(f, v).toMatch(/\bline 2\b/)
    }
  })

  it("quoted numbers are strings and are rejected for port fields and other numeric fields", () => {
    const cases: ReadonlyArray<readonly [string, number]> = [
      ['ports:\n  min: "5000"\n', 2],
      ["ports:\n  min: 5000\n  max: '6000'\n", 3],
      ['ports:\n  min: 5000\n  max_offset: "10"\n', 3],
      ['reservations:\n  base: "5000"\n  services:\n    web: {}\n', 2],
      ['reservations:\n  services:\n    web:\n      offset: "1"\n', 4],
      ['reservations:\n  services:\n    web:\n      preferred: "8080"\n', 4],
      ['cleanup:\n  expire_after_days: "30"\n', 2],
      ['project: web\nmaximum_lock_wait_seconds: "5"\n', 2]
    ]
    for (const [text, line] of cases) {
      const f = firstFailure(text)
      expect(f, text).toMatch(/invalid type: string/)
      expect(f, text).toMatch(new RegExp(`\\bline ${line}\\b`))
    }
  })

  it("negative ports and ports above 65535 are rejected", () => {
    for (const text of ["ports:\n  min: -1\n", "ports:\n  min: 5000\n  max: 65536\n", "ports:\n  min: 5000\n  max_offset: -5\n"]) {
      const f = firstFailure(text)
      expect(f, text).toContain("ports.")
      expect(f, text).toMatch(/\bline (2|3)\b/)
    }
    expect(firstFailure("excluded_ports: [-5]")).toContain("excluded_ports")
    expect(firstFailure("excluded_ports: [65536]")).toContain("excluded_ports")
    expect(firstFailure("reservations:\n  base: -1\n  services: {web: {}}\n")).toContain("reservations.base")
    expect(firstFailure("reservations:\n  services:\n    web: {preferred: 70000}\n")).toContain("preferred")
    expect(firstFailure("cleanup:\n  expire_after_days: -1\n")).toContain("cleanup.expire_after_days")
    expect(firstFailure("maximum_lock_wait_seconds: -1\n")).toContain("maximum_lock_wait_seconds")
    expect(config("ports:\n  min: 65535\n").ports).toEqual({ min: 65535 })
  })

  it("strings are never coerced from numbers either: project must be a string", () => {
    expect(firstFailure("project: 5")).toContain("project")
    expect(config('project: "5"').project).toBe("5")
  })
})

describe("empty documents", () => {
  it("an empty, whitespace-only or comment-only file is a valid empty configuration", () => {
    for (const text of ["", "\n", "   \n\n", "# nothing here\n", "# a\n\n   # b\n"]) {
      expect(decode(text), JSON.stringify(text)).toEqual(Either.right({ config: {}, clearsReservations: false }))
      expect(loadDetail(text).detail, JSON.stringify(text)).toBe("loaded")
    }
  })

  it("a document that is not a mapping is rejected", () => {
    for (const text of ["- 1\n", "hello\n", "5\n"]) expect(failure(text), text).not.toEqual(["<decoded without error>"])
  })
})

describe("null values mean absent", () => {
  it("keys with null values are not set; reservations: null is remembered as a clear", () => {
    expect(decode("project: null\nports: ~\noutput_format:\nreservations: null\n")).toEqual(
      Either.right({ config: {}, clearsReservations: true })
    )
    expect(decode("reservations:\n")).toEqual(Either.right({ config: {}, clearsReservations: true }))
    expect(decode("project: x\n")).toEqual(Either.right({ config: { project: "x" }, clearsReservations: false }))
  })

  it("a service written with a null body is not silently dropped from the group", () => {
    // `web: ~` either fails to decode or yields a service `web`; it must never vanish.
    const r = decode("reservations:\n  services:\n    web: ~\n    api: {offset: 1}\n")
    if (Either.isRight(r)) expect(Object.keys(r.right.config.reservations?.services ?? {}).sort()).toEqual(["api", "web"])
  })
})

describe("duplicate keys are parse errors", () => {
  it("at the root and nested, naming the line", () => {
    const root = firstFailure("project: a\nproject: b\n")
    expect(root).toMatch(/\bline 2\b/)
    const nested = firstFailure("ports:\n  min: 5000\n  max: 6000\n  min: 5001\n")
    expect(nested).toMatch(/\bline 4\b/)
    const service = firstFailure("reservations:\n  services:\n    web: {}\n    web: {offset: 1}\n")
    expect(service).toMatch(/\bline 4\b/)
  })
})

describe("unknown keys are rejected at every level", () => {
  const cases: ReadonlyArray<readonly [string, string, number]> = [
    ["root", "project: web\nbogus: 1\n", 2],
    ["ports", "ports:\n  min: 5000\n  bogus: 1\n", 3],
    ["cleanup", "cleanup:\n  expire_after_days: 3\n  bogus: 1\n", 3],
    ["occupancy_check", "occupancy_check:\n  skip: true\n  bogus: true\n", 3],
    ["reservations", "reservations:\n  services:\n    web: {}\n  bogus: 1\n", 4],
    ["a service", "reservations:\n  services:\n    web:\n      offset: 1\n      bogus: 1\n", 5]
  ]
  for (const [level, text, line] of cases) {
    it(`${level}: unknown field \`bogus\`, naming the line`, () => {
      const f = firstFailure(text)
      expect(f).toContain("unknown field `bogus`")
      expect(f).toMatch(new RegExp(`\\bline ${line}\\b`))
    })
  }

  it("a near-miss of a real key is still unknown (no aliases)", () => {
    expect(firstFailure("excluded-ports: [5000]")).toContain("unknown field `excluded-ports`")
    expect(firstFailure("ports:\n  minimum: 5000\n")).toContain("unknown field `minimum`")
    expect(firstFailure("Project: web\n")).toContain("unknown field `Project`")
  })

  it("except inside an excluded_ports {start, end} mapping, where extra keys are ignored", () => {
    expect(config("excluded_ports:\n  - {start: 5000, end: 5001, note: x}\n").excluded_ports).toHaveLength(1)
  })
})

describe("other typing", () => {
  it("output_format is one of json/csv/tsv/table, lowercase", () => {
    for (const f of ["json", "csv", "tsv", "table"] as const) expect(config(`output_format: ${f}`).output_format).toBe(f)
    for (const f of ["JSON", "Table", "xml", "5"]) expect(firstFailure(`output_format: ${f}`), f).toContain("output_format")
  })

  it("ports.min is required inside a ports block; services is required inside reservations", () => {
    expect(firstFailure("ports:\n  max: 6000\n")).toMatch(/missing field `min`/)
    expect(firstFailure("reservations:\n  base: 5000\n")).toMatch(/missing field `services`/)
  })

  it("a scalar where a mapping or list belongs is a type error naming the key and line, in trop's own words", () => {
    for (
      const [text, key] of [
        ["ports: 5\n", "ports"],
        ["excluded_ports: 5\n", "excluded_ports"],
        ["cleanup: x\n", "cleanup"],
        ["occupancy_check: []\n", "occupancy_check"],
        ["reservations: 5\n", "reservations"],
        ["reservations:\n  services: 5\n", "reservations.services"],
        ["reservations:\n  services:\n    web: 5\n", "reservations.services.web"]
      ] as const
    ) {
      const f = firstFailure(text)
      expect(f, text).toContain(key)
      expect(f, text).toMatch(/invalid type/)
      expect(f, text).toMatch(/\bline \d+\b/)
      // Never the internal schema description.
      expect(f, text).not.toMatch(/declaration schema|readonly/)
    }
  })

  it("an excluded_ports {start, end} mapping needs both ports", () => {
    expect(firstFailure("excluded_ports:\n  - {start: 5000}\n")).toContain("excluded_ports")
  })
})

describe("messages (docs/configuration.md)", () => {
  it("a YAML syntax error: validation error for '<file>': Invalid YAML: <message naming the line>", () => {
    const { detail, file } = loadDetail("project: web\nports: [\n  min: 5\n")
    expect(detail.startsWith(`validation error for '${file}': Invalid YAML: `)).toBe(true)
    expect(detail).toMatch(/\bline \d+\b/)
    expect(detail).not.toContain("\n")
  })

  it("a bad indentation error names its line", () => {
    const { detail, file } = loadDetail("project: web\nports:\n  min: 5000\n max: 6000\n")
    expect(detail.startsWith(`validation error for '${file}': Invalid YAML: `)).toBe(true)
    expect(detail).toMatch(/\bline 4\b/)
  })

  it("a schema error: validation error for '<file>': Invalid YAML: <message naming the key and line>", () => {
    const { detail, file } = loadDetail("# header\nproject: web\nbogus: 1\n")
    expect(detail.startsWith(`validation error for '${file}': Invalid YAML: `)).toBe(true)
    expect(detail).toContain("unknown field `bogus`")
    expect(detail).toMatch(/\bline 3\b/)
    const typed = loadDetail("ports:\n  min: \"5000\"\n")
    expect(typed.detail.startsWith(`validation error for '${typed.file}': Invalid YAML: `)).toBe(true)
    expect(typed.detail).toMatch(/\bline 2\b/)
  })

  it("a duplicate key: validation error for '<file>': Invalid YAML: … line", () => {
    const { detail, file } = loadDetail("project: a\n\nproject: b\n")
    expect(detail.startsWith(`validation error for '${file}': Invalid YAML: `)).toBe(true)
    expect(detail).toMatch(/\bline 3\b/)
  })

  it("an unreadable file: invalid path <file>: Failed to read configuration file: <reason>", () => {
    const d = path.join(dir, "a-directory.yaml")
    fs.mkdirSync(d)
    const detail = Either.match(Effect.runSync(Effect.either(Files.load(d, "project"))), {
      onLeft: (e) => e.detail,
      onRight: () => "loaded"
    })
    expect(detail.startsWith(`invalid path ${d}: Failed to read configuration file: `)).toBe(true)
  })

  it("decodeConfig with all: true lists every schema problem, each with its line", () => {
    const problems = failure("bogus: 1\nports:\n  min: -1\noutput_format: XML\n")
    expect(problems).toHaveLength(3)
    expect(problems.map((p) => /\bline (\d+)\b/.exec(p)?.[1])).toEqual(["1", "3", "4"])
  })
})
