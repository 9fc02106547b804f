// Bundles the CLI into one file so `trop` starts fast: one module to parse instead of
// hundreds. better-sqlite3 stays external (native addon). The library entry is built
// separately with tsc (declarations) so other Effect apps import typed programs.
import { build } from "esbuild"
import { chmodSync } from "node:fs"

await build({
  entryPoints: ["src/bin.ts"],
  outfile: "dist/bin.js",
  bundle: true,
  platform: "node",
  target: "node20",
  format: "esm",
  minify: true,
  legalComments: "none",
  external: ["better-sqlite3"],
  banner: {
    // Some bundled CommonJS dependencies call require(); give them one.
    js: "#!/usr/bin/env node\nimport{createRequire as __trop_cr}from\"node:module\";const require=__trop_cr(import.meta.url);"
  },
  logLevel: "warning"
})
chmodSync("dist/bin.js", 0o755)
