import { describe, it } from "@effect/vitest"
import { Either, Option } from "effect"
import fc from "fast-check"
import { expect } from "vitest"
import type { CommandLineSettings } from "../../src/config/CommandLine.js"
import type { Environment } from "../../src/config/Env.js"
import { resolve } from "../../src/config/Resolve.js"
import type { Settings } from "../../src/config/Settings.js"

/** The effective settings for this environment (defaults < env < command line). */
const settingsOf = (env: Environment, commandLine: CommandLineSettings = {}): Settings =>
  Either.getOrThrowWith(resolve({ env, commandLine }), (e) => new Error(`unexpected failure: ${e.detail}`))

/** The configuration error detail (what follows `Configuration error: `). */
const failureOf = (env: Environment, commandLine: CommandLineSettings = {}): string =>
  Either.match(resolve({ env, commandLine }), {
    onLeft: (e) => e.detail,
    onRight: () => "resolved without error"
  })

const invalidBoolean = (variable: string, value: string) =>
  `validation error for '${variable}': Invalid boolean value: '${value}' (expected true/false/1/0/yes/no/on/off)`

describe("booleans (docs/configuration.md)", () => {
  const TRUE = ["true", "1", "yes", "on", "TRUE", "True", "YES", "On", "oN"]
  const FALSE = ["false", "0", "no", "off", "FALSE", "False", "NO", "OFF"]

  it("accept true|1|yes|on and false|0|no|off in any case", () => {
    for (const v of TRUE) expect(settingsOf({ TROP_DISABLE_AUTOPRUNE: v }).disableAutoprune, v).toBe(true)
    for (const v of FALSE) expect(settingsOf({ TROP_DISABLE_AUTOPRUNE: v }).disableAutoprune, v).toBe(false)
  })

  it("map every boolean variable to its setting", () => {
    const s = settingsOf({
      TROP_DISABLE_AUTOINIT: "1",
      TROP_DISABLE_AUTOPRUNE: "1",
      TROP_DISABLE_AUTOEXPIRE: "1",
      TROP_ALLOW_UNRELATED_PATH: "1",
      TROP_SKIP_UDP: "yes",
      TROP_SKIP_IPV6: "on",
      TROP_CHECK_ALL_INTERFACES: "true"
    })
    expect([s.disableAutoinit, s.disableAutoprune, s.disableAutoexpire, s.allowUnrelatedPath]).toEqual([true, true, true, true])
    expect(s.occupancy).toEqual({ skipTcp: false, skipUdp: true, skipIpv4: false, skipIpv6: true, checkAllInterfaces: true })
    expect(settingsOf({ TROP_SKIP_OCCUPANCY_CHECK: "1" }).occupancy).toEqual({
      skipTcp: true,
      skipUdp: true,
      skipIpv4: true,
      skipIpv6: true,
      checkAllInterfaces: false
    })
    expect(settingsOf({ TROP_SKIP_TCP: "1", TROP_SKIP_IPV4: "1" }).occupancy).toEqual({
      skipTcp: true,
      skipUdp: false,
      skipIpv4: true,
      skipIpv6: false,
      checkAllInterfaces: false
    })
  })

  it("refuse anything else, including the empty string, naming the variable", () => {
    expect(failureOf({ TROP_DISABLE_AUTOPRUNE: "maybe" })).toBe(invalidBoolean("TROP_DISABLE_AUTOPRUNE", "maybe"))
    expect(failureOf({ TROP_ALLOW_CHANGE: "" })).toBe(invalidBoolean("TROP_ALLOW_CHANGE", ""))
    expect(failureOf({ TROP_SKIP_TCP: " true" })).toBe(invalidBoolean("TROP_SKIP_TCP", " true"))
    expect(failureOf({ TROP_CHECK_ALL_INTERFACES: "2" })).toBe(invalidBoolean("TROP_CHECK_ALL_INTERFACES", "2"))
  })

  it("allow_change folds into both permissions (docs/configuration.md)", () => {
    const s = settingsOf({ TROP_ALLOW_CHANGE: "1" })
    expect([s.allowProjectChange, s.allowTaskChange]).toEqual([true, true])
    const p = settingsOf({ TROP_ALLOW_PROJECT_CHANGE: "1" })
    expect([p.allowProjectChange, p.allowTaskChange]).toEqual([true, false])
    const t = settingsOf({ TROP_ALLOW_TASK_CHANGE: "1" })
    expect([t.allowProjectChange, t.allowTaskChange]).toEqual([false, true])
  })
})

describe("aliases (docs/configuration.md): the canonical name wins; errors name the variable read", () => {
  it("TROP_ALLOW_CHANGE_PROJECT / TROP_ALLOW_CHANGE_TASK", () => {
    expect(settingsOf({ TROP_ALLOW_CHANGE_PROJECT: "yes" }).allowProjectChange).toBe(true)
    expect(settingsOf({ TROP_ALLOW_CHANGE_TASK: "yes" }).allowTaskChange).toBe(true)
    expect(settingsOf({ TROP_ALLOW_PROJECT_CHANGE: "false", TROP_ALLOW_CHANGE_PROJECT: "true" }).allowProjectChange).toBe(false)
    expect(settingsOf({ TROP_ALLOW_TASK_CHANGE: "false", TROP_ALLOW_CHANGE_TASK: "true" }).allowTaskChange).toBe(false)
    expect(failureOf({ TROP_ALLOW_CHANGE_PROJECT: "x" })).toBe(invalidBoolean("TROP_ALLOW_CHANGE_PROJECT", "x"))
    // The alias is not even read when the canonical name is set.
    expect(settingsOf({ TROP_ALLOW_TASK_CHANGE: "1", TROP_ALLOW_CHANGE_TASK: "x" }).allowTaskChange).toBe(true)
  })

  it("TROP_MAXIMUM_LOCK_WAIT_SECONDS for TROP_BUSY_TIMEOUT", () => {
    expect(settingsOf({ TROP_MAXIMUM_LOCK_WAIT_SECONDS: "9" }).busyTimeoutSeconds).toBe(9)
    expect(settingsOf({ TROP_BUSY_TIMEOUT: "3", TROP_MAXIMUM_LOCK_WAIT_SECONDS: "9" }).busyTimeoutSeconds).toBe(3)
    expect(failureOf({ TROP_MAXIMUM_LOCK_WAIT_SECONDS: "soon" })).toBe(
      "validation error for 'TROP_MAXIMUM_LOCK_WAIT_SECONDS': Must be a positive integer"
    )
    expect(failureOf({ TROP_BUSY_TIMEOUT: "soon", TROP_MAXIMUM_LOCK_WAIT_SECONDS: "9" })).toBe(
      "validation error for 'TROP_BUSY_TIMEOUT': Must be a positive integer"
    )
  })
})

describe("port range variables", () => {
  it("TROP_PORT_MIN sets min and keeps the default max", () => {
    expect(settingsOf({ TROP_PORT_MIN: "6000" }).range).toEqual({ min: 6000, max: 7000 })
    expect(settingsOf({ TROP_PORT_MIN: "+6000" }).range).toEqual({ min: 6000, max: 7000 })
  })

  it("TROP_PORT_MAX sets max; TROP_PORT_MAX_OFFSET sets max = min + offset", () => {
    expect(settingsOf({ TROP_PORT_MAX: "9000" }).range).toEqual({ min: 5000, max: 9000 })
    expect(settingsOf({ TROP_PORT_MIN: "8000", TROP_PORT_MAX_OFFSET: "10" }).range).toEqual({ min: 8000, max: 8010 })
  })

  it("TROP_PORT_MAX_OFFSET is applied after TROP_PORT_MAX, so it wins", () => {
    expect(settingsOf({ TROP_PORT_MAX: "9000", TROP_PORT_MAX_OFFSET: "5" }).range).toEqual({ min: 5000, max: 5005 })
    expect(settingsOf({ TROP_PORT_MAX_OFFSET: "5", TROP_PORT_MAX: "9000" }).range).toEqual({ min: 5000, max: 5005 })
  })

  it("parse errors are un-annotated", () => {
    expect(failureOf({ TROP_PORT_MIN: "abc" })).toBe("validation error for 'TROP_PORT_MIN': Invalid port number")
    expect(failureOf({ TROP_PORT_MAX: "70000" })).toBe("validation error for 'TROP_PORT_MAX': Invalid port number")
    expect(failureOf({ TROP_PORT_MAX: " 6000" })).toBe("validation error for 'TROP_PORT_MAX': Invalid port number")
    expect(failureOf({ TROP_PORT_MIN: "" })).toBe("validation error for 'TROP_PORT_MIN': Invalid port number")
    expect(failureOf({ TROP_PORT_MAX_OFFSET: "-1" })).toBe("validation error for 'TROP_PORT_MAX_OFFSET': Invalid port offset")
    expect(failureOf({ TROP_PORT_MAX_OFFSET: "65536" })).toBe(
      "validation error for 'TROP_PORT_MAX_OFFSET': Invalid port offset"
    )
  })

  it("values that parse but fail validation are annotated with the variable", () => {
    expect(failureOf({ TROP_PORT_MIN: "0" })).toBe(
      "validation error for 'ports.min (TROP_PORT_MIN)': Invalid port number: 0"
    )
    expect(failureOf({ TROP_PORT_MIN: "8000" })).toBe("validation error for 'ports (TROP_PORT_MIN)': max must be >= min")
    expect(failureOf({ TROP_PORT_MAX: "0" })).toBe("validation error for 'ports.max (TROP_PORT_MAX)': Invalid port number: 0")
    expect(failureOf({ TROP_PORT_MAX_OFFSET: "0" })).toBe(
      "validation error for 'ports.max_offset (TROP_PORT_MAX_OFFSET)': max_offset must be > 0"
    )
    expect(failureOf({ TROP_PORT_MIN: "65000", TROP_PORT_MAX_OFFSET: "536" })).toBe(
      "validation error for 'ports.max_offset (TROP_PORT_MAX_OFFSET)': Offset 536 would overflow when added to min port 65000"
    )
    expect(settingsOf({ TROP_PORT_MIN: "65000", TROP_PORT_MAX_OFFSET: "535" }).range).toEqual({ min: 65000, max: 65535 })
  })
})

describe("TROP_EXCLUDED_PORTS", () => {
  it("splits on commas, trims items, skips empty items, reads N and A..B", () => {
    expect(settingsOf({ TROP_EXCLUDED_PORTS: " 5001 , ,5005..5009,, 6000..6000 ," }).exclusions).toEqual([
      { start: 5001, end: 5001 },
      { start: 5005, end: 5009 },
      { start: 6000, end: 6000 }
    ])
    expect(settingsOf({ TROP_EXCLUDED_PORTS: "" }).exclusions).toEqual([])
    expect(settingsOf({ TROP_EXCLUDED_PORTS: " , " }).exclusions).toEqual([])
    // Entries may lie outside the range.
    expect(settingsOf({ TROP_EXCLUDED_PORTS: "80,65535" }).exclusions).toEqual([
      { start: 80, end: 80 },
      { start: 65535, end: 65535 }
    ])
  })

  it("reports items that do not parse", () => {
    expect(failureOf({ TROP_EXCLUDED_PORTS: "5001,abc" })).toBe(
      "validation error for 'TROP_EXCLUDED_PORTS': Invalid port: abc"
    )
    expect(failureOf({ TROP_EXCLUDED_PORTS: "70000" })).toBe(
      "validation error for 'TROP_EXCLUDED_PORTS': Invalid port: 70000"
    )
    expect(failureOf({ TROP_EXCLUDED_PORTS: "5005..x" })).toBe(
      "validation error for 'TROP_EXCLUDED_PORTS': Invalid port in range: 5005..x"
    )
    // The sides of a range are not trimmed.
    expect(failureOf({ TROP_EXCLUDED_PORTS: "5005 ..5009" })).toBe(
      "validation error for 'TROP_EXCLUDED_PORTS': Invalid port in range: 5005 ..5009"
    )
    // Split at the first `..`: the rest is the end side.
    expect(failureOf({ TROP_EXCLUDED_PORTS: "1..2..3" })).toBe(
      "validation error for 'TROP_EXCLUDED_PORTS': Invalid port in range: 1..2..3"
    )
  })

  it("entries that parse but are invalid fail validation with their index and the variable", () => {
    expect(failureOf({ TROP_EXCLUDED_PORTS: "5001, 0" })).toBe(
      "validation error for 'excluded_ports[1] (TROP_EXCLUDED_PORTS)': Invalid port: 0"
    )
    expect(failureOf({ TROP_EXCLUDED_PORTS: "5009..5005" })).toBe(
      "validation error for 'excluded_ports[0] (TROP_EXCLUDED_PORTS)': Invalid range: 5009..5005 (end < start)"
    )
    expect(failureOf({ TROP_EXCLUDED_PORTS: "0..5" })).toBe(
      "validation error for 'excluded_ports[0] (TROP_EXCLUDED_PORTS)': Invalid start port: 0"
    )
  })
})

describe("numbers: expire days and busy timeout", () => {
  it("TROP_EXPIRE_AFTER_DAYS", () => {
    expect(settingsOf({ TROP_EXPIRE_AFTER_DAYS: "7" }).expireAfterDays).toBe(7)
    expect(failureOf({ TROP_EXPIRE_AFTER_DAYS: "seven" })).toBe(
      "validation error for 'TROP_EXPIRE_AFTER_DAYS': Must be a positive integer"
    )
    expect(failureOf({ TROP_EXPIRE_AFTER_DAYS: "0" })).toBe(
      "validation error for 'cleanup.expire_after_days (TROP_EXPIRE_AFTER_DAYS)': Must be > 0"
    )
  })

  it("TROP_BUSY_TIMEOUT: 0 is allowed, above 2147483 fails validation", () => {
    expect(settingsOf({ TROP_BUSY_TIMEOUT: "0" }).busyTimeoutSeconds).toBe(0)
    expect(settingsOf({ TROP_BUSY_TIMEOUT: "2147483" }).busyTimeoutSeconds).toBe(2147483)
    expect(failureOf({ TROP_BUSY_TIMEOUT: "2147484" })).toBe(
      "validation error for 'maximum_lock_wait_seconds (TROP_BUSY_TIMEOUT)': Timeout must not exceed 2147483 seconds"
    )
    expect(failureOf({ TROP_MAXIMUM_LOCK_WAIT_SECONDS: "4294967296" })).toBe(
      "validation error for 'maximum_lock_wait_seconds (TROP_MAXIMUM_LOCK_WAIT_SECONDS)': Timeout must not exceed 2147483 seconds"
    )
    expect(failureOf({ TROP_BUSY_TIMEOUT: "" })).toBe("validation error for 'TROP_BUSY_TIMEOUT': Must be a positive integer")
    expect(failureOf({ TROP_BUSY_TIMEOUT: "1.5" })).toBe("validation error for 'TROP_BUSY_TIMEOUT': Must be a positive integer")
  })
})

describe("TROP_OUTPUT_FORMAT", () => {
  it("is case-insensitive", () => {
    expect(settingsOf({ TROP_OUTPUT_FORMAT: "JSON" }).outputFormat).toBe("json")
    expect(settingsOf({ TROP_OUTPUT_FORMAT: "Csv" }).outputFormat).toBe("csv")
    expect(settingsOf({ TROP_OUTPUT_FORMAT: "tsv" }).outputFormat).toBe("tsv")
    expect(settingsOf({}).outputFormat).toBe("table")
  })

  it("refuses other values, including empty", () => {
    expect(failureOf({ TROP_OUTPUT_FORMAT: "xml" })).toBe(
      "validation error for 'TROP_OUTPUT_FORMAT': Invalid output format: 'xml' (expected table/json/csv/tsv)"
    )
    expect(failureOf({ TROP_OUTPUT_FORMAT: "" })).toBe(
      "validation error for 'TROP_OUTPUT_FORMAT': Invalid output format: '' (expected table/json/csv/tsv)"
    )
  })
})

describe("TROP_PROJECT and TROP_TASK are raw, validated with the merged configuration", () => {
  it("are trimmed", () => {
    const s = settingsOf({ TROP_PROJECT: "  web ", TROP_TASK: " t1 " })
    expect(s.project).toEqual(Option.some("web"))
    expect(s.task).toEqual(Option.some("t1"))
  })

  it("an empty TROP_TASK fails validation, annotated with the variable", () => {
    expect(failureOf({ TROP_TASK: "" })).toBe(
      "validation error for 'task (TROP_TASK)': Cannot be empty or only whitespace"
    )
    expect(failureOf({ TROP_PROJECT: "   " })).toBe(
      "validation error for 'project (TROP_PROJECT)': Cannot be empty or only whitespace"
    )
    expect(failureOf({ TROP_PROJECT: "a\0b" })).toBe("validation error for 'project (TROP_PROJECT)': Cannot contain null bytes")
    expect(failureOf({ TROP_TASK: "x".repeat(256) })).toBe("validation error for 'task (TROP_TASK)': Cannot exceed 255 characters")
  })

  it("an invalid variable fails even when nothing uses it (no partial configuration)", () => {
    expect(Either.isLeft(resolve({ env: { TROP_OUTPUT_FORMAT: "xml", TROP_PORT_MIN: "5100" }, commandLine: {} }))).toBe(true)
  })
})

describe("unset variables leave the defaults", () => {
  it.prop(
    "variables without the TROP_ prefix are ignored",
    [fc.dictionary(fc.stringMatching(/^[A-Z]{1,8}$/), fc.string({ maxLength: 5 }))],
    ([env]) => {
      expect(resolve({ env, commandLine: {} })).toEqual(resolve({ env: {}, commandLine: {} }))
    },
    { fastCheck: { numRuns: 50 } }
  )
})
