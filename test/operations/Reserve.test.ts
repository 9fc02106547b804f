import * as SqlClient from "@effect/sql/SqlClient"
import { describe, it } from "@effect/vitest"
import { Effect, Option, TestClock } from "effect"
import * as fs from "node:fs"
import * as nodePath from "node:path"
import { expect } from "vitest"
import type { Settings } from "../../src/config/Settings.js"
import type { AbsolutePath } from "../../src/domain/AbsolutePath.js"
import type { Reservation } from "../../src/domain/Reservation.js"
import type { ReservationKey } from "../../src/domain/ReservationKey.js"
import * as Key from "../../src/domain/ReservationKey.js"
import * as Metadata from "../../src/operations/Metadata.js"
import type { ReserveRequest } from "../../src/operations/Reserve.js"
import * as Reserve from "../../src/operations/Reserve.js"
import { Occupancy } from "../../src/probe/Occupancy.js"
import { GitInfo, NONE as NO_GIT } from "../../src/git/GitInfo.js"
import * as Database from "../../src/store/Database.js"
import * as Reservations from "../../src/store/Reservations.js"
import { abs, DAY, freshDatabase, port, project, range, reservation, settings, tag, task } from "../fixtures/Fixtures.js"
import { render } from "../../src/cli/Exit.js"
import { StickyFieldChange } from "../../src/domain/Errors.js"

/** How the CLI prints a sticky-field error (the library's error carries data, the CLI names flags). */
const cliText = (e: { readonly _tag: string }) => e instanceof StickyFieldChange ? render(e) : `not sticky: ${e._tag}`

/** "Now" for most tests, in whole seconds. */
const T0 = 1_700_000_000

const at = (seconds: number) => TestClock.setTime(seconds * 1000)

/**
 * One test's world: its own database file, a working directory `work` with an existing
 * `app` directory, and `gone`, a path under `work` that does not exist (prunable).
 */
const world = Effect.gen(function*() {
  const { dir, sql } = yield* freshDatabase
  const work = nodePath.join(dir, "work")
  for (const d of ["app", "live1", "live2", "live3"]) fs.mkdirSync(nodePath.join(work, d), { recursive: true })
  const path = (name: string): AbsolutePath => abs(nodePath.join(work, name))
  return { sql, dir, work: abs(work), path }
})

const request = (key: ReservationKey, cwd: AbsolutePath, overrides: Partial<ReserveRequest> = {}): ReserveRequest => ({
  key,
  cwd,
  preferred: Option.none(),
  project: Metadata.preserve,
  task: Metadata.preserve,
  overwrite: false,
  force: false,
  ignoreOccupied: false,
  ignoreExclusions: false,
  ...overrides
})

/** plan + execute in ONE immediate transaction, as the CLI runs it. */
const reserve = (sql: SqlClient.SqlClient, req: ReserveRequest, s: Settings, occupied: ReadonlyArray<number> = []) =>
  sql.withTransaction(Effect.tap(Reserve.plan(req, s), Reserve.execute)).pipe(
    Effect.provideService(SqlClient.SqlClient, sql),
    Effect.provide(Occupancy.Test(occupied)),
    Effect.provide(GitInfo.Test(NO_GIT))
  )

const rows = (sql: SqlClient.SqlClient) => Reservations.all.pipe(Effect.provideService(SqlClient.SqlClient, sql))

const seed = (sql: SqlClient.SqlClient, ...rs: ReadonlyArray<Reservation>) =>
  Effect.forEach(rs, Reservations.insert, { discard: true }).pipe(Effect.provideService(SqlClient.SqlClient, sql))

const summary = (r: Reservation) => ({
  key: Key.format(r.key),
  port: r.port,
  project: Option.getOrUndefined(r.project),
  task: Option.getOrUndefined(r.task),
  createdAt: r.createdAt,
  lastUsedAt: r.lastUsedAt
})

const small = (overrides: Partial<Settings> = {}) => settings({ range: range(5000, 5010), ...overrides })

describe("new key (docs/concepts.md)", () => {
  it.scoped("gets the lowest available port and is stored with now as both timestamps", () =>
    Effect.gen(function*() {
      const { path, sql, work } = yield* world
      yield* at(T0)
      yield* seed(sql, reservation({ path: path("live1"), port: 5001, createdAt: 1, lastUsedAt: 1 }))
      const key = Key.make(path("app"), Option.some(tag("web")))
      const plan = yield* reserve(
        sql,
        request(key, work, { project: Metadata.set(project("shop")), task: Metadata.set(task("t-1")) }),
        small({ exclusions: [{ start: port(5002), end: port(5003) }] }),
        [5000, 5004]
      )
      expect(plan.reservation.port).toBe(5005)
      expect(plan.action).toBe("allocate")
      expect(Reserve.describe(plan)).toEqual([`Reserve port 5005 for ${path("app")}:web`])
      expect(Reserve.warnings(plan)).toEqual([])
      const stored = (yield* rows(sql)).map(summary)
      expect(stored).toContainEqual({
        key: `${path("app")}:web`,
        port: 5005,
        project: "shop",
        task: "t-1",
        createdAt: T0,
        lastUsedAt: T0
      })
    }))

  it.scoped("whole seconds: sub-second clock time is truncated", () =>
    Effect.gen(function*() {
      const { path, sql, work } = yield* world
      yield* TestClock.setTime(T0 * 1000 + 999)
      yield* reserve(sql, request(Key.make(path("app")), work), small())
      const [row] = yield* rows(sql)
      expect(row?.createdAt).toBe(T0)
      expect(row?.lastUsedAt).toBe(T0)
    }))

  it.scoped("a preferred port is honoured anywhere in 1..65535 (docs/concepts.md)", () =>
    Effect.gen(function*() {
      const { path, sql, work } = yield* world
      yield* at(T0)
      const plan = yield* reserve(sql, request(Key.make(path("app")), work, { preferred: Option.some(port(65000)) }), small())
      expect(plan.reservation.port).toBe(65000)
    }))

  it.scoped("a preferred port held by another key is never taken, not even with --force", () =>
    Effect.gen(function*() {
      const { path, sql, work } = yield* world
      yield* at(T0)
      yield* seed(sql, reservation({ path: path("live1"), port: 6000 }))
      const plan = yield* reserve(
        sql,
        request(Key.make(path("app")), work, { preferred: Option.some(port(6000)), force: true }),
        small()
      )
      expect(plan.reservation.port).toBe(5000)
      expect((yield* rows(sql)).map((r) => r.port).sort()).toEqual([5000, 6000])
    }))

  it.scoped("the ignore flags apply to the preferred port only", () =>
    Effect.gen(function*() {
      const { path, sql, work } = yield* world
      yield* at(T0)
      const s = small({ exclusions: [{ start: port(5000), end: port(5000) }, { start: port(7000), end: port(7000) }] })
      const excluded = yield* reserve(
        sql,
        request(Key.make(path("app")), work, { preferred: Option.some(port(7000)), ignoreExclusions: true }),
        s
      )
      expect(excluded.reservation.port).toBe(7000)
      const occupied = yield* reserve(
        sql,
        request(Key.make(path("live1")), work, { preferred: Option.some(port(7001)), ignoreOccupied: true }),
        s,
        [7001, 5001]
      )
      expect(occupied.reservation.port).toBe(7001)
      // Without a usable preferred port the scan ignores the flags: 5000 excluded, 5001 occupied.
      const scanned = yield* reserve(
        sql,
        request(Key.make(path("live2")), work, { preferred: Option.some(port(7000)), ignoreOccupied: true }),
        s,
        [5001]
      )
      expect(scanned.reservation.port).toBe(5002)
    }))

  it.scoped("a preferred port not granted is told in the plan: who holds it, excluded, occupied; the result is the same", () =>
    Effect.gen(function*() {
      const { path, sql, work } = yield* world
      yield* at(T0)
      yield* seed(sql, reservation({ path: path("live1"), tag: "web", port: 6000 }))
      const s = small({ exclusions: [{ start: port(7000), end: port(7000) }] })
      const preferring = (name: string, p: number) => request(Key.make(path(name)), work, { preferred: Option.some(port(p)) })
      const held = yield* reserve(sql, preferring("app", 6000), s)
      expect(held.reservation.port).toBe(5000)
      expect(held.preferredRefused).toEqual(
        Option.some({ port: 6000, refusal: { _tag: "reserved", holder: Key.make(path("live1"), Option.some(tag("web"))) } })
      )
      const excluded = yield* reserve(sql, preferring("live2", 7000), s)
      expect(excluded.reservation.port).toBe(5001)
      expect(excluded.preferredRefused).toEqual(Option.some({ port: 7000, refusal: { _tag: "excluded" } }))
      const occupied = yield* reserve(sql, preferring("live3", 7001), s, [7001])
      expect(occupied.reservation.port).toBe(5002)
      expect(occupied.preferredRefused).toEqual(Option.some({ port: 7001, refusal: { _tag: "occupied" } }))
      // Granted, or none asked: nothing to tell.
      expect((yield* reserve(sql, preferring("gone", 7002), s)).preferredRefused).toEqual(Option.none())
      expect((yield* reserve(sql, request(Key.make(path("app"), Option.some(tag("x"))), work), s)).preferredRefused)
        .toEqual(Option.none())
      // A refresh keeps the stored port: a different preferred one is not granted.
      const refreshed = yield* reserve(sql, preferring("app", 7003), s)
      expect(refreshed.reservation.port).toBe(5000)
      expect(refreshed.preferredRefused).toEqual(Option.some({ port: 7003, refusal: { _tag: "kept" } }))
      expect((yield* reserve(sql, preferring("app", 5000), s)).preferredRefused).toEqual(Option.none())
    }))
})

describe("existing key (docs/concepts.md)", () => {
  it.scoped("an identical request refreshes last_used_at only, keeping port and created_at; a different --port is ignored", () =>
    Effect.gen(function*() {
      const { path, sql, work } = yield* world
      const key = Key.make(path("app"))
      yield* at(T0)
      yield* reserve(sql, request(key, work, { project: Metadata.set(project("p")) }), small())
      yield* at(T0 + 500)
      const plan = yield* reserve(
        sql,
        request(key, work, { preferred: Option.some(port(5009)), project: Metadata.set(project("p")) }),
        small()
      )
      expect(plan.action).toBe("refresh")
      expect(Reserve.describe(plan)).toEqual([`Refresh reservation ${path("app")} on port 5000`])
      expect((yield* rows(sql)).map(summary)).toEqual([
        { key: path("app"), port: 5000, project: "p", task: undefined, createdAt: T0, lastUsedAt: T0 + 500 }
      ])
    }))

  it.scoped("Preserve keeps stored metadata on a refresh", () =>
    Effect.gen(function*() {
      const { path, sql, work } = yield* world
      yield* at(T0)
      yield* seed(sql, reservation({ path: path("app"), port: 5003, project: "p", task: "t", createdAt: T0 - 10 }))
      yield* reserve(sql, request(Key.make(path("app")), work), small())
      expect((yield* rows(sql)).map(summary)).toEqual([
        { key: path("app"), port: 5003, project: "p", task: "t", createdAt: T0 - 10, lastUsedAt: T0 }
      ])
    }))

  it.scoped("--overwrite reallocates, preserving created_at; a free preferred port wins", () =>
    Effect.gen(function*() {
      const { path, sql, work } = yield* world
      const key = Key.make(path("app"), Option.some(tag("api")))
      yield* at(T0)
      yield* reserve(sql, request(key, work), small())
      yield* at(T0 + 60)
      const plan = yield* reserve(sql, request(key, work, { overwrite: true, preferred: Option.some(port(5007)) }), small())
      expect(plan.action).toBe("allocate")
      expect(Reserve.describe(plan)).toEqual([`Reserve port 5007 for ${path("app")}:api`])
      expect((yield* rows(sql)).map(summary)).toEqual([
        { key: `${path("app")}:api`, port: 5007, project: undefined, task: undefined, createdAt: T0, lastUsedAt: T0 + 60 }
      ])
    }))

  it.scoped("--overwrite rescans from the minimum and may move lower; the current port is itself re-checked", () =>
    Effect.gen(function*() {
      const { path, sql, work } = yield* world
      const key = Key.make(path("app"))
      yield* at(T0)
      expect((yield* reserve(sql, request(key, work), small(), [5000])).reservation.port).toBe(5001)
      yield* at(T0 + 1)
      // 5000 is free now: the reservation moves down.
      expect((yield* reserve(sql, request(key, work, { overwrite: true }), small())).reservation.port).toBe(5000)
      // Its own port counts as free for the key, but a listener on it relocates the reservation.
      expect((yield* reserve(sql, request(key, work, { overwrite: true }), small())).reservation.port).toBe(5000)
      expect((yield* reserve(sql, request(key, work, { overwrite: true }), small(), [5000])).reservation.port).toBe(5001)
      const [row] = yield* rows(sql)
      expect(row?.createdAt).toBe(T0)
    }))
})

describe("sticky fields (docs/concepts.md)", () => {
  const stored = (path: AbsolutePath) => reservation({ path, port: 5004, project: "a", createdAt: T0 - 100, lastUsedAt: T0 - 100 })

  it.scoped("changing the project needs permission; the message names both values", () =>
    Effect.gen(function*() {
      const { path, sql, work } = yield* world
      yield* at(T0)
      yield* seed(sql, stored(path("app")))
      const key = Key.make(path("app"))
      const change = yield* Effect.flip(reserve(sql, request(key, work, { project: Metadata.set(project("b")) }), small()))
      expect(change._tag).toBe("StickyFieldChange")
      expect(cliText(change)).toBe(
        "Error: cannot change sticky field 'project': Cannot change project from 'a' to 'b' without --force or --allow-project-change"
      )
      const clear = yield* Effect.flip(reserve(sql, request(key, work, { project: Metadata.clear }), small()))
      expect(cliText(clear)).toBe(
        "Error: cannot change sticky field 'project': Cannot change project from 'a' to none without --force or --allow-project-change"
      )
      // Nothing was written: last_used_at is untouched.
      expect((yield* rows(sql)).map(summary)).toEqual([summary(stored(path("app")))])
    }))

  it.scoped("task: none → value needs permission; the project is checked first", () =>
    Effect.gen(function*() {
      const { path, sql, work } = yield* world
      yield* at(T0)
      yield* seed(sql, stored(path("app")))
      const key = Key.make(path("app"))
      const taskChange = yield* Effect.flip(reserve(sql, request(key, work, { task: Metadata.set(task("x")) }), small()))
      expect(cliText(taskChange)).toBe(
        "Error: cannot change sticky field 'task': Cannot change task from none to 'x' without --force or --allow-task-change"
      )
      const both = yield* Effect.flip(
        reserve(sql, request(key, work, { project: Metadata.set(project("b")), task: Metadata.set(task("x")) }), small())
      )
      expect(both.message).toContain("sticky field 'project'")
    }))

  it.scoped("a permitted change keeps the port and created_at and updates metadata and last_used_at", () =>
    Effect.gen(function*() {
      const { path, sql, work } = yield* world
      yield* at(T0)
      yield* seed(sql, stored(path("app")))
      const key = Key.make(path("app"))
      const plan = yield* reserve(
        sql,
        request(key, work, { project: Metadata.set(project("b")), task: Metadata.set(task("x")) }),
        small({ allowProjectChange: true, allowTaskChange: true })
      )
      expect(Reserve.describe(plan)).toEqual([`Refresh reservation ${path("app")} on port 5004`])
      expect((yield* rows(sql)).map(summary)).toEqual([
        { key: path("app"), port: 5004, project: "b", task: "x", createdAt: T0 - 100, lastUsedAt: T0 }
      ])
      // Only the permitted field may change.
      const onlyTask = yield* Effect.flip(
        reserve(sql, request(key, work, { project: Metadata.set(project("c")) }), small({ allowTaskChange: true }))
      )
      expect(onlyTask._tag).toBe("StickyFieldChange")
    }))

  it.scoped("--force permits metadata changes (and reallocates, preserving created_at)", () =>
    Effect.gen(function*() {
      const { path, sql, work } = yield* world
      yield* at(T0)
      yield* seed(sql, stored(path("app")))
      yield* reserve(sql, request(Key.make(path("app")), work, { force: true, project: Metadata.clear }), small())
      expect((yield* rows(sql)).map(summary)).toEqual([
        { key: path("app"), port: 5000, project: undefined, task: undefined, createdAt: T0 - 100, lastUsedAt: T0 }
      ])
    }))
})

describe("path guard (docs/concepts.md)", () => {
  it.scoped("an unrelated target is refused unless --force or allow_unrelated_path", () =>
    Effect.gen(function*() {
      const { dir, path, sql } = yield* world
      yield* at(T0)
      const cwd = path("app")
      const target = abs(nodePath.join(dir, "elsewhere"))
      const error = yield* Effect.flip(reserve(sql, request(Key.make(target), cwd), small()))
      expect(error._tag).toBe("PathRelationshipViolation")
      expect(error.message).toBe(`path relationship violation: ${target} and ${cwd} are unrelated paths`)
      expect(yield* rows(sql)).toEqual([])
      // The sibling `app2` of `app` is unrelated too (component-wise).
      const sibling = yield* Effect.flip(reserve(sql, request(Key.make(path("app2")), cwd), small()))
      expect(sibling._tag).toBe("PathRelationshipViolation")
      yield* reserve(sql, request(Key.make(target), cwd), small({ allowUnrelatedPath: true }))
      yield* reserve(sql, request(Key.make(target, Option.some(tag("f"))), cwd, { force: true }), small())
      expect((yield* rows(sql)).length).toBe(2)
    }))
})

describe("exhaustion (docs/concepts.md)", () => {
  /** Range 5000-5002: 5000 held by a live key, 5001 excluded, 5002 occupied. */
  const blocked = (overrides: Partial<Settings> = {}) =>
    settings({ range: range(5000, 5002), exclusions: [{ start: port(5001), end: port(5001) }], ...overrides })

  it.scoped("both cleanups disabled: fails at once naming the blockers", () =>
    Effect.gen(function*() {
      const { path, sql, work } = yield* world
      yield* at(T0)
      yield* seed(sql, reservation({ path: path("live1"), port: 5000, createdAt: T0, lastUsedAt: T0 }))
      const error = yield* Effect.flip(
        reserve(sql, request(Key.make(path("app")), work), blocked({ disableAutoprune: true, disableAutoexpire: true }), [5002])
      )
      expect(error._tag).toBe("PortRangeExhausted")
      expect(error.message).toBe(
        "port range 5000-5002 exhausted: cleanup was skipped (automatic pruning and expiration disabled); remaining blockers: reserved, excluded, occupied"
      )
    }))

  it.scoped("after an unproductive cleanup: the blockers, the counts and the policy", () =>
    Effect.gen(function*() {
      const { path, sql, work } = yield* world
      yield* at(T0)
      yield* seed(sql, reservation({ path: path("live1"), port: 5000, createdAt: T0, lastUsedAt: T0 }))
      const message = (s: Settings) =>
        Effect.map(Effect.flip(reserve(sql, request(Key.make(path("app")), work), s, [5002])), (e) => e.message)
      const prefix =
        "port range 5000-5002 exhausted after cleanup: remaining blockers after the single retry: reserved, excluded, occupied; automatic cleanup pruned 0 and expired 0 reservation(s); "
      expect(yield* message(blocked())).toBe(prefix + "automatic pruning and expiration enabled")
      expect(yield* message(blocked({ disableAutoprune: true }))).toBe(prefix + "automatic pruning disabled")
      expect(yield* message(blocked({ disableAutoexpire: true }))).toBe(prefix + "automatic expiration disabled")
    }))

  it.scoped("the blockers name only the kinds present in the range", () =>
    Effect.gen(function*() {
      const { path, sql, work } = yield* world
      yield* at(T0)
      const error = yield* Effect.flip(
        reserve(sql, request(Key.make(path("app")), work), settings({ range: range(5000, 5001), disableAutoprune: true, disableAutoexpire: true }), [
          5000,
          5001
        ])
      )
      expect(error.message).toBe(
        "port range 5000-5001 exhausted: cleanup was skipped (automatic pruning and expiration disabled); remaining blockers: occupied"
      )
    }))

  it.scoped("the automatic cleanup prunes a reservation whose directory is gone and the retry takes its port", () =>
    Effect.gen(function*() {
      const { path, sql, work } = yield* world
      yield* at(T0)
      yield* seed(
        sql,
        reservation({ path: path("gone"), port: 5000, createdAt: T0, lastUsedAt: T0 }),
        reservation({ path: path("live1"), port: 5001, createdAt: T0, lastUsedAt: T0 })
      )
      const plan = yield* reserve(sql, request(Key.make(path("app")), work), settings({ range: range(5000, 5001) }))
      expect(plan.reservation.port).toBe(5000)
      expect(Reserve.warnings(plan)).toEqual([
        "Automatic cleanup after initial port exhaustion pruned 1 and expired 0 reservation(s); allocation succeeded on the single retry."
      ])
      expect(Reserve.describe(plan)).toEqual([
        "Automatic cleanup would prune 1 and expire 0 reservation(s)",
        `Reserve port 5000 for ${path("app")}`
      ])
      expect((yield* rows(sql)).map((r) => [r.key.path, r.port])).toEqual([[path("app"), 5000], [path("live1"), 5001]])
    }))

  it.scoped("the automatic cleanup expires a reservation unused for more than 30 days (strictly)", () =>
    Effect.gen(function*() {
      const { path, sql, work } = yield* world
      yield* at(T0)
      yield* seed(
        sql,
        reservation({ path: path("live1"), port: 5000, createdAt: 0, lastUsedAt: T0 - 30 * DAY }), // exactly 30 days: kept
        reservation({ path: path("live2"), port: 5001, createdAt: 0, lastUsedAt: T0 - 30 * DAY - 1 }) // expired
      )
      const plan = yield* reserve(sql, request(Key.make(path("app")), work), settings({ range: range(5000, 5001) }))
      expect(plan.reservation.port).toBe(5001)
      expect(Reserve.warnings(plan)).toEqual([
        "Automatic cleanup after initial port exhaustion pruned 0 and expired 1 reservation(s); allocation succeeded on the single retry."
      ])
      expect((yield* rows(sql)).map((r) => [r.key.path, r.port])).toEqual([[path("app"), 5001], [path("live1"), 5000]])
    }))

  it.scoped("expiry honours expire_after_days and disable_autoexpire", () =>
    Effect.gen(function*() {
      const { path, sql, work } = yield* world
      yield* at(T0)
      yield* seed(sql, reservation({ path: path("live1"), port: 5000, createdAt: 0, lastUsedAt: T0 - 3 * DAY }))
      const s = settings({ range: range(5000, 5000), expireAfterDays: 2 })
      const disabled = yield* Effect.flip(reserve(sql, request(Key.make(path("app")), work), { ...s, disableAutoexpire: true }))
      expect(disabled.message).toBe(
        "port range 5000-5000 exhausted after cleanup: remaining blockers after the single retry: reserved; automatic cleanup pruned 0 and expired 0 reservation(s); automatic expiration disabled"
      )
      const plan = yield* reserve(sql, request(Key.make(path("app")), work), s)
      expect(plan.reservation.port).toBe(5000)
    }))

  it.scoped("when the retry still fails, nothing is deleted (the cleanup rolls back with the transaction)", () =>
    Effect.gen(function*() {
      const { path, sql, work } = yield* world
      yield* at(T0)
      const before = [
        reservation({ path: path("gone"), port: 5000, createdAt: T0, lastUsedAt: T0 }),
        reservation({ path: path("live1"), port: 5001, createdAt: 0, lastUsedAt: T0 - 40 * DAY })
      ]
      yield* seed(sql, ...before)
      // After pruning `gone` and expiring `live1`, both ports are still occupied.
      const error = yield* Effect.flip(
        reserve(sql, request(Key.make(path("app")), work), settings({ range: range(5000, 5001) }), [5000, 5001])
      )
      expect(error.message).toBe(
        // The rolled-back cleanup is told as what it would have done and freed: nothing was removed.
        "port range 5000-5001 exhausted after cleanup: remaining blockers after the single retry: occupied; automatic cleanup would have pruned 1 and expired 1 reservation(s), freeing ports 5000, 5001 but no usable port of the range, so nothing was removed; automatic pruning and expiration enabled"
      )
      // The data the CLI's hint is made of: the range, how many rows hold it, the cleanup's fate.
      expect(error).toMatchObject({ _tag: "PortRangeExhausted", min: 5000, max: 5001, held: 2, cleanup: "rolled back" })
      expect((yield* rows(sql)).map(summary)).toEqual(before.map(summary))
    }))

  it.scoped("a cleanup that removes the key itself (overwrite of a gone directory) rewrites it keeping created_at", () =>
    Effect.gen(function*() {
      const { path, sql, work } = yield* world
      yield* at(T0)
      yield* seed(
        sql,
        reservation({ path: path("gone"), port: 5000, createdAt: T0 - 1000, lastUsedAt: T0 - 1000 }),
        reservation({ path: path("gone2"), port: 5001, createdAt: T0, lastUsedAt: T0 }),
        reservation({ path: path("live1"), port: 5002, createdAt: T0, lastUsedAt: T0 })
      )
      const plan = yield* reserve(
        sql,
        request(Key.make(path("gone")), work, { overwrite: true }),
        settings({ range: range(5000, 5002) }),
        [5000]
      )
      expect(plan.reservation.port).toBe(5001)
      expect(Reserve.warnings(plan)).toEqual([
        "Automatic cleanup after initial port exhaustion pruned 2 and expired 0 reservation(s); allocation succeeded on the single retry."
      ])
      expect((yield* rows(sql)).map(summary)).toEqual([
        { key: path("gone"), port: 5001, project: undefined, task: undefined, createdAt: T0 - 1000, lastUsedAt: T0 },
        { key: path("live1"), port: 5002, project: undefined, task: undefined, createdAt: T0, lastUsedAt: T0 }
      ])
    }))
})

describe("dry run (docs/cli.md)", () => {
  it.scoped("plans inside the transaction and leaves nothing behind", () =>
    Effect.gen(function*() {
      const { path, sql, work } = yield* world
      yield* at(T0)
      yield* seed(sql, reservation({ path: path("gone"), port: 5000 }))
      const plan = yield* Database.rolledBack(Reserve.plan(request(Key.make(path("app")), work), settings({ range: range(5000, 5000) }))).pipe(
        Effect.provideService(SqlClient.SqlClient, sql),
        Effect.provide(Occupancy.Test([])),
        Effect.provide(GitInfo.Test(NO_GIT))
      )
      expect(Reserve.describe(plan)).toEqual([
        "Automatic cleanup would prune 1 and expire 0 reservation(s)",
        `Reserve port 5000 for ${path("app")}`
      ])
      expect((yield* rows(sql)).map((r) => r.key.path)).toEqual([path("gone")])
    }))
})

describe("timestamps (docs/database.md)", () => {
  it.scoped("a write refuses a timestamp outside the storable range", () =>
    Effect.gen(function*() {
      const { path, sql, work } = yield* world
      yield* at(8210298412800) // one second after the end of year 262143
      const error = yield* Effect.flip(reserve(sql, request(Key.make(path("app")), work), small()))
      expect(error.message.startsWith("validation error for 'timestamp': ")).toBe(true)
      const count = yield* sql<{ readonly n: number }>`SELECT count(*) AS n FROM reservations`
      expect(count[0]?.n).toBe(0)
    }))
})
