import * as fs from "node:fs"
import * as path from "node:path"
import { parse as parseYamlText } from "yaml"
import { afterEach, beforeEach, describe, expect, it } from "vitest"
import { expectError, expectOk, exists, makeSandbox, type Sandbox } from "./_helpers.js"

/** `trop compact-exclusions <PATH> [--dry-run]` (docs/cli.md, docs/concepts.md). */

let sb: Sandbox
beforeEach(() => {
  sb = makeSandbox()
})
afterEach(() => sb.cleanup())

const write = (rel: string, text: string) => {
  const file = path.join(sb.work, rel)
  fs.mkdirSync(path.dirname(file), { recursive: true })
  fs.writeFileSync(file, text)
  const old = new Date("2020-01-02T03:04:05Z")
  fs.utimesSync(file, old, old)
  return file
}
const read = (file: string) => fs.readFileSync(file, "utf8")
const untouched = (file: string, text: string) => {
  expect(read(file)).toBe(text)
  expect(fs.statSync(file).mtimeMs).toBe(new Date("2020-01-02T03:04:05Z").getTime())
}
const itemsOf = (text: string): unknown => {
  // An independent YAML 1.2 reading of the result (plain numbers, no project code involved).
  const doc: unknown = parseYamlText(text)
  return typeof doc === "object" && doc !== null && "excluded_ports" in doc ? doc.excluded_ports : undefined
}

const compact = (p: string, ...args: Array<string>) => sb.run(["compact-exclusions", p, ...args])

const BEFORE = "# top comment\nproject:  web   # p\nports: {min: 5000, max: 7000}\nexcluded_ports:   # the list\n"
const LIST = '  - 9000\n  - 8080\n  - "8081..8083"\n  # between\n  - {start: 8084, end: 8084}\n  - start: 8082\n    end: 8082\n'
const AFTER = "\n# after the list\ncleanup:\n  expire_after_days: 3   # keep\n# end"

describe("rewriting (docs/cli.md)", () => {
  it("Compacted a exclusions to b, then Updated <path>; everything outside the list is byte-identical", () => {
    const file = write("trop.yaml", BEFORE + LIST + AFTER)
    expectOk(compact("trop.yaml"), "Compacted 5 exclusions to 2\nUpdated trop.yaml\n")
    const text = read(file)
    expect(text.startsWith(BEFORE), text).toBe(true)
    expect(text.endsWith(AFTER), text).toBe(true)
    expect(itemsOf(text)).toEqual([{ start: 8080, end: 8084 }, 9000])
    // New entries: integers for single ports, block start/end mappings for runs.
    expect(text).toBe(BEFORE + "  - start: 8080\n    end: 8084\n  - 9000\n" + AFTER)
    expect(fs.readdirSync(sb.work).sort()).toEqual(["trop.yaml"])
  })

  it("--dry-run prints the plan and writes nothing", () => {
    const file = write("trop.yaml", BEFORE + LIST + AFTER)
    expectOk(compact("trop.yaml", "--dry-run"), "Compacted 5 exclusions to 2\nDry run - no changes made\nWould save: [8080..8084, 9000]\n")
    untouched(file, BEFORE + LIST + AFTER)
  })

  it("the path is echoed as typed (absolute here)", () => {
    const file = write("conf/x.yaml", "excluded_ports: [1, 2, 3]\n")
    expectOk(compact(file), `Compacted 3 exclusions to 1\nUpdated ${file}\n`)
    expect(read(file)).toBe("excluded_ports: [{start: 1, end: 3}]\n")
  })

  it("a flow sequence stays flow; overlapping and duplicate entries collapse", () => {
    const file = write("trop.yaml", "excluded_ports: [7, 5, \"5..6\", 5, 10]   # c\n")
    expectOk(compact("trop.yaml"), "Compacted 5 exclusions to 2\nUpdated trop.yaml\n")
    expect(read(file)).toBe("excluded_ports: [{start: 5, end: 7}, 10]   # c\n")
  })

  it("compacting twice: the second run finds the list optimal", () => {
    const file = write("trop.yaml", BEFORE + LIST + AFTER)
    expect(compact("trop.yaml").code).toBe(0)
    const once = read(file)
    expectOk(compact("trop.yaml"), "Exclusions already optimal\n")
    expect(read(file)).toBe(once)
  })

  it("--quiet is ignored", () => {
    write("trop.yaml", "excluded_ports: [1, 2]\n")
    expectOk(sb.run(["--quiet", "compact-exclusions", "trop.yaml", "--dry-run"]), "Compacted 2 exclusions to 1\nDry run - no changes made\nWould save: [1..2]\n")
  })
})

describe("the edited file keeps its identity (spec silent: what a user expects of an in-place edit)", () => {
  it("a symlinked file: the target is rewritten and the link stays a link", () => {
    const target = path.join(sb.root, "shared.yaml")
    fs.writeFileSync(target, "excluded_ports: [1, 2]\n")
    fs.symlinkSync(target, path.join(sb.work, "trop.yaml"))
    expectOk(compact("trop.yaml"), "Compacted 2 exclusions to 1\nUpdated trop.yaml\n")
    expect(fs.lstatSync(path.join(sb.work, "trop.yaml")).isSymbolicLink()).toBe(true)
    expect(read(target)).toBe("excluded_ports: [{start: 1, end: 2}]\n")
  })
})

describe("nothing to do (docs/cli.md)", () => {
  it("no excluded_ports key, or a null one → No exclusions to compact", () => {
    for (const text of ["project: web\n", "excluded_ports:\n", "excluded_ports: null\n", "", "# only comments\n"]) {
      const file = write("trop.yaml", text)
      expectOk(compact("trop.yaml"), "No exclusions to compact\n")
      untouched(file, text)
    }
  })

  it("an empty list, or as many entries after compaction (even in another order) → Exclusions already optimal", () => {
    for (const text of ["excluded_ports: []\n", "excluded_ports: [9000, 8080]\n", "excluded_ports:\n  - 8082..8083\n  - 8080\n"]) {
      const file = write("trop.yaml", text)
      expectOk(compact("trop.yaml", "--dry-run"), "Exclusions already optimal\n")
      expectOk(compact("trop.yaml"), "Exclusions already optimal\n")
      untouched(file, text)
    }
  })

  it("two overlapping entries are not optimal", () => {
    write("trop.yaml", "excluded_ports:\n  - 8080..8085\n  - 8083..8090\n")
    expectOk(compact("trop.yaml", "--dry-run"), "Compacted 2 exclusions to 1\nDry run - no changes made\nWould save: [8080..8090]\n")
  })
})

describe("errors (docs/cli.md, docs/concepts.md)", () => {
  it("an invalid range → exit 7 with the annotated message, nothing written", () => {
    const text = "excluded_ports:\n  - 5000\n  - 5001\n  - 9000..8000\n"
    const file = write("trop.yaml", text)
    expectError(
      compact("trop.yaml"),
      7,
      "Configuration error: validation error for 'excluded_ports[2] (trop.yaml)': Invalid range: 9000..8000 (end < start)"
    )
    untouched(file, text)
  })

  it("port 0 in every form → exit 7, nothing written (also in a dry run)", () => {
    const cases: ReadonlyArray<readonly [string, string]> = [
      ["excluded_ports: [1, 2, 0]\n", "'excluded_ports[2] (f.yaml)': Invalid port: 0"],
      ["excluded_ports: [1, 2, \"0..4\"]\n", "'excluded_ports[2] (f.yaml)': Invalid start port: 0"],
      ["excluded_ports: [1, {start: 4, end: 0}, 2]\n", "'excluded_ports[1] (f.yaml)': Invalid end port: 0"]
    ]
    for (const [text, detail] of cases) {
      const file = write("f.yaml", text)
      expectError(compact("f.yaml"), 7, `Configuration error: validation error for ${detail}`)
      expectError(compact("f.yaml", "--dry-run"), 7, `Configuration error: validation error for ${detail}`)
      untouched(file, text)
    }
  })

  it("a parse error → exit 7 Configuration error: Parse error: …", () => {
    const text = "excluded_ports: [1, 2\n"
    const file = write("trop.yaml", text)
    const r = compact("trop.yaml")
    expect({ code: r.code, stdout: r.stdout }).toEqual({ code: 7, stdout: "" })
    expect(r.stderr).toMatch(/^Error: Configuration error: Parse error: .*\bline \d+\b.*\n$/)
    untouched(file, text)
  })

  it("a missing file → exit 4 File not found; a directory → exit 5", () => {
    expectError(compact("missing.yaml"), 4, "Invalid arguments: File not found: missing.yaml")
    fs.mkdirSync(path.join(sb.work, "dir.yaml"))
    const r = compact("dir.yaml")
    expect({ code: r.code, stdout: r.stdout }).toEqual({ code: 5, stdout: "" })
    expect(r.stderr).toMatch(/^Error: I\/O error: .+\n$/)
  })
})

describe("scope None (docs/configuration.md)", () => {
  it("no merge, no other validation, no environment, no data directory", () => {
    // Rules other than the exclusion entries do not apply, and the cwd's broken trop.yaml is not read.
    write("trop.yaml", "ports: [\n")
    const file = write("sub/other.yaml", "project: \"  \"\nports: {min: 6000, max: 5000}\nexcluded_ports: [1, 2]\n")
    expectOk(
      sb.run(["compact-exclusions", "sub/other.yaml"], { env: { TROP_PORT_MIN: "abc", TROP_TASK: "" } }),
      "Compacted 2 exclusions to 1\nUpdated sub/other.yaml\n"
    )
    expect(read(file)).toBe("project: \"  \"\nports: {min: 6000, max: 5000}\nexcluded_ports: [{start: 1, end: 2}]\n")
    expect(exists(sb.dataDir)).toBe(false)
  })
})
