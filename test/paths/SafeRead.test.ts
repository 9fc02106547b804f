import { Either } from "effect"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { afterAll, describe, expect, it } from "vitest"
import type { ReadFailure } from "../../src/paths/SafeRead.js"
import { CONFIGURATION_LIMIT, describeFailure, GIT_METADATA_LIMIT, readBounded } from "../../src/paths/SafeRead.js"

/**
 * The bounded read of files a repository controls. FIFOs are covered end to end, in a
 * child process that cannot hang the suite (test/cli/hostile-files.test.ts).
 */

const dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), "trop-saferead-")))
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }))

const file = (name: string, bytes: number) => {
  const p = path.join(dir, name)
  fs.writeFileSync(p, Buffer.alloc(bytes, 0x61))
  return p
}

const failure = (p: string, limit: number): ReadFailure =>
  Either.match(readBounded(p, limit), { onLeft: (f) => f, onRight: (b) => { throw new Error(`read ${b.length} bytes`) } })

describe("readBounded", () => {
  it("the limits: 1 MiB for configuration, 64 KiB for Git metadata", () => {
    expect([CONFIGURATION_LIMIT, GIT_METADATA_LIMIT]).toEqual([1048576, 65536])
  })

  it("reads a regular file up to and including the limit", () => {
    expect(Either.getOrThrow(readBounded(file("empty", 0), 10)).length).toBe(0)
    expect(Either.getOrThrow(readBounded(file("ten", 10), 10)).toString()).toBe("aaaaaaaaaa")
  })

  it("one byte past the limit is TooLarge, named with the limit", () => {
    const f = failure(file("eleven", 11), 10)
    expect(f).toEqual({ _tag: "TooLarge", limit: 10 })
    expect(describeFailure({ _tag: "TooLarge", limit: CONFIGURATION_LIMIT })).toBe("larger than the 1 MiB limit")
    expect(describeFailure({ _tag: "TooLarge", limit: GIT_METADATA_LIMIT })).toBe("larger than the 64 KiB limit")
  })

  it("a file longer than its reported size is still cut at the limit (/proc reports 0 bytes)", () => {
    expect(failure("/proc/self/status", 16)).toEqual({ _tag: "TooLarge", limit: 16 })
    expect(Either.getOrThrow(readBounded("/proc/self/status", GIT_METADATA_LIMIT)).toString()).toMatch(/^Name:/)
  })

  it("devices are not read: NotRegularFile, through symlinks too", () => {
    const link = path.join(dir, "zero.yaml")
    fs.symlinkSync("/dev/zero", link)
    expect(failure(link, CONFIGURATION_LIMIT)).toEqual({ _tag: "NotRegularFile" })
    expect(failure("/dev/null", CONFIGURATION_LIMIT)).toEqual({ _tag: "NotRegularFile" })
    expect(describeFailure({ _tag: "NotRegularFile" })).toBe("not a regular file")
  })

  it("a directory fails its read with EISDIR; a missing file with ENOENT", () => {
    const d = path.join(dir, "a-directory")
    fs.mkdirSync(d)
    expect(describeFailure(failure(d, 10))).toBe("EISDIR: illegal operation on a directory, read")
    expect(describeFailure(failure(path.join(dir, "missing"), 10))).toMatch(/^ENOENT: no such file or directory, open /)
  })

  it("leaves no descriptor open", () => {
    const before = fs.readdirSync("/proc/self/fd").length
    for (let i = 0; i < 50; i++) {
      readBounded(file("ten", 10), 10)
      readBounded(file("eleven", 11), 10)
      readBounded("/dev/null", 10)
    }
    expect(fs.readdirSync("/proc/self/fd").length).toBe(before)
  })
})
