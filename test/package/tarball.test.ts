/**
 * The package as users get it: `npm pack` of the repository (dist/ built by `npm test`),
 * installed into a scratch app outside the repository without the network. Checks what the
 * tarball holds, its package.json, both module systems' entry points and types, the `trop`
 * executable, and typechecks, compiles and runs the repository's examples/ against the
 * installed package only (no alias to src/ anywhere on this path).
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import {
  createScratchApp,
  describeResult,
  EXAMPLES,
  expectSuccess,
  filesUnder,
  node,
  pack,
  type Packed,
  removeDir,
  type ScratchApp,
  tempDir
} from "./scratchApp.js"

interface Manifest {
  readonly name: string
  readonly version: string
  readonly main?: string
  readonly types?: string
  readonly bin?: Record<string, string>
  readonly man?: ReadonlyArray<string>
  readonly exports?: Record<string, unknown>
  readonly dependencies?: Record<string, string>
  readonly devDependencies?: Record<string, string>
  readonly peerDependencies?: Record<string, string>
  readonly peerDependenciesMeta?: Record<string, { readonly optional?: boolean }>
}

const PEERS = ["effect", "@effect/sql", "@effect/sql-sqlite-node", "@effect/experimental", "@effect/platform"]
const CLI_ONLY = ["@effect/cli", "@effect/printer", "@effect/printer-ansi"]

const exampleFiles = filesUnder(EXAMPLES)
const isTypeScript = (file: string) => /\.[cm]?ts$/.test(file) && !/\.d\.[cm]?ts$/.test(file)
const isTest = (file: string) => /\.(test|spec)\.[cm]?ts$/.test(file)
const exampleScripts = exampleFiles.filter((file) => isTypeScript(file) && !isTest(file))
const exampleTests = exampleFiles.filter((file) => isTypeScript(file) && isTest(file))

/** Every file path an `exports` value (conditions nested or not) points at. */
const targets = (value: unknown): ReadonlyArray<string> =>
  typeof value === "string"
    ? [value]
    : value !== null && typeof value === "object"
    ? Object.values(value).flatMap(targets)
    : []

const tsconfig = (compilerOptions: Record<string, unknown>, include: ReadonlyArray<string>) =>
  `${
    JSON.stringify(
      {
        compilerOptions: {
          strict: true,
          module: "NodeNext",
          moduleResolution: "NodeNext",
          target: "ES2022",
          types: ["node"],
          ...compilerOptions
        },
        include
      },
      null,
      2
    )
  }\n`

describe("the published package", () => {
  let root: string | undefined
  let packed: Packed
  let app: ScratchApp
  let manifest: Manifest

  /** A fresh directory inside this run's temp root. */
  const scratch = (name: string) => fs.mkdtempSync(path.join(root!, `${name}-`))

  beforeAll(async () => {
    root = tempDir()
    packed = await pack(scratch("pack"))
    app = await createScratchApp(path.join(root, "app"), packed.file)
    manifest = JSON.parse(fs.readFileSync(path.join(app.dir, "node_modules", "trop", "package.json"), "utf8"))
  }, 180_000)

  afterAll(() => {
    if (root !== undefined) removeDir(root)
  })

  it("the tarball holds dist/, docs/, the man page, README.md, LICENSE and package.json, and nothing from the repository's other files", () => {
    const entries = packed.entries
    for (
      const required of [
        "package.json",
        "README.md",
        "LICENSE",
        "trop.1",
        "docs/README.md",
        "docs/cli.md",
        "dist/bin.cjs",
        "dist/trop.cjs",
        "dist/front.cjs",
        "dist/specs.json",
        "dist/yaml.cjs",
        "dist/lib/index.js",
        "dist/lib/index.d.ts",
        "dist/lib/promise.js",
        "dist/lib/promise.d.ts",
        "dist/lib/vitest.js",
        "dist/lib/vitest.d.ts",
        "dist/cjs/index.js",
        "dist/cjs/promise.js"
      ]
    ) expect(entries, required).toContain(required)
    const forbidden = entries.filter((entry) =>
      /^(src|test|bench|\.ci|examples|node_modules)\//.test(entry) ||
      /\.(test|spec)\.[cm]?[jt]sx?$/.test(entry) ||
      /\.(cache|tmp|tgz|log)$/.test(entry)
    )
    expect(forbidden).toEqual([])
    const unexpected = entries.filter((entry) =>
      !["package.json", "README.md", "LICENSE", "trop.1"].includes(entry) && !/^(dist|docs)\//.test(entry)
    )
    expect(unexpected).toEqual([])
  })

  it("package.json: entry points that exist, peers for the Effect packages, only run-time dependencies", () => {
    expect(Object.keys(manifest.exports ?? {}).sort()).toEqual([".", "./package.json", "./promise", "./vitest"])
    const shipped = new Set(packed.entries)
    const files = [
      ...targets(manifest.exports),
      ...[manifest.main, manifest.types].filter((file) => file !== undefined),
      ...Object.values(manifest.bin ?? {})
    ]
    expect(files.filter((file) => !shipped.has(path.posix.normalize(file)))).toEqual([])
    expect(manifest.bin).toEqual({ trop: "dist/bin.cjs" })
    // `man trop` after a global install: the man page is listed and shipped.
    expect(manifest.man).toEqual(["./trop.1"])
    expect(packed.entries).toContain("trop.1")

    const peers = manifest.peerDependencies ?? {}
    for (const peer of [...PEERS, "vitest"]) expect(peers, peer).toHaveProperty([peer])
    expect(manifest.peerDependenciesMeta?.["vitest"]?.optional).toBe(true)
    for (const peer of PEERS) expect(manifest.peerDependenciesMeta?.[peer]?.optional ?? false, peer).toBe(false)
    // The repository's own `npm ci` installs the peers it builds and tests with.
    for (const peer of Object.keys(peers)) expect(manifest.devDependencies ?? {}, peer).toHaveProperty([peer])

    const dependencies = Object.keys(manifest.dependencies ?? {})
    expect(dependencies.filter((name) => [...CLI_ONLY, ...Object.keys(peers)].includes(name))).toEqual([])
    expect(dependencies.sort()).toEqual(["better-sqlite3", "yaml"])
  })

  it("require() and import() load the installed entry points: the same names, one copy of trop per module system", async () => {
    const cjs = expectSuccess(
      "require",
      await app.node([
        "-e",
        `const trop = require("trop")
         const promise = require("trop/promise")
         console.log(JSON.stringify({
           keys: Object.keys(trop).sort(),
           promiseKeys: Object.keys(promise).sort(),
           sameErrors: trop.DatabaseBusy === promise.DatabaseBusy && trop.InvalidValue === promise.InvalidValue,
           resolved: require.resolve("trop"),
           manifest: require.resolve("trop/package.json")
         }))`
      ])
    )
    const required = JSON.parse(cjs.stdout) as {
      keys: Array<string>
      promiseKeys: Array<string>
      sameErrors: boolean
      resolved: string
      manifest: string
    }
    expect(required.keys.length).toBeGreaterThan(0)
    // One copy of trop's modules per module system: both entries share the error classes.
    expect(required.sameErrors).toBe(true)
    expect(required.resolved).toBe(path.join(app.dir, "node_modules", "trop", "dist", "cjs", "index.js"))
    expect(required.manifest).toBe(path.join(app.dir, "node_modules", "trop", "package.json"))

    const esm = expectSuccess(
      "import",
      await app.node([
        "--input-type=module",
        "-e",
        `const trop = await import("trop")
         const promise = await import("trop/promise")
         const manifest = await import("trop/package.json", { with: { type: "json" } })
         console.log(JSON.stringify({
           keys: Object.keys(trop).sort(),
           promiseKeys: Object.keys(promise).sort(),
           sameErrors: trop.DatabaseBusy === promise.DatabaseBusy && trop.InvalidValue === promise.InvalidValue,
           resolved: import.meta.resolve("trop"),
           vitest: import.meta.resolve("trop/vitest"),
           version: manifest.default.version
         }))`
      ])
    )
    const imported = JSON.parse(esm.stdout) as {
      keys: Array<string>
      promiseKeys: Array<string>
      sameErrors: boolean
      resolved: string
      vitest: string
      version: string
    }
    expect(imported.keys).toEqual(required.keys)
    expect(imported.promiseKeys).toEqual(required.promiseKeys)
    expect(imported.sameErrors).toBe(true)
    expect(new URL(imported.resolved).pathname).toBe(path.join(app.dir, "node_modules", "trop", "dist", "lib", "index.js"))
    expect(new URL(imported.vitest).pathname).toBe(path.join(app.dir, "node_modules", "trop", "dist", "lib", "vitest.js"))
    expect(imported.version).toBe(manifest.version)
  }, 120_000)

  it("the entry points' declarations typecheck from an ES module and from CommonJS (require gets dist/cjs)", async () => {
    app.write(
      "entry-types/esm.mts",
      `import * as trop from "trop"
import * as promise from "trop/promise"
import type * as vitest from "trop/vitest"
type IsAny<T> = 0 extends 1 & T ? true : false
export const notAny: [IsAny<typeof trop>, IsAny<typeof promise>, IsAny<typeof vitest>] = [false, false, false]
`
    )
    app.write(
      "entry-types/cjs.cts",
      `import trop = require("trop")
import promise = require("trop/promise")
type IsAny<T> = 0 extends 1 & T ? true : false
const notAny: [IsAny<typeof trop>, IsAny<typeof promise>] = [false, false]
export = notAny
`
    )
    // Node16, not NodeNext: TypeScript >= 5.8 lets NodeNext require() an ES module's types,
    // so only Node16 tells whether require gets CommonJS declarations.
    app.write(
      "tsconfig.entry-types.json",
      tsconfig({ noEmit: true, module: "Node16", moduleResolution: "Node16" }, ["entry-types"])
    )
    const result = await node(
      [path.join(app.dir, "node_modules", "typescript", "bin", "tsc"), "-p", "tsconfig.entry-types.json", "--listFiles"],
      { cwd: app.dir }
    )
    expect(result.code, describeResult("tsc (entry types)", result)).toBe(0)
    const listed = result.stdout.split("\n")
    const installed = path.join(app.dir, "node_modules", "trop")
    for (const file of ["dist/lib/index.d.ts", "dist/lib/vitest.d.ts", "dist/cjs/index.d.ts", "dist/cjs/promise.d.ts"]) {
      expect(listed, file).toContain(path.join(installed, file))
    }
  }, 300_000)

  it("the installed `trop` executable runs: --version, and a reservation", async () => {
    const version = await app.trop(["--version"])
    expect(version, describeResult("trop --version", version)).toMatchObject({ code: 0, stdout: `trop ${manifest.version}\n` })
    // The reserved directory is inside the app, where trop runs (trop refuses unrelated paths).
    const work = fs.mkdtempSync(path.join(app.dir, "work-"))
    const reserve = await app.trop(["--data-dir", scratch("data"), "reserve", "--path", work])
    expect(reserve.code, describeResult("trop reserve", reserve)).toBe(0)
    expect(reserve.stdout).toMatch(/^\d+\n$/)
  }, 120_000)

  it(
    `the examples (${exampleScripts.length} scripts) typecheck against the installed package, compile and run`,
    async () => {
      app.copy(EXAMPLES, "examples")
      app.write("tsconfig.json", tsconfig({ outDir: "out", rootDir: "." }, ["examples"]))
      expectSuccess("tsc (examples)", await app.tsc())
      for (const script of exampleScripts) {
        const compiled = path.join("out", "examples", script.replace(/\.([cm]?)ts$/, ".$1js"))
        const result = await app.node([compiled], { TROP_DATA_DIR: scratch("data"), HOME: scratch("home") })
        expect(result.code, describeResult(`node ${compiled}`, result)).toBe(0)
      }
    },
    300_000
  )

  it.skipIf(exampleTests.length === 0)(
    `the examples' vitest files (${exampleTests.length}) pass against the installed package`,
    async () => {
      if (!fs.existsSync(path.join(app.dir, "examples"))) app.copy(EXAMPLES, "examples")
      const report = path.join(scratch("vitest"), "report.json")
      const result = await app.node(
        [
          path.join("node_modules", "vitest", "vitest.mjs"),
          "run",
          "--root",
          app.dir,
          // Only the sources: not the copies tsc compiled into out/.
          "--dir",
          "examples",
          "--reporter=default",
          "--reporter=json",
          `--outputFile.json=${report}`
        ],
        { TROP_DATA_DIR: scratch("data"), HOME: scratch("home"), NO_COLOR: "1" }
      )
      expect(result.code, describeResult("vitest (examples)", result)).toBe(0)
      const summary = JSON.parse(fs.readFileSync(report, "utf8")) as { testResults: ReadonlyArray<unknown> }
      expect(summary.testResults).toHaveLength(exampleTests.length)
    },
    300_000
  )
})
