import * as SqlClient from "@effect/sql/SqlClient"
import { describe, it } from "@effect/vitest"
import { Effect, Option } from "effect"
import * as fs from "node:fs"
import * as nodePath from "node:path"
import { expect } from "vitest"
import type { Settings } from "../../src/config/Settings.js"
import type { AbsolutePath } from "../../src/domain/AbsolutePath.js"
import type { Reservation } from "../../src/domain/Reservation.js"
import * as Key from "../../src/domain/ReservationKey.js"
import type { GroupRequest, ServiceRequest } from "../../src/operations/Group.js"
import * as Group from "../../src/operations/Group.js"
import { Occupancy } from "../../src/probe/Occupancy.js"
import * as Reservations from "../../src/store/Reservations.js"
import { abs, freshDatabase, port, range, reservation, settings, tag } from "../fixtures/Fixtures.js"

/**
 * What a group plan tells beyond its result, as data for the CLI's words: the preferred
 * ports it did not grant and why, and how an incompatible stored group differs.
 */

const world = Effect.gen(function*() {
  const { dir, sql } = yield* freshDatabase
  const work = nodePath.join(dir, "work")
  for (const d of ["app", "other"]) fs.mkdirSync(nodePath.join(work, d), { recursive: true })
  const path = (name: string): AbsolutePath => abs(nodePath.join(work, name))
  return { sql, work: abs(work), app: path("app"), path }
})

const svc = (t: string, o: { readonly offset?: number; readonly preferred?: number } = {}): ServiceRequest => ({
  tag: tag(t),
  offset: o.offset ?? 0,
  preferred: o.preferred === undefined ? Option.none() : Option.some(port(o.preferred))
})

const request = (path: AbsolutePath, cwd: AbsolutePath, services: ReadonlyArray<ServiceRequest>): GroupRequest => ({
  path,
  cwd,
  services: [...services].sort((a, b) => Group.byTag(a.tag, b.tag)),
  base: Option.none(),
  project: Option.none(),
  task: Option.none(),
  force: false
})

const reserveGroup = (sql: SqlClient.SqlClient, req: GroupRequest, s: Settings, occupied: ReadonlyArray<number> = []) =>
  sql.withTransaction(Effect.tap(Group.plan(req, s), Group.execute)).pipe(
    Effect.provideService(SqlClient.SqlClient, sql),
    Effect.provide(Occupancy.Test(occupied))
  )

const seed = (sql: SqlClient.SqlClient, ...rs: ReadonlyArray<Reservation>) =>
  Effect.forEach(rs, Reservations.insert, { discard: true }).pipe(Effect.provideService(SqlClient.SqlClient, sql))

const small = (overrides: Partial<Settings> = {}) => settings({ range: range(5000, 5100), ...overrides })

describe("preferred ports a group allocation did not grant", () => {
  it.scoped("each is listed with why: the holder of a reserved one, excluded, occupied; the mapping is the same", () =>
    Effect.gen(function*() {
      const { app, path, sql, work } = yield* world
      yield* seed(sql, reservation({ path: path("other"), tag: "db", port: 6000 }))
      const s = small({ exclusions: [{ start: port(6001), end: port(6001) }] })
      const plan = yield* reserveGroup(
        sql,
        request(app, work, [
          svc("web", { preferred: 6000 }),
          svc("api", { offset: 1, preferred: 6001 }),
          svc("db", { offset: 2, preferred: 6002 }),
          svc("ok", { offset: 3, preferred: 6003 })
        ]),
        s,
        [6002]
      )
      expect(Object.fromEntries(Group.mapping(plan).map((m) => [m.tag, m.port]))).toEqual({
        api: 5001,
        db: 5002,
        ok: 6003,
        web: 5000
      })
      expect(plan._tag === "Allocate" ? plan.preferredRefused : "refresh").toEqual([
        { tag: "api", port: 6001, refusal: { _tag: "excluded" } },
        { tag: "db", port: 6002, refusal: { _tag: "occupied" } },
        { tag: "web", port: 6000, refusal: { _tag: "reserved", holder: Key.make(path("other"), Option.some(tag("db"))) } }
      ])
    }))

  it.scoped("all granted: none listed", () =>
    Effect.gen(function*() {
      const { app, sql, work } = yield* world
      const plan = yield* reserveGroup(sql, request(app, work, [svc("web", { preferred: 6000 })]), small())
      expect(plan._tag === "Allocate" ? plan.preferredRefused : "refresh").toEqual([])
    }))
})

describe("an incompatible stored group", () => {
  it.scoped("carries the tags it lacks and the tags it has beyond the request, in tag order", () =>
    Effect.gen(function*() {
      const { app, sql, work } = yield* world
      yield* seed(
        sql,
        reservation({ path: app, tag: "web", port: 5000 }),
        reservation({ path: app, tag: "zz-stray", port: 5001 }),
        reservation({ path: app, tag: "a-stray", port: 5002 })
      )
      const error = yield* Effect.flip(
        reserveGroup(sql, request(app, work, [svc("web"), svc("db", { offset: 2 }), svc("api", { offset: 1 })]), small())
      )
      expect(error).toMatchObject({
        _tag: "ReservationConflict",
        group: { path: app, missing: ["api", "db"], extra: ["a-stray", "zz-stray"] }
      })
    }))

  it.scoped("same tags on ports that no longer fit: neither missing nor extra", () =>
    Effect.gen(function*() {
      const { app, sql, work } = yield* world
      yield* seed(sql, reservation({ path: app, tag: "web", port: 5010 }), reservation({ path: app, tag: "api", port: 5020 }))
      const error = yield* Effect.flip(reserveGroup(sql, request(app, work, [svc("web"), svc("api", { offset: 1 })]), small()))
      expect(error).toMatchObject({ _tag: "ReservationConflict", group: { path: app, missing: [], extra: [] } })
    }))
})
