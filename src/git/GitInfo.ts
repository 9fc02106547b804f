import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as fs from "node:fs"
import * as nodePath from "node:path"
import type { Project, Task } from "../domain/Identifier.js"
import { projectFromInput, taskFromInput } from "../domain/Identifier.js"
import * as Either from "effect/Either"

/** What Git says about a directory: the repository's name and the worktree's task. */
export interface GitMetadata {
  readonly project: Option.Option<Project>
  readonly task: Option.Option<Task>
}

export const NONE: GitMetadata = { project: Option.none(), task: Option.none() }

/**
 * Project/task inference for new single reservations (semantics.md §5.3): best effort,
 * never fails. The live layer reads `.git` metadata directly instead of spawning git,
 * because it runs on every new reservation.
 */
export class GitInfo extends Context.Tag("trop/GitInfo")<GitInfo, {
  readonly infer: (path: string) => Effect.Effect<GitMetadata>
}>() {
  static readonly layer = Layer.succeed(GitInfo, { infer: (path) => Effect.sync(() => inferSync(path)) })

  /** A test double answering the same for every path. */
  static readonly Test = (answer: GitMetadata) => Layer.succeed(GitInfo, { infer: () => Effect.succeed(answer) })
}

const readText = (path: string): string | undefined => {
  try {
    return fs.readFileSync(path, "utf8")
  } catch {
    return undefined
  }
}

const isDirectory = (path: string) => fs.statSync(path, { throwIfNoEntry: false })?.isDirectory() === true

/** A bare repository (or any git directory): HEAD, objects/ and refs/. */
const isGitDirectory = (dir: string) =>
  fs.statSync(nodePath.join(dir, "HEAD"), { throwIfNoEntry: false })?.isFile() === true &&
  isDirectory(nodePath.join(dir, "objects")) && isDirectory(nodePath.join(dir, "refs"))

/** A git directory's common directory: its `commondir` file for linked worktrees, else itself. */
const commonDirectory = (gitDir: string): string => {
  const common = readText(nodePath.join(gitDir, "commondir"))?.trim()
  return common === undefined || common === "" ? gitDir : nodePath.resolve(gitDir, common)
}

const utf8 = new TextDecoder("utf-8", { fatal: true })

/** `refs/heads/feature/x` → `feature/x`; detached, other refs or a non-UTF-8 name → none. */
const branch = (gitDir: string): string | undefined => {
  let head: string | undefined
  try {
    head = utf8.decode(fs.readFileSync(nodePath.join(gitDir, "HEAD"))).trim()
  } catch {
    return undefined
  }
  const match = head === undefined ? null : /^ref:\s*refs\/heads\/(.+)$/.exec(head)
  return match?.[1]
}

interface Repository {
  readonly gitDir: string
  /** Set for a linked worktree (its `.git` is a file): the worktree directory. */
  readonly linkedWorktree: string | undefined
}

/** The repository that `path` is in, searching upward (a `.git` entry, or a bare repository). */
const findRepository = (path: string): Repository | undefined => {
  for (let dir = path;; dir = nodePath.dirname(dir)) {
    const dotGit = nodePath.join(dir, ".git")
    const stat = fs.statSync(dotGit, { throwIfNoEntry: false })
    if (stat?.isDirectory() === true) return { gitDir: dotGit, linkedWorktree: undefined }
    if (stat?.isFile() === true) {
      const target = /^gitdir:\s*(.+)$/m.exec(readText(dotGit) ?? "")?.[1]?.trim()
      if (target !== undefined) return { gitDir: nodePath.resolve(dir, target), linkedWorktree: dir }
    }
    if (isGitDirectory(dir)) return { gitDir: dir, linkedWorktree: undefined }
    if (nodePath.dirname(dir) === dir) return undefined
  }
}

const valid = <A>(candidate: string | undefined, parse: (raw: string) => Either.Either<A, string>): Option.Option<A> =>
  candidate === undefined ? Option.none() : Either.getRight(parse(candidate))

const inferSync = (path: string): GitMetadata => {
  try {
    if (!isDirectory(path)) return NONE
    const repository = findRepository(path)
    if (repository === undefined) return NONE
    const common = fs.realpathSync.native(commonDirectory(repository.gitDir))
    const name = nodePath.basename(common) === ".git" ? nodePath.basename(nodePath.dirname(common)) : nodePath.basename(common)
    const project = name.endsWith(".git") ? name.slice(0, -".git".length) : name
    const task = repository.linkedWorktree === undefined
      ? branch(repository.gitDir)
      : nodePath.basename(repository.linkedWorktree)
    return { project: valid(project, projectFromInput), task: valid(task, taskFromInput) }
  } catch {
    return NONE
  }
}
