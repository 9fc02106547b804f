import * as fs from "node:fs"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { afterEach, beforeEach, describe, expect, it } from "vitest"
import { makeSandbox, type Sandbox } from "./_helpers.js"

/** The README's Usage block says what trop really prints. Private port range: 29700-29799. */
const README = fs.readFileSync(fileURLToPath(new URL("../../README.md", import.meta.url)), "utf8")

let sb: Sandbox
beforeEach(() => {
  sb = makeSandbox([29700, 29799])
})
afterEach(() => sb.cleanup())

describe("README usage", () => {
  it("the autoreserve comment names the variables autoreserve exports for the README's trop.yaml", () => {
    const comment = /^eval "\$\(trop autoreserve\)"\s+# (.*)$/m.exec(README)?.[1]
    const yaml = /A group in `trop.yaml`:\s+```yaml\n([\s\S]*?)```/.exec(README)?.[1]
    expect(comment).toBeDefined()
    expect(yaml).toBeDefined()
    fs.writeFileSync(path.join(sb.work, "trop.yaml"), yaml ?? "")
    const r = sb.run(["autoreserve", "--shell", "bash", "--quiet"])
    expect(r.code, r.stderr).toBe(0)
    const exported = [...r.stdout.matchAll(/^export ([A-Za-z_][A-Za-z0-9_]*)=/gm)].map((m) => m[1])
    const named = [...(comment ?? "").matchAll(/\b([A-Z_][A-Z0-9_]*)=/g)].map((m) => m[1])
    expect(exported.length).toBeGreaterThan(0)
    expect(named.sort()).toEqual(exported.sort())
  })
})
