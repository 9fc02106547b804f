/**
 * Testing Effect code that uses trop, with @effect/vitest and `Trop.layerTest`: a private
 * in-memory database per layer — no files, no real port probes. `occupied` says which
 * ports count as in use; paths are never touched, so any absolute path will do.
 */
import { describe, expect, it, layer } from "@effect/vitest"
import * as Effect from "effect/Effect"
import { Trop } from "trop"

/** A fixture: a port held for the test that uses it, released when the test's scope closes. */
const scopedPort = (tag: string) => Effect.flatMap(Trop, (trop) => trop.reserveScoped({ path: "/w/shop", tag }))

/** The tags reserved right now. */
const reservedTags = Effect.flatMap(Trop, (trop) => trop.list()).pipe(Effect.map((rows) => rows.map((r) => r.tag)))

describe("a fresh database per test (Effect.provide)", () => {
  it.effect("the first port of the default range 5000..7000, skipping the occupied 5000", () =>
    Effect.gen(function*() {
      const trop = yield* Trop
      const web = yield* trop.reserve({ path: "/w/shop", tag: "web" })
      expect(web).toBe(5001)
      // The same request, the same port; another tag, another port.
      expect(yield* trop.reserve({ path: "/w/shop", tag: "web" })).toBe(web)
      expect(yield* trop.reserve({ path: "/w/shop", tag: "api" })).toBe(5002)
    }).pipe(Effect.provide(Trop.layerTest({ occupied: [5000] }))))
})

// `layer(...)` builds the layer once for every test inside: they share one database.
layer(Trop.layerTest({ occupied: [5000] }))("one database for the block (layer)", (it) => {
  it.scoped("reserveScoped as a fixture: reserved during the test", () =>
    Effect.gen(function*() {
      const port = yield* scopedPort("tmp")
      expect(port).not.toBe(5000)
      expect(yield* reservedTags).toContain("tmp")
    }))

  it.effect("released when its scope closes", () =>
    Effect.gen(function*() {
      // Effect.scoped closes the fixture's scope here, within the test.
      const port = yield* Effect.scoped(
        Effect.gen(function*() {
          const port = yield* scopedPort("short-lived")
          expect(yield* reservedTags).toContain("short-lived")
          return port
        })
      )
      expect(port).not.toBe(5000)
      expect(yield* reservedTags).not.toContain("short-lived")
      // The previous test's fixture was released when that test ended.
      expect(yield* reservedTags).not.toContain("tmp")
    }))
})
