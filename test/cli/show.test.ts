import * as fs from "node:fs"
import * as path from "node:path"
import { afterEach, beforeEach, describe, expect, it } from "vitest"
import { trop } from "../support/cli.js"
import { expectError, expectOk, expectUsageError, exists, makeSandbox, type Sandbox } from "./_helpers.js"

let sb: Sandbox
beforeEach(() => {
  sb = makeSandbox()
})
afterEach(() => sb.cleanup())

/** Runs without the sandbox's --data-dir, with the sandbox HOME unless overridden. */
const bare = (args: Array<string>, env: Record<string, string | undefined> = {}, cwd = sb.work) =>
  trop(args, { cwd, env: { HOME: sb.home, USERPROFILE: undefined, ...env } })

describe("show-data-dir", () => {
  it("defaults to $HOME/.trop and creates nothing", () => {
    expectOk(bare(["show-data-dir"]), `${path.join(sb.home, ".trop")}\n`)
    expect(exists(path.join(sb.home, ".trop"))).toBe(false)
  })

  it("TROP_DATA_DIR beats HOME; --data-dir beats TROP_DATA_DIR (before or after the subcommand)", () => {
    expectOk(bare(["show-data-dir"], { TROP_DATA_DIR: "/env/dir" }), "/env/dir\n")
    expectOk(bare(["--data-dir", "/flag/dir", "show-data-dir"], { TROP_DATA_DIR: "/env/dir" }), "/flag/dir\n")
    expectOk(bare(["show-data-dir", "--data-dir=/after"], { TROP_DATA_DIR: "/env/dir" }), "/after\n")
    expectOk(bare(["--data-dir", "/before", "show-data-dir", "--data-dir", "/after"]), "/after\n")
  })

  it("prints the value verbatim: relative stays relative, no ~ expansion, no normalization", () => {
    expectOk(bare(["--data-dir", "rel/dir", "show-data-dir"]), "rel/dir\n")
    expectOk(bare(["show-data-dir"], { TROP_DATA_DIR: "./a/../b" }), "./a/../b\n")
    expectOk(bare(["--data-dir", "~/x", "show-data-dir"]), "~/x\n")
  })

  it("with no HOME, no flag and no TROP_DATA_DIR → exit 7", () => {
    expectError(
      bare(["show-data-dir"], { HOME: undefined }),
      7,
      "Configuration error: Could not determine the trop data directory"
    )
  })

  it("has config scope None: an invalid TROP_* variable or a huge --busy-timeout is ignored", () => {
    expectOk(bare(["show-data-dir"], { TROP_OUTPUT_FORMAT: "xml", TROP_TASK: "", TROP_BUSY_TIMEOUT: "abc" }), `${sb.home}/.trop\n`)
    expectOk(bare(["--busy-timeout", "9999999", "show-data-dir"]), `${sb.home}/.trop\n`)
    expectOk(bare(["--disable-autoinit", "show-data-dir"]), `${sb.home}/.trop\n`)
  })

  it("rejects options and arguments it does not have", () => {
    expectUsageError(bare(["show-data-dir", "extra"]), "extra")
    expectUsageError(bare(["show-data-dir", "--path", "/x"]), "--path")
    expectUsageError(bare(["show-path", "--tag", "x"]), "--tag")
  })
})

describe("show-path", () => {
  it("without --path prints the canonical working directory (through a symlink → real path)", () => {
    expectOk(sb.run(["show-path"]), `${sb.work}\n`)
    const real = sb.dir("work", "real")
    const link = path.join(sb.work, "link")
    fs.symlinkSync(real, link)
    expectOk(sb.run(["show-path"], { cwd: link, env: { PWD: link } }), `${real}\n`)
  })

  it("--path is normalized only: relative, '.', '..', repeated/trailing separators; need not exist", () => {
    expectOk(sb.run(["show-path", "--path", "../x/./y//z/"]), `${path.join(sb.root, "x", "y", "z")}\n`)
    expectOk(sb.run(["show-path", "--path", "/"]), "/\n")
    expectOk(sb.run(["show-path", "--path=/a/b/../c"]), "/a/c\n")
  })

  it("--path keeps symlinks as spelled", () => {
    const real = sb.dir("work", "real")
    const link = path.join(sb.work, "link")
    fs.symlinkSync(real, link)
    expectOk(sb.run(["show-path", "--path", "link"]), `${link}\n`)
  })

  it("--path expands ~ and ~/rest from HOME", () => {
    expectOk(sb.run(["show-path", "--path", "~"]), `${sb.home}\n`)
    expectOk(sb.run(["show-path", "--path", "~/a/../b"]), `${path.join(sb.home, "b")}\n`)
  })

  it("--canonicalize resolves symlinks of --path or the cwd", () => {
    const real = sb.dir("work", "real")
    const link = path.join(sb.work, "link")
    fs.symlinkSync(real, link)
    expectOk(sb.run(["show-path", "--path", link, "--canonicalize"]), `${real}\n`)
    expectOk(sb.run(["show-path", "--canonicalize"], { cwd: link, env: { PWD: link } }), `${real}\n`)
  })

  it("--canonicalize of a nonexistent path → exit 6 path not found", () => {
    const missing = path.join(sb.work, "missing")
    expectError(sb.run(["show-path", "--path", "missing", "--canonicalize"]), 6, `path not found: ${missing}`)
  })

  it("invalid explicit paths → exit 6", () => {
    expectError(sb.run(["show-path", "--path", "~bob"]), 6, "invalid path ~bob: ~user syntax is not supported; use ~ or ~/path")
    expectError(
      sb.run(["show-path", "--path", "/x/../../y"]),
      6,
      "invalid path /x/../../y: Path contains too many '..' components (escapes root)"
    )
  })

  it("ignores TROP_PATH, needs no data dir, never creates one and ignores TROP_* errors", () => {
    expectOk(sb.run(["show-path"], { env: { TROP_PATH: "/somewhere/else", TROP_OUTPUT_FORMAT: "xml" } }), `${sb.work}\n`)
    expectOk(bare(["show-path"], { HOME: undefined }), `${sb.work}\n`)
    expect(exists(sb.dataDir)).toBe(false)
  })
})
