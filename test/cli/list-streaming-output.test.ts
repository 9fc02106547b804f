// `trop list` streams its output (docs/output-formats.md); these tests pin that the bytes are
// exactly those of the earlier, non-streaming implementation, for every format, with and
// without filters, across the page and write-chunk boundaries of the streaming code.
//
// The fixture is deterministic (fixed absolute paths that need not exist, a fixed HOME), so
// the expected output of each command line is pinned by the SHA-256 and length of the stdout
// the non-streaming implementation printed for it (recorded before the change). Then: a bad
// row after pages of good ones still leaves stdout empty (exit 6), and on a terminal the
// table is still aligned.
import { spawnSync } from "node:child_process"
import { createHash } from "node:crypto"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { PAGE_SIZE } from "../../src/store/Reservations.js"
import { RECOVERY } from "../../src/store/Corruption.js"
import { BIN, cleanEnv } from "../support/cli.js"
import { makeSandbox, type Sandbox, seed, type SeedRow, T0_TEXT, T1_TEXT } from "./_helpers.js"

const ROOT = "/srv/trop-golden"
const HOME = `${ROOT}/home`

/** A few thousand rows: more than one page and many write chunks, in every format. */
const fixture = (): Array<SeedRow> => {
  const rows: Array<SeedRow> = [
    // HOME itself, under it, beside it (a string prefix, not a parent), the root.
    { path: HOME, port: 1, project: "shop", created_at: 0, last_used_at: 0 },
    { path: `${HOME}/app`, tag: "web", port: 2, task: "T-1" },
    { path: `${HOME}x/app`, port: 3 },
    { path: "/", tag: "root", port: 4 },
    // Ordering by UTF-8 bytes: '-' < '/' < letters; the untagged row first.
    { path: `${ROOT}/a-z`, port: 5 },
    { path: `${ROOT}/a/x`, port: 6 },
    { path: `${ROOT}/ab`, port: 7 },
    { path: `${ROOT}/a`, tag: "Z", port: 8 },
    { path: `${ROOT}/a`, tag: "a", port: 9 },
    { path: `${ROOT}/a`, port: 10 },
    // Non-ASCII, wide characters and emoji; control characters (C0, DEL, C1) in every column.
    { path: `${ROOT}/café/日本語`, tag: "wéb", port: 11, project: "prøject", task: "täsk 🚀" },
    { path: `${HOME}/tab\there`, tag: "t\u001bg", port: 12, project: "p\u007fq", task: "a\u009bb" },
    { path: `${ROOT}/nl\nline`, port: 13, project: "multi\nline", task: "cr\rx" },
    // Delimiters and quotes (csv/tsv quoting), backslashes, JSON-special characters.
    { path: `${ROOT}/a,b`, tag: "x y", port: 14, project: "q\"uo", task: "back\\slash" },
    { path: `${ROOT}/q"uo`, tag: "t,g", port: 15, project: "a\tb", task: "</script>" },
    // Timestamps: the epoch, far future, the largest storable one.
    { path: `${ROOT}/time`, port: 16, created_at: 253402300799, last_used_at: 8210298412799 }
  ]
  for (let i = 0; i < 2500; i++) {
    rows.push({
      path: `${i % 2 === 0 ? HOME : ROOT}/projects/p${i % 97}/worktree-${i}`,
      tag: ["", "web", "api", "db"][i % 4] ?? "",
      port: 100 + i,
      project: i % 3 === 0 ? null : `shop-${i % 7}`,
      task: i % 5 === 0 ? `TASK-${i}` : null,
      created_at: 1_700_000_000 + i * 3607,
      last_used_at: 1_700_000_000 + i * 7919
    })
  }
  return rows
}

/**
 * [arguments, sha256 of stdout, stdout bytes] as printed by the non-streaming `trop list`
 * (stdout a pipe, HOME=/srv/trop-golden/home).
 */
const GOLDEN: ReadonlyArray<readonly [ReadonlyArray<string>, string, number]> = [
  [[], "af1be3010d1f041c5e21541d23dcd4deb3044353c075d6aaa28e29e590e7856a", 232921],
  [["--show-full-paths"], "e33925ec69049075d0be95545ced1c1ec7cc74cb08f58f13507947e3c0e20c88", 257980],
  [["--format", "json"], "5657030225fe220992b75407106d1fc1c8639c11521964b3cb69333099a7dedc", 580958],
  [["--format", "csv"], "cea4d30be102580c315295965107b2f64043ad8f98facc0f2ed0d494c6a60231", 254503],
  [["--format", "tsv"], "4abf1bc13bcfcfb798a15178d46ca132ff393137324595a38ea8819b2f7afb91", 254499],
  [["--filter-project", "shop-3"], "de76adc7602bc06c372bc588ac7a9b0878efd86629278cb70bf0ca48fcd6d9d0", 22513],
  [["--filter-project", "shop-3", "--format", "json"], "8a5001f2f0fb83b9e35b2b4c8f6b505a043f6c7c1889e2aca1749829f2cf70b8", 55320],
  [["--filter-tag", "web", "--format", "csv"], "6ebdcc29250572c494ed3c8d39a89dc351a46d13b5f18cdb195d5f2a8c3d3638", 62505],
  [["--filter-tag", "web", "--format", "json"], "ec013086c2c3adfdc2bd84b7379a38a3ab5c37dba52f2f75134ba8f66c6eaca1", 143377],
  [["--filter-path", "/srv/trop-golden/home/projects"], "721e5d5771918fa3c0439e3aa7a03817a6e8074a7c3d90ab5dd9c9d56b9139e5", 106220],
  [["--filter-path", "/srv/trop-golden/home/projects", "--format", "json"], "4ce8fe13560e9da8aa22ee4f9e2b25be998935f17a30938bf03c36c11b2ed5da", 291964],
  [["--filter-path", "/srv/trop-golden", "--filter-tag", "api", "--filter-project", "shop-1", "--format", "tsv"], "39b517ad6349b584b4c3f133e8e1eee47fca7e5e6c3774b6d0b309d2013b3d24", 6459],
  [["--filter-project", "no such project"], "c473c65affce0c6cb4bebc570f805647833e757bb0aed1ed0f2de2ebc1666518", 51],
  [["--filter-project", "no such project", "--format", "json"], "37517e5f3dc66819f61f5a7bb8ace1921282415f10551d2defa5c3eb0985b570", 3],
  [["--filter-project", "no such project", "--format", "csv"], "70f1aee6c457790fa68eed69f850d286065da9f9071bd0e82866d464850b4a7a", 51]
]

const CASES: ReadonlyArray<ReadonlyArray<string>> = [
  [],
  ["--show-full-paths"],
  ["--format", "json"],
  ["--format", "csv"],
  ["--format", "tsv"],
  ["--filter-project", "shop-3"],
  ["--filter-project", "shop-3", "--format", "json"],
  ["--filter-tag", "web", "--format", "csv"],
  ["--filter-tag", "web", "--format", "json"],
  ["--filter-path", `${HOME}/projects`],
  ["--filter-path", `${HOME}/projects`, "--format", "json"],
  ["--filter-path", ROOT, "--filter-tag", "api", "--filter-project", "shop-1", "--format", "tsv"],
  ["--filter-project", "no such project"],
  ["--filter-project", "no such project", "--format", "json"],
  ["--filter-project", "no such project", "--format", "csv"]
]

let sb: Sandbox
beforeAll(() => {
  sb = makeSandbox()
  seed(sb, fixture())
})
afterAll(() => sb.cleanup())

/** `trop list ...` with stdout on a pipe, without spawnSync's 1 MiB output limit. */
const list = (args: ReadonlyArray<string>) => {
  const r = spawnSync(process.execPath, [BIN, "--data-dir", sb.dataDir, "list", ...args], {
    cwd: sb.work,
    env: cleanEnv({ HOME, USERPROFILE: undefined }),
    maxBuffer: 64 * 1024 * 1024
  })
  return { code: r.status, stdout: r.stdout, stderr: r.stderr.toString("utf8") }
}

describe("list prints exactly what the non-streaming implementation printed", () => {
  it("every format, with and without filters", () => {
    const got = CASES.map((args) => {
      const r = list(args)
      expect({ args, code: r.code, stderr: r.stderr }).toEqual({ args, code: 0, stderr: "" })
      return [args, createHash("sha256").update(r.stdout).digest("hex"), r.stdout.length] as const
    })
    expect(got).toEqual(GOLDEN)
  }, 300_000)
})

describe("a row that fails decoding after many good ones (docs/output-formats.md: a failed command prints nothing)", () => {
  it("every row is checked before the first is printed: exit 6, the corruption error, empty stdout, in every format", () => {
    const bad = makeSandbox()
    try {
      // Pages of good rows first (by path), the bad one last: past the first page and the
      // first write chunk.
      seed(bad, [
        ...Array.from({ length: 3 * PAGE_SIZE }, (_, i): SeedRow => ({
          path: `${ROOT}/good/${String(i).padStart(5, "0")}-${"x".repeat(100)}`,
          port: 1000 + i
        })),
        { path: `${ROOT}/zz-last`, port: 9999, project: " SECRET-PROJECT" }
      ])
      for (const format of ["table", "json", "csv", "tsv"]) {
        const r = spawnSync(process.execPath, [BIN, "--data-dir", bad.dataDir, "list", "--format", format], {
          cwd: bad.work,
          env: cleanEnv({ HOME }),
          encoding: "utf8",
          maxBuffer: 64 * 1024 * 1024
        })
        expect({ format, code: r.status, stdout: r.stdout, stderr: r.stderr }).toEqual({
          format,
          code: 6,
          stdout: "",
          stderr: `Error: database corruption detected: table=reservations, field=project, key=path="${ROOT}/zz-last", ` +
            `tag=<untagged>: optional identifier must be NULL or exact trimmed nonempty text. ${RECOVERY}\n`
        })
      }
    } finally {
      bad.cleanup()
    }
  }, 120_000)
})

const hasScript = spawnSync("script", ["--version"], { encoding: "utf8" }).status === 0

describe("on a terminal, the table is still aligned (it alone waits for every row)", () => {
  it.skipIf(!hasScript)("`script` gives trop a terminal: padded columns, every row, in order", () => {
    const tty = makeSandbox()
    try {
      seed(tty, [
        { path: `${HOME}/app`, tag: "web", port: 5000 },
        { path: `${ROOT}/a-long-directory`, port: 65000, project: "shop", task: "t-1" },
        { path: `${ROOT}/日本`, port: 5001 }
      ])
      const command = [process.execPath, BIN, "--data-dir", tty.dataDir, "list"].map((a) => `'${a}'`).join(" ")
      const r = spawnSync("script", ["-qec", command, "/dev/null"], {
        cwd: tty.work,
        env: cleanEnv({ HOME }),
        encoding: "utf8"
      })
      expect(r.status).toBe(0)
      const line = (cells: ReadonlyArray<string>, pads: ReadonlyArray<number>) =>
        cells.map((c, i) => c + " ".repeat(pads[i] ?? 0)).join("  ")
      expect(r.stdout.replaceAll("\r\n", "\n")).toBe(
        [
          line(["PORT", "PATH", "TAG", "PROJECT", "TASK", "CREATED_AT", "LAST_USED_AT"], [1, 29, 0, 0, 0, 9, 0]),
          line(["65000", `${ROOT}/a-long-directory`, "-", "shop", "t-1", T0_TEXT, T1_TEXT], [0, 0, 2, 3, 1, 0, 0]),
          line(["5000", "~/app", "web", "-", "-", T0_TEXT, T1_TEXT], [1, 28, 0, 6, 3, 0, 0]),
          // Wide characters take two columns each.
          line(["5001", `${ROOT}/日本`, "-", "-", "-", T0_TEXT, T1_TEXT], [1, 12, 2, 6, 3, 0, 0]),
          ""
        ].join("\n")
      )
    } finally {
      tty.cleanup()
    }
  }, 60_000)
})
