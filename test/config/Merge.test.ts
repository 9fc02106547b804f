import { Effect, Either, Option } from "effect"
import fc from "fast-check"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { afterAll, describe, expect, it } from "vitest"
import type { CommandLineSettings } from "../../src/config/CommandLine.js"
import * as CommandLine from "../../src/config/CommandLine.js"
import type { ConfigLayer, Merged } from "../../src/config/Effective.js"
import { defaults, merge, validate } from "../../src/config/Effective.js"
import type { Environment } from "../../src/config/Env.js"
import * as Env from "../../src/config/Env.js"
import type { ConfigFile, ExclusionItem, Reservations } from "../../src/config/FileSchema.js"
import type { LoadedFile } from "../../src/config/Files.js"
import * as Files from "../../src/config/Files.js"
import { resolveAll } from "../../src/config/Resolve.js"
import type { OutputFormat } from "../../src/config/Settings.js"
import type { ExclusionEntry } from "../../src/config/Validate.js"
import type { OccupancyCheck } from "../../src/probe/Policy.js"

/**
 * Merge rules (docs/configuration.md) over random stacks of layers: files (Files.layer on
 * synthesized LoadedFile values), the environment (Env.layer) and the command line
 * (CommandLine.layer), checked against an independent model.
 */

const RUNS = { numRuns: 150 }

const USER = "/home/u/.trop/config.yaml"
const PROJECT = "/repo/trop.yaml"
const LOCAL = "/repo/trop.local.yaml"
const CLI = "<command line>"

const envLayer = (env: Environment): ConfigLayer =>
  Either.getOrThrowWith(Env.layer(env), (e) => new Error(`unexpected env failure: ${e.detail}`))

const loaded = (p: string, kind: "user" | "project", config: ConfigFile, clearsReservations = false): LoadedFile => ({
  path: p,
  kind,
  config,
  clearsReservations
})

// Generators ------------------------------------------------------------------------------

const port = fc.integer({ min: 1, max: 65535 })
const smallPort = fc.integer({ min: 1, max: 30000 })
const opt = <A>(a: fc.Arbitrary<A>) => fc.option(a, { nil: undefined, freq: 2 })

/** An `excluded_ports` item in any of its written forms, with the entry it denotes. */
const exclusionItem: fc.Arbitrary<{ readonly item: ExclusionItem; readonly entry: ExclusionEntry }> = fc
  .tuple(port, fc.integer({ min: 0, max: 9 }), fc.integer({ min: 0, max: 4 }))
  .map(([start, width, form]) => {
    const end = Math.min(65535, start + width)
    const entry = { start, end }
    switch (form) {
      case 0:
        return { item: start, entry: { start, end: start } }
      case 1:
        return { item: String(start), entry: { start, end: start } }
      case 2:
        return { item: `${start}..${end}`, entry }
      case 3:
        return { item: ` ${start} .. ${end} `, entry }
      default:
        return { item: { start, end }, entry }
    }
  })

const formats: ReadonlyArray<OutputFormat> = ["table", "json", "csv", "tsv"]
const format = fc.constantFrom(...formats)

const leaves: ReadonlyArray<keyof OccupancyCheck> = ["skip", "skip_ip4", "skip_ip6", "skip_tcp", "skip_udp", "check_all_interfaces"]

const occupancy = fc.record({
  skip: opt(fc.boolean()),
  skip_ip4: opt(fc.boolean()),
  skip_ip6: opt(fc.boolean()),
  skip_tcp: opt(fc.boolean()),
  skip_udp: opt(fc.boolean()),
  check_all_interfaces: opt(fc.boolean())
})

const group: fc.Arbitrary<Reservations> = fc.record({
  base: opt(smallPort),
  services: fc.dictionary(fc.constantFrom("web", "api", "db"), fc.record({ offset: opt(fc.integer({ min: 0, max: 9 })) }), {
    minKeys: 1,
    maxKeys: 3
  })
}).map(({ base, services }) => {
  // Distinct offsets so the group is valid on its own.
  const s: Record<string, { offset: number }> = {}
  Object.keys(services).forEach((k, i) => (s[k] = { offset: i }))
  return base === undefined ? { services: s } : { base, services: s }
})

const ports = fc.oneof(
  fc.record({ min: smallPort }),
  fc.record({ min: smallPort, max: fc.integer({ min: 30000, max: 65535 }) }),
  fc.record({ min: smallPort, max_offset: fc.integer({ min: 1, max: 30000 }) })
)

/** `T` with properties that may be undefined made optional instead (exact optional property types). */
type Defined<T> =
  & { [K in keyof T as undefined extends T[K] ? never : K]: T[K] }
  & { [K in keyof T as undefined extends T[K] ? K : never]?: Exclude<T[K], undefined> }

/** Drops undefined values, so generated objects satisfy exact optional property types. */
const defined = <T extends object>(o: T): Defined<T> =>
  Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Defined<T>

interface FileSpec {
  readonly type: "file"
  readonly file: LoadedFile
  readonly exclusions: ReadonlyArray<ExclusionEntry>
}

const fileSpec: fc.Arbitrary<FileSpec> = fc
  .record({
    where: fc.constantFrom(USER, PROJECT, LOCAL),
    project: opt(fc.stringMatching(/^[a-z]{1,5}$/)),
    ports: opt(ports),
    excluded: opt(fc.array(exclusionItem, { maxLength: 4 })),
    days: opt(fc.integer({ min: 1, max: 400 })),
    occupancy: opt(occupancy),
    disable_autoinit: opt(fc.boolean()),
    disable_autoprune: opt(fc.boolean()),
    disable_autoexpire: opt(fc.boolean()),
    allow_unrelated_path: opt(fc.boolean()),
    allow_change_project: opt(fc.boolean()),
    allow_change_task: opt(fc.boolean()),
    allow_change: opt(fc.boolean()),
    lock: opt(fc.integer({ min: 0, max: 2147483 })),
    output_format: opt(format),
    reservations: fc.oneof(fc.constant("absent" as const), fc.constant("null" as const), group)
  })
  .map((r): FileSpec => {
    const kind = r.where === USER ? "user" : "project"
    const config: ConfigFile = defined({
      // `project` and a group are rejected in the user config (docs/configuration.md), so valid user files lack them.
      project: kind === "project" ? r.project : undefined,
      ports: r.ports,
      excluded_ports: r.excluded?.map((x) => x.item),
      cleanup: r.days === undefined ? undefined : { expire_after_days: r.days },
      occupancy_check: r.occupancy === undefined ? undefined : defined(r.occupancy),
      disable_autoinit: r.disable_autoinit,
      disable_autoprune: r.disable_autoprune,
      disable_autoexpire: r.disable_autoexpire,
      allow_unrelated_path: r.allow_unrelated_path,
      allow_change_project: r.allow_change_project,
      allow_change_task: r.allow_change_task,
      allow_change: r.allow_change,
      maximum_lock_wait_seconds: r.lock,
      output_format: r.output_format,
      reservations: typeof r.reservations === "object" && kind === "project" ? r.reservations : undefined
    })
    return {
      type: "file",
      file: loaded(r.where, kind, config, r.reservations === "null"),
      exclusions: r.excluded?.map((x) => x.entry) ?? []
    }
  })

const boolText = (b: boolean) => fc.constantFrom(...(b ? ["true", "1", "YES", "On"] : ["false", "0", "no", "OFF"]))
const envBool = opt(fc.boolean().chain((b) => boolText(b).map((text) => ({ b, text }))))

interface EnvSpec {
  readonly type: "env"
  readonly env: Record<string, string>
  readonly exclusions: ReadonlyArray<ExclusionEntry>
}

const ENV_BOOLS = [
  "TROP_DISABLE_AUTOINIT",
  "TROP_DISABLE_AUTOPRUNE",
  "TROP_DISABLE_AUTOEXPIRE",
  "TROP_ALLOW_UNRELATED_PATH",
  "TROP_ALLOW_PROJECT_CHANGE",
  "TROP_ALLOW_CHANGE_PROJECT",
  "TROP_ALLOW_TASK_CHANGE",
  "TROP_ALLOW_CHANGE_TASK",
  "TROP_ALLOW_CHANGE",
  "TROP_SKIP_OCCUPANCY_CHECK",
  "TROP_SKIP_IPV4",
  "TROP_SKIP_IPV6",
  "TROP_SKIP_TCP",
  "TROP_SKIP_UDP",
  "TROP_CHECK_ALL_INTERFACES"
] as const

const envSpec: fc.Arbitrary<EnvSpec> = fc
  .record({
    bools: fc.tuple(...ENV_BOOLS.map(() => envBool)),
    project: opt(fc.stringMatching(/^[a-z]{1,5}$/)),
    task: opt(fc.stringMatching(/^[a-z]{1,5}$/)),
    min: opt(smallPort),
    max: opt(fc.integer({ min: 30000, max: 65535 })),
    offset: opt(fc.integer({ min: 1, max: 30000 })),
    excluded: opt(fc.array(port.chain((s) => fc.integer({ min: 0, max: 5 }).map((w) => ({ start: s, end: Math.min(65535, s + w) }))), { maxLength: 4 })),
    days: opt(fc.integer({ min: 1, max: 400 })),
    busy: opt(fc.integer({ min: 0, max: 100 })),
    busyAlias: opt(fc.integer({ min: 0, max: 100 })),
    format: opt(format.chain((f) => fc.constantFrom(f, f.toUpperCase())))
  })
  .map((r): EnvSpec => {
    const env: Record<string, string> = {}
    ENV_BOOLS.forEach((name, i) => {
      const v = r.bools[i]
      if (v !== undefined) env[name] = v.text
    })
    if (r.project !== undefined) env.TROP_PROJECT = r.project
    if (r.task !== undefined) env.TROP_TASK = r.task
    if (r.min !== undefined) env.TROP_PORT_MIN = String(r.min)
    if (r.max !== undefined) env.TROP_PORT_MAX = String(r.max)
    if (r.offset !== undefined) env.TROP_PORT_MAX_OFFSET = String(r.offset)
    if (r.excluded !== undefined) {
      env.TROP_EXCLUDED_PORTS = r.excluded.map((e) => (e.start === e.end ? ` ${e.start} ` : `${e.start}..${e.end}`)).join(",") + ", ,"
    }
    if (r.days !== undefined) env.TROP_EXPIRE_AFTER_DAYS = String(r.days)
    if (r.busy !== undefined) env.TROP_BUSY_TIMEOUT = String(r.busy)
    if (r.busyAlias !== undefined) env.TROP_MAXIMUM_LOCK_WAIT_SECONDS = String(r.busyAlias)
    if (r.format !== undefined) env.TROP_OUTPUT_FORMAT = r.format
    return { type: "env", env, exclusions: r.excluded ?? [] }
  })

interface CliSpec {
  readonly type: "cli"
  readonly cli: CommandLineSettings
}

const cliSpec: fc.Arbitrary<CliSpec> = fc
  .record({
    busyTimeoutSeconds: opt(fc.integer({ min: 0, max: 100 })),
    disableAutoinit: opt(fc.boolean()),
    project: opt(fc.stringMatching(/^[a-z]{1,5}$/)),
    clearProject: opt(fc.boolean()),
    task: opt(fc.stringMatching(/^[a-z]{1,5}$/)),
    clearTask: opt(fc.boolean()),
    min: opt(smallPort),
    max: opt(fc.integer({ min: 30000, max: 65535 })),
    allowUnrelatedPath: opt(fc.boolean()),
    allowProjectChange: opt(fc.boolean()),
    allowTaskChange: opt(fc.boolean()),
    allowChange: opt(fc.boolean()),
    disableAutoprune: opt(fc.boolean()),
    disableAutoexpire: opt(fc.boolean()),
    occupancy: opt(occupancy),
    outputFormat: opt(format),
    expireAfterDays: opt(fc.integer({ min: 1, max: 400 }))
  })
  .map((r): CliSpec => {
    // --project conflicts with --clear-project, --task with --clear-task (usage errors).
    const cli = defined({
      ...r,
      clearProject: r.project === undefined ? r.clearProject : undefined,
      clearTask: r.task === undefined ? r.clearTask : undefined,
      occupancy: r.occupancy === undefined ? undefined : defined(r.occupancy)
    })
    return { type: "cli", cli }
  })

/** Files in precedence order (user, trop.yaml, trop.local.yaml, each possibly absent), then env, then CLI. */
const stack = fc
  .record({
    files: fc.array(fileSpec, { maxLength: 3 }),
    env: fc.option(envSpec, { nil: undefined }),
    cli: fc.option(cliSpec, { nil: undefined })
  })
  .map(({ cli, env, files }) => {
    const order = [USER, PROJECT, LOCAL]
    const byPath = new Map(files.map((f) => [f.file.path, f]))
    const sortedFiles = order.flatMap((p) => {
      const f = byPath.get(p)
      return f === undefined ? [] : [f]
    })
    const layers: Array<FileSpec | EnvSpec | CliSpec> = [...sortedFiles]
    if (env !== undefined) layers.push(env)
    if (cli !== undefined) layers.push(cli)
    return layers
  })

const toLayer = (spec: FileSpec | EnvSpec | CliSpec): ConfigLayer =>
  spec.type === "file" ? Files.layer(spec.file) : spec.type === "env" ? envLayer(spec.env) : CommandLine.layer(spec.cli)

// The model -------------------------------------------------------------------------------

interface Model {
  project: Option.Option<{ value: string; source: string }>
  task: Option.Option<{ value: string; source: string }>
  ports: { min: number; max: Option.Option<number>; maxOffset: Option.Option<number>; source: string }
  excluded: Array<{ value: ExclusionEntry; source: string }>
  days: { value: number; source: string }
  lock: { value: number; source: string }
  format: OutputFormat
  occupancy: Record<keyof OccupancyCheck, boolean>
  flags: Record<string, boolean>
  reservations: Option.Option<{ value: Reservations | null; source: string }>
}

const FLAG_KEYS: ReadonlyArray<readonly [string, keyof ConfigFile, ReadonlyArray<string>, keyof CommandLineSettings]> = [
  ["disableAutoinit", "disable_autoinit", ["TROP_DISABLE_AUTOINIT"], "disableAutoinit"],
  ["disableAutoprune", "disable_autoprune", ["TROP_DISABLE_AUTOPRUNE"], "disableAutoprune"],
  ["disableAutoexpire", "disable_autoexpire", ["TROP_DISABLE_AUTOEXPIRE"], "disableAutoexpire"],
  ["allowUnrelatedPath", "allow_unrelated_path", ["TROP_ALLOW_UNRELATED_PATH"], "allowUnrelatedPath"],
  ["allowChangeProject", "allow_change_project", ["TROP_ALLOW_PROJECT_CHANGE", "TROP_ALLOW_CHANGE_PROJECT"], "allowProjectChange"],
  ["allowChangeTask", "allow_change_task", ["TROP_ALLOW_TASK_CHANGE", "TROP_ALLOW_CHANGE_TASK"], "allowTaskChange"],
  ["allowChange", "allow_change", ["TROP_ALLOW_CHANGE"], "allowChange"]
]

const ENV_LEAVES: ReadonlyArray<readonly [string, keyof OccupancyCheck]> = [
  ["TROP_SKIP_OCCUPANCY_CHECK", "skip"],
  ["TROP_SKIP_IPV4", "skip_ip4"],
  ["TROP_SKIP_IPV6", "skip_ip6"],
  ["TROP_SKIP_TCP", "skip_tcp"],
  ["TROP_SKIP_UDP", "skip_udp"],
  ["TROP_CHECK_ALL_INTERFACES", "check_all_interfaces"]
]

const parseBool = (text: string) => ["true", "1", "yes", "on"].includes(text.toLowerCase())

const model = (layers: ReadonlyArray<FileSpec | EnvSpec | CliSpec>): Model => {
  const m: Model = {
    project: Option.none(),
    task: Option.none(),
    ports: { min: 5000, max: Option.some(7000), maxOffset: Option.none(), source: "<built-in defaults>" },
    excluded: [],
    days: { value: 30, source: "<built-in defaults>" },
    lock: { value: 5, source: "<built-in defaults>" },
    format: "table",
    occupancy: { skip: false, skip_ip4: false, skip_ip6: false, skip_tcp: false, skip_udp: false, check_all_interfaces: false },
    flags: Object.fromEntries(FLAG_KEYS.map(([k]) => [k, false])),
    reservations: Option.none()
  }
  for (const l of layers) {
    if (l.type === "file") {
      const c = l.file.config
      const src = l.file.path
      if (c.project !== undefined) m.project = Option.some({ value: c.project, source: src })
      if (c.ports !== undefined) {
        m.ports.min = c.ports.min
        m.ports.source = src
        if (c.ports.max !== undefined) {
          m.ports.max = Option.some(c.ports.max)
          m.ports.maxOffset = Option.none()
        }
        if (c.ports.max_offset !== undefined) {
          m.ports.maxOffset = Option.some(c.ports.max_offset)
          m.ports.max = Option.none()
        }
      }
      m.excluded.push(...l.exclusions.map((value) => ({ value, source: src })))
      if (c.cleanup?.expire_after_days !== undefined) m.days = { value: c.cleanup.expire_after_days, source: src }
      for (const leaf of leaves) {
        const v = c.occupancy_check?.[leaf]
        if (v !== undefined) m.occupancy[leaf] = v
      }
      for (const [k, key] of FLAG_KEYS) {
        const v = c[key]
        if (typeof v === "boolean") m.flags[k] = v
      }
      if (c.maximum_lock_wait_seconds !== undefined) m.lock = { value: c.maximum_lock_wait_seconds, source: src }
      if (c.output_format !== undefined) m.format = c.output_format
      if (l.file.kind === "project") {
        if (c.reservations !== undefined) m.reservations = Option.some({ value: c.reservations, source: src })
        else if (l.file.clearsReservations) m.reservations = Option.some({ value: null, source: src })
      }
    } else if (l.type === "env") {
      const e = l.env
      if (e.TROP_PROJECT !== undefined) m.project = Option.some({ value: e.TROP_PROJECT, source: "TROP_PROJECT" })
      if (e.TROP_TASK !== undefined) m.task = Option.some({ value: e.TROP_TASK, source: "TROP_TASK" })
      for (const [k, , names] of FLAG_KEYS) {
        const name = names.find((n) => e[n] !== undefined)
        if (name !== undefined) m.flags[k] = parseBool(e[name] ?? "")
      }
      for (const [name, leaf] of ENV_LEAVES) if (e[name] !== undefined) m.occupancy[leaf] = parseBool(e[name] ?? "")
      if (e.TROP_PORT_MIN !== undefined) m.ports = { ...m.ports, min: Number(e.TROP_PORT_MIN), source: "TROP_PORT_MIN" }
      if (e.TROP_PORT_MAX !== undefined) {
        m.ports = { ...m.ports, max: Option.some(Number(e.TROP_PORT_MAX)), maxOffset: Option.none(), source: "TROP_PORT_MAX" }
      }
      if (e.TROP_PORT_MAX_OFFSET !== undefined) {
        m.ports = {
          ...m.ports,
          max: Option.none(),
          maxOffset: Option.some(Number(e.TROP_PORT_MAX_OFFSET)),
          source: "TROP_PORT_MAX_OFFSET"
        }
      }
      m.excluded.push(...l.exclusions.map((value) => ({ value, source: "TROP_EXCLUDED_PORTS" })))
      if (e.TROP_EXPIRE_AFTER_DAYS !== undefined) m.days = { value: Number(e.TROP_EXPIRE_AFTER_DAYS), source: "TROP_EXPIRE_AFTER_DAYS" }
      const lockName = ["TROP_BUSY_TIMEOUT", "TROP_MAXIMUM_LOCK_WAIT_SECONDS"].find((n) => e[n] !== undefined)
      if (lockName !== undefined) m.lock = { value: Number(e[lockName]), source: lockName }
      if (e.TROP_OUTPUT_FORMAT !== undefined) m.format = e.TROP_OUTPUT_FORMAT.toLowerCase() as OutputFormat
    } else {
      const c = l.cli
      if (c.busyTimeoutSeconds !== undefined) m.lock = { value: c.busyTimeoutSeconds, source: CLI }
      if (c.project !== undefined) m.project = Option.some({ value: c.project, source: CLI })
      if (c.min !== undefined) m.ports = { ...m.ports, min: c.min, source: CLI }
      if (c.max !== undefined) m.ports = { ...m.ports, max: Option.some(c.max), maxOffset: Option.none(), source: CLI }
      for (const [k, , , cliKey] of FLAG_KEYS) if (c[cliKey] === true) m.flags[k] = true
      for (const leaf of leaves) if (c.occupancy?.[leaf] === true) m.occupancy[leaf] = true
      if (c.outputFormat !== undefined) m.format = c.outputFormat
      if (c.expireAfterDays !== undefined) m.days = { value: c.expireAfterDays, source: CLI }
      if (c.clearProject === true) m.project = Option.none()
      if (c.task !== undefined) m.task = Option.some({ value: c.task, source: CLI })
      if (c.clearTask === true) m.task = Option.none()
    }
  }
  return m
}

const mergedOf = (layers: ReadonlyArray<FileSpec | EnvSpec | CliSpec>): Merged => merge(layers.map(toLayer))

// Properties ------------------------------------------------------------------------------

describe("merge of random layer stacks (docs/configuration.md)", () => {
  it("the highest layer that sets a scalar wins (value and source); absent keys inherit", () => {
    fc.assert(
      fc.property(stack, (layers) => {
        const got = mergedOf(layers)
        const want = model(layers)
        expect(got.project).toEqual(want.project)
        expect(got.task).toEqual(want.task)
        expect(got.expireAfterDays).toEqual(want.days)
        expect(got.maximumLockWaitSeconds).toEqual(want.lock)
        expect(got.outputFormat).toBe(want.format)
        expect({
          disableAutoinit: got.disableAutoinit,
          disableAutoprune: got.disableAutoprune,
          disableAutoexpire: got.disableAutoexpire,
          allowUnrelatedPath: got.allowUnrelatedPath,
          allowChangeProject: got.allowChangeProject,
          allowChangeTask: got.allowChangeTask,
          allowChange: got.allowChange
        }).toEqual(want.flags)
      }),
      RUNS
    )
  })

  it("occupancy_check merges per leaf", () => {
    fc.assert(
      fc.property(stack, (layers) => {
        expect(mergedOf(layers).occupancyCheck).toEqual(model(layers).occupancy)
      }),
      RUNS
    )
  })

  it("excluded ports are the concatenation of every layer's entries, in layer order, with their sources", () => {
    fc.assert(
      fc.property(stack, (layers) => {
        const got = mergedOf(layers).excludedPorts.map(({ source, value }) => ({ source, value }))
        expect(got).toEqual(model(layers).excluded)
      }),
      RUNS
    )
  })

  it("ports: a block sets min; max clears max_offset and vice versa; env offset beats env max; --max clears the offset", () => {
    fc.assert(
      fc.property(stack, (layers) => {
        expect(mergedOf(layers).ports).toEqual(model(layers).ports)
      }),
      RUNS
    )
  })

  it("reservations never merge: a project mapping replaces, project null clears, the user file is inert", () => {
    fc.assert(
      fc.property(stack, (layers) => {
        const got = mergedOf(layers)
        const want = model(layers)
        expect(got.reservations).toEqual(want.reservations)
        const resolved = resolveAll({
          env: {},
          commandLine: {},
          files: layers.flatMap((l) => (l.type === "file" ? [l.file] : []))
        })
        // A wide default range can fail only through a file's ports; the group is what matters here.
        if (Either.isRight(resolved)) {
          const wantGroup = Option.flatMap(
            model(layers.filter((l) => l.type === "file")).reservations,
            ({ source, value }) => (value === null ? Option.none() : Option.some({ source, value }))
          )
          expect(resolved.right.group).toEqual(wantGroup)
        }
      }),
      RUNS
    )
  })

  it("validated settings: the exclusions are every layer's entries, and permissions combine allow_change", () => {
    fc.assert(
      fc.property(stack, (layers) => {
        const got = validate(mergedOf(layers))
        const want = model(layers)
        if (Either.isLeft(got)) return // ranges like min > max are covered by the ports property
        expect(got.right.exclusions).toEqual(want.excluded.map((e) => e.value))
        expect(got.right.allowProjectChange).toBe(want.flags.allowChange === true || want.flags.allowChangeProject === true)
        expect(got.right.allowTaskChange).toBe(want.flags.allowChange === true || want.flags.allowChangeTask === true)
        expect(got.right.outputFormat).toBe(want.format)
      }),
      RUNS
    )
  })
})

describe("ports rules, examples (docs/configuration.md)", () => {
  const portsOf = (layers: ReadonlyArray<ConfigLayer>) => {
    const p = merge(layers).ports
    return { min: p.min, max: Option.getOrUndefined(p.max), maxOffset: Option.getOrUndefined(p.maxOffset), source: p.source }
  }

  it("a ports block with only min keeps the inherited max or max_offset", () => {
    const lower = Files.layer(loaded(USER, "user", { ports: { min: 6000, max_offset: 50 } }))
    const upper = Files.layer(loaded(PROJECT, "project", { ports: { min: 6010 } }))
    expect(portsOf([lower, upper])).toEqual({ min: 6010, max: undefined, maxOffset: 50, source: PROJECT })
    expect(portsOf([upper])).toEqual({ min: 6010, max: 7000, maxOffset: undefined, source: PROJECT })
  })

  it("max in a higher file clears a lower max_offset, and max_offset clears a lower max", () => {
    const offset = Files.layer(loaded(PROJECT, "project", { ports: { min: 6000, max_offset: 50 } }))
    const max = Files.layer(loaded(LOCAL, "project", { ports: { min: 6000, max: 6100 } }))
    expect(portsOf([offset, max])).toEqual({ min: 6000, max: 6100, maxOffset: undefined, source: LOCAL })
    expect(portsOf([max, offset])).toEqual({ min: 6000, max: undefined, maxOffset: 50, source: PROJECT })
  })

  it("TROP_PORT_MAX_OFFSET wins over TROP_PORT_MAX when both are set", () => {
    const env = envLayer({ TROP_PORT_MAX: "6500", TROP_PORT_MAX_OFFSET: "10", TROP_PORT_MIN: "6000" })
    expect(portsOf([env])).toEqual({ min: 6000, max: undefined, maxOffset: 10, source: "TROP_PORT_MAX_OFFSET" })
    const s = Either.getOrThrow(validate(merge([env])))
    expect(s.range).toEqual({ min: 6000, max: 6010 })
  })

  it("TROP_PORT_MAX clears a file's max_offset; --max clears it too; --min alone keeps the inherited max", () => {
    const file = Files.layer(loaded(PROJECT, "project", { ports: { min: 6000, max_offset: 50 } }))
    expect(portsOf([file, envLayer({ TROP_PORT_MAX: "6200" })])).toEqual({
      min: 6000,
      max: 6200,
      maxOffset: undefined,
      source: "TROP_PORT_MAX"
    })
    expect(portsOf([file, CommandLine.layer({ max: 6300 })])).toEqual({ min: 6000, max: 6300, maxOffset: undefined, source: CLI })
    expect(portsOf([file, CommandLine.layer({ min: 6001 })])).toEqual({ min: 6001, max: undefined, maxOffset: 50, source: CLI })
  })

  it("a block with both max and max_offset keeps both, then validation fails (docs/configuration.md)", () => {
    const both = Files.layer(loaded(PROJECT, "project", { ports: { min: 6000, max: 6100, max_offset: 50 } }))
    const p = merge([both]).ports
    expect({ max: p.max, maxOffset: p.maxOffset }).toEqual({ max: Option.some(6100), maxOffset: Option.some(50) })
    expect(Either.flip(validate(merge([both]))).pipe(Either.map((e) => e.detail))).toEqual(
      Either.right(`validation error for 'ports (${PROJECT})': Cannot specify both max and max_offset`)
    )
  })

  it("a cross-layer inconsistency fails at the end: trop.yaml min 8000 with the default max", () => {
    const file = Files.layer(loaded(PROJECT, "project", { ports: { min: 8000 } }))
    expect(Either.flip(validate(merge([file]))).pipe(Either.map((e) => e.detail))).toEqual(
      Either.right(`validation error for 'ports (${PROJECT})': max must be >= min`)
    )
    expect(Either.flip(validate(merge([CommandLine.layer({ min: 8000 })]))).pipe(Either.map((e) => e.detail))).toEqual(
      Either.right(`validation error for 'ports (<command line>)': max must be >= min`)
    )
  })
})

describe("reservations examples (docs/configuration.md)", () => {
  const g1: Reservations = { services: { web: { offset: 0 } } }
  const g2: Reservations = { base: 6000, services: { api: { offset: 1 }, db: { offset: 2 } } }

  const groupOf = (files: ReadonlyArray<LoadedFile>) =>
    Either.getOrThrowWith(resolveAll({ env: {}, commandLine: {}, files }), (e) => new Error(e.detail)).group

  it("a mapping in trop.local.yaml replaces the trop.yaml group wholesale (no merge of services)", () => {
    expect(groupOf([loaded(PROJECT, "project", { reservations: g1 }), loaded(LOCAL, "project", { reservations: g2 })]))
      .toEqual(Option.some({ value: g2, source: LOCAL }))
  })

  it("an absent key inherits; reservations: null in a project file clears", () => {
    expect(groupOf([loaded(PROJECT, "project", { reservations: g1 }), loaded(LOCAL, "project", {})]))
      .toEqual(Option.some({ value: g1, source: PROJECT }))
    expect(groupOf([loaded(PROJECT, "project", { reservations: g1 }), loaded(LOCAL, "project", {}, true)])).toEqual(Option.none())
    expect(merge([Files.layer(loaded(PROJECT, "project", { reservations: g1 })), Files.layer(loaded(LOCAL, "project", {}, true))]).reservations)
      .toEqual(Option.some({ value: null, source: LOCAL }))
  })

  it("reservations: null in the user config is inert", () => {
    const user = loaded(USER, "user", {}, true)
    expect(groupOf([user])).toEqual(Option.none())
    expect(merge([Files.layer(user)]).reservations).toEqual(Option.none())
    // Even applied above a group, the user file's null clears nothing.
    expect(merge([Files.layer(loaded(PROJECT, "project", { reservations: g1 })), Files.layer(user)]).reservations)
      .toEqual(Option.some({ value: g1, source: PROJECT }))
  })

  describe("loading real files", () => {
    const dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), "trop-merge-")))
    afterAll(() => fs.rmSync(dir, { recursive: true, force: true }))
    const load = (name: string, text: string, kind: "user" | "project") => {
      const p = path.join(dir, name)
      fs.writeFileSync(p, text)
      return Effect.runSync(Effect.either(Files.load(p, kind)))
    }

    it("a reservations mapping in the user config.yaml is an error; null there is accepted", () => {
      const bad = load("config.yaml", "reservations:\n  services:\n    web: {}\n", "user")
      expect(Either.flip(bad).pipe(Either.map((e) => e.detail))).toEqual(
        Either.right(
          `validation error for 'reservations (${path.join(dir, "config.yaml")})': reservations are only valid in trop.yaml/trop.local.yaml, not user config.yaml`
        )
      )
      for (const text of ["reservations: null\n", "reservations:\n", "reservations: ~\n"]) {
        const ok = load("config.yaml", text, "user")
        expect(Either.isRight(ok), text).toBe(true)
        if (Either.isRight(ok)) expect(merge([Files.layer(ok.right)]).reservations).toEqual(Option.none())
      }
    })

    it("`reservations:` without a value in a project file clears an inherited group", () => {
      const base = load("trop.yaml", "reservations:\n  services:\n    web: {}\n", "project")
      const local = load("trop.local.yaml", "reservations:\n", "project")
      if (Either.isLeft(base) || Either.isLeft(local)) throw new Error("files should load")
      expect(resolveAll({ env: {}, commandLine: {}, files: [base.right, local.right] }).pipe(Either.map((r) => r.group)))
        .toEqual(Either.right(Option.none()))
      expect(resolveAll({ env: {}, commandLine: {}, files: [base.right] }).pipe(Either.map((r) => Option.isSome(r.group))))
        .toEqual(Either.right(true))
    })

    it("null scalars inherit (a key with null value does not set anything)", () => {
      const lower = load("trop.yaml", "project: alpha\noutput_format: json\nports:\n  min: 6000\n  max: 6100\n", "project")
      const upper = load("trop.local.yaml", "project: null\noutput_format:\nports: ~\nexcluded_ports: null\n", "project")
      if (Either.isLeft(lower) || Either.isLeft(upper)) throw new Error("files should load")
      const m = merge([Files.layer(lower.right), Files.layer(upper.right)])
      expect(m.project).toEqual(Option.some({ value: "alpha", source: path.join(dir, "trop.yaml") }))
      expect(m.outputFormat).toBe("json")
      expect(m.ports.max).toEqual(Option.some(6100))
      expect(m.excludedPorts).toEqual([])
    })
  })
})

describe("defaults (docs/configuration.md)", () => {
  it("an empty stack is the built-in defaults", () => {
    expect(merge([])).toEqual(defaults)
  })
})
