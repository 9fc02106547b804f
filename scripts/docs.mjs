// Regenerates the files rendered from the command declarations: docs/cli.md and the man
// page trop.1 (src/cli/Manual.ts). Run it after changing a command, an option or the text
// of src/cli/ManualText.ts: `npm run docs`. test/docs/manual.test.ts fails while they are stale.
//
// Node cannot import the TypeScript sources directly, so the renderer is bundled first (into
// node_modules/.cache, where the bundle still finds the packages it leaves external).
import { build } from "esbuild"
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { createRequire } from "node:module"
import { dirname, join, resolve } from "node:path"
import { fileURLToPath } from "node:url"

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..")
const cache = join(root, "node_modules", ".cache", "trop-docs")
const bundle = join(cache, `manual-${process.pid}.cjs`)
mkdirSync(cache, { recursive: true })
try {
  await build({
    entryPoints: [join(root, "src/cli/Manual.ts")],
    outfile: bundle,
    bundle: true,
    platform: "node",
    target: "node20",
    format: "cjs",
    external: ["better-sqlite3"],
    logLevel: "warning"
  })
  const { generatedFiles } = createRequire(import.meta.url)(bundle)
  for (const { path, content } of generatedFiles()) {
    const file = join(root, path)
    let current
    try {
      current = readFileSync(file, "utf8")
    } catch {
      current = undefined
    }
    if (current === content) {
      console.log(`${path}: up to date`)
    } else {
      writeFileSync(file, content)
      console.log(`${path}: written`)
    }
  }
} finally {
  rmSync(bundle, { force: true })
}
