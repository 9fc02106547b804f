// Builds the package:
// - dist/trop.cjs: the CLI bundled into one file (one module to load instead of
//   hundreds); better-sqlite3 stays external (native addon).
// - dist/bin.cjs: the `trop` executable, which runs dist/trop.cjs through V8's code cache
//   (src/launch.ts); the cache is warmed here by one representative run.
// - dist/lib/: the library entry (src/index.ts) compiled with declarations.
import { build } from "esbuild"
import { execFileSync } from "node:child_process"
import { chmodSync, mkdtempSync, rmSync } from "node:fs"
import { createRequire } from "node:module"
import { tmpdir } from "node:os"
import { join } from "node:path"

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

const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc")
execFileSync(process.execPath, [tsc, "-p", "tsconfig.build.json"], { stdio: "inherit" })
