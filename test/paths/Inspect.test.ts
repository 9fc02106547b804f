import { describe, it } from "@effect/vitest"
import { Effect } from "effect"
import * as fs from "node:fs"
import * as nodePath from "node:path"
import { expect } from "vitest"
import { inspectDirectory } from "../../src/paths/Inspect.js"
import { tempDirScoped } from "../fixtures/Fixtures.js"

/** What prune learns about each kind of filesystem entry (docs/concepts.md). */
describe("inspectDirectory", () => {
  const layout = Effect.gen(function*() {
    const root = yield* tempDirScoped("trop-inspect-")
    const at = (name: string) => nodePath.join(root, name)
    fs.mkdirSync(at("dir"))
    fs.writeFileSync(at("file"), "x")
    fs.symlinkSync(at("nowhere"), at("dangling"))
    fs.symlinkSync(at("file"), at("to-file"))
    fs.symlinkSync(at("dir"), at("to-dir"))
    fs.symlinkSync(at("loop-a"), at("loop-b"))
    fs.symlinkSync(at("loop-b"), at("loop-a"))
    return at
  })

  it.scoped("an existing directory (also through a symlink) is kept", () =>
    Effect.gen(function*() {
      const at = yield* layout
      expect(yield* inspectDirectory(at("dir"))).toEqual({ _tag: "Directory" })
      expect(yield* inspectDirectory(at("to-dir"))).toEqual({ _tag: "Directory" })
    }))

  it.scoped("missing paths, files, dangling symlinks and symlinks to files are prunable", () =>
    Effect.gen(function*() {
      const at = yield* layout
      for (const name of ["missing", "file", "dangling", "to-file", "file/child", "dir/missing/child"]) {
        expect(yield* inspectDirectory(at(name)), name).toEqual({ _tag: "Prunable" })
      }
    }))

  it.scoped("paths the host rejects outright are prunable", () =>
    Effect.gen(function*() {
      const at = yield* layout
      expect(yield* inspectDirectory(at("nul\0byte"))).toEqual({ _tag: "Prunable" })
      expect(yield* inspectDirectory(at("n".repeat(5000)))).toEqual({ _tag: "Prunable" })
    }))

  it.scoped("a symlink loop is uninspectable (kept, with a warning)", () =>
    Effect.gen(function*() {
      const at = yield* layout
      const status = yield* inspectDirectory(at("loop-a"))
      expect(status._tag).toBe("Uninspectable")
      if (status._tag === "Uninspectable") {
        expect(status.kind).toBe("symlink loop")
        expect(status.reason).toContain("ELOOP")
      }
    }))
})
