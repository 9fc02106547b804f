// Builds the package:
// - dist/trop.cjs: the CLI bundled into one file (one module to load instead of
//   hundreds); better-sqlite3 stays external (native addon).
// - dist/bin.cjs: the `trop` executable, which runs dist/trop.cjs through V8's code cache
//   (src/launch.ts); the cache (dist/trop.cjs.cache, not published) is warmed here by one
//   representative run.
// - dist/lib/: the library's ES modules with declarations, compiled by tsc from the package
//   entries src/index.ts ("trop"), src/promise.ts ("trop/promise") and src/vitest.ts
//   ("trop/vitest").
// - dist/cjs/: the same modules as CommonJS for `require` (esbuild, one file per module,
//   packages left to the user's own effect, @effect/*, yaml), with a copy of the
//   declarations that dist/cjs/package.json ("type": "commonjs") makes CommonJS ones.
// package.json's "exports" maps the entries onto these files; its "files" list publishes
// dist/ without the code cache.
import { build } from "esbuild"
import { execFileSync } from "node:child_process"
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs"
import { createRequire } from "node:module"
import { tmpdir } from "node:os"
import { dirname, join, relative } from "node:path"

/**
 * @effect/cli imports parsers for config-file formats (yaml, toml, ini) behind options trop
 * never uses, and effect's Arbitrary imports fast-check; none of them is ever called by
 * trop, yet each costs parse and start-up time. In the CLI bundle they become empty.
 */
const dropUnused = {
  name: "drop-unused-dependencies",
  setup(b) {
    b.onResolve({ filter: /^(fast-check|toml|ini|yaml)$/ }, (args) =>
      /node_modules[\\/](effect|@effect[\\/]cli)[\\/]/.test(args.importer) ? { path: args.path, namespace: "unused" } : undefined)
    b.onLoad({ filter: /.*/, namespace: "unused" }, () => ({ contents: "export {}", loader: "js" }))
  }
}

const common = { bundle: true, platform: "node", target: "node20", minify: true, legalComments: "none", logLevel: "warning" }

// The library outputs are remade from scratch, so a module deleted from src/ leaves nothing behind.
rmSync("dist/lib", { recursive: true, force: true })
rmSync("dist/cjs", { recursive: true, force: true })

await build({
  ...common,
  entryPoints: ["src/bin.ts"],
  outfile: "dist/trop.cjs",
  format: "cjs",
  external: ["better-sqlite3"],
  plugins: [dropUnused]
})
await build({
  ...common,
  entryPoints: ["src/launch.ts"],
  outfile: "dist/bin.cjs",
  format: "cjs",
  banner: { js: "#!/usr/bin/env node" }
})
chmodSync("dist/bin.cjs", 0o755)

// Warm the code cache with a real reservation in a throwaway data directory.
rmSync("dist/trop.cjs.cache", { force: true })
const scratch = mkdtempSync(join(tmpdir(), "trop-build-"))
try {
  execFileSync(process.execPath, ["dist/bin.cjs", "--data-dir", join(scratch, "data"), "reserve", "--path", scratch], {
    stdio: "ignore",
    env: { PATH: process.env.PATH ?? "", HOME: scratch }
  })
} catch {
  // No cache yet; the first real run makes it.
} finally {
  rmSync(scratch, { recursive: true, force: true })
}

// The library as ES modules with declarations.
const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc")
execFileSync(process.execPath, [tsc, "-p", "tsconfig.build.json"], { stdio: "inherit" })

/** Every file under `directory`, relative to it. */
const walk = (directory) =>
  readdirSync(directory, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => relative(directory, join(entry.parentPath ?? entry.path, entry.name)))

// The library as CommonJS, one file per module like dist/lib (so every entry shares one copy
// of each module: `require("trop").DatabaseBusy === require("trop/promise").DatabaseBusy`).
// "trop/vitest" is left out: vitest itself is ES modules only.
const modules = walk("dist/lib").filter((f) => f.endsWith(".js") && f !== "vitest.js")
await build({
  entryPoints: modules.map((f) => join("src", f.replace(/\.js$/, ".ts"))),
  outbase: "src",
  outdir: "dist/cjs",
  bundle: false,
  format: "cjs",
  platform: "node",
  target: "node20",
  logLevel: "warning"
})
// The declarations beside them; dist/cjs/package.json makes both CommonJS to Node and TypeScript.
for (const file of walk("dist/lib").filter((f) => f.endsWith(".d.ts") && f !== "vitest.d.ts")) {
  mkdirSync(dirname(join("dist/cjs", file)), { recursive: true })
  copyFileSync(join("dist/lib", file), join("dist/cjs", file))
}
writeFileSync("dist/cjs/package.json", `${JSON.stringify({ type: "commonjs" }, null, 2)}\n`)
