import { describe, it } from "@effect/vitest"
import { Either, Option } from "effect"
import fc from "fast-check"
import { expect } from "vitest"
import type { CommandLineSettings } from "../../src/config/CommandLine.js"
import * as CommandLine from "../../src/config/CommandLine.js"
import type { ConfigLayer, Merged } from "../../src/config/Effective.js"
import { addExclusions, defaults, merge, setMax, setMaxOffset, setMin, validate } from "../../src/config/Effective.js"
import type { Environment } from "../../src/config/Env.js"
import * as Env from "../../src/config/Env.js"
import { resolve } from "../../src/config/Resolve.js"
import type { Settings } from "../../src/config/Settings.js"

/** An `excluded_ports` entry as written (before validation). */
type ExclusionEntry = Parameters<typeof addExclusions>[1][number]

const FILE = "/abs/trop.yaml"
const LOCAL = "/abs/trop.local.yaml"

const envLayer = (env: Environment): ConfigLayer =>
  Either.getOrThrowWith(Env.layer(env), (e) => new Error(`unexpected env failure: ${e.detail}`))

const detail = (m: Merged): string =>
  Either.match(validate(m), { onLeft: (e) => e.detail, onRight: () => "validated without error" })

const valid = (m: Merged): Settings => Either.getOrThrowWith(validate(m), (e) => new Error(`unexpected: ${e.detail}`))

describe("validate: messages and sources (docs/configuration.md)", () => {
  it("built-in defaults validate to the documented values", () => {
    const s = valid(defaults)
    expect(s.range).toEqual({ min: 5000, max: 7000 })
    expect(s.exclusions).toEqual([])
    expect(s.expireAfterDays).toBe(30)
    expect(s.busyTimeoutSeconds).toBe(5)
    expect(s.outputFormat).toBe("table")
    expect(s.project).toEqual(Option.none())
    expect(s.task).toEqual(Option.none())
    expect(s.occupancy).toEqual({ skipTcp: false, skipUdp: false, skipIpv4: false, skipIpv6: false, checkAllInterfaces: false })
    expect([s.allowUnrelatedPath, s.allowProjectChange, s.allowTaskChange]).toEqual([false, false, false])
  })

  it("ports rules name the field and the latest layer that set min, max or max_offset", () => {
    expect(detail(setMin(defaults, 0, FILE))).toBe(`validation error for 'ports.min (${FILE})': Invalid port number: 0`)
    expect(detail(setMin(defaults, 8000, FILE))).toBe(`validation error for 'ports (${FILE})': max must be >= min`)
    expect(detail(setMax(defaults, 0, FILE))).toBe(`validation error for 'ports.max (${FILE})': Invalid port number: 0`)
    expect(detail(setMaxOffset(defaults, 0, FILE))).toBe(
      `validation error for 'ports.max_offset (${FILE})': max_offset must be > 0`
    )
    expect(detail(setMaxOffset(setMin(defaults, 65000, FILE), 600, LOCAL))).toBe(
      `validation error for 'ports.max_offset (${LOCAL})': Offset 600 would overflow when added to min port 65000`
    )
    const both: Merged = { ...defaults, ports: { min: 5000, max: Option.some(6000), maxOffset: Option.some(5), source: FILE } }
    expect(detail(both)).toBe(`validation error for 'ports (${FILE})': Cannot specify both max and max_offset`)
    // A cross-layer inconsistency is reported against the layer that set the last ports leaf.
    expect(detail(setMax(setMin(defaults, 6000, FILE), 5500, "TROP_PORT_MAX"))).toBe(
      "validation error for 'ports (TROP_PORT_MAX)': max must be >= min"
    )
    expect(valid(setMax(setMin(defaults, 6000, FILE), 6000, LOCAL)).range).toEqual({ min: 6000, max: 6000 })
  })

  it("excluded_ports entries are checked with their index within their own source", () => {
    const m = addExclusions(
      addExclusions(defaults, [{ start: 5001, end: 5001 }, { start: 5005, end: 5009 }], FILE),
      [{ start: 6000, end: 6000 }, { start: 9000, end: 8000 }],
      LOCAL
    )
    expect(detail(m)).toBe(`validation error for 'excluded_ports[1] (${LOCAL})': Invalid range: 9000..8000 (end < start)`)
    const messages = (entry: ExclusionEntry) => detail(addExclusions(defaults, [entry], FILE))
    expect(messages({ start: 0, end: 0 })).toBe(`validation error for 'excluded_ports[0] (${FILE})': Invalid port: 0`)
    expect(messages({ start: 0, end: 5 })).toBe(`validation error for 'excluded_ports[0] (${FILE})': Invalid start port: 0`)
    expect(messages({ start: 5, end: 0 })).toBe(`validation error for 'excluded_ports[0] (${FILE})': Invalid end port: 0`)
    expect(valid(addExclusions(defaults, [{ start: 5000, end: 5000 }], FILE)).exclusions).toEqual([{ start: 5000, end: 5000 }])
  })

  it("expire_after_days, lock wait and identifiers", () => {
    expect(detail({ ...defaults, expireAfterDays: { value: 0, source: FILE } })).toBe(
      `validation error for 'cleanup.expire_after_days (${FILE})': Must be > 0`
    )
    expect(detail({ ...defaults, maximumLockWaitSeconds: { value: 2147484, source: FILE } })).toBe(
      `validation error for 'maximum_lock_wait_seconds (${FILE})': Timeout must not exceed 2147483 seconds`
    )
    expect(detail({ ...defaults, project: Option.some({ value: " ", source: LOCAL }) })).toBe(
      `validation error for 'project (${LOCAL})': Cannot be empty or only whitespace`
    )
  })
})

describe("command line over environment (docs/configuration.md)", () => {
  const resolved = (env: Environment, commandLine: CommandLineSettings) =>
    Either.getOrThrowWith(resolve({ env, commandLine }), (e) => new Error(e.detail))
  const failure = (env: Environment, commandLine: CommandLineSettings) =>
    Either.match(resolve({ env, commandLine }), { onLeft: (e) => e.detail, onRight: () => "resolved" })

  it("scalars: the command line replaces the environment", () => {
    const s = resolved(
      { TROP_PORT_MIN: "6000", TROP_PROJECT: "env-project", TROP_TASK: "env-task", TROP_BUSY_TIMEOUT: "9", TROP_OUTPUT_FORMAT: "csv", TROP_EXPIRE_AFTER_DAYS: "3" },
      { min: 5500, project: "cli-project", task: "cli-task", busyTimeoutSeconds: 1, outputFormat: "json", expireAfterDays: 4 }
    )
    expect(s.range).toEqual({ min: 5500, max: 7000 })
    expect(s.project).toEqual(Option.some("cli-project"))
    expect(s.task).toEqual(Option.some("cli-task"))
    expect(s.busyTimeoutSeconds).toBe(1)
    expect(s.outputFormat).toBe("json")
    expect(s.expireAfterDays).toBe(4)
  })

  it("--clear-project and --clear-task win over the environment", () => {
    const s = resolved({ TROP_PROJECT: "p", TROP_TASK: "t" }, { clearProject: true, clearTask: true })
    expect(s.project).toEqual(Option.none())
    expect(s.task).toEqual(Option.none())
    // A clear also removes an invalid environment value from validation.
    expect(resolved({ TROP_TASK: "" }, { clearTask: true }).task).toEqual(Option.none())
  })

  it("--max sets max and clears the environment's offset; --min alone keeps the inherited offset", () => {
    expect(resolved({ TROP_PORT_MAX_OFFSET: "10" }, { max: 9000 }).range).toEqual({ min: 5000, max: 9000 })
    expect(resolved({ TROP_PORT_MIN: "6000", TROP_PORT_MAX_OFFSET: "10" }, { min: 7000 }).range).toEqual({ min: 7000, max: 7010 })
  })

  it("boolean flags can only turn a setting on", () => {
    expect(resolved({ TROP_ALLOW_UNRELATED_PATH: "true" }, { allowUnrelatedPath: false }).allowUnrelatedPath).toBe(true)
    expect(resolved({ TROP_DISABLE_AUTOPRUNE: "false" }, { disableAutoprune: true }).disableAutoprune).toBe(true)
    expect(resolved({ TROP_SKIP_TCP: "1" }, { occupancy: { skip_udp: true, skip_tcp: false } }).occupancy).toEqual({
      skipTcp: true,
      skipUdp: true,
      skipIpv4: false,
      skipIpv6: false,
      checkAllInterfaces: false
    })
  })

  it("validation errors name <command line> when the command line won the field", () => {
    expect(failure({}, { min: 8000 })).toBe("validation error for 'ports (<command line>)': max must be >= min")
    expect(failure({}, { project: "  " })).toBe(
      "validation error for 'project (<command line>)': Cannot be empty or only whitespace"
    )
    expect(failure({ TROP_BUSY_TIMEOUT: "1" }, { busyTimeoutSeconds: 2147484 })).toBe(
      "validation error for 'maximum_lock_wait_seconds (<command line>)': Timeout must not exceed 2147483 seconds"
    )
    expect(failure({}, { expireAfterDays: 0 })).toBe(
      "validation error for 'cleanup.expire_after_days (<command line>)': Must be > 0"
    )
    // The command line fixes what the environment broke: --min below the env's max.
    expect(resolved({ TROP_PORT_MAX: "4000" }, { min: 3000 }).range).toEqual({ min: 3000, max: 4000 })
  })

  it("a higher layer's false overrides a lower true (docs/configuration.md)", () => {
    const file: ConfigLayer = (m) => ({ ...m, allowChange: true, allowUnrelatedPath: true })
    const s = valid(merge([file, envLayer({ TROP_ALLOW_CHANGE: "false", TROP_ALLOW_UNRELATED_PATH: "0" })]))
    expect([s.allowProjectChange, s.allowTaskChange, s.allowUnrelatedPath]).toEqual([false, false, false])
  })
})

// Properties ------------------------------------------------------------------------------

const portText = fc.integer({ min: 1, max: 65535 })
const exclusionEntry = fc.tuple(portText, fc.integer({ min: 0, max: 20 })).map(([start, width]) => ({
  start,
  end: Math.min(65535, start + width)
}))

type Scalars = {
  readonly busy?: number | undefined
  readonly days?: number | undefined
  readonly project?: string | undefined
  readonly min?: number | undefined
}

/** One configuration layer of a random stack: a file, the environment, or the command line. */
type LayerSpec =
  | { readonly kind: "file"; readonly source: string; readonly exclusions: ReadonlyArray<ExclusionEntry>; readonly scalars: Scalars }
  | { readonly kind: "env"; readonly exclusions: ReadonlyArray<ExclusionEntry>; readonly scalars: Scalars }
  | { readonly kind: "cli"; readonly scalars: Scalars }

const scalars: fc.Arbitrary<Scalars> = fc.record({
  busy: fc.option(fc.integer({ min: 0, max: 100 }), { nil: undefined }),
  days: fc.option(fc.integer({ min: 1, max: 400 }), { nil: undefined }),
  project: fc.option(fc.stringMatching(/^[a-z]{1,6}$/), { nil: undefined }),
  min: fc.option(fc.integer({ min: 1, max: 7000 }), { nil: undefined })
})

const layerSpec: fc.Arbitrary<LayerSpec> = fc.oneof(
  fc.record({
    kind: fc.constant("file" as const),
    source: fc.constantFrom("/home/u/.trop/config.yaml", FILE, LOCAL),
    exclusions: fc.array(exclusionEntry, { maxLength: 4 }),
    scalars
  }),
  fc.record({ kind: fc.constant("env" as const), exclusions: fc.array(exclusionEntry, { maxLength: 4 }), scalars }),
  fc.record({ kind: fc.constant("cli" as const), scalars })
)

const toLayer = (spec: LayerSpec): ConfigLayer => {
  const s = spec.scalars
  switch (spec.kind) {
    case "file":
      return (m) => {
        let r = addExclusions(m, spec.exclusions, spec.source)
        if (s.busy !== undefined) r = { ...r, maximumLockWaitSeconds: { value: s.busy, source: spec.source } }
        if (s.days !== undefined) r = { ...r, expireAfterDays: { value: s.days, source: spec.source } }
        if (s.project !== undefined) r = { ...r, project: Option.some({ value: s.project, source: spec.source }) }
        if (s.min !== undefined) r = setMin(r, s.min, spec.source)
        return r
      }
    case "env": {
      const env: Record<string, string> = {}
      if (spec.exclusions.length > 0) {
        env.TROP_EXCLUDED_PORTS = spec.exclusions.map((e) => (e.start === e.end ? `${e.start}` : `${e.start}..${e.end}`)).join(",")
      }
      if (s.busy !== undefined) env.TROP_BUSY_TIMEOUT = String(s.busy)
      if (s.days !== undefined) env.TROP_EXPIRE_AFTER_DAYS = String(s.days)
      if (s.project !== undefined) env.TROP_PROJECT = s.project
      if (s.min !== undefined) env.TROP_PORT_MIN = String(s.min)
      return envLayer(env)
    }
    case "cli":
      return CommandLine.layer({ busyTimeoutSeconds: s.busy, expireAfterDays: s.days, project: s.project, min: s.min })
  }
}

const lastSet = <A>(specs: ReadonlyArray<LayerSpec>, pick: (s: Scalars) => A | undefined): A | undefined =>
  specs.reduce<A | undefined>((acc, spec) => pick(spec.scalars) ?? acc, undefined)

describe("merge properties", () => {
  it.prop(
    "excluded_ports accumulate: the union (concatenation) of every layer, never replaced",
    [fc.array(layerSpec, { maxLength: 6 })],
    ([specs]) => {
      // A wide range so every random `min` validates; exclusions are what is under test.
      const m = merge(specs.map(toLayer), setMax(defaults, 65535, "<test>"))
      const expected = specs.flatMap((s) => (s.kind === "cli" ? [] : s.exclusions))
      expect(m.excludedPorts.map((e) => e.value)).toEqual(expected)
      expect(valid(m).exclusions).toEqual(expected)
    },
    { fastCheck: { numRuns: 150 } }
  )

  it.prop(
    "a higher layer that sets a scalar always wins; unset scalars inherit",
    [fc.array(layerSpec, { maxLength: 6 })],
    ([specs]) => {
      const s = valid(merge(specs.map(toLayer), setMax(defaults, 65535, "<test>")))
      expect(s.busyTimeoutSeconds).toBe(lastSet(specs, (x) => x.busy) ?? 5)
      expect(s.expireAfterDays).toBe(lastSet(specs, (x) => x.days) ?? 30)
      expect(s.project).toEqual(Option.fromNullable(lastSet(specs, (x) => x.project)))
      expect(s.range.min).toBe(lastSet(specs, (x) => x.min) ?? 5000)
    },
    { fastCheck: { numRuns: 150 } }
  )

  it.prop(
    "booleans: the last environment value wins, and the command line can only add true",
    [fc.array(fc.option(fc.boolean(), { nil: undefined }), { maxLength: 5 }), fc.boolean()],
    ([envValues, flag]) => {
      const layers = envValues.map((v) => envLayer(v === undefined ? {} : { TROP_ALLOW_UNRELATED_PATH: v ? "yes" : "off" }))
      const s = valid(merge([...layers, CommandLine.layer({ allowUnrelatedPath: flag })]))
      const fromEnv = envValues.reduce<boolean>((acc, v) => v ?? acc, false)
      expect(s.allowUnrelatedPath).toBe(flag || fromEnv)
    },
    { fastCheck: { numRuns: 100 } }
  )
})
