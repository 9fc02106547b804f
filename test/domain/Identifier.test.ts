import { describe, it } from "@effect/vitest"
import { Either } from "effect"
import fc from "fast-check"
import { expect } from "vitest"
import { hasControl } from "../../src/domain/Escape.js"
import * as Identifier from "../../src/domain/Identifier.js"

const problem = (raw: string): string | undefined =>
  Either.match(Identifier.projectFromInput(raw), { onLeft: (m) => m, onRight: () => undefined })

describe("project/task input rules (docs/configuration.md)", () => {
  it("trims surrounding whitespace", () => {
    expect(Identifier.projectFromInput("  web  ")).toEqual(Either.right("web"))
    expect(Identifier.taskFromInput("\tfeature/x\n")).toEqual(Either.right("feature/x"))
  })

  it("refuses empty and whitespace-only values", () => {
    expect(problem("")).toBe("Cannot be empty or only whitespace")
    expect(problem("   \t\n")).toBe("Cannot be empty or only whitespace")
    expect(Identifier.taskFromInput(" ")).toEqual(Either.left("Cannot be empty or only whitespace"))
  })

  it("refuses a NUL byte anywhere", () => {
    expect(problem("a\0b")).toBe("Cannot contain null bytes")
    expect(Identifier.taskFromInput("\0")).toEqual(Either.left("Cannot contain null bytes"))
  })

  it("counts the 255-byte limit in UTF-8 bytes after trimming", () => {
    expect(Identifier.projectFromInput("a".repeat(255))).toEqual(Either.right("a".repeat(255)))
    expect(problem("a".repeat(256))).toBe("Cannot exceed 255 characters")
    // Surrounding whitespace is trimmed before the length check.
    expect(Either.isRight(Identifier.projectFromInput(`  ${"a".repeat(255)}  `))).toBe(true)
    // 127 two-byte characters are 254 bytes; one more is 256 bytes but only 128 characters.
    expect(Either.isRight(Identifier.projectFromInput("é".repeat(127)))).toBe(true)
    expect(problem("é".repeat(128))).toBe("Cannot exceed 255 characters")
    // 85 three-byte characters = 255 bytes; 86 = 258 bytes.
    expect(Either.isRight(Identifier.taskFromInput("€".repeat(85)))).toBe(true)
    expect(Identifier.taskFromInput("€".repeat(86))).toEqual(Either.left("Cannot exceed 255 characters"))
    // One astral character is 4 bytes (2 UTF-16 units).
    expect(problem("a".repeat(252) + "😀")).toBe("Cannot exceed 255 characters")
    expect(Either.isRight(Identifier.projectFromInput("a".repeat(251) + "😀"))).toBe(true)
  })

  it.prop(
    "accepted values are trimmed, non-empty, free of NUL and control characters, and at most 255 bytes",
    [fc.string({ unit: "binary", maxLength: 300 })],
    ([raw]) => {
      Either.match(Identifier.projectFromInput(raw), {
        onLeft: () => {
          const t = raw.trim()
          expect(t === "" || t.includes("\0") || hasControl(t) || Buffer.byteLength(t, "utf8") > 255).toBe(true)
        },
        onRight: (p) => {
          expect(p).toBe(raw.trim())
          expect(p.length).toBeGreaterThan(0)
          expect(p.includes("\0")).toBe(false)
          expect(hasControl(p)).toBe(false)
          expect(Buffer.byteLength(p, "utf8")).toBeLessThanOrEqual(255)
        }
      })
    },
    { fastCheck: { numRuns: 200 } }
  )
})

describe("single-reservation tags (docs/cli.md)", () => {
  it("trims and refuses blank tags", () => {
    expect(Identifier.tagFromInput(" web ")).toEqual(Either.right("web"))
    expect(Identifier.tagFromInput("  ")).toEqual(Either.left("tag must be non-empty after trimming whitespace"))
    expect(Identifier.tagFromInput("")).toEqual(Either.left("tag must be non-empty after trimming whitespace"))
    // No length rule for single-reservation tags (control characters: test/domain/IdentifierControl.test.ts).
    expect(Either.isRight(Identifier.tagFromInput("t".repeat(400)))).toBe(true)
  })
})

describe("quoted (docs/cli.md)", () => {
  it("quotes present values and writes none for absent ones", () => {
    expect(Identifier.quoted("web")).toBe("'web'")
    expect(Identifier.quoted(undefined)).toBe("none")
  })
})
