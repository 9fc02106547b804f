import { describe, expect, it } from "vitest"
import { closest, jaro } from "../../src/cli/Suggest.js"

/** `did you mean ...?`: Jaro similarity as the strsim crate (and so clap, and so trop 0.2.0) computes it. */
describe("jaro", () => {
  it.each([
    ["martha", "marhta", 0.944444, 5],
    ["dixon", "dicksonx", 0.766667, 5],
    ["jellyfish", "smellyfish", 0.896296, 5],
    // strsim's own documentation: within 0.001 of 0.392
    ["Friedrich Nietzsche", "Jean-Paul Sartre", 0.392, 3],
    ["tga", "task", 0.722222, 5],
    ["tga", "tag", 0.555556, 5],
    ["", "", 1, 5],
    ["a", "", 0, 5],
    ["abc", "xyz", 0, 5]
  ])("%s ~ %s = %f (strsim's value)", (a, b, expected, digits) => {
    expect(jaro(a, b)).toBeCloseTo(expected, digits)
  })

  it("compares code points, not UTF-16 units", () => {
    expect(jaro("🦀a", "🦀a")).toBe(1)
    expect(jaro("🦀", "🦁")).toBe(0)
  })
})

describe("closest", () => {
  it("the most similar word over 0.7; the later one on a tie (clap's stable sort, then pop)", () => {
    expect(closest("reserv", ["reserve", "release", "reserve-group", "autoreserve"])).toBe("reserve")
    expect(closest("ab", ["ax", "ay"])).toBeUndefined()
    expect(closest("abcd", ["abce", "abcf"])).toBe("abcf")
    expect(closest("zzz", ["reserve"])).toBeUndefined()
  })
})
