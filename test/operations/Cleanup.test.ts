import * as SqlClient from "@effect/sql/SqlClient"
import { describe, it } from "@effect/vitest"
import { Effect, Option } from "effect"
import * as fs from "node:fs"
import * as nodePath from "node:path"
import { expect } from "vitest"
import * as Key from "../../src/domain/ReservationKey.js"
import * as Cleanup from "../../src/operations/Cleanup.js"
import * as Reservations from "../../src/store/Reservations.js"
import { DAY, freshDatabase, reservation, seconds, tempDirScoped } from "../fixtures/Fixtures.js"

const NOW = seconds(1_700_000_000)

describe("Cleanup.plan (docs/concepts.md)", () => {
  it.scoped("prunes gone/non-directory paths in (path, tag) order, then expired rows by last_used_at; prune wins", () =>
    Effect.gen(function*() {
      const root = yield* tempDirScoped("trop-cleanup-")
      const at = (name: string) => nodePath.join(root, name)
      fs.mkdirSync(at("live"))
      fs.writeFileSync(at("file"), "")
      fs.symlinkSync(at("loop"), at("loop"))
      const rows = [
        reservation({ path: at("file"), port: 5000, lastUsedAt: NOW }),
        reservation({ path: at("gone"), port: 5001, lastUsedAt: 0 }), // prunable and expired: counted once, as pruned
        reservation({ path: at("gone"), tag: "web", port: 5002, lastUsedAt: NOW }),
        reservation({ path: at("live"), port: 5003, lastUsedAt: NOW - 40 * DAY }),
        reservation({ path: at("live"), tag: "a", port: 5004, lastUsedAt: NOW - 31 * DAY }),
        reservation({ path: at("live"), tag: "b", port: 5005, lastUsedAt: NOW - 30 * DAY }), // exactly 30 days: kept
        reservation({ path: at("live"), tag: "c", port: 5006, lastUsedAt: NOW + DAY }), // future: never expires
        reservation({ path: at("loop"), port: 5007, lastUsedAt: NOW })
      ]
      const plan = yield* Cleanup.plan(rows, { prune: true, expireAfterDays: Option.some(30) }, NOW)
      expect(plan.pruned.map((r) => r.port)).toEqual([5000, 5001, 5002])
      expect(plan.expired.map((r) => r.port)).toEqual([5003, 5004])
      expect(plan.uninspectable.map((u) => [u.path, u.kind])).toEqual([[at("loop"), "symlink loop"]])
    }))

  it.scoped("prune only / expire only", () =>
    Effect.gen(function*() {
      const root = yield* tempDirScoped("trop-cleanup-")
      const rows = [
        reservation({ path: nodePath.join(root, "gone"), port: 5000, lastUsedAt: NOW }),
        reservation({ path: root, port: 5001, lastUsedAt: 0 })
      ]
      const pruneOnly = yield* Cleanup.plan(rows, { prune: true, expireAfterDays: Option.none() }, NOW)
      expect([pruneOnly.pruned.map((r) => r.port), pruneOnly.expired.length]).toEqual([[5000], 0])
      const expireOnly = yield* Cleanup.plan(rows, { prune: false, expireAfterDays: Option.some(1) }, NOW)
      expect([expireOnly.pruned.length, expireOnly.expired.map((r) => r.port)]).toEqual([0, [5001]])
    }))
})

describe("Cleanup.execute: guarded deletes (docs/concepts.md)", () => {
  it.scoped("a row changed since planning survives; a row that vanished still counts as removed", () =>
    Effect.gen(function*() {
      const { sql } = yield* freshDatabase
      const changed = reservation({ path: "/gone/a", port: 5000, lastUsedAt: 10 })
      const vanished = reservation({ path: "/gone/b", port: 5001, lastUsedAt: 10 })
      const unchanged = reservation({ path: "/gone/c", port: 5002, lastUsedAt: 10 })
      const program = Effect.gen(function*() {
        yield* Effect.forEach([changed, vanished, unchanged], Reservations.insert, { discard: true })
        // Someone refreshes one row and releases another after the plan was made.
        yield* Reservations.update({ ...changed, lastUsedAt: seconds(20) })
        yield* Reservations.remove(vanished.key)
        const removed = yield* Cleanup.execute({ pruned: [changed, vanished, unchanged], expired: [], uninspectable: [] })
        expect(removed).toEqual({ pruned: [vanished, unchanged], expired: [] })
        const left = yield* Reservations.all
        expect(left.map((r) => Key.format(r.key))).toEqual(["/gone/a"])
        expect(left[0]?.lastUsedAt).toBe(20)
      })
      yield* program.pipe(Effect.provideService(SqlClient.SqlClient, sql))
    }))
})
