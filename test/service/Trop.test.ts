import { describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Scope from "effect/Scope"
import * as fs from "node:fs"
import * as path from "node:path"
import { expect } from "vitest"
import { InvalidValue, Trop } from "../../src/index.js"
import type { TropService } from "../../src/index.js"
import { openTrop } from "../../src/promise.js"
import { tempDir, trop as cli } from "../support/cli.js"

const inMemory = Trop.layerTest({ occupied: [5000] })

/** The request a test makes of the service, with the service as argument. */
const using = <A, E>(f: (trop: TropService) => Effect.Effect<A, E>) => Effect.flatMap(Trop, f)

describe("Trop.layerTest", () => {
  it.effect("the same request gets the same port; another tag another port; occupied ports are skipped", () =>
    using((trop) =>
      Effect.gen(function*() {
        const web = yield* trop.reserve({ path: "/w/shop", tag: "web" })
        expect(web).toBe(5001)
        expect(yield* trop.reserve({ path: "/w/shop", tag: "web" })).toBe(web)
        expect(yield* trop.reserve({ path: "/w/shop", tag: "api" })).toBe(5002)
        expect(yield* trop.reserve({ path: "/w/shop" })).toBe(5003)
        const rows = yield* trop.list({ path: "/w/shop" })
        expect(rows.map((r) => [r.tag, r.port])).toEqual([[null, 5003], ["api", 5002], ["web", 5001]])
      })
    ).pipe(Effect.provide(inMemory)))

  it.effect("options set the range and exclusions, and are validated as configuration", () =>
    Effect.gen(function*() {
      const port = yield* using((trop) => trop.reserve({ tag: "x" })).pipe(
        Effect.provide(Trop.layerTest({ ports: { min: 6000, max: 6010 }, excludedPorts: [6000, { start: 6001, end: 6002 }] }))
      )
      expect(port).toBe(6003)
      const bad = yield* Effect.flip(Effect.provide(Trop, Trop.layerTest({ ports: { min: 7000, max: 6000 } })))
      expect(bad._tag).toBe("InvalidConfiguration")
      expect(bad.message).toContain("<options>")
      const wrongType = yield* Effect.flip(
        Effect.provide(Trop, Trop.layerTest({ ports: { min: "6000" as unknown as number } }))
      )
      expect(wrongType._tag).toBe("InvalidConfiguration")
    }))

  it.effect("bad request values are typed failures, never throws", () =>
    using((trop) =>
      Effect.gen(function*() {
        const failures = yield* Effect.all([
          Effect.flip(trop.reserve({ port: 0 })),
          Effect.flip(trop.reserve({ port: 70000 })),
          Effect.flip(trop.reserve({ port: "80" as unknown as number })),
          Effect.flip(trop.reserve({ tag: "   " })),
          Effect.flip(trop.reserve({ path: "" })),
          Effect.flip(trop.reserve({ overwrite: "yes" as unknown as boolean })),
          Effect.flip(trop.release({ tag: "a", untaggedOnly: true })),
          Effect.flip(trop.list({ project: 1 as unknown as string }))
        ])
        for (const failure of failures) expect(failure).toBeInstanceOf(InvalidValue)
        expect(failures[0]?.message).toBe("validation error for 'port': invalid port 0: expected an integer 1..65535")
        const tooHigh = yield* Effect.flip(trop.reserve({ path: "/a/../.." }))
        expect(tooHigh._tag).toBe("InvalidPath")
        expect(yield* trop.list()).toEqual([])
      })
    ).pipe(Effect.provide(inMemory)))

  it.effect("transaction: one unit, inner calls are savepoints", () =>
    using((trop) =>
      Effect.gen(function*() {
        const [a, b] = yield* trop.transaction(
          Effect.all([trop.reserve({ path: "/w", tag: "a" }), trop.reserve({ path: "/w", tag: "b" })])
        )
        expect([a, b]).toEqual([5001, 5002])
        // A failure after writes rolls back every write of the transaction.
        const failed = yield* trop.transaction(
          Effect.zipRight(trop.reserve({ path: "/w", tag: "c" }), Effect.fail("boom" as const))
        ).pipe(Effect.flip)
        expect(failed).toBe("boom")
        // A failed inner call rolls back only itself when the caller recovers.
        yield* trop.transaction(Effect.gen(function*() {
          yield* trop.reserve({ path: "/w", tag: "d" })
          yield* trop.transaction(Effect.zipRight(trop.reserve({ path: "/w", tag: "e" }), Effect.fail("inner"))).pipe(
            Effect.ignore
          )
          yield* trop.reserve({ path: "/w", tag: "f" })
        }))
        expect((yield* trop.list()).map((r) => r.tag)).toEqual(["a", "b", "d", "f"])
      })
    ).pipe(Effect.provide(inMemory)))

  it.effect("concurrent calls inside one transaction take turns on its connection", () =>
    using((trop) =>
      Effect.gen(function*() {
        const ports = yield* trop.transaction(
          Effect.all(Array.from({ length: 10 }, (_, i) => trop.reserve({ tag: `t${i}` })), { concurrency: "unbounded" })
        )
        expect(new Set(ports).size).toBe(10)
        expect(yield* trop.list()).toHaveLength(10)
      })
    ).pipe(Effect.provide(inMemory)))

  it.effect("reserveScoped releases when the scope closes", () =>
    using((trop) =>
      Effect.gen(function*() {
        const scope = yield* Scope.make()
        const port = yield* Scope.extend(trop.reserveScoped({ path: "/w", tag: "tmp" }), scope)
        yield* trop.reserve({ path: "/w", tag: "kept" })
        expect((yield* trop.list()).map((r) => r.port)).toContain(port)
        yield* Scope.close(scope, Exit.void)
        expect((yield* trop.list()).map((r) => r.tag)).toEqual(["kept"])
      })
    ).pipe(Effect.provide(inMemory)))

  it.effect("sticky metadata: a change is refused as data, without naming CLI flags", () =>
    using((trop) =>
      Effect.gen(function*() {
        yield* trop.reserve({ path: "/w", project: "one" })
        const change = yield* Effect.flip(trop.reserve({ path: "/w", project: "two" }))
        expect(change).toMatchObject({ _tag: "StickyFieldChange", field: "project", from: "one", to: "two" })
        expect(change.message).not.toContain("--")
        expect(yield* trop.reserve({ path: "/w", project: "two", allowProjectChange: true })).toBe(5001)
        const [row] = yield* trop.list()
        expect(row?.project).toBe("two")
      })
    ).pipe(Effect.provide(inMemory)))

  it.effect("an exhausted range is PortRangeExhausted", () =>
    Effect.gen(function*() {
      const trop = yield* Trop
      yield* trop.reserve({ tag: "a" })
      yield* trop.reserve({ tag: "b" })
      const exhausted = yield* Effect.flip(trop.reserve({ tag: "c" }))
      expect(exhausted._tag).toBe("PortRangeExhausted")
    }).pipe(Effect.provide(Trop.layerTest({ ports: { min: 6000, max: 6001 } }))))

  it.effect("groups inline: atomic, env names, refreshed on repeat; invalid groups are InvalidGroup", () =>
    using((trop) =>
      Effect.gen(function*() {
        // web is pinned to its free preferred port; the others follow one base (5000) plus offset.
        const services = { web: { preferred: 8080 }, api: { offset: 1, env: "API_PORT" }, "worker-2": { offset: 2 } }
        const group = yield* trop.reserveGroup({ path: "/w/shop", services })
        expect(group).toEqual({
          path: "/w/shop",
          file: null,
          action: "allocate",
          services: [
            { tag: "api", port: 5001, env: "API_PORT" },
            { tag: "web", port: 8080, env: "WEB" },
            { tag: "worker-2", port: 5002, env: "WORKER_2" }
          ],
          env: { API_PORT: "5001", WEB: "8080", WORKER_2: "5002" }
        })
        expect(yield* trop.reserveGroup({ path: "/w/shop", services })).toEqual({ ...group, action: "refresh" })
        const duplicate = yield* Effect.flip(trop.reserveGroup({ services: { web: {}, " web": { offset: 1 } } }))
        expect(duplicate).toMatchObject({ _tag: "InvalidGroup", field: "reservations.services.tag" })
        const both = yield* Effect.flip(trop.reserveGroup({ file: "/x/trop.yaml", services: { web: {} } }))
        expect(both._tag).toBe("InvalidGroup")
        const noConfig = yield* Effect.flip(trop.reserveGroup())
        expect(noConfig._tag).toBe("InvalidGroup")
        const badPort = yield* Effect.flip(trop.reserveGroup({ services: { web: { preferred: 0 } } }))
        expect(badPort._tag).toBe("InvalidGroup")
        // Nothing of the failed requests was written.
        expect((yield* trop.list()).map((r) => r.tag)).toEqual(["api", "web", "worker-2"])
      })
    ).pipe(Effect.provide(inMemory)))

  it.effect("every method's error channel admits catchTag('DatabaseBusy')", () =>
    using((trop) =>
      Effect.gen(function*() {
        const busy = () => Effect.succeed("busy" as const)
        yield* trop.reserve().pipe(Effect.catchTag("DatabaseBusy", busy))
        yield* trop.reserveGroup({ services: { a: {} } }).pipe(Effect.catchTag("DatabaseBusy", busy))
        yield* trop.list().pipe(Effect.catchTag("DatabaseBusy", busy))
        yield* trop.release().pipe(Effect.catchTag("DatabaseBusy", busy))
        yield* trop.autoclean().pipe(Effect.catchTag("DatabaseBusy", busy))
        yield* Effect.scoped(trop.reserveScoped().pipe(Effect.catchTag("DatabaseBusy", busy)))
        yield* trop.transaction(Effect.void).pipe(Effect.catchTag("DatabaseBusy", busy))
      })
    ).pipe(Effect.provide(inMemory)))
})

describe("Trop.layer", () => {
  const project = (yaml: string) => {
    const root = tempDir()
    const dir = path.join(root, "shop")
    fs.mkdirSync(dir)
    fs.writeFileSync(path.join(dir, "trop.yaml"), yaml)
    return { dataDir: path.join(root, "data"), dir: fs.realpathSync(dir) }
  }

  it.live("resolves configuration as the CLI does: the project's trop.yaml range, and the CLI agrees", () =>
    Effect.gen(function*() {
      const { dataDir, dir } = project("ports: { min: 46100, max: 46200 }\n")
      const port = yield* using((trop) => trop.reserve({ tag: "web" })).pipe(
        Effect.provide(Trop.layer({ dataDir, cwd: dir }))
      )
      expect(port).toBeGreaterThanOrEqual(46100)
      expect(port).toBeLessThanOrEqual(46200)
      expect(cli(["--data-dir", dataDir, "reserve", "--tag", "web"], { cwd: dir })).toMatchObject({
        code: 0,
        stdout: `${port}\n`
      })
      // The CLI's reservation is the library's too.
      const second = cli(["--data-dir", dataDir, "reserve", "--tag", "api"], { cwd: dir })
      const rows = yield* using((trop) => trop.list()).pipe(Effect.provide(Trop.layer({ dataDir, cwd: dir })))
      expect(rows.map((r) => `${r.tag}=${r.port}`)).toEqual([`api=${second.stdout.trim()}`, `web=${port}`])
    }))

  it.live("TROP_* variables and then options override the files; the data directory defaults to $HOME/.trop", () =>
    Effect.gen(function*() {
      const { dir } = project("ports: { min: 46100, max: 46200 }\n")
      const home = tempDir()
      const env = { HOME: home, TROP_PORT_MIN: "46150" }
      const fromEnv = yield* using((trop) => Effect.map(trop.reserve({ tag: "a" }), (port) => ({ port, dataDir: trop.dataDir })))
        .pipe(Effect.provide(Trop.layer({ cwd: dir, env })))
      expect(fromEnv.dataDir).toBe(path.join(home, ".trop"))
      expect(fs.existsSync(path.join(home, ".trop", "trop.db"))).toBe(true)
      expect(fromEnv.port).toBeGreaterThanOrEqual(46150)
      const fromOptions = yield* using((trop) => trop.reserve({ tag: "b" })).pipe(
        Effect.provide(Trop.layer({ cwd: dir, env, ports: { min: 46180 } }))
      )
      expect(fromOptions).toBeGreaterThanOrEqual(46180)
      const dataDir = tempDir()
      const viaVariable = yield* using((trop) => Effect.succeed(trop.dataDir)).pipe(
        Effect.provide(Trop.layer({ cwd: dir, env: { ...env, TROP_DATA_DIR: dataDir } }))
      )
      expect(viaVariable).toBe(dataDir)
    }))

  it.live("an invalid project file fails the layer with InvalidConfiguration naming the file", () =>
    Effect.gen(function*() {
      const { dataDir, dir } = project("ports: { min: 6000, max: 5000 }\n")
      const failure = yield* Effect.flip(Effect.provide(Trop, Trop.layer({ dataDir, cwd: dir })))
      expect(failure._tag).toBe("InvalidConfiguration")
      expect(failure.message).toContain(path.join(dir, "trop.yaml"))
    }))

  it.live("reserveGroup from a file and by discovery: the group lives at the file's directory, as in the CLI", () =>
    Effect.gen(function*() {
      const { dataDir, dir } = project(
        "ports: { min: 46300, max: 46400 }\nreservations:\n  services:\n    web: {}\n    api: { offset: 1 }\n"
      )
      const layer = Trop.layer({ dataDir, cwd: dir })
      const named = yield* using((trop) => trop.reserveGroup({ file: "trop.yaml" })).pipe(Effect.provide(layer))
      expect(named.path).toBe(dir)
      expect(named.file).toBe(path.join(dir, "trop.yaml"))
      expect(named.services.map((s) => s.tag)).toEqual(["api", "web"])
      const web = named.services.find((s) => s.tag === "web")?.port ?? 0
      expect(named.env).toEqual({ API: String(web + 1), WEB: String(web) })
      const discovered = yield* using((trop) => trop.reserveGroup()).pipe(Effect.provide(layer))
      expect(discovered).toEqual({ ...named, action: "refresh" })
      const shell = cli(["--data-dir", dataDir, "autoreserve", "--format", "dotenv"], { cwd: dir })
      expect(shell).toMatchObject({ code: 0, stdout: `API=${web + 1}\nWEB=${web}\n` })
      const missing = yield* using((trop) => Effect.flip(trop.reserveGroup({ file: "nope.yaml" }))).pipe(
        Effect.provide(layer)
      )
      expect(missing).toMatchObject({ _tag: "InvalidGroup", reason: "Configuration file not found: nope.yaml" })
    }))
})

describe("trop/promise", () => {
  it.live("methods resolve with values and reject with the tagged errors themselves", () =>
    Effect.promise(async () => {
      const root = tempDir()
      const trop = await openTrop({ dataDir: path.join(root, "data"), cwd: root, occupancy: { skip: true } })
      try {
        const port = await trop.reserve({ tag: "web" })
        expect(await trop.reserve({ tag: "web" })).toBe(port)
        expect((await trop.list()).map((r) => r.port)).toEqual([port])
        const error = await trop.reserve({ port: 0 }).then(() => undefined, (e: unknown) => e)
        expect(error).toBeInstanceOf(InvalidValue)
        expect(error).toBeInstanceOf(Error)
        expect(error).toMatchObject({ _tag: "InvalidValue", field: "port" })
        expect((await trop.release({ tag: "web" })).map((r) => r.port)).toEqual([port])
      } finally {
        await trop.close()
      }
      await expect(trop.list()).rejects.toThrow("closed")
      await trop.close()
    }))

  it.live("opening fails with the tagged error, not a FiberFailure", () =>
    Effect.promise(async () => {
      const error = await openTrop({ dataDir: "" }).then(() => undefined, (e: unknown) => e)
      expect(error).toMatchObject({ _tag: "InvalidConfiguration" })
      expect(error).toBeInstanceOf(Error)
    }))
})
