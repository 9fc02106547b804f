/**
 * Comments, test names and documentation cite the repository's own docs/ (or nothing), never
 * a document users do not have: no section signs, no working notes by file name, no paths
 * outside the repository. The patterns are spelled with escapes so that this file does not
 * match itself.
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { describe, expect, it } from "vitest"

const ROOT = fileURLToPath(new URL("../../", import.meta.url))
const SOURCES = /\.(?:[cm]?[jt]s|md|json|ya?ml)$/

/** Every text file under `dir` (relative to the root), node_modules and dist excluded. */
const filesUnder = (dir: string): Array<string> => {
  const base = path.join(ROOT, dir)
  if (!fs.existsSync(base)) return []
  return fs.readdirSync(base, { recursive: true, encoding: "utf8" })
    .filter((f) => SOURCES.test(f) && !/(^|[\\/])(node_modules|dist)[\\/]/.test(f))
    .map((f) => path.posix.join(dir, f.split(path.sep).join("/")))
    .filter((f) => fs.statSync(path.join(ROOT, f)).isFile())
}

const files = [...["src", "test", "examples", "docs"].flatMap(filesUnder), "README.md"]

const SECTION_SIGN = "\u00a7"
const OUTSIDE = ".." + "/shared"
/** Working notes that are not part of the repository, by file name. */
const NOTES = ["semantics", "decisions"].map((name) => `${name}.md`)
/** The page docs/cli.md: outside docs/ it is cited with its directory. */
const CLI_PAGE = new RegExp(`(?<!docs/)\\bcli\\.md\\b`)
/** Decision labels of those notes: a D and a number from 1 to 10, as in `(D` + `4)`. */
const DECISION = new RegExp(`\\bD(?:10|[1-9])\\b`)

interface Finding {
  readonly file: string
  readonly line: number
  readonly text: string
}

const findings = (test: (line: string, file: string) => boolean): Array<Finding> =>
  files.flatMap((file) =>
    fs.readFileSync(path.join(ROOT, file), "utf8").split("\n").flatMap((text, i) =>
      test(text, file) ? [{ file, line: i + 1, text: text.trim() }] : []
    )
  )

const report = (found: ReadonlyArray<Finding>) => found.map((f) => `${f.file}:${f.line}: ${f.text}`)

describe("citations stay inside the repository", () => {
  it("scans the sources, the tests, the examples and the documentation", () => {
    expect(files.filter((f) => f.startsWith("src/")).length).toBeGreaterThan(50)
    expect(files.filter((f) => f.startsWith("test/")).length).toBeGreaterThan(50)
    expect(files).toContain("docs/cli.md")
  })

  it("no section signs", () => {
    expect(report(findings((line) => line.includes(SECTION_SIGN)))).toEqual([])
  })

  it("no paths outside the repository", () => {
    expect(report(findings((line) => line.includes(OUTSIDE)))).toEqual([])
  })

  it("no working notes cited by name, and docs/cli.md with its directory outside docs/", () => {
    expect(report(findings((line, file) =>
      NOTES.some((note) => line.includes(note)) || (!file.startsWith("docs/") && CLI_PAGE.test(line))
    ))).toEqual([])
  })

  it("no decision labels of the working notes in sources and tests", () => {
    expect(report(findings((line, file) => !file.startsWith("docs/") && !file.endsWith(".json") && DECISION.test(line))))
      .toEqual([])
  })
})
