import * as SqlClient from "@effect/sql/SqlClient"
import { describe, it } from "@effect/vitest"
import { Effect, Option } from "effect"
import * as fs from "node:fs"
import * as nodePath from "node:path"
import { expect } from "vitest"
import * as Key from "../../src/domain/ReservationKey.js"
import type { ListFilter } from "../../src/operations/List.js"
import { list } from "../../src/operations/List.js"
import * as Reservations from "../../src/store/Reservations.js"
import { abs, freshDatabase, reservation } from "../fixtures/Fixtures.js"

/** root/real/{x,y} exist; root/link → root/real; rows at real/x, link/y, a, a/b, ab. */
const world = Effect.gen(function*() {
  const { dir, sql } = yield* freshDatabase
  const at = (rel: string) => nodePath.join(dir, rel)
  fs.mkdirSync(at("real/x"), { recursive: true })
  fs.mkdirSync(at("real/y"), { recursive: true })
  fs.symlinkSync(at("real"), at("link"))
  const rows = [
    reservation({ path: at("a"), port: 5000, project: "shop" }),
    reservation({ path: at("a"), tag: "web", port: 5001, project: "shop" }),
    reservation({ path: at("a/b"), tag: "web", port: 5002, project: "blog" }),
    reservation({ path: at("ab"), tag: "web", port: 5003 }),
    reservation({ path: at("real/x"), port: 5004 }),
    reservation({ path: at("link/y"), port: 5005 })
  ]
  yield* Effect.forEach(rows, Reservations.insert, { discard: true }).pipe(Effect.provideService(SqlClient.SqlClient, sql))
  const ports = (filter: Partial<ListFilter>) =>
    list({ project: Option.none(), tag: Option.none(), path: Option.none(), ...filter }).pipe(
      Effect.map((rs) => rs.map((r) => r.port)),
      Effect.provideService(SqlClient.SqlClient, sql)
    )
  return { at, ports, sql }
})

describe("list filters (docs/cli.md)", () => {
  it.scoped("no filter: every row, ordered by path then tag", () =>
    Effect.gen(function*() {
      const { at, sql } = yield* world
      const rows = yield* list({ project: Option.none(), tag: Option.none(), path: Option.none() }).pipe(
        Effect.provideService(SqlClient.SqlClient, sql)
      )
      expect(rows.map((r) => Key.format(r.key))).toEqual([
        at("a"),
        `${at("a")}:web`,
        `${at("a/b")}:web`,
        `${at("ab")}:web`,
        at("link/y"),
        at("real/x")
      ])
    }))

  it.scoped("project and tag filters are exact; rows without the field never match", () =>
    Effect.gen(function*() {
      const { ports } = yield* world
      expect(yield* ports({ project: Option.some("shop") })).toEqual([5000, 5001])
      expect(yield* ports({ project: Option.some("sho") })).toEqual([])
      expect(yield* ports({ tag: Option.some("web") })).toEqual([5001, 5002, 5003])
      expect(yield* ports({ tag: Option.some(" web") })).toEqual([]) // not trimmed
      expect(yield* ports({ tag: Option.some("web"), project: Option.some("blog") })).toEqual([5002])
    }))

  it.scoped("the path filter is component-wise: /a matches /a and /a/b, never /ab", () =>
    Effect.gen(function*() {
      const { at, ports } = yield* world
      expect(yield* ports({ path: Option.some(abs(at("a"))) })).toEqual([5000, 5001, 5002])
      expect(yield* ports({ path: Option.some(abs(at("a/b"))) })).toEqual([5002])
      expect(yield* ports({ path: Option.some(abs(at("nothing"))) })).toEqual([])
    }))

  it.scoped("the path filter also matches physically when both sides canonicalize", () =>
    Effect.gen(function*() {
      const { at, ports } = yield* world
      // Filter through the symlink: real/x is under link physically; link/y lexically.
      expect(yield* ports({ path: Option.some(abs(at("link"))) })).toEqual([5005, 5004])
      // Filter on the physical directory: the row stored through the link matches too.
      expect(yield* ports({ path: Option.some(abs(at("real"))) })).toEqual([5005, 5004])
      expect(yield* ports({ path: Option.some(abs(at("real/y"))) })).toEqual([5005])
    }))
})
