import * as SqlClient from "@effect/sql/SqlClient"
import { describe, it } from "@effect/vitest"
import { Effect, Option, TestClock } from "effect"
import * as fs from "node:fs"
import * as nodePath from "node:path"
import { expect } from "vitest"
import * as Key from "../../src/domain/ReservationKey.js"
import type { Reservation } from "../../src/domain/Reservation.js"
import * as Cleanup from "../../src/operations/Cleanup.js"
import * as Reservations from "../../src/store/Reservations.js"
import { DAY, freshDatabase, reservation, seconds, tempDirScoped } from "../fixtures/Fixtures.js"

/**
 * `Cleanup.run` against real temporary databases with the clock under test control
 * (docs/concepts.md): the exact expiry boundary, future timestamps, removal order and
 * dry runs.
 */

const NOW = 1_700_000_000

/** Seeds `rows` into a fresh database, sets the test clock, and runs `program` with the database. */
const withRows = <A, E>(
  rows: ReadonlyArray<Reservation>,
  nowMillis: number,
  program: Effect.Effect<A, E, SqlClient.SqlClient>
) =>
  Effect.gen(function*() {
    const { sql } = yield* freshDatabase
    yield* Effect.forEach(rows, Reservations.insert, { discard: true }).pipe(Effect.provideService(SqlClient.SqlClient, sql))
    yield* TestClock.setTime(nowMillis)
    return yield* program.pipe(Effect.provideService(SqlClient.SqlClient, sql))
  })

const keys = (rows: ReadonlyArray<Reservation>) => rows.map((r) => Key.format(r.key))
const ports = (rows: ReadonlyArray<Reservation>) => rows.map((r) => r.port)

const expireOnly = (days: number): Cleanup.CleanupPolicy => ({ prune: false, expireAfterDays: Option.some(days) })

describe("expiry boundary (docs/concepts.md)", () => {
  it.scoped("exactly N days unused is kept; N days + 1 s is expired", () =>
    withRows(
      [
        reservation({ path: "/w/exact", port: 5000, lastUsedAt: NOW - 30 * DAY }),
        reservation({ path: "/w/over", port: 5001, lastUsedAt: NOW - 30 * DAY - 1 }),
        reservation({ path: "/w/under", port: 5002, lastUsedAt: NOW - 30 * DAY + 1 })
      ],
      NOW * 1000,
      Effect.gen(function*() {
        const { now, plan, result } = yield* Cleanup.run(expireOnly(30), { dryRun: false })
        expect(now).toBe(NOW)
        expect(keys(plan.expired)).toEqual(["/w/over"])
        expect(keys(result.expired)).toEqual(["/w/over"])
        expect(keys(yield* Reservations.all)).toEqual(["/w/exact", "/w/under"])
      })
    ))

  it.scoped("'now' is truncated to whole seconds: at N days + 999 ms the exact-boundary row is still kept", () =>
    withRows(
      [
        reservation({ path: "/w/exact", port: 5000, lastUsedAt: NOW - 7 * DAY }),
        reservation({ path: "/w/over", port: 5001, lastUsedAt: NOW - 7 * DAY - 1 })
      ],
      NOW * 1000 + 999,
      Effect.gen(function*() {
        const { now, result } = yield* Cleanup.run(expireOnly(7), { dryRun: false })
        expect(now).toBe(NOW)
        expect(keys(result.expired)).toEqual(["/w/over"])
        expect(keys(yield* Reservations.all)).toEqual(["/w/exact"])
      })
    ))

  it.scoped("one second later the boundary row expires too", () =>
    withRows(
      [reservation({ path: "/w/exact", port: 5000, lastUsedAt: NOW - 7 * DAY })],
      (NOW + 1) * 1000,
      Effect.gen(function*() {
        const { result } = yield* Cleanup.run(expireOnly(7), { dryRun: false })
        expect(keys(result.expired)).toEqual(["/w/exact"])
        expect(yield* Reservations.all).toEqual([])
      })
    ))

  it.scoped("days = 1: 86400 s kept, 86401 s expired", () =>
    withRows(
      [
        reservation({ path: "/d/a", port: 6000, lastUsedAt: NOW - 86_400 }),
        reservation({ path: "/d/b", port: 6001, lastUsedAt: NOW - 86_401 })
      ],
      NOW * 1000,
      Effect.gen(function*() {
        const { result } = yield* Cleanup.run(expireOnly(1), { dryRun: false })
        expect(ports(result.expired)).toEqual([6001])
      })
    ))

  it.scoped("a future last_used_at never expires, whatever created_at says", () =>
    withRows(
      [
        reservation({ path: "/f/a", port: 5000, createdAt: 0, lastUsedAt: NOW + 1 }),
        reservation({ path: "/f/b", port: 5001, createdAt: 0, lastUsedAt: NOW + 1000 * DAY }),
        reservation({ path: "/f/c", port: 5002, createdAt: NOW + 10 * DAY, lastUsedAt: NOW - 2 * DAY }),
        reservation({ path: "/f/d", port: 5003, createdAt: 0, lastUsedAt: NOW })
      ],
      NOW * 1000,
      Effect.gen(function*() {
        const { result } = yield* Cleanup.run(expireOnly(1), { dryRun: false })
        expect(keys(result.expired)).toEqual(["/f/c"])
        expect(keys(yield* Reservations.all)).toEqual(["/f/a", "/f/b", "/f/d"])
      })
    ))

  it.scoped("ages reported for listings are whole days (floor)", () =>
    Effect.sync(() => {
      const r = (last: number) => reservation({ path: "/x", port: 5000, lastUsedAt: last })
      expect(Cleanup.ageInDays(r(NOW - 30 * DAY - 1), seconds(NOW))).toBe(30)
      expect(Cleanup.ageInDays(r(NOW - 31 * DAY + 1), seconds(NOW))).toBe(30)
      expect(Cleanup.ageInDays(r(NOW - 31 * DAY), seconds(NOW))).toBe(31)
    }))
})

describe("removal order (docs/concepts.md)", () => {
  it.scoped("prune candidates in (path, tag) order (untagged first, byte order), then expired by last_used_at ascending", () =>
    Effect.gen(function*() {
      const root = yield* tempDirScoped("trop-boundary-")
      const live = nodePath.join(root, "live")
      fs.mkdirSync(live)
      const gone = (name: string) => nodePath.join(root, name)
      const rows = [
        // inserted out of order on purpose
        reservation({ path: gone("zeta"), port: 5000, lastUsedAt: NOW }),
        reservation({ path: gone("Zeta"), port: 5001, lastUsedAt: NOW }),
        reservation({ path: gone("alpha"), tag: "web", port: 5002, lastUsedAt: NOW }),
        reservation({ path: gone("alpha"), tag: "Api", port: 5003, lastUsedAt: 0 }), // both: pruned, once
        reservation({ path: gone("alpha"), port: 5004, lastUsedAt: NOW }),
        reservation({ path: gone("\u00e9"), port: 5005, lastUsedAt: NOW }),
        reservation({ path: live, tag: "c", port: 5006, lastUsedAt: NOW - 40 * DAY }),
        reservation({ path: live, tag: "a", port: 5007, lastUsedAt: NOW - 90 * DAY }),
        reservation({ path: live, tag: "b", port: 5008, lastUsedAt: NOW - 40 * DAY }), // ties keep (path, tag) order
        reservation({ path: live, port: 5009, lastUsedAt: NOW - 31 * DAY }),
        reservation({ path: live, tag: "keep", port: 5010, lastUsedAt: NOW - 30 * DAY })
      ]
      yield* withRows(
        rows,
        NOW * 1000,
        Effect.gen(function*() {
          const { plan, result } = yield* Cleanup.run({ prune: true, expireAfterDays: Option.some(30) }, { dryRun: false })
          const expectedPruned = [5001, 5004, 5003, 5002, 5000, 5005]
          const expectedExpired = [5007, 5008, 5006, 5009]
          expect(ports(plan.pruned)).toEqual(expectedPruned)
          expect(ports(plan.expired)).toEqual(expectedExpired)
          expect(ports(result.pruned)).toEqual(expectedPruned)
          expect(ports(result.expired)).toEqual(expectedExpired)
          expect(plan.uninspectable).toEqual([])
          expect(keys(yield* Reservations.all)).toEqual([`${live}:keep`])
        })
      )
    }))

  it.scoped("expire only never inspects paths; prune only never expires", () =>
    Effect.gen(function*() {
      const root = yield* tempDirScoped("trop-boundary-")
      const rows = [
        reservation({ path: nodePath.join(root, "gone"), port: 5000, lastUsedAt: NOW }),
        reservation({ path: root, port: 5001, lastUsedAt: 0 })
      ]
      yield* withRows(
        rows,
        NOW * 1000,
        Effect.gen(function*() {
          const expire = yield* Cleanup.run(expireOnly(30), { dryRun: true })
          expect([ports(expire.plan.pruned), ports(expire.plan.expired)]).toEqual([[], [5001]])
          const prune = yield* Cleanup.run({ prune: true, expireAfterDays: Option.none() }, { dryRun: true })
          expect([ports(prune.plan.pruned), ports(prune.plan.expired)]).toEqual([[5000], []])
        })
      )
    }))
})

describe("Cleanup.run dry run (docs/concepts.md)", () => {
  it.scoped("reports the candidates and deletes nothing", () =>
    Effect.gen(function*() {
      const root = yield* tempDirScoped("trop-boundary-")
      const rows = [
        reservation({ path: nodePath.join(root, "gone"), port: 5000, lastUsedAt: NOW }),
        reservation({ path: nodePath.join(root, "gone"), tag: "t", port: 5001, lastUsedAt: NOW }),
        reservation({ path: root, port: 5002, lastUsedAt: NOW - 31 * DAY }),
        reservation({ path: root, tag: "k", port: 5003, lastUsedAt: NOW })
      ]
      yield* withRows(
        rows,
        NOW * 1000,
        Effect.gen(function*() {
          const before = yield* Reservations.all
          const dry = yield* Cleanup.run({ prune: true, expireAfterDays: Option.some(30) }, { dryRun: true })
          expect(ports(dry.plan.pruned)).toEqual([5000, 5001])
          expect(ports(dry.plan.expired)).toEqual([5002])
          // The result of a dry run is the candidate list.
          expect(ports(dry.result.pruned)).toEqual([5000, 5001])
          expect(ports(dry.result.expired)).toEqual([5002])
          expect(yield* Reservations.all).toEqual(before)
          // The live run then removes exactly those.
          const live = yield* Cleanup.run({ prune: true, expireAfterDays: Option.some(30) }, { dryRun: false })
          expect([ports(live.result.pruned), ports(live.result.expired)]).toEqual([[5000, 5001], [5002]])
          expect(ports(yield* Reservations.all)).toEqual([5003])
        })
      )
    }))
})
