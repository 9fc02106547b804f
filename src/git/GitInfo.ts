import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as fs from "node:fs"
import * as nodePath from "node:path"
import * as Either from "effect/Either"
import { InvalidConfiguration } from "../domain/Errors.js"
import type { Project, Task } from "../domain/Identifier.js"
import { projectFromInput, taskFromInput } from "../domain/Identifier.js"
import { describeFailure, GIT_METADATA_LIMIT, readBounded } from "../paths/SafeRead.js"

/** What Git says about a directory: the repository's name and the worktree's task. */
export interface GitMetadata {
  readonly project: Option.Option<Project>
  readonly task: Option.Option<Task>
}

export const NONE: GitMetadata = { project: Option.none(), task: Option.none() }

/**
 * Project/task inference for new single reservations (docs/concepts.md): best effort —
 * no repository, unreadable or odd metadata infer nothing — except that a metadata file
 * that is a FIFO, a device or larger than 64 KiB is refused as a configuration error, so a
 * repository cannot hang trop or exhaust its memory. The live layer reads `.git` metadata
 * directly instead of spawning git, because it runs on every new reservation.
 */
export class GitInfo extends Context.Tag("trop/GitInfo")<GitInfo, {
  readonly infer: (path: string) => Effect.Effect<GitMetadata, InvalidConfiguration>
}>() {
  /** Reads the repository's metadata files. */
  static readonly live: Context.Tag.Service<GitInfo> = { infer: (path) => Effect.suspend(() => inferSync(path)) }
  static readonly layer = Layer.succeed(GitInfo, GitInfo.live)

  /** A test double answering the same for every path. */
  static readonly Test = (answer: GitMetadata) => Layer.succeed(GitInfo, { infer: () => Effect.succeed(answer) })
}

/** A metadata file's bytes; none when it cannot be read (best effort), refused when hostile. */
const readMetadata = (path: string): Either.Either<Option.Option<Buffer>, InvalidConfiguration> =>
  Either.match(readBounded(path, GIT_METADATA_LIMIT), {
    onLeft: (failure) =>
      failure._tag === "Unreadable"
        ? Either.right(Option.none())
        : Either.left(
          new InvalidConfiguration({ detail: `invalid path ${path}: Failed to read Git metadata: ${describeFailure(failure)}` })
        ),
    onRight: (bytes) => Either.right(Option.some(bytes))
  })

const readText = (path: string) => Either.map(readMetadata(path), Option.map((bytes) => bytes.toString("utf8")))

const isDirectory = (path: string) => fs.statSync(path, { throwIfNoEntry: false })?.isDirectory() === true

/** A bare repository (or any git directory): HEAD, objects/ and refs/. */
const isGitDirectory = (dir: string) =>
  fs.statSync(nodePath.join(dir, "HEAD"), { throwIfNoEntry: false })?.isFile() === true &&
  isDirectory(nodePath.join(dir, "objects")) && isDirectory(nodePath.join(dir, "refs"))

/** A git directory's common directory: its `commondir` file for linked worktrees, else itself. */
const commonDirectory = (gitDir: string) =>
  Either.map(readText(nodePath.join(gitDir, "commondir")), (text) => {
    const common = Option.getOrUndefined(text)?.trim()
    return common === undefined || common === "" ? gitDir : nodePath.resolve(gitDir, common)
  })

const utf8 = new TextDecoder("utf-8", { fatal: true })

/** `refs/heads/feature/x` → `feature/x`; detached, other refs or a non-UTF-8 name → none. */
const branch = (gitDir: string) =>
  Either.map(readMetadata(nodePath.join(gitDir, "HEAD")), (bytes) => {
    let head: string
    try {
      head = utf8.decode(Option.getOrElse(bytes, () => Buffer.alloc(0))).trim()
    } catch {
      return undefined
    }
    return /^ref:\s*refs\/heads\/(.+)$/.exec(head)?.[1]
  })

interface Repository {
  readonly gitDir: string
  /** Set for a linked worktree (its `.git` is a file): the worktree directory. */
  readonly linkedWorktree: string | undefined
}

/** The repository that `path` is in, searching upward (a `.git` entry, or a bare repository). */
const findRepository = (path: string): Either.Either<Repository | undefined, InvalidConfiguration> => {
  for (let dir = path;; dir = nodePath.dirname(dir)) {
    const dotGit = nodePath.join(dir, ".git")
    const stat = fs.statSync(dotGit, { throwIfNoEntry: false })
    if (stat?.isDirectory() === true) return Either.right({ gitDir: dotGit, linkedWorktree: undefined })
    if (stat?.isFile() === true) {
      const text = readText(dotGit)
      if (Either.isLeft(text)) return Either.left(text.left)
      const target = /^gitdir:\s*(.+)$/m.exec(Option.getOrElse(text.right, () => ""))?.[1]?.trim()
      if (target !== undefined) return Either.right({ gitDir: nodePath.resolve(dir, target), linkedWorktree: dir })
    }
    if (isGitDirectory(dir)) return Either.right({ gitDir: dir, linkedWorktree: undefined })
    if (nodePath.dirname(dir) === dir) return Either.right(undefined)
  }
}

const valid = <A>(candidate: string | undefined, parse: (raw: string) => Either.Either<A, string>): Option.Option<A> =>
  candidate === undefined ? Option.none() : Either.getRight(parse(candidate))

const inferSync = (path: string): Effect.Effect<GitMetadata, InvalidConfiguration> => {
  try {
    if (!isDirectory(path)) return Effect.succeed(NONE)
    return Either.gen(function*() {
      const repository = yield* findRepository(path)
      if (repository === undefined) return NONE
      const common = fs.realpathSync.native(yield* commonDirectory(repository.gitDir))
      const name = nodePath.basename(common) === ".git" ? nodePath.basename(nodePath.dirname(common)) : nodePath.basename(common)
      const project = name.endsWith(".git") ? name.slice(0, -".git".length) : name
      const task = repository.linkedWorktree === undefined
        ? yield* branch(repository.gitDir)
        : nodePath.basename(repository.linkedWorktree)
      return { project: valid(project, projectFromInput), task: valid(task, taskFromInput) }
    })
  } catch {
    // Anything else (a vanished directory, a dangling commondir) infers nothing.
    return Effect.succeed(NONE)
  }
}
