// Builds the package:
// - dist/trop.cjs: the CLI bundled into one file (one module to load instead of
//   hundreds); better-sqlite3 stays external (native addon).
// - dist/bin.cjs: the `trop` executable, which runs dist/trop.cjs through V8's code cache
//   (src/launch.ts); the cache (dist/trop.cjs.cache, not published) is warmed here by one
//   representative run.
// - dist/test/: the fault-injection build for the test suite only (not published): the same
//   CLI with the TROP_TEST_CHECKPOINT hook (src/cli/FaultHook.ts), which dist/trop.cjs is
//   built without (src/cli/NoFaultHook.ts in its place), and a copy of the launcher.
// - dist/lib/: the library's ES modules with declarations, compiled by tsc from the package
//   entries src/index.ts ("trop"), src/promise.ts ("trop/promise") and src/vitest.ts
//   ("trop/vitest").
// - dist/cjs/: the same modules as CommonJS for `require` (esbuild, one file per module,
//   packages left to the user's own effect, @effect/*, yaml), with a copy of the
//   declarations that dist/cjs/package.json ("type": "commonjs") makes CommonJS ones.
// package.json's "exports" maps the entries onto these files; its "files" list publishes
// dist/ without the code cache and without dist/test/.
import { build } from "esbuild"
import { execFileSync, spawn } from "node:child_process"
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { createRequire } from "node:module"
import { tmpdir } from "node:os"
import { dirname, join, relative, resolve } from "node:path"

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

/** The shipped CLI gets NoFaultHook.ts wherever FaultHook.ts is imported: the hook's code is not in it. */
const faultHook = resolve("src/cli/FaultHook.js")
const withoutFaultHook = {
  name: "without-fault-hook",
  setup(b) {
    b.onResolve({ filter: /FaultHook\.js$/ }, (args) =>
      resolve(args.resolveDir, args.path) === faultHook ? { path: resolve("src/cli/NoFaultHook.ts") } : undefined)
  }
}

const cli = (outfile, plugins) =>
  build({ ...common, entryPoints: ["src/bin.ts"], outfile, format: "cjs", external: ["better-sqlite3"], plugins })
await Promise.all([
  cli("dist/trop.cjs", [dropUnused, withoutFaultHook]),
  build({
    ...common,
    entryPoints: ["src/launch.ts"],
    outfile: "dist/bin.cjs",
    format: "cjs",
    banner: { js: "#!/usr/bin/env node" }
  })
])
chmodSync("dist/bin.cjs", 0o755)
if (readFileSync("dist/trop.cjs", "utf8").includes("TROP_TEST_CHECKPOINT")) throw new Error("dist/trop.cjs contains the test hook")

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

/** `node args...` with the build's output, failing the build when it fails. */
const node = (args) =>
  new Promise((done, fail) =>
    spawn(process.execPath, args, { stdio: "inherit" })
      .on("error", fail)
      .on("exit", (code) => (code === 0 ? done() : fail(new Error(`node ${args.join(" ")} exited with ${code}`)))))

// The library as ES modules with declarations; the fault-injection CLI is bundled meanwhile
// (tsc uses one core). The test build's launcher runs dist/test/trop.cjs, the launcher's own
// directory; its code cache is made by the first test that runs it.
const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc")
await Promise.all([node([tsc, "-p", "tsconfig.build.json"]), cli("dist/test/trop.cjs", [dropUnused])])
copyFileSync("dist/bin.cjs", "dist/test/bin.cjs")
rmSync("dist/test/trop.cjs.cache", { force: true })

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
