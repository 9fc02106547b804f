import fc from "fast-check"
import { describe, expect, it } from "vitest"
import * as Escape from "../../src/domain/Escape.js"

/** Control characters never reach a terminal (docs/security.md). */

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/

describe("Escape", () => {
  it("finds C0, DEL and C1 control characters, and nothing else", () => {
    for (const c of ["\0", "\t", "\n", "\r", "\u001b", "\u001f", "\u007f", "\u0080", "\u009b", "\u009f"]) {
      expect(Escape.hasControl(`a${c}b`), JSON.stringify(c)).toBe(true)
    }
    for (const s of ["", "web", "a b", "é", "\u00a0", "\u00a0x", "日本", "\u{1F600}", "a\\nb", "\u2028"]) {
      expect(Escape.hasControl(s), JSON.stringify(s)).toBe(false)
    }
  })

  it("shows \\t, \\n, \\r by name, other C0 and DEL as \\xNN, C1 as \\u00NN", () => {
    expect(Escape.display("\u001b[31mred\nFAKE LINE")).toBe("\\x1b[31mred\\nFAKE LINE")
    expect(Escape.display("a\tb\r\n")).toBe("a\\tb\\r\\n")
    expect(Escape.display("\0\u0001\u007f")).toBe("\\x00\\x01\\x7f")
    expect(Escape.display("\u0085\u009b1m")).toBe("\\u0085\\u009b1m")
  })

  it("leaves text without control characters unchanged, backslashes included", () => {
    fc.assert(
      fc.property(fc.fullUnicodeString({ maxLength: 40 }), (s) => {
        const shown = Escape.display(s)
        expect(CONTROL.test(shown)).toBe(false)
        if (!CONTROL.test(s)) expect(shown).toBe(s)
      }),
      { numRuns: 500 }
    )
  })

  it("escapes DEL and C1 in JSON text as \\u00NN, keeping the same JSON value", () => {
    fc.assert(
      fc.property(fc.fullUnicodeString({ maxLength: 40 }), (s) => {
        const text = Escape.json(JSON.stringify({ s }))
        expect(CONTROL.test(text)).toBe(false)
        expect(JSON.parse(text)).toEqual({ s })
      }),
      { numRuns: 500 }
    )
    expect(Escape.json(JSON.stringify("a\u009bb\u007f"))).toBe("\"a\\u009bb\\u007f\"")
  })
})
