import * as fs from "node:fs"
import * as path from "node:path"
import { afterEach, beforeEach, describe, expect, it } from "vitest"
import {
  dbFile,
  expectError,
  expectOk,
  expectUsageError,
  exists,
  makeSandbox,
  type Sandbox,
  seed,
  T0,
  T0_TEXT,
  T1,
  T1_TEXT
} from "./_helpers.js"

const MIN = 23000
const MAX = 23099

let sb: Sandbox
beforeEach(() => {
  sb = makeSandbox([MIN, MAX])
})
afterEach(() => sb.cleanup())

const HEADER = "PORT\tPATH\tTAG\tPROJECT\tTASK\tCREATED_AT\tLAST_USED_AT\n"
const CSV_HEADER = "port,path,tag,project,task,created_at,last_used_at\n"
const TSV_HEADER = "port\tpath\ttag\tproject\ttask\tcreated_at\tlast_used_at\n"

describe("list: empty", () => {
  it("table → header only; json → []; csv/tsv → header only; the database is auto-created", () => {
    expect(exists(sb.dataDir)).toBe(false)
    expectOk(sb.run(["list"]), HEADER)
    expect(exists(dbFile(sb.dataDir))).toBe(true)
    expectOk(sb.run(["list", "--format", "json"]), "[]\n")
    expectOk(sb.run(["list", "--format", "csv"]), CSV_HEADER)
    expectOk(sb.run(["list", "--format", "tsv"]), TSV_HEADER)
  })

  it("with auto-init disabled and no database → exit 3", () => {
    expectError(sb.run(["list", "--disable-autoinit"]), 3, "Data directory not found (use --data-dir or enable auto-init)")
    expect(exists(dbFile(sb.dataDir))).toBe(false)
  })
})

describe("list: table", () => {
  const rows = () => {
    const home = sb.home
    const homeSibling = `${sb.home}x` // shares a string prefix with HOME but is not under it
    return {
      home,
      homeProj: path.join(home, "proj"),
      homeSibling,
      outside: path.join(sb.work, "svc")
    }
  }

  it("prints rows ordered by path then tag, '-' placeholders and ~/ shortening under HOME", () => {
    const p = rows()
    seed(sb, [
      { path: p.outside, tag: "web", port: MIN + 4, project: "shop", task: "t-1" },
      { path: p.homeProj, tag: "api", port: MIN + 2, project: "shop" },
      { path: p.homeProj, port: MIN + 1 },
      { path: p.home, port: MIN },
      { path: p.homeSibling, port: MIN + 3 },
      { path: p.outside, port: MIN + 5, task: "only-task" }
    ])
    const ts = `${T0_TEXT}\t${T1_TEXT}`
    expectOk(
      sb.run(["list"]),
      HEADER +
        [
          `${MIN}\t~/\t-\t-\t-\t${ts}`,
          `${MIN + 1}\t~/proj\t-\t-\t-\t${ts}`,
          `${MIN + 2}\t~/proj\tapi\tshop\t-\t${ts}`,
          `${MIN + 3}\t${p.homeSibling}\t-\t-\t-\t${ts}`,
          `${MIN + 5}\t${p.outside}\t-\t-\tonly-task\t${ts}`,
          `${MIN + 4}\t${p.outside}\tweb\tshop\tt-1\t${ts}`,
          ""
        ].join("\n")
    )
    expectOk(
      sb.run(["list", "--show-full-paths"]),
      HEADER +
        [
          `${MIN}\t${p.home}\t-\t-\t-\t${ts}`,
          `${MIN + 1}\t${p.homeProj}\t-\t-\t-\t${ts}`,
          `${MIN + 2}\t${p.homeProj}\tapi\tshop\t-\t${ts}`,
          `${MIN + 3}\t${p.homeSibling}\t-\t-\t-\t${ts}`,
          `${MIN + 5}\t${p.outside}\t-\t-\tonly-task\t${ts}`,
          `${MIN + 4}\t${p.outside}\tweb\tshop\tt-1\t${ts}`,
          ""
        ].join("\n")
    )
  })

  it("orders by UTF-8 bytes ('-' < '/' < letters) with the untagged row first", () => {
    const base = path.join(sb.work, "a")
    seed(sb, [
      { path: `${base}b`, port: MIN },
      { path: path.join(base, "x"), port: MIN + 1 },
      { path: `${base}-z`, port: MIN + 2 },
      { path: base, tag: "Z", port: MIN + 3 },
      { path: base, tag: "a", port: MIN + 4 },
      { path: base, port: MIN + 5 }
    ])
    const r = sb.run(["list", "--format", "csv"])
    expect(r.code).toBe(0)
    const got = r.stdout.trimEnd().split("\n").slice(1).map((l) => l.split(",")[0])
    expect(got).toEqual([MIN + 5, MIN + 3, MIN + 4, MIN + 2, MIN + 1, MIN].map(String))
  })

  it("~/ shortening is component-wise: a HOME spelled with a trailing slash is the same directory; no HOME → full paths", () => {
    const p = path.join(sb.home, "proj")
    seed(sb, [{ path: p, port: MIN }])
    const row = (shown: string) => `${HEADER}${MIN}\t${shown}\t-\t-\t-\t${T0_TEXT}\t${T1_TEXT}\n`
    expectOk(sb.run(["list"]), row("~/proj"))
    expectOk(sb.run(["list"], { env: { HOME: `${sb.home}/` } }), row("~/proj"))
    expectOk(sb.run(["list"], { env: { HOME: undefined } }), row(p))
  })

  it("--quiet and --verbose do not change stdout", () => {
    seed(sb, [{ path: path.join(sb.work, "q"), port: MIN }])
    const plain = sb.run(["list"])
    expect(plain.code).toBe(0)
    expect(plain.stdout.split("\n")).toHaveLength(3)
    expectOk(sb.run(["list", "--quiet"]), plain.stdout)
    const verbose = sb.run(["--verbose", "list"])
    expect(verbose.code).toBe(0)
    expect(verbose.stdout).toBe(plain.stdout)
  })
})

describe("list: json", () => {
  it("pretty array, alphabetical keys, nulls for missing values, raw non-ASCII", () => {
    const p = path.join(sb.work, "café")
    seed(sb, [
      { path: p, port: MIN },
      { path: p, tag: "wéb", port: MIN + 1, project: "prøject", task: "täsk", created_at: T1, last_used_at: T0 }
    ])
    const r = sb.run(["list", "--format", "json"])
    const expected =
      JSON.stringify(
        [
          { created_at: T0_TEXT, last_used_at: T1_TEXT, path: p, port: MIN, project: null, tag: null, task: null },
          {
            created_at: T1_TEXT,
            last_used_at: T0_TEXT,
            path: p,
            port: MIN + 1,
            project: "prøject",
            tag: "wéb",
            task: "täsk"
          }
        ],
        null,
        2
      ) + "\n"
    expectOk(r, expected)
    expect(r.stdout).toContain('"project": "prøject"')
    expect(r.stdout).not.toContain("\\u")
  })

  it("--format is case-insensitive (JSON, Json) and accepts --format=value", () => {
    seed(sb, [{ path: path.join(sb.work, "j"), port: MIN }])
    const a = sb.run(["list", "--format", "JSON"])
    const b = sb.run(["list", "--format=Json"])
    expect(a.code).toBe(0)
    expect(JSON.parse(a.stdout)).toHaveLength(1)
    expect(b.stdout).toBe(a.stdout)
  })

  it("TROP_OUTPUT_FORMAT sets the default format (case-insensitive); --format beats it", () => {
    seed(sb, [{ path: path.join(sb.work, "e"), port: MIN }])
    const json = sb.run(["list"], { env: { TROP_OUTPUT_FORMAT: "json" } })
    expect(json.code).toBe(0)
    expect(JSON.parse(json.stdout)[0].port).toBe(MIN)
    const csv = sb.run(["list"], { env: { TROP_OUTPUT_FORMAT: "CSV" } })
    expect(csv.stdout.startsWith(CSV_HEADER)).toBe(true)
    const table = sb.run(["list", "--format", "table"], { env: { TROP_OUTPUT_FORMAT: "json" } })
    expect(table.stdout.startsWith(HEADER)).toBe(true)
  })

  it("an invalid TROP_OUTPUT_FORMAT is exit 7; an invalid --format is a usage error listing the values", () => {
    expectError(
      sb.run(["list"], { env: { TROP_OUTPUT_FORMAT: "yaml" } }),
      7,
      "Configuration error: validation error for 'TROP_OUTPUT_FORMAT': Invalid output format: 'yaml' (expected table/json/csv/tsv)"
    )
    expectUsageError(sb.run(["list", "--format", "xml"]), "xml", "--format", "table", "json", "csv", "tsv")
  })
})

describe("list: csv / tsv", () => {
  it("full paths, empty missing values, minimal quoting (delimiter, quote), inner quotes doubled, control characters escaped", () => {
    const comma = path.join(sb.work, "a,b")
    const quote = path.join(sb.work, 'q"uo')
    const tab = path.join(sb.work, "t\tab")
    const plain = path.join(sb.home, "plain")
    seed(sb, [
      { path: comma, port: MIN, tag: "x y" },
      { path: plain, port: MIN + 1, project: "multi\nline", task: "cr\rx" },
      { path: quote, port: MIN + 2 },
      { path: tab, port: MIN + 3, tag: "t,g" }
    ])
    const ts = (sep: string) => `${T0_TEXT}${sep}${T1_TEXT}`
    expectOk(
      sb.run(["list", "--format", "csv"]),
      CSV_HEADER +
        [
          `${MIN + 1},${plain},,multi\\nline,cr\\rx,${ts(",")}`,
          `${MIN},"${comma}",x y,,,${ts(",")}`,
          `${MIN + 2},"${sb.work}/q""uo",,,,${ts(",")}`,
          `${MIN + 3},${tab.replace("\t", "\\t")},"t,g",,,${ts(",")}`,
          ""
        ].join("\n")
    )
    expectOk(
      sb.run(["list", "--format", "tsv"]),
      TSV_HEADER +
        [
          `${MIN + 1}\t${plain}\t\tmulti\\nline\tcr\\rx\t${ts("\t")}`,
          `${MIN}\t${comma}\tx y\t\t\t${ts("\t")}`,
          `${MIN + 2}\t"${sb.work}/q""uo"\t\t\t\t${ts("\t")}`,
          `${MIN + 3}\t${tab.replace("\t", "\\t")}\tt,g\t\t\t${ts("\t")}`,
          ""
        ].join("\n")
    )
  })

  it("--show-full-paths is table-only and csv always shows full paths (no ~/)", () => {
    const p = path.join(sb.home, "w")
    seed(sb, [{ path: p, port: MIN }])
    expectOk(sb.run(["list", "--format", "csv"]), `${CSV_HEADER}${MIN},${p},,,,${T0_TEXT},${T1_TEXT}\n`)
  })
})

describe("list: filters", () => {
  const X = () => path.join(sb.work, "x")
  const fixture = () => {
    const x = X()
    seed(sb, [
      { path: path.join(x, "a"), port: MIN, project: "pr", tag: "web" },
      { path: path.join(x, "a"), port: MIN + 1 },
      { path: path.join(x, "a", "sub"), port: MIN + 2, project: "pr" },
      { path: path.join(x, "ab"), port: MIN + 3, project: "Pr", tag: "web" },
      { path: path.join(x, "ab"), port: MIN + 4, tag: "api" }
    ])
  }
  const ports = (args: Array<string>, cwd?: string) => {
    const r = sb.run(["list", "--format", "json", ...args], cwd ? { cwd } : {})
    expect(r.code, r.stderr).toBe(0)
    return (JSON.parse(r.stdout) as Array<{ port: number }>).map((row) => row.port)
  }

  it("--filter-project is exact; rows without project never match", () => {
    fixture()
    expect(ports(["--filter-project", "pr"])).toEqual([MIN, MIN + 2])
    expect(ports(["--filter-project", "Pr"])).toEqual([MIN + 3])
    expect(ports(["--filter-project", "p"])).toEqual([])
  })

  it("--filter-tag is exact and not trimmed; untagged rows never match", () => {
    fixture()
    expect(ports(["--filter-tag", "web"])).toEqual([MIN, MIN + 3])
    expect(ports(["--filter-tag", " web"])).toEqual([])
    expect(ports(["--filter-tag", "WEB"])).toEqual([])
    expect(ports(["--filter-tag", ""])).toEqual([])
  })

  it("--filter-path is component-wise: /x/a matches /x/a and /x/a/sub but not /x/ab", () => {
    fixture()
    expect(ports(["--filter-path", path.join(X(), "a")])).toEqual([MIN + 1, MIN, MIN + 2])
    expect(ports(["--filter-path", path.join(X(), "a", "sub")])).toEqual([MIN + 2])
    expect(ports(["--filter-path", path.join(X(), "ab") + "/"])).toEqual([MIN + 4, MIN + 3])
    expect(ports(["--filter-path", path.join(X(), "a", "s")])).toEqual([])
  })

  it("--filter-path is normalized (relative, ., ..) against the working directory", () => {
    fixture()
    const cwd = sb.dir("work", "x", "a")
    expect(ports(["--filter-path", "./sub/../sub"], cwd)).toEqual([MIN + 2])
    expect(ports(["--filter-path", ".."], cwd)).toEqual([MIN + 1, MIN, MIN + 2, MIN + 4, MIN + 3])
  })

  it("--filter-path expands ~ from HOME", () => {
    const inHome = path.join(sb.home, "svc")
    seed(sb, [
      { path: inHome, port: MIN },
      { path: path.join(sb.work, "other"), port: MIN + 1 }
    ])
    expect(ports(["--filter-path", "~"])).toEqual([MIN])
    expect(ports(["--filter-path", "~/svc"])).toEqual([MIN])
  })

  it("filters combine with AND", () => {
    fixture()
    expect(ports(["--filter-path", X(), "--filter-tag", "web", "--filter-project", "pr"])).toEqual([MIN])
    expect(ports(["--filter-path", path.join(X(), "ab"), "--filter-project", "pr"])).toEqual([])
  })

  it("--filter-path matches through symlinks when both sides canonicalize", () => {
    const real = sb.dir("work", "real")
    const link = path.join(sb.work, "link")
    fs.symlinkSync(real, link)
    seed(sb, [
      { path: path.join(link, "viaLink"), port: MIN },
      { path: real, port: MIN + 1 }
    ])
    fs.mkdirSync(path.join(real, "viaLink"))
    // stored link/viaLink canonicalizes under the real filter; stored real is under the canonical link
    expect(ports(["--filter-path", real])).toEqual([MIN, MIN + 1])
    expect(ports(["--filter-path", link])).toEqual([MIN, MIN + 1])
    // without canonicalization the other sibling would not match
    expect(ports(["--filter-path", path.join(link, "viaLink")])).toEqual([MIN])
  })
})
