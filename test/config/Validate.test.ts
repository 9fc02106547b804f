import { Effect, Either } from "effect"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { afterAll, describe, expect, it } from "vitest"
import * as Files from "../../src/config/Files.js"
import type { FileKind, Problem } from "../../src/config/Validate.js"
import { fileProblems } from "../../src/config/Validate.js"
import { decodeConfig, parseYaml } from "../../src/config/Yaml.js"
import * as EnvName from "../../src/domain/EnvName.js"

/**
 * One fixture per rule of a configuration file (docs/configuration.md: values, identifiers,
 * environment-variable names): the valid edge, the invalid value, and the exact field and message.
 */

/** Every rule violation of one document (what `trop validate` lists). */
const problems = (text: string, kind: FileKind = "project"): ReadonlyArray<Problem> => {
  const decoded = Either.flatMap(parseYaml(text), (p) => decodeConfig(p, { all: true }))
  if (Either.isLeft(decoded)) throw new Error(`fixture does not decode: ${decoded.left.join("; ")}`)
  return fileProblems(decoded.right.config, kind)
}

const one = (field: string, message: string): ReadonlyArray<Problem> => [{ field, message }]

const dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), "trop-validate-")))
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }))
let counter = 0

/** Loads the text as a real file, the way discovery does: the first problem fails, annotated. */
const loadDetail = (text: string, kind: FileKind = "project", name = "trop.yaml"): string => {
  const sub = path.join(dir, String(counter++))
  fs.mkdirSync(sub)
  const p = path.join(sub, name)
  fs.writeFileSync(p, text)
  return Either.match(Effect.runSync(Effect.either(Files.load(p, kind))), {
    onLeft: (e) => e.detail.replaceAll(p, "<file>"),
    onRight: () => "loaded"
  })
}

describe("ports (docs/configuration.md)", () => {
  it("min 1 and max 65535 are valid; max = min is valid", () => {
    expect(problems("ports: {min: 1, max: 65535}")).toEqual([])
    expect(problems("ports: {min: 6000, max: 6000}")).toEqual([])
    expect(problems("ports: {min: 6000}")).toEqual([])
  })

  it("ports.min 0", () => {
    expect(problems("ports: {min: 0}")).toEqual(one("ports.min", "Invalid port number: 0"))
    expect(problems("ports: {min: 0, max: 7000}")).toEqual(one("ports.min", "Invalid port number: 0"))
  })

  it("ports.max 0", () => {
    expect(problems("ports: {min: 5000, max: 0}")).toEqual(one("ports.max", "Invalid port number: 0"))
  })

  it("max < min", () => {
    expect(problems("ports: {min: 6000, max: 5999}")).toEqual(one("ports", "max must be >= min"))
  })

  it("both max and max_offset", () => {
    expect(problems("ports: {min: 5000, max: 6000, max_offset: 5}")).toEqual(one("ports", "Cannot specify both max and max_offset"))
  })

  it("max_offset 0", () => {
    expect(problems("ports: {min: 5000, max_offset: 0}")).toEqual(one("ports.max_offset", "max_offset must be > 0"))
  })

  it("min + max_offset overflow; exactly 65535 is fine", () => {
    expect(problems("ports: {min: 65000, max_offset: 535}")).toEqual([])
    expect(problems("ports: {min: 65000, max_offset: 536}")).toEqual(
      one("ports.max_offset", "Offset 536 would overflow when added to min port 65000")
    )
  })

  it("a loaded file reports the rule annotated with the field and the file", () => {
    expect(loadDetail("ports:\n  min: 6000\n  max: 5000\n")).toBe("validation error for 'ports (<file>)': max must be >= min")
    expect(loadDetail("ports:\n  min: 0\n")).toBe("validation error for 'ports.min (<file>)': Invalid port number: 0")
  })
})

describe("excluded_ports (docs/configuration.md)", () => {
  it("accepts integers, numeric strings, A..B strings (sides trimmed) and {start, end} mappings", () => {
    expect(
      problems(
        'excluded_ports:\n  - 5001\n  - "5002"\n  - "5005..5009"\n  - " 5010 .. 5012 "\n  - "5000..5000"\n  - {start: 6000, end: 6005}\n  - {start: 7000, end: 7000}\n  - 65535\n  - 1\n'
      )
    ).toEqual([])
  })

  it("ignores extra keys inside a {start, end} mapping", () => {
    expect(problems("excluded_ports:\n  - start: 5000\n    end: 5001\n    note: legacy\n    comment: 7\n")).toEqual([])
  })

  it("entries may lie outside the ports range and may overlap", () => {
    expect(problems("ports: {min: 5000, max: 5010}\nexcluded_ports: [9000, 9000, \"8990..9005\", {start: 1, end: 65535}]\n")).toEqual([])
  })

  it("port 0 as an integer or a string: Invalid port: 0", () => {
    expect(problems("excluded_ports: [5001, 0]")).toEqual(one("excluded_ports[1]", "Invalid port: 0"))
    expect(problems('excluded_ports: ["0"]')).toEqual(one("excluded_ports[0]", "Invalid port: 0"))
    expect(problems("excluded_ports: [{start: 0, end: 0}]")).toEqual(one("excluded_ports[0]", "Invalid port: 0"))
  })

  it("Invalid start port: 0 / Invalid end port: 0", () => {
    expect(problems('excluded_ports: ["0..5"]')).toEqual(one("excluded_ports[0]", "Invalid start port: 0"))
    expect(problems("excluded_ports: [{start: 0, end: 5}]")).toEqual(one("excluded_ports[0]", "Invalid start port: 0"))
    expect(problems('excluded_ports: [7, "5..0"]')).toEqual(one("excluded_ports[1]", "Invalid end port: 0"))
    expect(problems("excluded_ports: [{start: 5, end: 0}]")).toEqual(one("excluded_ports[0]", "Invalid end port: 0"))
  })

  it("Invalid range: s..e (end < start)", () => {
    expect(problems('excluded_ports: [1, 2, "9000..8000"]')).toEqual(one("excluded_ports[2]", "Invalid range: 9000..8000 (end < start)"))
    expect(problems("excluded_ports: [{start: 9, end: 8}]")).toEqual(one("excluded_ports[0]", "Invalid range: 9..8 (end < start)"))
  })

  it("every invalid entry is reported with its own index", () => {
    expect(problems('excluded_ports: [0, 5, "0..5", "5..0", "9..8"]')).toEqual([
      { field: "excluded_ports[0]", message: "Invalid port: 0" },
      { field: "excluded_ports[2]", message: "Invalid start port: 0" },
      { field: "excluded_ports[3]", message: "Invalid end port: 0" },
      { field: "excluded_ports[4]", message: "Invalid range: 9..8 (end < start)" }
    ])
  })

  it("a loaded file names the entry and the file", () => {
    expect(loadDetail("excluded_ports:\n  - 5000\n  - 9000..8000\n")).toBe(
      "validation error for 'excluded_ports[1] (<file>)': Invalid range: 9000..8000 (end < start)"
    )
  })
})

describe("cleanup and lock wait (docs/configuration.md)", () => {
  it("expire_after_days 0 → Must be > 0; 1 is fine", () => {
    expect(problems("cleanup: {expire_after_days: 1}")).toEqual([])
    expect(problems("cleanup: {expire_after_days: 0}")).toEqual(one("cleanup.expire_after_days", "Must be > 0"))
  })

  it("maximum_lock_wait_seconds: 0 and 2147483 are fine, 2147484 is not", () => {
    expect(problems("maximum_lock_wait_seconds: 0")).toEqual([])
    expect(problems("maximum_lock_wait_seconds: 2147483")).toEqual([])
    expect(problems("maximum_lock_wait_seconds: 2147484")).toEqual(
      one("maximum_lock_wait_seconds", "Timeout must not exceed 2147483 seconds")
    )
    expect(loadDetail("maximum_lock_wait_seconds: 99999999\n", "user", "config.yaml")).toBe(
      "validation error for 'maximum_lock_wait_seconds (<file>)': Timeout must not exceed 2147483 seconds"
    )
  })
})

describe("project (docs/configuration.md)", () => {
  it("is valid in project files, trimmed to at most 255 bytes", () => {
    expect(problems("project: web")).toEqual([])
    expect(problems(`project: "  ${"x".repeat(255)}  "`)).toEqual([])
  })

  it("is forbidden in the user config.yaml", () => {
    expect(problems("project: web", "user")).toEqual(
      one("project", "project is only valid in trop.yaml/trop.local.yaml, not user config.yaml")
    )
    expect(loadDetail("project: web\n", "user", "config.yaml")).toBe(
      "validation error for 'project (<file>)': project is only valid in trop.yaml/trop.local.yaml, not user config.yaml"
    )
  })

  it("identifier rules: blank, NUL, more than 255 bytes", () => {
    expect(problems('project: "   "')).toEqual(one("project", "Cannot be empty or only whitespace"))
    expect(problems('project: ""')).toEqual(one("project", "Cannot be empty or only whitespace"))
    expect(problems('project: "a\\0b"')).toEqual(one("project", "Cannot contain null bytes"))
    expect(problems(`project: "${"x".repeat(256)}"`)).toEqual(one("project", "Cannot exceed 255 characters"))
    // Bytes, not characters: 128 two-byte characters are 256 bytes.
    expect(problems(`project: "${"é".repeat(128)}"`)).toEqual(one("project", "Cannot exceed 255 characters"))
    expect(problems(`project: "${"é".repeat(127)}"`)).toEqual([])
  })
})

describe("reservations (docs/configuration.md)", () => {
  it("is forbidden in the user config.yaml", () => {
    expect(problems("reservations:\n  services:\n    web: {}\n", "user")).toEqual(
      one("reservations", "reservations are only valid in trop.yaml/trop.local.yaml, not user config.yaml")
    )
  })

  it("base 0 → reservations.base: Invalid port: 0", () => {
    expect(problems("reservations:\n  base: 1\n  services:\n    web: {}\n")).toEqual([])
    expect(problems("reservations:\n  base: 0\n  services:\n    web: {}\n")).toEqual(one("reservations.base", "Invalid port: 0"))
  })

  it("service tags follow the identifier rules (field reservations.services.tag)", () => {
    expect(problems('reservations:\n  services:\n    "   ": {env: A}\n')).toEqual(
      one("reservations.services.tag", "Cannot be empty or only whitespace")
    )
    expect(problems(`reservations:\n  services:\n    "${"x".repeat(256)}": {env: A}\n`)).toEqual(
      one("reservations.services.tag", "Cannot exceed 255 characters")
    )
    expect(problems('reservations:\n  services:\n    "a\\0b": {env: A}\n')).toEqual(
      one("reservations.services.tag", "Cannot contain null bytes")
    )
  })

  it("service tags must be unique after trimming", () => {
    expect(problems('reservations:\n  services:\n    web: {env: WEB}\n    " web ": {env: WEB2, offset: 1}\n')).toEqual(
      one("reservations.services.tag", "Service tags must be unique after trimming whitespace")
    )
  })

  it("duplicate offsets, including two services without offset", () => {
    expect(problems("reservations:\n  services:\n    web: {offset: 3}\n    api: {offset: 3}\n")).toEqual(
      one("reservations.services.offset", "Duplicate offset: 3")
    )
    expect(problems("reservations:\n  services:\n    web: {}\n    api: {}\n")).toEqual(
      one("reservations.services.offset", "Duplicate offset: 0")
    )
    expect(problems("reservations:\n  services:\n    web: {}\n    api: {offset: 0}\n")).toEqual(
      one("reservations.services.offset", "Duplicate offset: 0")
    )
    // A preferred port does not exempt a service from the offset fallback.
    expect(problems("reservations:\n  services:\n    web: {preferred: 8080}\n    api: {}\n")).toEqual(
      one("reservations.services.offset", "Duplicate offset: 0")
    )
    expect(problems("reservations:\n  services:\n    web: {}\n    api: {offset: 1}\n")).toEqual([])
  })

  it("preferred 0 and duplicate preferred ports", () => {
    expect(problems("reservations:\n  services:\n    web: {preferred: 0}\n")).toEqual(
      one("reservations.services.preferred", "Invalid port: 0")
    )
    expect(problems("reservations:\n  services:\n    web: {preferred: 8080}\n    api: {preferred: 8080, offset: 1}\n")).toEqual(
      one("reservations.services.preferred", "Duplicate preferred port: 8080")
    )
    // Outside the range and excluded is fine.
    expect(problems("ports: {min: 5000, max: 5001}\nexcluded_ports: [9090]\nreservations:\n  services:\n    web: {preferred: 9090}\n"))
      .toEqual([])
  })
})

describe("environment-variable names (docs/concepts.md)", () => {
  const withEnv = (env: string) => problems(`reservations:\n  services:\n    web: {env: ${env}}\n`)

  it("explicit env: valid names", () => {
    for (const env of ["A", "_", "WEB_PORT", "web_port", "_9", `"${"A".repeat(255)}"`]) expect(withEnv(env), env).toEqual([])
  })

  it("explicit env: each message", () => {
    expect(withEnv('""')).toEqual(one("reservations.services.env", "must not be empty and must match [A-Za-z_][A-Za-z0-9_]*"))
    expect(withEnv(`"${"A".repeat(256)}"`)).toEqual(one("reservations.services.env", "must not exceed 255 bytes"))
    expect(withEnv(`"${"É".repeat(128)}"`)).toEqual(one("reservations.services.env", "must not exceed 255 bytes"))
    expect(withEnv('"1ABC"')).toEqual(one("reservations.services.env", "must start with an ASCII letter or underscore"))
    expect(withEnv('"-A"')).toEqual(one("reservations.services.env", "must start with an ASCII letter or underscore"))
    expect(withEnv('"AB-C"')).toEqual(one("reservations.services.env", "must contain only ASCII letters, digits, and underscores"))
    expect(withEnv('"A B"')).toEqual(one("reservations.services.env", "must contain only ASCII letters, digits, and underscores"))
    expect(withEnv('"AÉ"')).toEqual(one("reservations.services.env", "must contain only ASCII letters, digits, and underscores"))
  })

  it("derived names: api-v2, -web and web--server are portable", () => {
    expect(problems("reservations:\n  services:\n    api-v2: {}\n    -web: {offset: 1}\n    web--server: {offset: 2}\n")).toEqual([])
    expect(EnvName.derive("api-v2")).toEqual(Either.right("API_V2"))
    expect(EnvName.derive("-web")).toEqual(Either.right("_WEB"))
    expect(EnvName.derive("web--server")).toEqual(Either.right("WEB__SERVER"))
  })

  it("derived names: 123-api, api.server, 'api server', ß and ' web ' fail", () => {
    const derivation = one(
      "reservations.services.tag",
      "service tag cannot be converted to a portable environment-variable name; provide an explicit valid env mapping"
    )
    for (const tag of ['"123-api"', '"api.server"', '"api server"', '"ß"', '" web "']) {
      expect(problems(`reservations:\n  services:\n    ${tag}: {}\n`), tag).toEqual(derivation)
      // An explicit env makes the same tag usable.
      expect(problems(`reservations:\n  services:\n    ${tag}: {env: OK}\n`), tag).toEqual([])
    }
    for (const tag of ["123-api", "api.server", "api server", "ß", " web "]) expect(Either.isLeft(EnvName.derive(tag)), tag).toBe(true)
  })

  it("messages never echo the offending name or tag", () => {
    const text = 'reservations:\n  services:\n    "evil$(rm)": {}\n    x: {env: "ZZ$(id)", offset: 1}\n'
    for (const p of problems(text)) {
      expect(p.message).not.toContain("evil")
      expect(p.message).not.toContain("ZZ")
    }
    expect(problems(text)).toHaveLength(2)
  })

  it("resolved names must be unique ignoring ASCII case (explicit and derived alike)", () => {
    const unique = one("reservations.services.env", "resolved environment-variable names must be unique when compared without ASCII case")
    expect(problems("reservations:\n  services:\n    web: {env: Web_Port}\n    api: {env: WEB_PORT, offset: 1}\n")).toEqual(unique)
    expect(problems("reservations:\n  services:\n    api-v2: {}\n    api_v2: {offset: 1}\n")).toEqual(unique)
    expect(problems("reservations:\n  services:\n    web: {}\n    api: {env: wEb, offset: 1}\n")).toEqual(unique)
    expect(problems("reservations:\n  services:\n    web: {env: WEB}\n    api: {env: WEB1, offset: 1}\n")).toEqual([])
  })
})

describe("loading stops at the first problem; validate-style checking lists them all", () => {
  const text = "ports:\n  min: 0\nexcluded_ports: [0]\ncleanup:\n  expire_after_days: 0\n"

  it("fileProblems lists every problem", () => {
    expect(problems(text)).toEqual([
      { field: "ports.min", message: "Invalid port number: 0" },
      { field: "excluded_ports[0]", message: "Invalid port: 0" },
      { field: "cleanup.expire_after_days", message: "Must be > 0" }
    ])
  })

  it("Files.load reports exactly one, annotated", () => {
    expect(loadDetail(text)).toBe("validation error for 'ports.min (<file>)': Invalid port number: 0")
  })

  it("a valid file loads", () => {
    expect(loadDetail("project: web\nports: {min: 5000, max: 5100}\n")).toBe("loaded")
  })
})
