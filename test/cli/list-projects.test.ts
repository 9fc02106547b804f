import * as path from "node:path"
import { afterEach, beforeEach, describe, expect, it } from "vitest"
import { dbFile, expectOk, exists, makeSandbox, type Sandbox, seed, type SeedRow } from "./_helpers.js"

/** `trop list-projects` (docs/cli.md): distinct non-null projects in UTF-8 byte order. */

// Private port range of this file.
const MIN = 32400
const MAX = 32499

let sb: Sandbox
beforeEach(() => {
  sb = makeSandbox([MIN, MAX])
})
afterEach(() => sb.cleanup())

const rows = (projects: ReadonlyArray<string | null>): Array<SeedRow> =>
  projects.map((project, i) => ({ path: path.join(sb.root, "p", String(i)), port: MIN + i, project }))

describe("list-projects", () => {
  it("distinct projects sorted by UTF-8 bytes ('B' < 'a' < 'é'); rows without project ignored", () => {
    seed(sb, rows(["é", "a", null, "B", "a", "B", null, "a b"]))
    expectOk(sb.run(["list-projects"]), "B\na\na b\né\n")
  })

  it("UTF-8 byte order, not UTF-16 code-unit order: U+FF21 sorts before U+1F600", () => {
    // UTF-16: "😀" (D83D …) < "Ａ" (FF21); UTF-8: "Ａ" (EF BC A1) < "😀" (F0 9F 98 80).
    seed(sb, rows(["\u{1F600}", "\uFF21", "z", "\u00e4", "Z", "\u00e9"]))
    expectOk(sb.run(["list-projects"]), "Z\nz\n\u00e4\n\u00e9\n\uFF21\n\u{1F600}\n")
  })

  it("the same project on several tags and paths is listed once; the task is irrelevant", () => {
    seed(sb, [
      { path: path.join(sb.root, "x"), port: MIN, project: "web", task: "t1" },
      { path: path.join(sb.root, "x"), tag: "api", port: MIN + 1, project: "web", task: "t2" },
      { path: path.join(sb.root, "y"), port: MIN + 2, project: null, task: "only-task" }
    ])
    expectOk(sb.run(["list-projects"]), "web\n")
    // --quiet changes nothing
    expectOk(sb.run(["list-projects", "--quiet"]), "web\n")
  })

  it("prints nothing at all when no reservation has a project, or when there are none", () => {
    expectOk(sb.run(["list-projects"]), "")
    // a read command auto-creates the database
    expect(exists(dbFile(sb.dataDir))).toBe(true)
    seed(sb, rows([null, null]))
    expectOk(sb.run(["list-projects"]), "")
  })
})
