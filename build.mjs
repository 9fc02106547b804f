// Builds the package:
// - dist/trop.cjs: the CLI bundled into one file (one module to load instead of
//   hundreds), better-sqlite3's JavaScript included; its native addon is loaded from the
//   installed package.
// - dist/bin.cjs: the `trop` executable, which runs dist/trop.cjs through V8's code cache
//   (src/launch.ts, src/CodeCache.ts); the cache (dist/trop.cjs.cache, not published) is
//   warmed here by a few representative runs. Help and the version come from dist/front.cjs
//   (src/cli/Front.ts, cached the same way) and dist/specs.json (the commands' declarations
//   as data) without loading the CLI.
// - dist/yaml.cjs: the YAML library, which the CLI loads (cached the same way) only to read
//   a configuration file.
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
import { randomBytes } from "node:crypto"
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

/**
 * Modules most runs never call: yaml (only when a configuration file exists), the sockets
 * of the occupancy probes, child processes (`exec`), crypto (temporary file names) and tty
 * (is a stream a terminal: progress lines, the aligned list).
 * In the CLI bundle each becomes a facade of functions that load the real module on their
 * first call, so a run that never calls them never loads them. Only functions are
 * exported: importing anything else from these modules fails the build. yaml is loaded
 * from its own bundle, dist/yaml.cjs, through its own code cache (src/CodeCache.ts): in the
 * CLI's, its compiled code would be read by every run.
 */
const LAZY = /^(yaml|node:crypto|node:child_process|node:dgram|node:net|node:tty)$/
const lazyModules = {
  name: "lazy-modules",
  setup(b) {
    b.onResolve({ filter: LAZY }, (args) => args.namespace === "lazy" ? undefined : { path: args.path, namespace: "lazy" })
    b.onLoad({ filter: /.*/, namespace: "lazy" }, async (args) => {
      const real = await import(args.path)
      const names = Object.keys(real).filter((name) => name !== "default" && typeof real[name] === "function")
      const loader = args.path === "yaml"
        ? [
          `import { runCached } from ${JSON.stringify(resolve("src/CodeCache.ts"))}`,
          `import { join } from "node:path"`,
          `let real\nconst load = () => (real ??= runCached(join(__dirname, "yaml.cjs")))`
        ].join("\n")
        : `let real\nconst load = () => (real ??= require(${JSON.stringify(args.path)}))`
      return {
        loader: "js",
        resolveDir: process.cwd(),
        contents: [
          loader,
          // `new.target`: classes (yaml's LineCounter) are constructed through the facade too.
          ...names.map((name) => `export function ${name}(...a) { return new.target ? new (load().${name})(...a) : load().${name}(...a) }`)
        ].join("\n")
      }
    })
  }
}

/**
 * Two module initializations of effect that cost a CLI run about 2 ms and serve nothing
 * trop's CLI does, replaced by their value on Node (exact texts: the build fails when an
 * effect upgrade changes them, so that the patch is looked at again):
 * - internal/logger.js reads `process.stdout.isTTY` for the colours of its pretty logger,
 *   and Node builds the whole stdout stream to answer. trop prints through its own logger
 *   and writes to fd 1 directly; colours default to off.
 * - Utils.js formats a stack trace to learn whether the engine keeps a function's frame.
 *   V8 does (either answer only changes which of two equivalent wrappers is used).
 */
const EFFECT_ON_NODE = [
  {
    file: /[\\/]effect[\\/]dist[\\/]esm[\\/]internal[\\/]logger\.js$/,
    from: `const hasProcessStdout = typeof process === "object" && process !== null && typeof process.stdout === "object" && process.stdout !== null;
const processStdoutIsTTY = hasProcessStdout && process.stdout.isTTY === true;`,
    to: `const hasProcessStdout = true;
const processStdoutIsTTY = false;`
  },
  {
    file: /[\\/]effect[\\/]dist[\\/]esm[\\/]Utils\.js$/,
    from: `const isNotOptimizedAway = /*#__PURE__*/standard.effect_internal_function(() => new Error().stack)?.includes("effect_internal_function") === true;`,
    to: `const isNotOptimizedAway = true;`
  }
]
/**
 * better-sqlite3 is bundled into the CLI: left outside, its dozen modules are found, read and
 * compiled one by one on every run (about 3 ms, none of it in the code cache). Its native
 * addon is then required by its installed path, which `require.resolve` finds from the
 * bundle as it would find the package: `bindings`, which better-sqlite3 asks for it, looks
 * for the addon beside the module that calls it (after bundling, dist/) and tries several
 * build directories in turn. Exact text, as above.
 */
const SQLITE_ADDON_PATH = "better-sqlite3/build/Release/better_sqlite3.node"
const SQLITE_ADDON = [
  {
    file: /[\\/]better-sqlite3[\\/]lib[\\/]database\.js$/,
    from: `addon = DEFAULT_ADDON || (DEFAULT_ADDON = require('bindings')('better_sqlite3.node'));`,
    to: `addon = DEFAULT_ADDON || (DEFAULT_ADDON = require(require.resolve(${JSON.stringify(SQLITE_ADDON_PATH)})));`
  }
]

/** Replaces each patch's exact `from` text by `to` in the files it names; fails the build when a text is gone. */
const exactPatches = (name, patches) => ({
  name,
  setup(b) {
    for (const { file, from, to } of patches) {
      b.onLoad({ filter: file }, (args) => {
        const source = readFileSync(args.path, "utf8")
        if (source.split(from).length !== 2) throw new Error(`${name}: ${args.path} no longer has the text to replace`)
        return { contents: source.replace(from, to), loader: "js" }
      })
    }
  }
})
const effectOnNode = exactPatches("effect-on-node", EFFECT_ON_NODE)
const sqliteAddon = exactPatches("sqlite-addon", SQLITE_ADDON)

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

/**
 * This build's identity, in the CLI bundles: decoded configuration files that an earlier
 * build kept in a data directory are not used by this one (src/config/DecodedCache.ts).
 */
const BUILD = randomBytes(8).toString("hex")

const cli = (outfile, plugins) =>
  build({
    ...common,
    entryPoints: ["src/bin.ts"],
    outfile,
    format: "cjs",
    external: [SQLITE_ADDON_PATH],
    define: { __TROP_BUILD__: JSON.stringify(BUILD) },
    plugins
  })
await Promise.all([
  cli("dist/trop.cjs", [sharedBuiltins, dropUnused, lazyModules, effectOnNode, sqliteAddon, withoutFaultHook]),
  build({
    ...common,
    entryPoints: ["src/launch.ts"],
    outfile: "dist/bin.cjs",
    format: "cjs",
    banner: { js: "#!/usr/bin/env node" },
    plugins: [lazyModules]
  }),
  build({ ...common, entryPoints: ["src/cli/Front.ts"], outfile: "dist/front.cjs", format: "cjs" }),
  build({ ...common, entryPoints: [createRequire(import.meta.url).resolve("yaml")], outfile: "dist/yaml.cjs", format: "cjs" }),
  writeSpecs("dist/specs.json")
])
chmodSync("dist/bin.cjs", 0o755)
// The addon as the bundle will ask for it: a better-sqlite3 that declares "exports" (13 does)
// hides the path, and the build fails here rather than every command at run time.
createRequire(resolve("dist/trop.cjs")).resolve(SQLITE_ADDON_PATH)
if (readFileSync("dist/trop.cjs", "utf8").includes("TROP_TEST_CHECKPOINT")) throw new Error("dist/trop.cjs contains the test hook")

// Warm the code caches with real runs in a throwaway directory. The first run makes each
// cache; the runs after it add what they compile (scripts/warm-code-cache.cjs). A cache
// keeps the functions that were compiled, so the runs cover the everyday paths: a group from
// a trop.yaml (allocation with probes, the YAML library in its own cache) and its refresh,
// a plain reserve of a new key (Git inference) and of an existing one, and `help reserve`
// for the front.
for (const file of ["trop.cjs.cache", "front.cjs.cache", "yaml.cjs.cache"]) rmSync(join("dist", file), { force: true })
const scratch = mkdtempSync(join(tmpdir(), "trop-build-"))
try {
  const project = join(scratch, "project")
  const plain = join(scratch, "plain")
  for (const dir of [project, plain]) mkdirSync(dir)
  writeFileSync(join(project, "trop.yaml"), "project: warm\nreservations:\n  services:\n    web: {}\n    api:\n      offset: 1\n    db:\n      offset: 2\n")
  const data = ["--data-dir", join(scratch, "data")]
  const runs = [
    [project, [...data, "reserve-group", "trop.yaml"]],
    [project, [...data, "reserve-group", "trop.yaml"]],
    [plain, [...data, "reserve"]],
    [plain, [...data, "reserve"]],
    [scratch, ["help", "reserve"]]
  ]
  for (const [i, [cwd, args]] of runs.entries()) {
    const preload = i === 0 ? [] : ["-r", resolve("scripts/warm-code-cache.cjs")]
    execFileSync(process.execPath, [...preload, resolve("dist/bin.cjs"), ...args], {
      cwd,
      stdio: "ignore",
      env: { PATH: process.env.PATH ?? "", HOME: scratch }
    })
  }
} catch {
  // No cache yet, or a smaller one; the first real run without one makes it.
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
await Promise.all([node([tsc, "-p", "tsconfig.build.json"]), cli("dist/test/trop.cjs", [sharedBuiltins, dropUnused, lazyModules, effectOnNode, sqliteAddon])])
for (const file of ["bin.cjs", "front.cjs", "specs.json", "yaml.cjs"]) copyFileSync(join("dist", file), join("dist/test", file))
for (const file of ["trop.cjs.cache", "front.cjs.cache", "yaml.cjs.cache"]) rmSync(join("dist/test", file), { force: true })

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
