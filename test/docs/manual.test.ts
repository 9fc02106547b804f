/**
 * The manual in docs/ and the man page trop.1 match the code they describe.
 *
 * docs/cli.md and trop.1 are generated from the command declarations (src/cli/Manual.ts): this
 * file renders them again in memory and fails when the committed files differ. Run
 * `npm run docs` (or this file with UPDATE_DOCS=1) to rewrite them. The hand-written pages are
 * checked where they restate facts of the code: every `TROP_*` variable, every configuration
 * key and its default, every exit code, the schema DDL, and every relative link.
 */
import { spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import * as Option from "effect/Option"
import { describe, expect, it } from "vitest"
import { DEFECT_EXIT_CODE, EXIT_CODES } from "../../src/cli/Exit.js"
import { generatedFiles, input } from "../../src/cli/Manual.js"
import * as Text from "../../src/cli/ManualText.js"
import { defaults } from "../../src/config/Effective.js"
import { FIELDS } from "../../src/config/FileSchema.js"
import * as SchemaV2 from "../../src/store/SchemaV2.js"

const ROOT = fileURLToPath(new URL("../../", import.meta.url))
const read = (file: string) => fs.readFileSync(path.join(ROOT, file), "utf8")
const manual = input()

/** Where two texts first differ, for a failure message that points at the line. */
const firstDifference = (actual: string, expected: string): string => {
  const a = actual.split("\n")
  const e = expected.split("\n")
  const line = a.findIndex((l, i) => l !== e[i])
  const at = line === -1 ? Math.min(a.length, e.length) : line
  return `line ${at + 1}:\n  committed: ${JSON.stringify(a[at])}\n  generated: ${JSON.stringify(e[at])}`
}

describe("generated files", () => {
  for (const { content, path: file } of generatedFiles(manual)) {
    it(`${file} is up to date with the command declarations (npm run docs rewrites it)`, () => {
      if (process.env["UPDATE_DOCS"] === "1") fs.writeFileSync(path.join(ROOT, file), content)
      const committed = fs.existsSync(path.join(ROOT, file)) ? read(file) : ""
      if (committed !== content) {
        expect.fail(`${file} is stale: run \`npm run docs\` and commit the result (${firstDifference(committed, content)})`)
      }
    })
  }

  it("every command has its text in ManualText.ts, and there is no text for a command that does not exist", () => {
    expect(Object.keys(Text.COMMANDS).sort()).toEqual(manual.commands.map((c) => c.name).sort())
  })

  it("docs/cli.md names every command and every option of the CLI", () => {
    const cli = read("docs/cli.md")
    for (const command of manual.commands) {
      expect(cli).toContain(`## trop ${command.name}\n`)
      for (const option of command.options) expect(cli, `${command.name} --${option.name}`).toContain(`\`--${option.name}`)
    }
    for (const option of manual.globals) expect(cli).toContain(`\`--${option.name}`)
  })

  it("the CLI bundle does not carry the manual (only the docs script imports it)", (ctx) => {
    const bundle = path.join(ROOT, "dist", "trop.cjs")
    if (!fs.existsSync(bundle)) {
      console.warn("skipped: dist/trop.cjs is not built (node build.mjs)")
      ctx.skip()
      return
    }
    const sentinel = Text.INTRODUCTION.slice(0, 40)
    expect(sentinel).not.toMatch(/[`\n\\]/)
    expect(fs.readFileSync(bundle, "utf8")).not.toContain(sentinel)
  })

  it("trop.1 is plain ASCII roff, and package.json installs and publishes it", () => {
    const page = read("trop.1")
    expect(page.startsWith(".\\\"")).toBe(true)
    expect([...page].filter((ch) => ch.charCodeAt(0) > 127)).toEqual([])
    const pkg = JSON.parse(read("package.json")) as { man?: ReadonlyArray<string>; files?: ReadonlyArray<string> }
    expect(pkg.man).toEqual(["./trop.1"])
    expect(pkg.files).toContain("trop.1")
  })
})

/** The first of `candidates` that runs here, if any. */
const available = (candidates: ReadonlyArray<string>): string | undefined =>
  candidates.find((command) => spawnSync(command, ["--version"], { encoding: "utf8" }).status === 0)

describe("the man page renders", () => {
  const formatter = available(["groff", "man"])

  it("without warnings, with every command, option and section", (ctx) => {
    if (formatter === undefined) {
      console.warn("skipped: neither groff nor man is installed (apt-get install groff-base man-db)")
      ctx.skip()
      return
    }
    const file = path.join(ROOT, "trop.1")
    const env = { ...process.env, MANWIDTH: "100", MANPAGER: "cat", PAGER: "cat", LC_ALL: "C.UTF-8" }
    // -ww: every roff warning; -z: no output, only the diagnostics.
    const checked = formatter === "groff"
      ? spawnSync("groff", ["-man", "-Tutf8", "-ww", "-z", file], { encoding: "utf8", env })
      : spawnSync("man", ["--warnings=w", "-l", file], { encoding: "utf8", env })
    expect(checked.status, checked.stderr).toBe(0)
    expect(checked.stderr).toBe("")
    const rendered = formatter === "groff"
      ? spawnSync("groff", ["-man", "-Tascii", "-P-cbou", file], { encoding: "utf8", env })
      : spawnSync("man", ["-l", file], { encoding: "utf8", env: { ...env, MAN_KEEP_FORMATTING: "" } })
    expect(rendered.status, rendered.stderr).toBe(0)
    // Overstrike (bold, underline) as `man` may leave it when stdout is not a terminal.
    const out = rendered.stdout.replace(/.\x08/g, "")
    for (const section of ["NAME", "SYNOPSIS", "DESCRIPTION", "GLOBAL OPTIONS", "COMMANDS", "ENVIRONMENT", "FILES", "EXIT STATUS"]) {
      expect(out).toMatch(new RegExp(`^${section}$`, "m"))
    }
    for (const command of manual.commands) {
      expect(out).toMatch(new RegExp(`^ {3}${command.name}$`, "m"))
      for (const option of command.options) expect(out, `${command.name} --${option.name}`).toContain(`--${option.name}`)
    }
    expect(out).toContain(`trop ${manual.version}`)
    // On a UTF-8 terminal options keep ASCII hyphens (roff `\-`), so they can be searched and pasted.
    const utf8 = spawnSync(formatter === "groff" ? "groff" : "man", formatter === "groff" ? ["-man", "-Tutf8", file] : ["-l", file], {
      encoding: "utf8",
      env
    })
    expect(utf8.stdout).toContain("reserve-group")
    expect(utf8.stdout).not.toMatch(/[\u2010\u2212]/)
  })
})

describe("the hand-written pages restate the code", () => {
  const configuration = read("docs/configuration.md")

  /** Every `TROP_*` name in src/, except the test build's fault hook. */
  const variables = (): ReadonlyArray<string> => {
    const found = new Set<string>()
    for (const file of fs.readdirSync(path.join(ROOT, "src"), { recursive: true, encoding: "utf8" })) {
      if (!file.endsWith(".ts")) continue
      for (const m of read(path.join("src", file)).matchAll(/\bTROP_[A-Z0-9_]+/g)) found.add(m[0])
    }
    found.delete("TROP_TEST_CHECKPOINT")
    return [...found].sort()
  }

  it("every TROP_* variable trop reads is in configuration.md and in the manual's environment list", () => {
    const listed = Text.ENVIRONMENT.map(([names, text]) => `${names} ${text}`).join(" ")
    expect(variables().length).toBeGreaterThan(20)
    for (const name of variables()) {
      expect(configuration, name).toContain(`\`${name}\``)
      expect(listed, name).toMatch(new RegExp(`\\b${name}\\b`))
    }
  })

  /** The `| \`key\` | type | default | meaning |` rows of configuration.md's key table. */
  const keyTable = new Map(
    [...configuration.matchAll(/^\| `([a-z0-9_.<>]+)` \| [^|]+ \| ([^|]+) \|/gm)].map((m) => [m[1] ?? "", (m[2] ?? "").trim()])
  )

  it("configuration.md lists every configuration key", () => {
    const keys = [
      ...(FIELDS[""] ?? []),
      ...["ports", "cleanup", "occupancy_check", "reservations"].flatMap((block) => (FIELDS[block] ?? []).map((k) => `${block}.${k}`)),
      ...(FIELDS["service"] ?? []).map((k) => `reservations.services.<tag>.${k}`)
    ]
    // The blocks themselves have no row: their keys do.
    const blocks = new Set(["ports", "cleanup", "occupancy_check", "reservations.services"])
    for (const key of keys.filter((k) => !blocks.has(k))) expect(keyTable.has(key), key).toBe(true)
  })

  it("configuration.md gives the built-in defaults", () => {
    const expected: Record<string, string> = {
      "ports.min": String(defaults.ports.min),
      "ports.max": String(Option.getOrThrow(defaults.ports.max)),
      "cleanup.expire_after_days": String(defaults.expireAfterDays.value),
      maximum_lock_wait_seconds: String(defaults.maximumLockWaitSeconds.value),
      output_format: defaults.outputFormat,
      disable_autoinit: String(defaults.disableAutoinit),
      disable_autoprune: String(defaults.disableAutoprune),
      disable_autoexpire: String(defaults.disableAutoexpire),
      allow_unrelated_path: String(defaults.allowUnrelatedPath),
      allow_change_project: String(defaults.allowChangeProject),
      allow_change_task: String(defaults.allowChangeTask),
      allow_change: String(defaults.allowChange),
      ...Object.fromEntries(Object.entries(defaults.occupancyCheck).map(([leaf, v]) => [`occupancy_check.${leaf}`, String(v)]))
    }
    for (const [key, value] of Object.entries(expected)) expect(keyTable.get(key), key).toBe(`\`${value}\``)
  })

  it("the exit codes of the manual and of configuration.md are the CLI's", () => {
    const codes = [...new Set([0, ...Object.values(EXIT_CODES), DEFECT_EXIT_CODE])].sort()
    expect(Text.EXIT_STATUS.map(([code]) => code)).toEqual(codes)
    const table = [...configuration.matchAll(/^\| ([0-9]+) \| /gm)].map((m) => Number(m[1]))
    expect(table).toEqual(codes)
  })

  it("database.md shows the schema v2 DDL exactly as SQLite stores it", () => {
    const database = read("docs/database.md")
    const block = /```sql\n([\s\S]*?)```/.exec(database)?.[1] ?? ""
    const stored = SchemaV2.CREATE_STATEMENTS
      .filter((s) => s.startsWith("CREATE "))
      .map((s) => `${s.replace(" IF NOT EXISTS", "")};`)
      .join("\n\n")
    expect(block.trim().replace(/;\n(?=CREATE INDEX)/g, ";\n\n")).toBe(stored)
    expect(database).toContain(SchemaV2.CREATE_STATEMENTS.find((s) => s.startsWith("INSERT")))
  })
})

describe("links", () => {
  const pages = ["README.md", ...fs.readdirSync(path.join(ROOT, "docs")).filter((f) => f.endsWith(".md")).map((f) => `docs/${f}`)]

  /** GitHub's anchor of a heading: lower case, punctuation dropped, spaces as hyphens. */
  const anchors = (markdown: string): Set<string> =>
    new Set(
      [...markdown.replace(/```[\s\S]*?```/g, "").matchAll(/^#{1,6} (.+)$/gm)].map((m) =>
        (m[1] ?? "").toLowerCase().replace(/[^a-z0-9 _-]/g, "").replaceAll(" ", "-")
      )
    )

  it.each(pages)("every relative link of %s leads to a file (and heading) that exists", (page) => {
    const text = read(page).replace(/```[\s\S]*?```/g, "")
    for (const m of text.matchAll(/\]\(([^)\s]+)\)/g)) {
      const target = m[1] ?? ""
      if (/^[a-z]+:/.test(target)) continue
      const [file = "", anchor] = target.split("#")
      const resolved = file === "" ? page : path.posix.join(path.posix.dirname(page), file)
      expect(fs.existsSync(path.join(ROOT, resolved)), `${page}: ${target}`).toBe(true)
      if (anchor !== undefined && resolved.endsWith(".md")) {
        expect(anchors(read(resolved)).has(anchor), `${page}: ${target}`).toBe(true)
      }
    }
  })
})
