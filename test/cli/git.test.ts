import { spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { afterEach, beforeEach, describe, expect, it } from "vitest"
import { cleanEnv } from "../support/cli.js"
import { expectOk, expectPort, type JsonRow, listJson, makeSandbox, type Sandbox, seed, T0, T1 } from "./_helpers.js"

/**
 * Git inference of project and task for new single reservations (docs/concepts.md),
 * with real repositories made by the git binary in temporary directories.
 */

// Private port range of this file.
const MIN = 32300
const MAX = 32399

const gitMissing = spawnSync("git", ["--version"]).status !== 0

let sb: Sandbox
let gitHome: string
beforeEach(() => {
  sb = makeSandbox([MIN, MAX])
  gitHome = sb.dir("git-home")
})
afterEach(() => sb.cleanup())

/** Runs git in `cwd` with no system or user configuration; throws on failure. */
const git = (cwd: string, ...args: Array<string>): string => {
  const env = cleanEnv({ HOME: gitHome, GIT_CONFIG_NOSYSTEM: "1", GIT_CONFIG_GLOBAL: path.join(gitHome, "none") })
  for (const k of Object.keys(env)) if (k.startsWith("GIT_") && k !== "GIT_CONFIG_NOSYSTEM" && k !== "GIT_CONFIG_GLOBAL") delete env[k]
  const r = spawnSync(
    "git",
    ["-c", "user.name=Trop Test", "-c", "user.email=trop@example.com", "-c", "init.defaultBranch=main", ...args],
    { cwd, env, encoding: "utf8" }
  )
  if (r.status !== 0) throw new Error(`git ${args.join(" ")} failed: ${r.stderr}`)
  return r.stdout.trim()
}

/** A repository at `<root>/g/<name>` on branch `branch`, with one commit unless `unborn`. */
const repo = (name: string, o: { readonly branch?: string; readonly unborn?: boolean } = {}) => {
  const parent = sb.dir("g")
  git(parent, "init", "-q", "-b", o.branch ?? "main", name)
  const dir = path.join(parent, name)
  if (o.unborn !== true) git(dir, "commit", "-q", "--allow-empty", "-m", "init")
  return dir
}

const metadata = (r: JsonRow | undefined) => (r === undefined ? undefined : { project: r.project, task: r.task })

interface Meta {
  readonly project: string | null
  readonly task: string | null
}

/** Reserves with `cwd` as the implicit path (a new untagged key unless stated otherwise). */
const reserveIn = (cwd: string, args: ReadonlyArray<string> = [], env: Record<string, string> = {}) => {
  expectPort(sb.run(["reserve", ...args], { cwd, env }))
}

/** One `list --format json`: the project/task stored for each untagged path. */
const expectMeta = (expected: ReadonlyArray<readonly [string, Meta]>) => {
  const rows = listJson(sb)
  expect(expected.map(([p]) => [p, metadata(rows.find((r) => r.path === p && r.tag === null))])).toEqual(
    expected.map(([p, m]) => [p, m])
  )
}

describe.skipIf(gitMissing)("Git inference (docs/concepts.md)", () => {
  it("a repository on a branch: project = repository directory name, task = branch; nested directories too; 'feature/x' stays 'feature/x'", () => {
    const dir = repo("myrepo")
    reserveIn(dir)
    git(dir, "checkout", "-q", "-b", "feature/x")
    const deep = path.join(dir, "src", "deep")
    fs.mkdirSync(deep, { recursive: true })
    reserveIn(deep)
    // Inside the .git directory itself, the repository is still found.
    const inGitDir = path.join(dir, ".git", "refs")
    reserveIn(inGitDir)
    expectMeta([
      [dir, { project: "myrepo", task: "main" }],
      [deep, { project: "myrepo", task: "feature/x" }],
      [inGitDir, { project: "myrepo", task: "feature/x" }]
    ])
  })

  it("an existing key is not re-inferred: Preserve keeps the stored values (no sticky error)", () => {
    const dir = repo("keep")
    reserveIn(dir)
    git(dir, "checkout", "-q", "-b", "other")
    reserveIn(dir)
    expectMeta([[dir, { project: "keep", task: "main" }]])
  })

  it("a stored row without metadata stays without metadata", () => {
    const dir = repo("bare-meta")
    seed(sb, [{ path: dir, port: MIN + 50, project: null, task: null, created_at: T0, last_used_at: T1 }])
    expectOk(sb.run(["reserve"], { cwd: dir }), `${MIN + 50}\n`)
    expectMeta([[dir, { project: null, task: null }]])
  })

  it("an unborn branch counts as the current branch; detached HEAD gives no task", () => {
    const unborn = repo("fresh", { branch: "trunk", unborn: true })
    reserveIn(unborn)
    const detached = repo("detached")
    git(detached, "checkout", "-q", "--detach")
    reserveIn(detached)
    expectMeta([
      [unborn, { project: "fresh", task: "trunk" }],
      [detached, { project: "detached", task: null }]
    ])
  })

  it("a linked worktree: project = main repository's name, task = worktree directory name", () => {
    const main = repo("mainrepo")
    const wt = path.join(path.dirname(main), "wt-one")
    git(main, "worktree", "add", "-q", "-b", "some-branch", wt)
    reserveIn(wt)
    const nested = path.join(wt, "pkg")
    fs.mkdirSync(nested)
    reserveIn(nested)
    // The main work tree itself still reports its branch.
    reserveIn(main)
    expectMeta([
      [wt, { project: "mainrepo", task: "wt-one" }],
      [nested, { project: "mainrepo", task: "wt-one" }],
      [main, { project: "mainrepo", task: "main" }]
    ])
  })

  it("a bare repository 'name.git': project 'name' (one trailing .git stripped)", () => {
    const src = repo("source")
    const bare = path.join(sb.dir("bare"), "name.git")
    git(sb.root, "clone", "-q", "--bare", src, bare)
    const head = git(bare, "symbolic-ref", "--short", "HEAD")
    const inside = path.join(bare, "refs", "heads")
    reserveIn(bare)
    reserveIn(inside)
    expectMeta([
      [bare, { project: "name", task: head }],
      [inside, { project: "name", task: head }]
    ])
  })

  it("a directory outside any repository, or a reservation path that does not exist: no metadata; GIT_DIR is ignored", () => {
    const plain = sb.dir("plain", "dir")
    const r = repo("elsewhere")
    reserveIn(plain, [], { GIT_DIR: path.join(r, ".git"), GIT_WORK_TREE: r })
    const missing = path.join(r, "not-yet")
    expectPort(sb.run(["reserve", "--path", missing], { cwd: r }))
    expectMeta([
      [plain, { project: null, task: null }],
      [missing, { project: null, task: null }]
    ])
  })

  it("inference follows the reservation path (--path), not the working directory; symlinks resolve to the real name", () => {
    const dir = repo("target")
    const parent = path.dirname(dir)
    expectPort(sb.run(["reserve", "--path", dir], { cwd: parent }))
    const plain = sb.dir("g", "not-a-repo")
    expectPort(sb.run(["reserve", "--path", plain, "--allow-unrelated-path"], { cwd: dir }))
    // Through a symlink (an explicit path keeps the symlink): the canonical repository name counts.
    const alias = path.join(parent, "alias")
    fs.symlinkSync(dir, alias)
    expectPort(sb.run(["reserve", "--path", alias], { cwd: parent }))
    expectMeta([
      [dir, { project: "target", task: "main" }],
      [plain, { project: null, task: null }],
      [alias, { project: "target", task: "main" }]
    ])
  })
})

describe.skipIf(gitMissing)("explicit values win over inference (docs/concepts.md)", () => {
  it("--project/--task, TROP_PROJECT, TROP_TASK, trop.yaml project, --clear-project, --clear-task", () => {
    const dir = repo("infer")
    const sub = (name: string) => {
      const p = path.join(dir, name)
      fs.mkdirSync(p)
      return p
    }
    const both = sub("both")
    const envp = sub("envp")
    const envt = sub("envt")
    const clearp = sub("clearp")
    const cleart = sub("cleart")
    const cliEnv = sub("cli-env")
    const yaml = sub("yaml")
    reserveIn(both, ["--project", " P ", "--task", "T"])
    reserveIn(envp, [], { TROP_PROJECT: "envp" })
    reserveIn(envt, [], { TROP_TASK: "envt" })
    reserveIn(clearp, ["--clear-project"])
    reserveIn(cleart, ["--clear-task"], { TROP_TASK: "ignored" })
    reserveIn(cliEnv, ["--project", "cli"], { TROP_PROJECT: "env" })
    fs.writeFileSync(path.join(dir, "trop.yaml"), "project: from-yaml\n")
    reserveIn(yaml)
    expectMeta([
      [both, { project: "P", task: "T" }],
      [envp, { project: "envp", task: "main" }],
      [envt, { project: "infer", task: "envt" }],
      [clearp, { project: null, task: "main" }],
      [cleart, { project: "infer", task: null }],
      [cliEnv, { project: "cli", task: "main" }],
      [yaml, { project: "from-yaml", task: "main" }]
    ])
  })
})

describe.skipIf(gitMissing)("invalid inferred names are dropped (docs/configuration.md, docs/concepts.md)", () => {
  it("a whitespace-only repository name gives no project (the branch is still used); an inferred name is trimmed", () => {
    const blank = repo("   ")
    const spaced = repo(" spaced ")
    reserveIn(blank)
    reserveIn(spaced)
    expectMeta([
      [blank, { project: null, task: "main" }],
      [spaced, { project: "spaced", task: "main" }]
    ])
  })

  it("a HEAD pointing outside refs/heads/ gives no task", () => {
    const other = repo("remote-head", { unborn: true })
    fs.writeFileSync(path.join(other, ".git", "HEAD"), "ref: refs/remotes/origin/main\n")
    reserveIn(other)
    expectMeta([[other, { project: "remote-head", task: null }]])
  })

  it("a HEAD naming a non-UTF-8 branch gives no task", () => {
    const dir = repo("latin", { unborn: true })
    fs.writeFileSync(path.join(dir, ".git", "HEAD"), Buffer.from("ref: refs/heads/caf\xe9\n", "latin1"))
    reserveIn(dir)
    expectMeta([[dir, { project: "latin", task: null }]])
  })

  it("a branch name over 255 bytes gives no task (the project is still used); exactly 255 bytes is kept", () => {
    const long = `${"a".repeat(150)}/${"b".repeat(150)}`
    const dir = repo("longbranch", { branch: long, unborn: true })
    expect(git(dir, "symbolic-ref", "--short", "HEAD")).toBe(long)
    const ok = `${"c".repeat(127)}/${"d".repeat(127)}`
    const dir2 = repo("okbranch", { branch: ok, unborn: true })
    reserveIn(dir)
    reserveIn(dir2)
    expectMeta([
      [dir, { project: "longbranch", task: null }],
      [dir2, { project: "okbranch", task: ok }]
    ])
  })
})
