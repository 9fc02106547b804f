import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { expect, it } from "vitest"
import { describeResult, node, ROOT } from "./scratchApp.js"

/**
 * Every export of the published entry points — walking into the namespaces they export —
 * has a doc comment in the declarations users install (dist/lib, built by `npm test`).
 * The TypeScript checker runs in a process of its own (undocumented.mjs): seconds of CPU
 * that must not block this worker's event loop.
 */
const dist = fileURLToPath(new URL("../../dist/lib/", import.meta.url))
const script = fileURLToPath(new URL("./undocumented.mjs", import.meta.url))

it("every export of trop, trop/promise and trop/vitest has a doc comment", async () => {
  const files = ["index", "promise", "vitest"].map((e) => path.join(dist, `${e}.d.ts`))
  const r = await node([script, ...files], { cwd: ROOT })
  expect(r.code, describeResult("undocumented.mjs", r)).toBe(0)
  expect(JSON.parse(r.stdout)).toEqual([])
}, 300_000)
