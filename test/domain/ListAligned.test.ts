import { describe, expect, it } from "vitest"
import { formatList } from "../../src/cli/commands/ListFormat.js"
import { reservation } from "../fixtures/Fixtures.js"

/** `list` on a terminal: the table with padded columns (docs/output-formats.md). */

const T = "1970-01-01 00:00:00"
const options = { home: "/home/me", fullPaths: false, aligned: true }

/** The expected line: each cell followed by its `pads` spaces, cells two spaces apart. */
const line = (cells: ReadonlyArray<string>, pads: ReadonlyArray<number>) =>
  cells.map((c, i) => c + " ".repeat(pads[i] ?? 0)).join("  ")

describe("aligned table", () => {
  it("pads every column but the last to its widest cell; no trailing blanks", () => {
    const rows = [
      reservation({ path: "/home/me/app", tag: "web", port: 5000 }),
      reservation({ path: "/srv/a-long-directory", port: 65000, project: "shop", task: "t-1" })
    ]
    expect(formatList(rows, "table", options).split("\n")).toEqual([
      line(["PORT", "PATH", "TAG", "PROJECT", "TASK", "CREATED_AT", "LAST_USED_AT"], [1, 17, 0, 0, 0, 9, 0]),
      line(["5000", "~/app", "web", "-", "-", T, T], [1, 16, 0, 6, 3, 0, 0]),
      line(["65000", "/srv/a-long-directory", "-", "shop", "t-1", T, T], [0, 0, 2, 3, 1, 0, 0])
    ])
  })

  it("widths in terminal columns: wide characters count two, combining marks and zero-width characters none", () => {
    const rows = [
      reservation({ path: "/w/日本", port: 5000 }), // 3 + 2 × 2 = 7 columns
      reservation({ path: "/w/e\u0301e\u0301", port: 5001 }), // 5 columns
      reservation({ path: "/w/a\u200bb", port: 5002 }), // 5 columns
      reservation({ path: "/w/🚀", port: 5003 }) // 5 columns
    ]
    const row = (port: string, path: string, pad: number) => line([port, path, "-", "-", "-", T, T], [0, pad, 2, 6, 3, 0, 0])
    expect(formatList(rows, "table", { ...options, fullPaths: true }).split("\n")).toEqual([
      line(["PORT", "PATH", "TAG", "PROJECT", "TASK", "CREATED_AT", "LAST_USED_AT"], [0, 3, 0, 0, 0, 9, 0]),
      row("5000", "/w/日本", 0),
      row("5001", "/w/e\u0301e\u0301", 2),
      row("5002", "/w/a\u200bb", 2),
      row("5003", "/w/🚀", 2)
    ])
  })

  it("control characters are measured as they are shown: escaped", () => {
    const rows = [reservation({ path: "/w/x", tag: "a\tb", port: 5000 }), reservation({ path: "/w/y", tag: "c", port: 5001 })]
    expect(formatList(rows, "table", options).split("\n")).toEqual([
      line(["PORT", "PATH", "TAG", "PROJECT", "TASK", "CREATED_AT", "LAST_USED_AT"], [0, 0, 1, 0, 0, 9, 0]),
      line(["5000", "/w/x", "a\\tb", "-", "-", T, T], [0, 0, 0, 6, 3, 0, 0]),
      line(["5001", "/w/y", "c", "-", "-", T, T], [0, 0, 3, 6, 3, 0, 0])
    ])
  })

  it("without `aligned`, the table is tab-separated as before", () => {
    const rows = [reservation({ path: "/w/x", tag: "web", port: 5000 })]
    expect(formatList(rows, "table", { home: undefined, fullPaths: false })).toBe(
      `PORT\tPATH\tTAG\tPROJECT\tTASK\tCREATED_AT\tLAST_USED_AT\n5000\t/w/x\tweb\t-\t-\t${T}\t${T}`
    )
  })
})
