import { describe, it } from "@effect/vitest"
import { Either } from "effect"
import fc from "fast-check"
import * as nodePath from "node:path"
import { expect } from "vitest"
import type { PathContext } from "../../src/paths/Normalize.js"
import { normalize } from "../../src/paths/Normalize.js"

const context: PathContext = { cwd: "/work/project", home: "/home/user" }

const ok = (raw: string, ctx: PathContext = context): string =>
  Either.match(normalize(raw, ctx), {
    onLeft: (e) => {
      throw new Error(`expected ${JSON.stringify(raw)} to normalize, got ${e.message}`)
    },
    onRight: (p) => p
  })

const error = (raw: string, ctx: PathContext = context): string =>
  Either.match(normalize(raw, ctx), {
    onLeft: (e) => e.message,
    onRight: (p) => `normalized to ${p}`
  })

describe("tilde expansion (docs/concepts.md)", () => {
  it("expands exactly ~ and ~/rest", () => {
    expect(ok("~")).toBe("/home/user")
    expect(ok("~/")).toBe("/home/user")
    expect(ok("~/src/app")).toBe("/home/user/src/app")
    expect(ok("~/src/../other")).toBe("/home/user/other")
  })

  it("refuses ~user and other leading-tilde forms", () => {
    const message = (p: string) => `invalid path ${p}: ~user syntax is not supported; use ~ or ~/path`
    expect(error("~user")).toBe(message("~user"))
    expect(error("~foo/bar")).toBe(message("~foo/bar"))
    expect(error("~~")).toBe(message("~~"))
  })

  it("needs a home directory", () => {
    expect(error("~", { cwd: "/w", home: undefined })).toBe("invalid path ~: Cannot determine home directory")
    expect(error("~/x", { cwd: "/w", home: undefined })).toBe("invalid path ~/x: Cannot determine home directory")
  })

  it("only a leading ~ is special", () => {
    expect(ok("a/~")).toBe("/work/project/a/~")
    expect(ok("/x/~user")).toBe("/x/~user")
    // A path without a tilde never needs the home directory.
    expect(ok("rel", { cwd: "/w", home: undefined })).toBe("/w/rel")
  })
})

describe("relative paths and lexical resolution (docs/concepts.md)", () => {
  it("joins a relative path onto the working directory", () => {
    expect(ok("sub/dir")).toBe("/work/project/sub/dir")
    expect(ok(".")).toBe("/work/project")
    expect(ok("..")).toBe("/work")
    expect(ok("../sibling")).toBe("/work/sibling")
    expect(ok("x", { cwd: "/", home: undefined })).toBe("/x")
  })

  it("drops . components, applies .. and removes repeated and trailing separators", () => {
    expect(ok("/a/./b/../c")).toBe("/a/c")
    expect(ok("//a///b//")).toBe("/a/b")
    expect(ok("/a/b/..")).toBe("/a")
    expect(ok("/a/..")).toBe("/")
    expect(ok("/")).toBe("/")
    expect(ok("/.")).toBe("/")
  })

  it("keeps symlinks as spelled (no filesystem access)", () => {
    expect(ok("/definitely/not/existing/../here")).toBe("/definitely/not/here")
  })

  it("escaping the root is an error, unlike path.resolve", () => {
    const message = (p: string) => `invalid path ${p}: Path contains too many '..' components (escapes root)`
    expect(error("/..")).toBe(message("/.."))
    expect(error("/a/../..")).toBe(message("/a/../.."))
    expect(error("/../a")).toBe(message("/../a"))
    // Escaping in the middle is an error even if later components would come back down.
    expect(error("/a/../../b")).toBe(message("/a/../../b"))
    expect(error("../../..")).toBe(message("../../.."))
    expect(nodePath.posix.resolve("/..")).toBe("/") // what we must not do
  })

  it("refuses text that is not representable as UTF-8", () => {
    expect(error("/a/\uD800b")).toBe("invalid path /a/\uD800b: Path contains invalid UTF-8")
  })
})

// Properties ------------------------------------------------------------------------------

const segment = fc.constantFrom("a", "b", "c.d", "..", ".", "", "x y", "~", "…", ".a", "..b", "...", "e.", "f..")
const relative = fc.array(segment, { minLength: 0, maxLength: 8 }).map((parts) => parts.join("/"))
/** Absolute or relative; never a leading `~` (tilde expansion has its own tests). */
const rawPath = fc.tuple(fc.boolean(), relative).map(([absolute, rel]) =>
  absolute ? "/" + rel : rel.startsWith("~") ? "./" + rel : rel
)
const absoluteDir = fc.array(fc.constantFrom("w", "p", "q r", "s"), { maxLength: 4 }).map((parts) => "/" + parts.join("/"))

/** Does resolving `raw` against `cwd` go above the root at some step? */
const escapesRoot = (raw: string, cwd: string): boolean => {
  const full = raw.startsWith("/") ? raw : `${cwd}/${raw}`
  let depth = 0
  for (const part of full.split("/")) {
    if (part === "" || part === ".") continue
    depth += part === ".." ? -1 : 1
    if (depth < 0) return true
  }
  return false
}

const componentsOf = (p: string) => p.split("/").filter((c) => c !== "")

describe("normalize properties", () => {
  it.prop(
    "fails exactly when the path escapes the root; otherwise agrees with path.posix.resolve",
    [rawPath, absoluteDir],
    ([raw, cwd]) => {
      const result = normalize(raw, { cwd, home: "/home/u" })
      if (escapesRoot(raw, cwd)) {
        expect(Either.isLeft(result)).toBe(true)
      } else {
        expect(result).toEqual(Either.right(nodePath.posix.resolve(cwd, raw)))
      }
    },
    { fastCheck: { numRuns: 200 } }
  )

  it.prop(
    "the output is absolute, has no ., .. or empty components, and is a fixed point",
    [rawPath, absoluteDir],
    ([raw, cwd]) => {
      const ctx = { cwd, home: "/home/u" }
      Either.match(normalize(raw, ctx), {
        onLeft: () => undefined,
        onRight: (p) => {
          expect(p.startsWith("/")).toBe(true)
          expect(p === "/" || !p.endsWith("/")).toBe(true)
          expect(p.includes("//")).toBe(false)
          expect(componentsOf(p).some((c) => c === "." || c === "..")).toBe(false)
          expect(normalize(p, ctx)).toEqual(Either.right(p))
          // The same absolute result from any other working directory.
          expect(normalize(p, { cwd: "/elsewhere", home: undefined })).toEqual(Either.right(p))
        }
      })
    },
    { fastCheck: { numRuns: 200 } }
  )

  it.prop(
    "~/rest is the home directory joined with rest",
    [relative, absoluteDir],
    ([rest, home]) => {
      const reason = (raw: string, h: string | undefined) =>
        Either.mapLeft(normalize(raw, { cwd: "/cwd", home: h }), (e) => e.reason)
      expect(reason(`~/${rest}`, home)).toEqual(reason(`${home}/${rest}`, undefined))
    },
    { fastCheck: { numRuns: 100 } }
  )
})
