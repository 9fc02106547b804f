import { Effect, Either, Option } from "effect"
import * as fs from "node:fs"
import * as path from "node:path"
import { afterEach, beforeEach, describe, expect, it } from "vitest"
import { discover } from "../../src/config/Discovery.js"
import type { Effective } from "../../src/config/Load.js"
import { load } from "../../src/config/Load.js"
import { tempDir, trop } from "../support/cli.js"

/** Project-file discovery and the layers it feeds (docs/configuration.md), on real directories. */

let root: string
beforeEach(() => {
  root = tempDir("trop-discovery-")
})
afterEach(() => fs.rmSync(root, { recursive: true, force: true }))

const mk = (...segments: Array<string>) => {
  const p = path.join(root, ...segments)
  fs.mkdirSync(p, { recursive: true })
  return p
}
const write = (file: string, text: string) => {
  fs.mkdirSync(path.dirname(file), { recursive: true })
  fs.writeFileSync(file, text)
  return file
}

const found = (cwd: string) =>
  Option.map(discover(cwd), (p) => ({
    directory: p.directory,
    project: Option.getOrUndefined(p.project),
    local: Option.getOrUndefined(p.local)
  }))

/** The effective configuration of the Discover scope (user config + project files + env). */
const effective = (cwd: string, dataDir = path.join(root, "data")): Either.Either<Effective, string> =>
  Effect.runSync(Effect.either(load({ _tag: "Discover", cwd, dataDir }, {}, {}))).pipe(Either.mapLeft((e) => e.detail))

const settingsOf = (cwd: string) => Either.getOrThrowWith(effective(cwd), (d) => new Error(d)).settings

/** Whether some ancestor of `dir` (outside the sandbox) holds a project file: then "none" cannot be observed. */
const ancestorsHaveProjectFiles = (dir: string): boolean => {
  for (let d = path.dirname(dir);; d = path.dirname(d)) {
    if (fs.existsSync(path.join(d, "trop.yaml")) || fs.existsSync(path.join(d, "trop.local.yaml"))) return true
    if (path.dirname(d) === d) return false
  }
}

describe("discover (docs/configuration.md)", () => {
  it("finds trop.yaml in the working directory itself", () => {
    const dir = mk("repo")
    const file = write(path.join(dir, "trop.yaml"), "project: a\n")
    expect(found(dir)).toEqual(Option.some({ directory: dir, project: file, local: undefined }))
  })

  it("walks up from nested directories to the nearest directory with a project file", () => {
    const repo = mk("repo")
    const file = write(path.join(repo, "trop.yaml"), "")
    const deep = mk("repo", "a", "b", "c")
    expect(found(deep)).toEqual(Option.some({ directory: repo, project: file, local: undefined }))
  })

  it("the nearest directory wins, and only its files are used (no multi-level merge)", () => {
    const outer = mk("repo")
    write(path.join(outer, "trop.yaml"), "project: outer\n")
    write(path.join(outer, "trop.local.yaml"), "project: outer-local\n")
    const inner = mk("repo", "pkg")
    const innerFile = write(path.join(inner, "trop.yaml"), "ports: {min: 6000, max: 6100}\n")
    const cwd = mk("repo", "pkg", "src")
    expect(found(cwd)).toEqual(Option.some({ directory: inner, project: innerFile, local: undefined }))
    const s = settingsOf(cwd)
    // Nothing from the outer files leaks in.
    expect(s.project).toEqual(Option.none())
    expect(s.range).toEqual({ min: 6000, max: 6100 })
  })

  it("a directory with only trop.local.yaml stops the walk too", () => {
    const outer = mk("repo")
    write(path.join(outer, "trop.yaml"), "project: outer\n")
    const inner = mk("repo", "pkg")
    const local = write(path.join(inner, "trop.local.yaml"), "project: inner\n")
    expect(found(inner)).toEqual(Option.some({ directory: inner, project: undefined, local }))
    expect(settingsOf(inner).project).toEqual(Option.some("inner"))
  })

  it("both files of the winning directory load; trop.local.yaml overrides trop.yaml", () => {
    const repo = mk("repo")
    const project = write(path.join(repo, "trop.yaml"), "project: shared\noutput_format: csv\nports: {min: 6000, max: 6100}\nexcluded_ports: [6000]\n")
    const local = write(path.join(repo, "trop.local.yaml"), "project: mine\nexcluded_ports: [6001]\n")
    expect(found(repo)).toEqual(Option.some({ directory: repo, project, local }))
    const s = settingsOf(repo)
    expect(s.project).toEqual(Option.some("mine"))
    expect(s.outputFormat).toBe("csv")
    expect(s.range).toEqual({ min: 6000, max: 6100 })
    expect(s.exclusions).toEqual([{ start: 6000, end: 6000 }, { start: 6001, end: 6001 }])
  })

  it(".trop.yaml is not recognized", () => {
    const outer = mk("repo")
    const file = write(path.join(outer, "trop.yaml"), "project: outer\n")
    const inner = mk("repo", "pkg")
    write(path.join(inner, ".trop.yaml"), "project: hidden\n")
    write(path.join(inner, ".trop.local.yaml"), "project: hidden\n")
    write(path.join(inner, "trop.yml"), "project: yml\n")
    expect(found(inner)).toEqual(Option.some({ directory: outer, project: file, local: undefined }))
    expect(settingsOf(inner).project).toEqual(Option.some("outer"))
  })

  it("follows symlinked project files; a dangling symlink does not count", () => {
    const elsewhere = write(path.join(root, "shared", "common.yaml"), "project: linked\n")
    const outer = mk("repo")
    const outerFile = write(path.join(outer, "trop.yaml"), "project: outer\n")
    const linked = mk("repo", "linked")
    fs.symlinkSync(elsewhere, path.join(linked, "trop.yaml"))
    expect(found(linked)).toEqual(Option.some({ directory: linked, project: path.join(linked, "trop.yaml"), local: undefined }))
    expect(settingsOf(linked).project).toEqual(Option.some("linked"))
    const dangling = mk("repo", "dangling")
    fs.symlinkSync(path.join(root, "missing.yaml"), path.join(dangling, "trop.yaml"))
    expect(found(dangling)).toEqual(Option.some({ directory: outer, project: outerFile, local: undefined }))
  })

  it("stops at the filesystem root", () => {
    const cwd = mk("no", "project", "here")
    if (!ancestorsHaveProjectFiles(root)) {
      expect(found(cwd)).toEqual(Option.none())
      const e = Either.getOrThrowWith(effective(cwd), (d) => new Error(d))
      expect(e.project).toEqual(Option.none())
      expect(e.settings.range).toEqual({ min: 5000, max: 7000 })
    }
    // From the root itself the walk ends at once.
    const top = found(path.parse(root).root)
    expect(Option.isNone(top) || Option.getOrThrow(top).directory === path.parse(root).root).toBe(true)
  })

  it("a broken file in a directory above the nearest one is never read", () => {
    write(path.join(root, "repo", "trop.yaml"), "ports: [\n")
    const inner = mk("repo", "pkg")
    write(path.join(inner, "trop.local.yaml"), "project: ok\n")
    expect(effective(inner).pipe(Either.map((e) => Option.getOrUndefined(e.settings.project)))).toEqual(Either.right("ok"))
  })

  it("a broken file of the nearest directory fails the whole configuration, naming the file", () => {
    const repo = mk("repo")
    const file = write(path.join(repo, "trop.local.yaml"), "ports:\n  min: 7000\n  max: 6000\n")
    write(path.join(repo, "trop.yaml"), "project: fine\n")
    expect(effective(mk("repo", "x"))).toEqual(Either.left(`validation error for 'ports (${file})': max must be >= min`))
  })
})

describe("the user config.yaml joins the discovered files (docs/configuration.md)", () => {
  it("is the lowest file layer: trop.yaml and trop.local.yaml override it; its exclusions accumulate", () => {
    const data = mk("data")
    write(path.join(data, "config.yaml"), "output_format: json\nexcluded_ports: [5005]\ncleanup: {expire_after_days: 9}\nports: {min: 6000, max: 6500}\n")
    const repo = mk("repo")
    write(path.join(repo, "trop.yaml"), "output_format: tsv\nexcluded_ports: [5006]\n")
    write(path.join(repo, "trop.local.yaml"), "excluded_ports: [\"5007..5008\"]\nports: {min: 6100}\n")
    const e = Either.getOrThrowWith(effective(repo, data), (d) => new Error(d))
    expect(e.userFile).toEqual(Option.some(path.join(data, "config.yaml")))
    expect(e.settings.outputFormat).toBe("tsv")
    expect(e.settings.expireAfterDays).toBe(9)
    expect(e.settings.range).toEqual({ min: 6100, max: 6500 })
    expect(e.settings.exclusions).toEqual([{ start: 5005, end: 5005 }, { start: 5006, end: 5006 }, { start: 5007, end: 5008 }])
  })

  it("a project key in the user config fails, naming config.yaml", () => {
    const data = mk("data")
    const user = write(path.join(data, "config.yaml"), "project: nope\n")
    expect(effective(mk("repo"), data)).toEqual(
      Either.left(`validation error for 'project (${user})': project is only valid in trop.yaml/trop.local.yaml, not user config.yaml`)
    )
  })
})

describe("the CLI discovers from the canonical working directory (docs/configuration.md, docs/cli.md)", () => {
  it("a symlinked working directory discovers from its target's ancestors, not the link's", () => {
    const data = path.join(root, "data")
    write(path.join(root, "real", "proj", "trop.yaml"), "ports:\n  min: 31950\n  max: 31959\n")
    const target = mk("real", "proj", "sub")
    // The link's lexical parent holds a broken file: reading it would fail the command.
    write(path.join(root, "links", "trop.yaml"), "ports: [\n")
    const link = path.join(root, "links", "here")
    fs.symlinkSync(target, link)
    const r = trop(["--data-dir", data, "reserve", "--dry-run", "--skip-occupancy-check"], { cwd: link, env: { PWD: link } })
    expect({ code: r.code, stdout: r.stdout, stderr: r.stderr }).toEqual({
      code: 0,
      stdout: "",
      stderr: `Dry run - would perform the following actions:\n  1. Reserve port 31950 for ${target}\n`
    })
  })
})
