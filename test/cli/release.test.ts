import * as fs from "node:fs"
import * as path from "node:path"
import { afterEach, beforeEach, describe, expect, it } from "vitest"
import {
  dbFile,
  expectError,
  expectOk,
  expectPort,
  expectUsageError,
  exists,
  listJson,
  makeSandbox,
  type Sandbox,
  seed
} from "./_helpers.js"
import { expectHinted, unrelatedHint } from "./_hints.js"

const MIN = 22000
const MAX = 22099

let sb: Sandbox
let A: string
let AX: string
let AB: string
beforeEach(() => {
  sb = makeSandbox([MIN, MAX])
  A = path.join(sb.work, "a")
  AX = path.join(sb.work, "a", "x")
  AB = path.join(sb.work, "ab")
})
afterEach(() => sb.cleanup())

/** Display key (docs/cli.md). */
const key = (p: string, tag?: string | null) => (tag ? `${p}:${tag}` : p)

const ALL = () => [
  key(A),
  key(A, "api"),
  key(A, "web"),
  key(AX),
  key(AX, "web"),
  key(AB),
  key(AB, "web")
]

const fixture = () =>
  seed(sb, [
    { path: A, port: MIN },
    { path: A, tag: "api", port: MIN + 1 },
    { path: A, tag: "web", port: MIN + 2 },
    { path: AX, port: MIN + 3 },
    { path: AX, tag: "web", port: MIN + 4 },
    { path: AB, port: MIN + 5 },
    { path: AB, tag: "web", port: MIN + 6 }
  ])

const remaining = () => listJson(sb).map((r) => key(r.path, r.tag))
const without = (...gone: Array<string>) => ALL().filter((k) => !gone.includes(k))

const TAG_MSG = "Invalid arguments: validation error for 'tag': tag must be non-empty after trimming whitespace"

describe("release: selection (docs/concepts.md)", () => {
  it("without a tag option releases every tag at exactly the path (not descendants, not /ab)", () => {
    fixture()
    expectOk(sb.run(["release", "--path", A]), "", "Released reservation successfully\n")
    expect(remaining()).toEqual(without(key(A), key(A, "api"), key(A, "web")))
  })

  it("--tag releases only that key; the tag is trimmed", () => {
    fixture()
    expectOk(sb.run(["release", "--path", A, "--tag", " web "]), "", "Released reservation successfully\n")
    expect(remaining()).toEqual(without(key(A, "web")))
  })

  it("--untagged-only releases only the untagged key", () => {
    fixture()
    expectOk(sb.run(["release", "--path", A, "--untagged-only"]), "", "Released reservation successfully\n")
    expect(remaining()).toEqual(without(key(A)))
  })

  it("defaults to the canonical working directory", () => {
    fixture()
    fs.mkdirSync(A)
    expectOk(sb.run(["release", "--tag", "api"], { cwd: A }), "", "Released reservation successfully\n")
    expect(remaining()).toEqual(without(key(A, "api")))
  })

  it("TROP_PATH selects the path; --path beats it", () => {
    fixture()
    expectOk(sb.run(["release", "--tag", "web"], { env: { TROP_PATH: AB } }), "", "Released reservation successfully\n")
    expectOk(
      sb.run(["release", "--tag", "web", "--path", AX], { env: { TROP_PATH: AB } }),
      "",
      "Released reservation successfully\n"
    )
    expect(remaining()).toEqual(without(key(AB, "web"), key(AX, "web")))
  })

  it("--recursive releases the path and its descendants component-wise (/a/x yes, /ab no)", () => {
    fixture()
    expectOk(sb.run(["release", "--path", A, "--recursive"]), "", "Released 5 reservation(s)\n")
    expect(remaining()).toEqual([key(AB), key(AB, "web")])
  })

  it("--recursive --tag and --recursive --untagged-only apply the tag filter", () => {
    fixture()
    expectOk(sb.run(["release", "--path", A, "--recursive", "--tag", "web"]), "", "Released 2 reservation(s)\n")
    expect(remaining()).toEqual(without(key(A, "web"), key(AX, "web")))
    expectOk(sb.run(["release", "--path", A, "--recursive", "--untagged-only"]), "", "Released 2 reservation(s)\n")
    expect(remaining()).toEqual([key(A, "api"), key(AB), key(AB, "web")])
  })

  it("release never checks sticky metadata (TROP_PROJECT differs)", () => {
    seed(sb, [{ path: A, port: MIN, project: "p1", task: "t1" }])
    expectOk(
      sb.run(["release", "--path", A], { env: { TROP_PROJECT: "other", TROP_TASK: "other" } }),
      "",
      "Released reservation successfully\n"
    )
    expect(remaining()).toEqual([])
  })

  it("a port released is free again for the next reserve", () => {
    const first = expectPort(sb.run(["reserve"]))
    expectOk(sb.run(["release"]), "", "Released reservation successfully\n")
    expect(listJson(sb)).toEqual([])
    expectOk(sb.run(["reserve", "--tag", "again"]), `${first}\n`)
  })
})

describe("release: nothing found is success with warnings", () => {
  it("all-tags mode", () => {
    fixture()
    const p = path.join(sb.work, "zz")
    expectOk(
      sb.run(["release", "--path", p]),
      "",
      `No reservation found (already released)\nWarning: No reservations found for ${p} (already released)\n`
    )
    expect(remaining()).toEqual(ALL())
  })

  it("--tag and --untagged-only", () => {
    fixture()
    expectOk(
      sb.run(["release", "--path", A, "--tag", "nope"]),
      "",
      `No reservation found (already released)\nWarning: No reservation found for ${A}:nope (already released)\n`
    )
    const empty = path.join(sb.work, "empty")
    expectOk(
      sb.run(["release", "--path", empty, "--untagged-only"]),
      "",
      `No reservation found (already released)\nWarning: No reservation found for ${empty} (already released)\n`
    )
    expect(remaining()).toEqual(ALL())
  })

  it("recursive", () => {
    fixture()
    const p = path.join(sb.work, "a", "y")
    expectOk(
      sb.run(["release", "--path", p, "--recursive"]),
      "",
      `Released 0 reservation(s)\nWarning: No reservations found under ${p} (already released)\n`
    )
    expect(remaining()).toEqual(ALL())
  })

  it("--quiet suppresses everything, on success and with warnings", () => {
    fixture()
    expectOk(sb.run(["release", "--path", A, "--tag", "web", "--quiet"]), "", "")
    expectOk(sb.run(["release", "--path", A, "--tag", "web", "--quiet"]), "", "")
    expectOk(sb.run(["--quiet", "release", "--path", AX, "--recursive"]), "", "")
    expect(remaining()).toEqual([key(A), key(A, "api"), key(AB), key(AB, "web")])
  })
})

describe("release: --dry-run", () => {
  it("non-recursive: numbered plan on stderr, nothing deleted", () => {
    fixture()
    expectOk(
      sb.run(["release", "--path", A, "--dry-run"]),
      "",
      [
        "Dry run - would perform the following actions:",
        `  1. Delete reservation for ${A}`,
        `  2. Delete reservation for ${A}:api`,
        `  3. Delete reservation for ${A}:web`,
        ""
      ].join("\n")
    )
    expectOk(
      sb.run(["release", "--path", A, "--tag", "web", "--dry-run"]),
      "",
      `Dry run - would perform the following actions:\n  1. Delete reservation for ${A}:web\n`
    )
    expect(remaining()).toEqual(ALL())
  })

  it("recursive: bullet plan with the count", () => {
    fixture()
    expectOk(
      sb.run(["release", "--path", A, "--recursive", "--tag", "web", "--dry-run"]),
      "",
      [
        "Dry run - would release 2 reservation(s):",
        `  - Delete reservation for ${A}:web`,
        `  - Delete reservation for ${AX}:web`,
        ""
      ].join("\n")
    )
    expect(remaining()).toEqual(ALL())
  })

  it("warnings are listed under 'Warnings:'", () => {
    fixture()
    const r = sb.run(["release", "--path", A, "--tag", "nope", "--dry-run"])
    expect(r.code).toBe(0)
    expect(r.stdout).toBe("")
    expect(r.stderr).toMatch(/^Dry run - would perform the following actions:\n/)
    expect(r.stderr).toMatch(new RegExp(`Warnings:\\n  - No reservation found for ${escape(A)}:nope \\(already released\\)\\n$`))
    expect(r.stderr).not.toContain("Delete reservation")
    const p = path.join(sb.work, "zz")
    expectOk(
      sb.run(["release", "--path", p, "--recursive", "--dry-run"]),
      "",
      `Dry run - would release 0 reservation(s):\nWarnings:\n  - No reservations found under ${p} (already released)\n`
    )
  })

  it("--quiet suppresses the dry-run plan", () => {
    fixture()
    expectOk(sb.run(["release", "--path", A, "--dry-run", "--quiet"]), "", "")
    expect(remaining()).toEqual(ALL())
  })

  it("never creates the data directory or database", () => {
    const r = sb.run(["release", "--dry-run"])
    expect(r.code).toBe(0)
    expect(r.stdout).toBe("")
    expect(exists(sb.dataDir)).toBe(false)
    fs.mkdirSync(sb.dataDir)
    expect(sb.run(["release", "--dry-run", "--recursive"]).code).toBe(0)
    expect(exists(dbFile(sb.dataDir))).toBe(false)
  })
})

describe("release: errors", () => {
  it("--tag with --untagged-only → exit 4 exact message", () => {
    fixture()
    expectError(
      sb.run(["release", "--path", A, "--tag", "web", "--untagged-only"]),
      4,
      "Invalid arguments: Cannot specify both --tag and --untagged-only"
    )
    expect(remaining()).toEqual(ALL())
  })

  it("blank tag → exit 4 (same message as reserve)", () => {
    fixture()
    expectError(sb.run(["release", "--path", A, "--tag", "  "]), 4, TAG_MSG)
    expectError(sb.run(["release", "--path", A, "--tag", "", "--recursive"]), 4, TAG_MSG)
    expect(remaining()).toEqual(ALL())
  })

  it("an unrelated path → exit 1 exact message; nothing deleted", () => {
    const other = path.join(sb.root, "other")
    seed(sb, [{ path: other, port: MIN }])
    expectHinted(
      sb.run(["release", "--path", other]),
      1,
      `path relationship violation: ${other} and ${sb.work} are unrelated paths`,
      unrelatedHint
    )
    expectHinted(
      sb.run(["release", "--path", other, "--dry-run"]),
      1,
      `path relationship violation: ${other} and ${sb.work} are unrelated paths`,
      unrelatedHint
    )
    expect(remaining()).toEqual([other])
  })

  it("/x/a is unrelated to cwd /x/ab", () => {
    const ab = sb.dir("ab")
    const a = path.join(sb.root, "a")
    expectHinted(
      sb.run(["release", "--path", a], { cwd: ab }),
      1,
      `path relationship violation: ${a} and ${ab} are unrelated paths`,
      unrelatedHint
    )
  })

  it("--force, --allow-unrelated-path and TROP_ALLOW_UNRELATED_PATH bypass the guard", () => {
    const other = path.join(sb.root, "other")
    seed(sb, [
      { path: other, port: MIN },
      { path: other, tag: "a", port: MIN + 1 },
      { path: other, tag: "b", port: MIN + 2 }
    ])
    expectOk(sb.run(["release", "--path", other, "--untagged-only", "--force"]), "", "Released reservation successfully\n")
    expectOk(
      sb.run(["release", "--path", other, "--tag", "a", "--allow-unrelated-path"]),
      "",
      "Released reservation successfully\n"
    )
    expectOk(
      sb.run(["release", "--path", other, "--tag", "b"], { env: { TROP_ALLOW_UNRELATED_PATH: "on" } }),
      "",
      "Released reservation successfully\n"
    )
    expect(remaining()).toEqual([])
  })

  it("an ancestor of the cwd is allowed (recursive release from above)", () => {
    fixture()
    const cwd = sb.dir("work", "a", "x")
    expectOk(sb.run(["release", "--path", sb.root, "--recursive"], { cwd }), "", "Released 7 reservation(s)\n")
    expect(remaining()).toEqual([])
  })

  it("unknown option → usage error", () => {
    expectUsageError(sb.run(["release", "--nope"]), "--nope")
  })

  it("an invalid configuration variable is exit 7 even though release does not use it", () => {
    fixture()
    expectError(
      sb.run(["release", "--path", A], { env: { TROP_TASK: "  " } }),
      7,
      "Configuration error: validation error for 'task (TROP_TASK)': Cannot be empty or only whitespace"
    )
    expectError(
      sb.run(["release", "--path", A], { env: { TROP_PORT_MAX: "70000" } }),
      7,
      "Configuration error: validation error for 'TROP_PORT_MAX': Invalid port number"
    )
    expect(remaining()).toEqual(ALL())
  })

  it("TROP_DISABLE_AUTOINIT with no database → exit 3", () => {
    expectError(
      sb.run(["release"], { env: { TROP_DISABLE_AUTOINIT: "1" } }),
      3,
      "Data directory not found (use --data-dir or enable auto-init)"
    )
  })
})

function escape(s: string) {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")
}
