import { describe, it } from "@effect/vitest"
import { Effect, Exit } from "effect"
import * as fs from "node:fs"
import * as nodePath from "node:path"
import { expect } from "vitest"
import { canonicalize, canonicalizeExistingPrefix } from "../../src/paths/Canonical.js"
import { checkRelated } from "../../src/paths/Guard.js"
import { abs, tempDirScoped } from "../fixtures/Fixtures.js"

const violation = (target: string, cwd: string) =>
  `path relationship violation: ${target} and ${cwd} are unrelated paths`

describe("lexical relationship (docs/concepts.md)", () => {
  it.effect("the working directory itself, an ancestor and a descendant are allowed", () =>
    Effect.gen(function*() {
      const cwd = abs("/nonexistent-root/work/a")
      for (const target of ["/nonexistent-root/work/a", "/nonexistent-root/work", "/", "/nonexistent-root/work/a/b/c"]) {
        const exit = yield* Effect.exit(checkRelated(abs(target), cwd))
        expect(Exit.isSuccess(exit), target).toBe(true)
      }
    }))

  it.effect("a sibling whose name merely extends the working directory's is unrelated", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(checkRelated(abs("/nonexistent-root/work/ab"), abs("/nonexistent-root/work/a")))
      expect(error._tag).toBe("PathRelationshipViolation")
      expect(error.message).toBe(violation("/nonexistent-root/work/ab", "/nonexistent-root/work/a"))
    }))

  it.effect("an unrelated path is refused with the exact message", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(checkRelated(abs("/nonexistent-root/x"), abs("/nonexistent-root/y/z")))
      expect(error.message).toBe(violation("/nonexistent-root/x", "/nonexistent-root/y/z"))
    }))
})

describe("physical retry through symlinks (docs/concepts.md)", () => {
  /** root/real/project (a directory), root/link → root/real, root/loop → root/loop. */
  const layout = Effect.gen(function*() {
    const root = yield* tempDirScoped("trop-guard-")
    const real = nodePath.join(root, "real")
    fs.mkdirSync(nodePath.join(real, "project"), { recursive: true })
    fs.mkdirSync(nodePath.join(root, "elsewhere"))
    fs.symlinkSync(real, nodePath.join(root, "link"))
    fs.symlinkSync(nodePath.join(root, "loop"), nodePath.join(root, "loop"))
    return { root, cwd: abs(nodePath.join(real, "project")) }
  })

  it.scoped("a target spelled through a symlink is related to the physical working directory", () =>
    Effect.gen(function*() {
      const { cwd, root } = yield* layout
      // Exists: the project itself through the link.
      yield* checkRelated(abs(nodePath.join(root, "link", "project")), cwd)
      // Does not exist yet: the non-existent remainder is re-appended to the canonical prefix.
      yield* checkRelated(abs(nodePath.join(root, "link", "project", "new", "deeper")), cwd)
      // An ancestor spelled through the link.
      yield* checkRelated(abs(nodePath.join(root, "link")), cwd)
    }))

  it.scoped("a working directory spelled through a symlink is canonicalized too", () =>
    Effect.gen(function*() {
      const { root } = yield* layout
      yield* checkRelated(abs(nodePath.join(root, "real", "project", "sub")), abs(nodePath.join(root, "link", "project")))
    }))

  it.scoped("physically unrelated paths are still refused, naming the paths as given", () =>
    Effect.gen(function*() {
      const { cwd, root } = yield* layout
      const target = nodePath.join(root, "link", "other")
      const error = yield* Effect.flip(checkRelated(abs(target), cwd))
      expect(error.message).toBe(violation(target, cwd))
      const elsewhere = nodePath.join(root, "elsewhere")
      expect((yield* Effect.flip(checkRelated(abs(elsewhere), cwd))).message).toBe(violation(elsewhere, cwd))
    }))

  it.scoped("a canonicalization failure (symlink loop) counts as not related", () =>
    Effect.gen(function*() {
      const { cwd, root } = yield* layout
      const target = nodePath.join(root, "loop", "x")
      const error = yield* Effect.flip(checkRelated(abs(target), cwd))
      expect(error._tag).toBe("PathRelationshipViolation")
      expect(error.message).toBe(violation(target, cwd))
    }))

  it.scoped("canonicalize reports missing paths and loops as typed errors", () =>
    Effect.gen(function*() {
      const { root } = yield* layout
      const missing = nodePath.join(root, "missing")
      const notFound = yield* Effect.flip(canonicalize(missing))
      expect(notFound.message).toBe(`path not found: ${missing}`)
      const loop = nodePath.join(root, "loop")
      expect((yield* Effect.flip(canonicalize(loop))).message).toBe(`symlink loop detected: ${loop}`)
      expect(yield* canonicalize(nodePath.join(root, "link", "project"))).toBe(nodePath.join(root, "real", "project"))
      expect(yield* canonicalizeExistingPrefix(abs(nodePath.join(root, "link", "a", "b")))).toBe(
        nodePath.join(root, "real", "a", "b")
      )
    }))
})
