// Builds the package:
// - dist/trop.cjs: the CLI bundled into one file (one module to load instead of
//   hundreds); better-sqlite3 stays external (native addon).
// - dist/bin.cjs: the `trop` executable, which runs dist/trop.cjs through V8's code cache
//   (src/launch.ts); the cache (dist/trop.cjs.cache, not published) is warmed here by one
//   representative run. Help and the version come from dist/front.cjs (src/cli/Front.ts,
//   cached the same way)
//   and dist/specs.json (the commands' declarations as data) without loading the CLI.
// - dist/test/: the fault-injection build for the test suite only (not published): the same
//   CLI with the TROP_TEST_CHECKPOINT hook (src/cli/FaultHook.ts), which dist/trop.cjs is
//   built without (src/cli/NoFaultHook.ts in its place), and a copy of the launcher and front.
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
 * effect's Arbitrary imports fast-check, which trop never calls, yet it would cost parse
 * and start-up time: in the CLI bundle it becomes empty.
 */
const dropUnused = {
  name: "drop-unused-dependencies",
  setup(b) {
    b.onResolve({ filter: /^fast-check$/ }, (args) =>
      /node_modules[\\/]effect[\\/]/.test(args.importer) ? { path: args.path, namespace: "unused" } : undefined)
    b.onLoad({ filter: /.*/, namespace: "unused" }, () => ({ contents: "export {}", loader: "js" }))
  }
}

/**
 * Modules most runs never call: yaml (only when a configuration file exists), the sockets
 * of the occupancy probes, child processes (`exec`), crypto (temporary file names) and tty
 * (is a stream a terminal: progress lines, the aligned list).
 * In the CLI bundle each becomes a facade of functions that load the real module on their
 * first call, so a run that never calls them never loads them. Only functions are
 * exported: importing anything else from these modules fails the build.
 */
/**
 * Node's fs, path and os, imported by dozens of modules of the bundle: esbuild gives
 * each importer its own copy of the module's properties (`__toESM`, ~100 getters for fs),
 * which costs a few ms of every start. Here each is one shared module of named constants
 * instead. Accessors (`fs.promises`, `fs.ReadStream`: each loads more of Node when read)
 * are left out: importing one fails the build.
 */
const sharedBuiltins = {
  name: "shared-builtins",
  setup(b) {
    b.onResolve({ filter: /^(node:)?(fs|path|os)$/ }, (args) =>
      args.namespace === "builtin" ? undefined : { path: args.path.replace(/^node:/, ""), namespace: "builtin" })
    b.onLoad({ filter: /.*/, namespace: "builtin" }, async (args) => {
      // The CommonJS object, whose accessors (fs.ReadStream loads the streams) are visible.
      const real = createRequire(import.meta.url)(`node:${args.path}`)
      const names = Object.getOwnPropertyNames(real).filter((name) =>
        name !== "default" && /^[A-Za-z_$][\w$]*$/.test(name) && Object.getOwnPropertyDescriptor(real, name).get === undefined)
      return {
        loader: "js",
        contents: [
          `const real = require("node:${args.path}")`,
          "export default real",
          ...names.map((name) => `export const ${name} = real.${name}`)
        ].join("\n")
      }
    })
  }
}

const LAZY = /^(yaml|node:crypto|node:child_process|node:dgram|node:net|node:tty)$/
const lazyModules = {
  name: "lazy-modules",
  setup(b) {
    b.onResolve({ filter: LAZY }, (args) => args.namespace === "lazy" ? undefined : { path: args.path, namespace: "lazy" })
    b.onLoad({ filter: /.*/, namespace: "lazy" }, async (args) => {
      const real = await import(args.path)
      const names = Object.keys(real).filter((name) => name !== "default" && typeof real[name] === "function")
      return {
        loader: "js",
        resolveDir: process.cwd(),
        contents: [
          `let real\nconst load = () => (real ??= require(${JSON.stringify(args.path)}))`,
          // `new.target`: classes (yaml's LineCounter) are constructed through the facade too.
          ...names.map((name) => `export function ${name}(...a) { return new.target ? new (load().${name})(...a) : load().${name}(...a) }`)
        ].join("\n")
      }
    })
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

/**
 * The commands' declarations as data, for help and the version without loading the CLI
 * (src/cli/Front.ts): Main is bundled into node_modules/.cache (where the bundle still finds
 * the packages it leaves external) and its specs written as JSON (the decoders are functions,
 * which JSON leaves out).
 */
const writeSpecs = async (outfile) => {
  const cache = resolve("node_modules/.cache/trop-build")
  const bundle = join(cache, `specs-${process.pid}.cjs`)
  mkdirSync(cache, { recursive: true })
  try {
    await build({ ...common, minify: false, entryPoints: ["src/cli/Main.ts"], outfile: bundle, format: "cjs", external: ["better-sqlite3"] })
    writeFileSync(outfile, JSON.stringify(createRequire(import.meta.url)(bundle).specs))
  } finally {
    rmSync(bundle, { force: true })
  }
}


const marker = {
  name: "marker",
  setup(b) {
    b.onLoad({ filter: /\.(js|ts|mjs)$/ }, async (args) => {
      if (args.namespace !== "file") return undefined
      const src = readFileSync(args.path, "utf8")
      return { contents: src + `\n;globalThis.__m && globalThis.__m(${JSON.stringify(args.path.replace(/.*node_modules\//, "").replace(/.*\/src\//, "src/"))});\n`, loader: args.path.endsWith(".ts") ? "ts" : "js" }
    })
  }
}
await build({ ...common, entryPoints: ["src/bin.ts"], outfile: "dist/mark/trop.cjs", format: "cjs", external: ["better-sqlite3"], plugins: [marker, sharedBuiltins, dropUnused, lazyModules, withoutFaultHook] })
