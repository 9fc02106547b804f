import { describe, it } from "@effect/vitest"
import { Schema } from "effect"
import fc from "fast-check"
import { expect } from "vitest"
import { AbsolutePath, areRelated, isUnder, rebase } from "../../src/domain/AbsolutePath.js"
import { abs } from "../fixtures/Fixtures.js"

/** A path component: no separator, never `.` or `..`. */
const component = fc.stringMatching(/^[a-z0-9._-]{1,6}$/).filter((c) => c !== "." && c !== "..")
const components = fc.array(component, { minLength: 0, maxLength: 5 })
const join = (parts: ReadonlyArray<string>) => "/" + parts.join("/")

describe("AbsolutePath schema", () => {
  it("accepts only absolute, lexically normal paths without a trailing separator", () => {
    const is = Schema.is(AbsolutePath)
    expect(["/", "/a", "/a/b", "/a b/c.d"].every(is)).toBe(true)
    expect(["", "a", "a/b", "/a/", "/a//b", "/a/./b", "/a/../b", "/..", "//a"].some(is)).toBe(false)
  })
})

describe("isUnder / areRelated compare whole components (docs/concepts.md)", () => {
  it("examples", () => {
    expect(isUnder("/work/a", "/work/a")).toBe(true)
    expect(isUnder("/work/a/b", "/work/a")).toBe(true)
    expect(isUnder("/work/ab", "/work/a")).toBe(false)
    expect(isUnder("/work", "/work/a")).toBe(false)
    expect(isUnder("/anything/at/all", "/")).toBe(true)
    expect(isUnder("/", "/")).toBe(true)
    expect(areRelated("/work/a", "/work/ab")).toBe(false)
    expect(areRelated("/work", "/work/a/b")).toBe(true)
    expect(areRelated("/work/a/b", "/work")).toBe(true)
    expect(areRelated("/x", "/y")).toBe(false)
  })

  it.prop("a path with components appended is under its prefix", [components, fc.array(component, { minLength: 1, maxLength: 3 })], ([base, extra]) => {
    const parent = join(base)
    const child = join([...base, ...extra])
    expect(isUnder(child, parent)).toBe(true)
    expect(isUnder(parent, child)).toBe(false)
    expect(areRelated(parent, child)).toBe(true)
    expect(areRelated(child, parent)).toBe(true)
  })

  it.prop("extending the last component's text does not make a path under the original", [fc.array(component, { minLength: 1, maxLength: 4 }), component], ([base, suffix]) => {
    const original = join(base)
    const sibling = original + suffix // `/a/b` → `/a/bX`, a sibling, not a child
    expect(isUnder(sibling, original)).toBe(false)
    expect(isUnder(sibling + "/deeper", original)).toBe(false)
    expect(areRelated(sibling, original)).toBe(false)
  })

  it.prop("everything is under the root", [components], ([parts]) => {
    expect(isUnder(join(parts), "/")).toBe(true)
    expect(areRelated("/", join(parts))).toBe(true)
  })
})

describe("rebase", () => {
  it("re-roots a descendant and maps the root of the move itself", () => {
    expect(rebase(abs("/a/b/c"), abs("/a"), abs("/x/y"))).toBe("/x/y/b/c")
    expect(rebase(abs("/a"), abs("/a"), abs("/x"))).toBe("/x")
  })
})
