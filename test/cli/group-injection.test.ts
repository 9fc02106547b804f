import Sqlite from "better-sqlite3"
import fc from "fast-check"
import * as fs from "node:fs"
import * as path from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import YAML from "yaml"
import { isRefused } from "../../src/domain/EnvName.js"
import type { Result, Sandbox } from "./_helpers.js"
import { dbFile, exists, makeSandbox } from "./_helpers.js"

/**
 * Group output can never inject shell code (docs/concepts.md, docs/output-formats.md): whatever the
 * service tags and `env` values of the YAML file, an invocation either fails closed (non-zero
 * exit, nothing on stdout, nothing written) or prints only `NAME=digits` assignments in the
 * chosen syntax. A second property compares the outcome with the documented naming rules (docs/configuration.md).
 * Private port range of this file: 28500-28999. Keep the total number of runs modest: each
 * one is a real process.
 */
const MIN = 28500
const MAX = 28999

let sb: Sandbox
beforeAll(() => {
  sb = makeSandbox([MIN, MAX])
})
afterAll(() => sb.cleanup())

const NO_SHELL = { ZSH_VERSION: undefined, FISH_VERSION: undefined, PSModulePath: undefined, SHELL: undefined }

type Syntax = "bash" | "fish" | "powershell" | "dotenv"

interface Mode {
  readonly label: string
  readonly args: ReadonlyArray<string>
  readonly env: Record<string, string>
  readonly syntax: Syntax
}

const MODES: ReadonlyArray<Mode> = [
  { label: "--shell bash", args: ["--shell", "bash"], env: {}, syntax: "bash" },
  { label: "auto (no hint)", args: [], env: {}, syntax: "bash" },
  { label: "--shell zsh", args: ["--shell", "zsh"], env: {}, syntax: "bash" },
  { label: "--shell fish", args: ["--shell", "fish"], env: {}, syntax: "fish" },
  { label: "auto FISH_VERSION", args: [], env: { FISH_VERSION: "3.7.1" }, syntax: "fish" },
  { label: "--shell powershell", args: ["--shell", "powershell"], env: {}, syntax: "powershell" },
  { label: "auto PSModulePath", args: [], env: { PSModulePath: "C:\\x" }, syntax: "powershell" },
  { label: "--format dotenv", args: ["--format", "dotenv"], env: {}, syntax: "dotenv" }
]

const LINE: Record<Syntax, RegExp> = {
  bash: /^export [A-Za-z_][A-Za-z0-9_]*=[0-9]+$/,
  fish: /^set -x [A-Za-z_][A-Za-z0-9_]* [0-9]+$/,
  powershell: /^\$env:[A-Za-z_][A-Za-z0-9_]*="[0-9]+"$/,
  dotenv: /^[A-Za-z_][A-Za-z0-9_]*=[0-9]+$/
}

const render = (syntax: Syntax, name: string, port: number): string => {
  switch (syntax) {
    case "bash":
      return `export ${name}=${port}`
    case "fish":
      return `set -x ${name} ${port}`
    case "powershell":
      return `$env:${name}="${port}"`
    case "dotenv":
      return `${name}=${port}`
  }
}

/** Strings that are dangerous in a shell, YAML or JS object, or on the edge of the naming rules. */
const NASTY = [
  "web",
  "api-v2",
  "-web",
  "web--server",
  "10",
  "9",
  "007",
  "X;rm -rf /",
  "$(id)",
  "`id`",
  "${HOME}",
  "a b",
  "a=b",
  "A=B",
  "a\nb",
  "a\r\nexport EVIL=1",
  "\nexport EVIL=1",
  "x\"; echo pwned; \"",
  "it's",
  "é",
  "ß",
  "日本",
  "\u{1F600}",
  " web ",
  "web\t",
  "",
  " ",
  "\t",
  "a\u0000b",
  "A".repeat(255),
  "A".repeat(256),
  "é".repeat(128),
  "--",
  "_",
  "__",
  "a.b",
  "a/b",
  "a#b",
  "<<",
  "constructor",
  "toString",
  "&&",
  "|",
  "$env:X",
  "set -x A 1",
  "\\",
  "~",
  "null",
  "true",
  "0x10",
  "-"
]

const tagArb = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...NASTY) },
  { weight: 2, arbitrary: fc.stringMatching(/^[a-z_-][a-z0-9_-]{0,8}$/) },
  { weight: 2, arbitrary: fc.string({ maxLength: 10 }) },
  { weight: 1, arbitrary: fc.fullUnicodeString({ maxLength: 6 }) }
)

const envArb = fc.oneof(
  { weight: 3, arbitrary: fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_]{0,10}$/) },
  { weight: 2, arbitrary: fc.constant(undefined) },
  { weight: 3, arbitrary: fc.constantFrom(...NASTY, "X;rm -rf /", "$(id)", "A=B", "", "A".repeat(4000), "1ABC", "PATH") },
  { weight: 1, arbitrary: fc.string({ maxLength: 10 }) }
)

interface ServiceInput {
  readonly tag: string
  readonly env: string | undefined
}

const servicesArb = fc.array(fc.record({ tag: tagArb, env: envArb }), { minLength: 1, maxLength: 4 })

/** The YAML services mapping: distinct raw keys (a later duplicate is dropped), offsets 0..n-1. */
const servicesOf = (inputs: ReadonlyArray<ServiceInput>) => {
  const entries: Array<readonly [string, { readonly offset: number; readonly env?: string }]> = []
  for (const { env, tag } of inputs) {
    if (entries.some(([k]) => k === tag)) continue
    const offset = entries.length
    entries.push([tag, env === undefined ? { offset } : { offset, env }])
  }
  return entries
}

let counter = 0

/** Writes the group file in a fresh directory (keys and values quoted by the yaml package). */
const writeGroup = (entries: ReturnType<typeof servicesOf>) => {
  const dir = sb.dir("runs", String(counter++))
  const services: Record<string, unknown> = {}
  // defineProperty: a "__proto__" key must be an own key, not a prototype change
  for (const [k, v] of entries) Object.defineProperty(services, k, { value: v, enumerable: true, writable: true, configurable: true })
  const document = { reservations: { services } }
  const text = YAML.stringify(document)
  // harness sanity: the YAML says exactly what we meant
  const back: unknown = YAML.parse(text, { version: "1.2" })
  const sorted = (list: ReadonlyArray<readonly [string, unknown]>) => JSON.stringify([...list].sort(([a], [b]) => byBytes(a, b)))
  expect(sorted(Object.entries((back as { reservations: { services: object } }).reservations.services))).toBe(sorted(entries))
  fs.writeFileSync(path.join(dir, "trop.yaml"), text)
  return dir
}

interface StoredRow {
  readonly tag: string
  readonly port: number
}

const rowsAt = (dir: string): Array<StoredRow> => {
  if (!exists(dbFile(sb.dataDir))) return []
  const db = new Sqlite(dbFile(sb.dataDir), { readonly: true })
  try {
    return db.prepare("SELECT tag, port FROM reservations WHERE path = ? ORDER BY tag").all(dir) as Array<StoredRow>
  } finally {
    db.close()
  }
}

/** Asynchronous: a property's dozens of runs never block this process's event loop. */
const invoke = (dir: string, mode: Mode): Promise<Result> =>
  sb.runAsync(["reserve-group", "trop.yaml", ...mode.args], { cwd: dir, env: { ...NO_SHELL, ...mode.env } })

const describeRun = (entries: ReturnType<typeof servicesOf>, mode: Mode, r: Result) =>
  JSON.stringify({ mode: mode.label, services: entries, code: r.code, stdout: r.stdout, stderr: r.stderr })

/** Fail closed: non-zero, nothing on stdout, one `Error:` line, no row at the group's path. */
const expectClosed = (dir: string, r: Result, context: string) => {
  expect(r.code, context).not.toBe(0)
  expect(r.stdout, context).toBe("")
  expect(r.stderr, context).toMatch(/^Error: [^\n]*\n$/)
  expect(rowsAt(dir), context).toEqual([])
}

// ---- the documented naming rules (docs/configuration.md, docs/concepts.md), as an oracle ----

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/
const validName = (n: string) => n.length > 0 && Buffer.byteLength(n, "utf8") <= 255 && NAME.test(n) && !isRefused(n)
// eslint-disable-next-line no-control-regex
const derive = (raw: string): string | undefined => (/^[\x00-\x7f]*$/.test(raw) ? raw.toUpperCase().replaceAll("-", "_") : undefined)
const validTag = (raw: string) => {
  const t = raw.trim()
  // eslint-disable-next-line no-control-regex
  return t.length > 0 && !/[\u0000-\u001f\u007f-\u009f]/.test(t) && Buffer.byteLength(t, "utf8") <= 255
}
const byBytes = (a: string, b: string) => Buffer.compare(Buffer.from(a), Buffer.from(b))

/** The expected services (tag, name, offset) in tag order, or undefined when the definition is invalid. */
const oracle = (entries: ReturnType<typeof servicesOf>) => {
  const out: Array<{ readonly tag: string; readonly name: string; readonly offset: number }> = []
  for (const [raw, s] of entries) {
    if (!validTag(raw)) return undefined
    const name = s.env ?? derive(raw)
    if (name === undefined || !validName(name)) return undefined
    out.push({ tag: raw.trim(), name, offset: s.offset })
  }
  if (new Set(out.map((s) => s.tag)).size !== out.length) return undefined
  if (new Set(out.map((s) => s.name.toUpperCase())).size !== out.length) return undefined
  return out.sort((a, b) => byBytes(a.tag, b.tag))
}

const modeArb = fc.constantFrom(...MODES)

describe("group output is injection-proof (docs/concepts.md, docs/output-formats.md)", () => {
  it("every invocation fails closed or prints only NAME=digits lines in the chosen syntax", async () => {
    let successes = 0
    await fc.assert(
      fc.asyncProperty(servicesArb, modeArb, async (inputs, mode) => {
        const entries = servicesOf(inputs)
        const dir = writeGroup(entries)
        const r = await invoke(dir, mode)
        const context = describeRun(entries, mode, r)
        if (r.code !== 0) {
          expectClosed(dir, r, context)
          return
        }
        successes++
        expect(r.stdout.endsWith("\n"), context).toBe(true)
        const lines = r.stdout.slice(0, -1).split("\n")
        for (const line of lines) expect(line, context).toMatch(LINE[mode.syntax])
        expect(r.stderr, context).toMatch(/^Reserved [0-9]+ ports\.\n$/)
        // what was printed is what was stored: one line per stored row, same ports
        const stored = rowsAt(dir)
        expect(lines.length, context).toBe(stored.length)
        const printedPorts = lines.map((l) => Number(/([0-9]+)"?$/.exec(l)?.[1])).sort((a, b) => a - b)
        expect(printedPorts, context).toEqual(stored.map((s) => s.port).sort((a, b) => a - b))
      }),
      {
        numRuns: 34,
        endOnFailure: true,
        examples: [
          [[{ tag: "$(id)", env: "SAFE" }, { tag: "web", env: undefined }], MODES[0] as Mode],
          [[{ tag: "X;rm -rf /", env: undefined }], MODES[3] as Mode],
          [[{ tag: "api", env: "A=B" }], MODES[5] as Mode],
          [[{ tag: "`id`", env: "$(id)" }, { tag: "a\nb", env: "OK" }], MODES[7] as Mode]
        ]
      }
    )
    expect(successes).toBeGreaterThan(0)
  }, 300_000)

  it("the outcome follows the naming rules exactly: invalid definitions are exit 7, valid ones print every service in tag order", async () => {
    await fc.assert(
      fc.asyncProperty(servicesArb, modeArb, async (inputs, mode) => {
        const entries = servicesOf(inputs)
        const dir = writeGroup(entries)
        const r = await invoke(dir, mode)
        const context = describeRun(entries, mode, r)
        const expected = oracle(entries)
        if (expected === undefined) {
          expectClosed(dir, r, context)
          expect(r.code, context).toBe(7)
          expect(r.stderr, context).toMatch(/^Error: Configuration error: validation error for 'reservations\.services\.(tag|env) \(/)
          return
        }
        expect({ code: r.code, stderr: r.stderr }, context).toEqual({ code: 0, stderr: `Reserved ${expected.length} ports.\n` })
        const stored = new Map(rowsAt(dir).map((s) => [s.tag, s.port]))
        expect([...stored.keys()].sort(byBytes), context).toEqual(expected.map((s) => s.tag))
        const text = expected.map((s) => render(mode.syntax, s.name, stored.get(s.tag) ?? -1)).join("\n") + "\n"
        expect(r.stdout, context).toBe(text)
        // one fresh allocation: every service at one common base plus its offset
        expect(new Set(expected.map((s) => (stored.get(s.tag) ?? 0) - s.offset)).size, context).toBe(1)
      }),
      {
        numRuns: 14,
        endOnFailure: true,
        examples: [
          [[{ tag: "__proto__", env: "PROTO" }, { tag: "web", env: undefined }], MODES[0] as Mode],
          [[{ tag: " a ", env: "A1" }, { tag: "a", env: "A2" }], MODES[7] as Mode]
        ]
      }
    )
  }, 300_000)
})
