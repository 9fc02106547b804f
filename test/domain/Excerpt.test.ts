import { describe, expect, it } from "vitest"
import { excerpt } from "../../src/domain/Escape.js"
import { describeValue } from "../../src/config/FileSchema.js"

/** Messages quote at most a short excerpt of a user's file (docs/configuration.md). */
describe("excerpt", () => {
  it("keeps text up to the limit, cuts longer text with ...", () => {
    expect(excerpt("a".repeat(40))).toBe("a".repeat(40))
    expect(excerpt("a".repeat(41))).toBe(`${"a".repeat(40)}...`)
    expect(excerpt("abcdef", 3)).toBe("abc...")
  })

  it("counts code points and never cuts a pair in half", () => {
    expect(excerpt("🦀".repeat(40))).toBe("🦀".repeat(40))
    expect(excerpt("🦀".repeat(41))).toBe(`${"🦀".repeat(40)}...`)
  })

  it("describeValue: a long string is quoted cut, the ... outside the quotes", () => {
    expect(describeValue("short")).toBe('string "short"')
    expect(describeValue("y".repeat(100))).toBe(`string "${"y".repeat(40)}"...`)
    expect(describeValue("a\nb")).toBe('string "a\\nb"')
  })
})
