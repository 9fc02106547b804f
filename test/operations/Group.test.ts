import * as SqlClient from "@effect/sql/SqlClient"
import { describe, it } from "@effect/vitest"
import { Effect, Layer, Option, TestClock } from "effect"
import * as fs from "node:fs"
import * as nodePath from "node:path"
import { expect } from "vitest"
import type { Settings } from "../../src/config/Settings.js"
import type { AbsolutePath } from "../../src/domain/AbsolutePath.js"
import type { Reservation } from "../../src/domain/Reservation.js"
import * as Key from "../../src/domain/ReservationKey.js"
import type { GroupPlan, GroupRequest, ServiceRequest } from "../../src/operations/Group.js"
import * as Group from "../../src/operations/Group.js"
import { Occupancy } from "../../src/probe/Occupancy.js"
import { probes } from "../../src/probe/Policy.js"
import * as Reservations from "../../src/store/Reservations.js"
import { abs, freshDatabase, port, project, range, reservation, settings, tag, task } from "../fixtures/Fixtures.js"
import { render } from "../../src/cli/Exit.js"
import { StickyFieldChange } from "../../src/domain/Errors.js"
import { committed, connect } from "../support/sqlite.js"

/** How the CLI prints a sticky-field error (the library's error carries data, the CLI names flags). */
const cliText = (e: { readonly _tag: string }) => e instanceof StickyFieldChange ? render(e) : `not sticky: ${e._tag}`

/**
 * Group reservation planning and execution (docs/concepts.md) against a real SQLite
 * database per test, with a scripted occupancy probe.
 */

/** "Now" for most tests, in whole seconds. */
const T0 = 1_700_000_000
const at = (seconds: number) => TestClock.setTime(seconds * 1000)

/** One test's world: its own database, a working directory with an `app` directory inside. */
const world = Effect.gen(function*() {
  const { dir, sql } = yield* freshDatabase
  const work = nodePath.join(dir, "work")
  for (const d of ["app", "app/sub", "other"]) fs.mkdirSync(nodePath.join(work, d), { recursive: true })
  const path = (name: string): AbsolutePath => abs(nodePath.join(work, name))
  return { sql, work: abs(work), app: path("app"), path }
})

const svc = (t: string, o: { readonly offset?: number; readonly preferred?: number } = {}): ServiceRequest => ({
  tag: tag(t),
  offset: o.offset ?? 0,
  preferred: o.preferred === undefined ? Option.none() : Option.some(port(o.preferred))
})

/** A request as the CLI builds it: services sorted by tag. */
const request = (
  path: AbsolutePath,
  cwd: AbsolutePath,
  services: ReadonlyArray<ServiceRequest>,
  overrides: Partial<GroupRequest> = {}
): GroupRequest => ({
  path,
  cwd,
  services: [...services].sort((a, b) => Group.byTag(a.tag, b.tag)),
  base: Option.none(),
  project: Option.none(),
  task: Option.none(),
  force: false,
  ...overrides
})

/** A scripted probe: `occupied` ports are in use, `failing` ports fail to probe (docs/concepts.md); calls are recorded. */
const probe = (occupied: ReadonlyArray<number> = [], failing: ReadonlyArray<number> = [], calls: Array<number> = []) =>
  Occupancy.fromCheck({
    check: (p, policy) =>
      Effect.sync(() => {
        calls.push(p)
        const list = probes(policy)
        return {
          port: p,
          inUse: occupied.includes(p) ? list : [],
          failures: failing.includes(p) ? list.slice(0, 1).map((pr) => ({ probe: pr, reason: "EACCES: permission denied" })) : []
        }
      }),
    warnings: Effect.succeed([])
  })

/** plan + execute in ONE immediate transaction, as the CLI runs them. */
const reserveGroup = (
  sql: SqlClient.SqlClient,
  req: GroupRequest,
  s: Settings,
  occupancy: Layer.Layer<Occupancy> = Occupancy.Test([])
): Effect.Effect<GroupPlan, Group.GroupError> =>
  sql.withTransaction(Effect.tap(Group.plan(req, s), Group.execute)).pipe(
    Effect.provideService(SqlClient.SqlClient, sql),
    Effect.provide(occupancy)
  )

/** plan only, rolled back (what a dry run sees). */
const planOnly = (sql: SqlClient.SqlClient, req: GroupRequest, s: Settings, occupancy: Layer.Layer<Occupancy> = Occupancy.Test([])) =>
  Group.plan(req, s).pipe(Effect.provideService(SqlClient.SqlClient, sql), Effect.provide(occupancy))

const rows = (sql: SqlClient.SqlClient) => Reservations.all.pipe(Effect.provideService(SqlClient.SqlClient, sql))

const seed = (sql: SqlClient.SqlClient, ...rs: ReadonlyArray<Reservation>) =>
  Effect.forEach(rs, Reservations.insert, { discard: true }).pipe(Effect.provideService(SqlClient.SqlClient, sql))

const summary = (r: Reservation) => ({
  key: Key.format(r.key),
  port: r.port as number,
  project: Option.getOrUndefined(r.project) as string | undefined,
  task: Option.getOrUndefined(r.task) as string | undefined,
  createdAt: r.createdAt as number,
  lastUsedAt: r.lastUsedAt as number
})

const mappingOf = (plan: GroupPlan) => Object.fromEntries(Group.mapping(plan).map(({ port: p, tag: t }) => [t, p as number]))

const portsAt = (all: ReadonlyArray<Reservation>, path: AbsolutePath) =>
  Object.fromEntries(all.filter((r) => r.key.path === path).map((r) => [Option.getOrElse(r.key.tag, () => ""), r.port as number]))

const small = (overrides: Partial<Settings> = {}) => settings({ range: range(5000, 5100), ...overrides })
const exclude = (start: number, end = start) => ({ start: port(start), end: port(end) })

describe("fresh allocation: the examples of docs/concepts.md", () => {
  it.scoped("range 5000-5100: external 65535 and admin 5000 pinned, web/api on the lowest fitting base", () =>
    Effect.gen(function*() {
      const { app, sql, work } = yield* world
      yield* at(T0)
      const plan = yield* reserveGroup(
        sql,
        request(app, work, [
          svc("external", { offset: 3, preferred: 65535 }),
          svc("admin", { offset: 2, preferred: 5000 }),
          svc("web", { offset: 0 }),
          svc("api", { offset: 1 })
        ]),
        small()
      )
      expect(plan._tag).toBe("Allocate")
      expect(Group.mapping(plan)).toEqual([
        { tag: "admin", port: 5000 },
        { tag: "api", port: 5002 },
        { tag: "external", port: 65535 },
        { tag: "web", port: 5001 }
      ])
      expect((yield* rows(sql)).map(summary)).toEqual(
        [["admin", 5000], ["api", 5002], ["external", 65535], ["web", 5001]].map(([t, p]) => ({
          key: `${app}:${t}`,
          port: p,
          project: undefined,
          task: undefined,
          createdAt: T0,
          lastUsedAt: T0
        }))
      )
    }))

  it.scoped("default range: web pinned to 8080 outside the range, api offset 1 and db offset 2 → 5001/5002", () =>
    Effect.gen(function*() {
      const { app, sql, work } = yield* world
      yield* at(T0)
      const plan = yield* reserveGroup(
        sql,
        request(app, work, [svc("web", { preferred: 8080 }), svc("api", { offset: 1 }), svc("db", { offset: 2 })]),
        settings()
      )
      expect(mappingOf(plan)).toEqual({ api: 5001, db: 5002, web: 8080 })
      expect(portsAt(yield* rows(sql), app)).toEqual({ api: 5001, db: 5002, web: 8080 })
    }))

  it.scoped("a preferred port held by another key falls back to the offset pattern: web 5000, api 5001", () =>
    Effect.gen(function*() {
      const { app, path, sql, work } = yield* world
      yield* at(T0)
      yield* seed(sql, reservation({ path: path("other"), port: 5050 }))
      const plan = yield* reserveGroup(sql, request(app, work, [svc("web", { preferred: 5050 }), svc("api", { offset: 1 })]), small())
      expect(mappingOf(plan)).toEqual({ api: 5001, web: 5000 })
      const all = yield* rows(sql)
      expect(portsAt(all, app)).toEqual({ api: 5001, web: 5000 })
      expect(portsAt(all, path("other"))).toEqual({ "": 5050 })
    }))

  it.scoped("an excluded, occupied or possibly-occupied preferred port is not pinned", () =>
    Effect.gen(function*() {
      const { path, sql, work } = yield* world
      yield* at(T0)
      const s = small({ exclusions: [exclude(9001)] })
      const occupancy = probe([9002], [9003])
      const excluded = yield* reserveGroup(sql, request(path("app"), work, [svc("a", { preferred: 9001 })]), s, occupancy)
      expect(mappingOf(excluded)).toEqual({ a: 5000 })
      const occupied = yield* reserveGroup(sql, request(path("other"), work, [svc("a", { preferred: 9002 })]), s, occupancy)
      expect(mappingOf(occupied)).toEqual({ a: 5001 })
      const failing = yield* reserveGroup(sql, request(path("app/sub"), work, [svc("a", { preferred: 9003 })]), s, occupancy)
      expect(mappingOf(failing)).toEqual({ a: 5002 })
    }))

  it.scoped("metadata of the request is stored on every row; no Git inference", () =>
    Effect.gen(function*() {
      const { app, sql, work } = yield* world
      yield* at(T0)
      yield* reserveGroup(
        sql,
        request(app, work, [svc("a"), svc("b", { offset: 1 })], { project: Option.some(project("shop")), task: Option.some(task("t1")) }),
        small()
      )
      const all = (yield* rows(sql)).map(summary)
      expect(all.map((r) => [r.key, r.project, r.task])).toEqual([[`${app}:a`, "shop", "t1"], [`${app}:b`, "shop", "t1"]])
    }))

  it.scoped("the untagged key at the path is not a member, but its port counts as reserved", () =>
    Effect.gen(function*() {
      const { app, sql, work } = yield* world
      yield* at(T0)
      yield* seed(sql, reservation({ path: app, port: 5000, createdAt: 5 }))
      const plan = yield* reserveGroup(sql, request(app, work, [svc("web")]), small())
      expect(plan._tag).toBe("Allocate")
      if (plan._tag === "Allocate") expect(plan.released).toEqual([])
      expect(mappingOf(plan)).toEqual({ web: 5001 })
      expect((yield* rows(sql)).map(summary)[0]).toEqual({
        key: app,
        port: 5000,
        project: undefined,
        task: undefined,
        createdAt: 5,
        lastUsedAt: 5
      })
    }))
})

describe("base and the scan range (docs/concepts.md)", () => {
  it.scoped("the scan starts at base, not at ports.min; base itself is only the start", () =>
    Effect.gen(function*() {
      const { app, path, sql, work } = yield* world
      yield* at(T0)
      const plan = yield* reserveGroup(
        sql,
        request(app, work, [svc("a", { offset: 0 }), svc("b", { offset: 4 })], { base: Option.some(port(5040)) }),
        small()
      )
      expect(mappingOf(plan)).toEqual({ a: 5040, b: 5044 })
      // base occupied: the scan continues upwards from it, never below it
      const next = yield* reserveGroup(
        sql,
        request(path("other"), work, [svc("a", { offset: 1 })], { base: Option.some(port(5040)) }),
        small(),
        Occupancy.Test([5041, 5042])
      )
      expect(mappingOf(next)).toEqual({ a: 5043 })
    }))

  it.scoped("base equal to min or max is inside the range", () =>
    Effect.gen(function*() {
      const { app, path, sql, work } = yield* world
      yield* at(T0)
      const atMax = yield* reserveGroup(sql, request(app, work, [svc("a")], { base: Option.some(port(5100)) }), small())
      expect(mappingOf(atMax)).toEqual({ a: 5100 })
      const atMin = yield* reserveGroup(sql, request(path("other"), work, [svc("a")], { base: Option.some(port(5000)) }), small())
      expect(mappingOf(atMin)).toEqual({ a: 5000 })
    }))

  it.scoped("base outside the range → exact validation error, nothing written", () =>
    Effect.gen(function*() {
      const { app, sql, work } = yield* world
      yield* at(T0)
      for (const b of [4999, 5101, 1]) {
        const error = yield* Effect.flip(reserveGroup(sql, request(app, work, [svc("a")], { base: Option.some(port(b)) }), small()))
        expect(error._tag).toBe("InvalidGroup")
        expect(error.message).toBe(`validation error for 'reservations.base': Base port ${b} must be within port range 5000..5100`)
      }
      expect(yield* rows(sql)).toEqual([])
    }))

  it.scoped("an empty service list → exact validation error", () =>
    Effect.gen(function*() {
      const { app, sql, work } = yield* world
      const error = yield* Effect.flip(reserveGroup(sql, request(app, work, []), small()))
      expect(error.message).toBe(
        "validation error for 'reservations.services': Reservation group must contain at least one service"
      )
    }))
})

describe("the lowest base that fits the whole pattern (docs/concepts.md)", () => {
  it.scoped("skips bases hitting reserved, excluded, occupied, possibly-occupied or pinned ports", () =>
    Effect.gen(function*() {
      const { app, path, sql, work } = yield* world
      yield* at(T0)
      yield* seed(sql, reservation({ path: path("other"), port: 5002 }))
      // a{0} b{2}; c pinned to 5009. Rejected bases: 5000 (b→5002 reserved), 5001 (b→5003
      // excluded), 5002 (a reserved), 5003 (a excluded), 5004 (a occupied), 5005 (b→5007
      // possibly occupied), 5006 (b→5008 occupied), 5007 (a possibly occupied), 5008 (a
      // occupied), 5009 (a would take the pinned port) → 5010: a 5010, b 5012.
      const plan = yield* reserveGroup(
        sql,
        request(app, work, [svc("a", { offset: 0 }), svc("b", { offset: 2 }), svc("c", { offset: 5, preferred: 5009 })]),
        small({ exclusions: [exclude(5003)] }),
        probe([5004, 5008], [5007])
      )
      expect(mappingOf(plan)).toEqual({ a: 5010, b: 5012, c: 5009 })
    }))

  it.scoped("the base itself need not be usable when no service has offset 0", () =>
    Effect.gen(function*() {
      const { app, path, sql, work } = yield* world
      yield* at(T0)
      yield* seed(sql, reservation({ path: path("other"), port: 5000 }))
      const plan = yield* reserveGroup(sql, request(app, work, [svc("api", { offset: 1 }), svc("db", { offset: 2 })]), small())
      expect(mappingOf(plan)).toEqual({ api: 5001, db: 5002 })
    }))

  it.scoped("probes run only for ports that pass the reservation and exclusion checks", () =>
    Effect.gen(function*() {
      const { app, path, sql, work } = yield* world
      yield* at(T0)
      yield* seed(sql, reservation({ path: path("other"), port: 5000 }))
      const calls: Array<number> = []
      yield* reserveGroup(sql, request(app, work, [svc("a")]), small({ exclusions: [exclude(5001)] }), probe([], [], calls))
      expect(calls).toEqual([5002])
    }))

  it.scoped("no base fits → exact GroupAllocationFailed counting only the non-pinned services; nothing written", () =>
    Effect.gen(function*() {
      const { app, path, sql, work } = yield* world
      yield* at(T0)
      yield* seed(sql, reservation({ path: path("other"), port: 5000 }))
      const s = small({ range: range(5000, 5003) })
      const error = yield* Effect.flip(
        reserveGroup(
          sql,
          request(app, work, [svc("a", { offset: 0 }), svc("b", { offset: 3 }), svc("c", { offset: 1, preferred: 9000 })]),
          s
        )
      )
      expect(error._tag).toBe("GroupAllocationFailed")
      expect(error.message).toBe(
        "group allocation failed after attempting 2 service(s): No scanned base can satisfy the complete offset fallback pattern"
      )
      // a service whose preferred port is taken joins the pattern and is counted
      const taken = yield* Effect.flip(
        reserveGroup(sql, request(app, work, [svc("a", { offset: 0 }), svc("b", { offset: 3, preferred: 5000 })]), s)
      )
      expect(taken.message).toBe(
        "group allocation failed after attempting 2 service(s): No scanned base can satisfy the complete offset fallback pattern"
      )
      // no candidate base at all: the pattern is wider than the range
      const wide = yield* Effect.flip(reserveGroup(sql, request(app, work, [svc("a", { offset: 4 })]), s))
      expect(wide.message).toBe(
        "group allocation failed after attempting 1 service(s): No scanned base can satisfy the complete offset fallback pattern"
      )
      expect((yield* rows(sql)).map(summary).map((r) => r.key)).toEqual([path("other")])
    }))

  it.scoped("all services pinned: the pattern is empty and the range does not matter", () =>
    Effect.gen(function*() {
      const { app, sql, work } = yield* world
      yield* at(T0)
      const plan = yield* reserveGroup(
        sql,
        request(app, work, [svc("a", { preferred: 9000 }), svc("b", { offset: 1, preferred: 9001 })]),
        small({ range: range(5000, 5000) })
      )
      expect(mappingOf(plan)).toEqual({ a: 9000, b: 9001 })
    }))
})

describe("reconciliation with stored rows (docs/concepts.md)", () => {
  const stored = (app: AbsolutePath, ports: Record<string, number>, extra: { project?: string; task?: string } = {}) =>
    Object.entries(ports).map(([t, p], i) =>
      reservation({ path: app, tag: t, port: p, createdAt: 100 + i, lastUsedAt: 200 + i, ...extra })
    )

  it.scoped("compatible group → refresh: same ports and created_at, one new last_used_at for every row", () =>
    Effect.gen(function*() {
      const { app, path, sql, work } = yield* world
      yield* seed(sql, ...stored(app, { api: 5011, web: 5010 }), reservation({ path: path("other"), port: 5000, createdAt: 7 }))
      yield* at(T0)
      const plan = yield* reserveGroup(sql, request(app, work, [svc("web"), svc("api", { offset: 1 })]), small())
      expect(plan._tag).toBe("Refresh")
      expect(mappingOf(plan)).toEqual({ api: 5011, web: 5010 })
      expect(Group.describe(plan)).toEqual([
        `Refresh reservation ${app}:api on port 5011`,
        `Refresh reservation ${app}:web on port 5010`
      ])
      expect((yield* rows(sql)).map(summary)).toEqual([
        { key: `${app}:api`, port: 5011, project: undefined, task: undefined, createdAt: 100, lastUsedAt: T0 },
        { key: `${app}:web`, port: 5010, project: undefined, task: undefined, createdAt: 101, lastUsedAt: T0 },
        { key: path("other"), port: 5000, project: undefined, task: undefined, createdAt: 7, lastUsedAt: 7 }
      ])
    }))

  it.scoped("a stored port equal to the preferred port is compatible even outside the range; exclusions and occupancy are not re-checked", () =>
    Effect.gen(function*() {
      const { app, sql, work } = yield* world
      yield* seed(sql, ...stored(app, { api: 5021, web: 8080, db: 5022 }))
      yield* at(T0)
      const calls: Array<number> = []
      const plan = yield* reserveGroup(
        sql,
        request(app, work, [svc("web", { preferred: 8080 }), svc("api", { offset: 1 }), svc("db", { offset: 2 })]),
        small({ exclusions: [exclude(5021, 5022)] }),
        probe([8080, 5021, 5022], [], calls)
      )
      expect(plan._tag).toBe("Refresh")
      expect(mappingOf(plan)).toEqual({ api: 5021, db: 5022, web: 8080 })
      expect(calls).toEqual([])
    }))

  it.scoped("a service whose preferred port is not its stored port must fit the common base", () =>
    Effect.gen(function*() {
      const { app, sql, work } = yield* world
      yield* seed(sql, ...stored(app, { api: 5031, web: 5030 }))
      yield* at(T0)
      const plan = yield* reserveGroup(sql, request(app, work, [svc("web", { preferred: 8080 }), svc("api", { offset: 1 })]), small())
      expect(plan._tag).toBe("Refresh")
      expect(mappingOf(plan)).toEqual({ api: 5031, web: 5030 })
    }))

  const conflict = (app: AbsolutePath, reason: string) =>
    `reservation conflict: existing group at ${app} is incompatible: ${reason}`

  /** Seeds `ports` at app, plans `services`, expects the conflict `reason` and no change. */
  const expectIncompatible = (
    ports: Record<string, number>,
    services: ReadonlyArray<ServiceRequest>,
    reason: string,
    s: Settings = small(),
    overrides: Partial<GroupRequest> = {}
  ) =>
    Effect.gen(function*() {
      const { app, sql, work } = yield* world
      yield* seed(sql, ...stored(app, ports))
      const before = (yield* rows(sql)).map(summary)
      yield* at(T0)
      const error = yield* Effect.flip(reserveGroup(sql, request(app, work, services, overrides), s))
      expect(error._tag).toBe("ReservationConflict")
      expect(error.message).toBe(conflict(app, reason))
      expect((yield* rows(sql)).map(summary)).toEqual(before)
    })

  it.scoped("stored group has an extra service → requested service set does not match", () =>
    expectIncompatible({ api: 5001, db: 5002, web: 5000 }, [svc("web"), svc("api", { offset: 1 })], "requested service set does not match stored service set"))

  it.scoped("stored group lacks a requested service → requested service set does not match (trop 0.2.0's words)", () =>
    expectIncompatible({ web: 5000 }, [svc("web"), svc("api", { offset: 1 })], "requested service set does not match stored service set"))

  it.scoped("stored port below the offset → cannot satisfy requested offset", () =>
    expectIncompatible({ web: 3 }, [svc("web", { offset: 5 })], "stored port 3 cannot satisfy requested offset 5", small({ range: range(1, 100) })))

  it.scoped("stored port equal to the offset → implies invalid base 0", () =>
    expectIncompatible({ web: 5 }, [svc("web", { offset: 5 })], "stored port 5 implies invalid base 0", small({ range: range(1, 100) })))

  it.scoped("implied base below the scan start (base) → outside the current scan range", () =>
    expectIncompatible(
      { web: 5010 },
      [svc("web")],
      "a stored service mapping is outside the current scan range",
      small(),
      { base: Option.some(port(5020)) }
    ))

  it.scoped("implied base below ports.min → outside the current scan range", () =>
    expectIncompatible({ api: 5001, web: 5000 }, [svc("web", { offset: 2 }), svc("api", { offset: 3 })], "a stored service mapping is outside the current scan range"))

  it.scoped("stored port above the maximum → outside the current scan range", () =>
    expectIncompatible({ web: 5200 }, [svc("web")], "a stored service mapping is outside the current scan range"))

  it.scoped("stored offsets implying different bases → names the new candidate, then the base implied first (tag order)", () =>
    expectIncompatible(
      { api: 5005, web: 5000 },
      [svc("web"), svc("api", { offset: 1 })],
      "stored offset mappings imply different bases (5000 and 5004)"
    ))

  it.scoped("changed offsets (same tags) are incompatible", () =>
    expectIncompatible(
      { api: 5011, web: 5010 },
      [svc("web", { offset: 1 }), svc("api", { offset: 0 })],
      "stored offset mappings imply different bases (5009 and 5011)"
    ))

  it.scoped("tagged single reservations (reserve --tag) at the path count as group members", () =>
    Effect.gen(function*() {
      const { app, sql, work } = yield* world
      yield* seed(sql, reservation({ path: app, tag: "db", port: 5050, createdAt: 1 }))
      yield* at(T0)
      const error = yield* Effect.flip(reserveGroup(sql, request(app, work, [svc("web"), svc("api", { offset: 1 })]), small()))
      expect(error.message).toBe(conflict(app, "requested service set does not match stored service set"))
      // exactly matching tags: a single reservation is adopted and refreshed as a member
      const adopted = yield* reserveGroup(sql, request(app, work, [svc("db", { offset: 0 })]), small({ range: range(5000, 5100) }))
      expect(adopted._tag).toBe("Refresh")
      expect(mappingOf(adopted)).toEqual({ db: 5050 })
    }))
})

describe("sticky metadata of a compatible group (docs/concepts.md)", () => {
  const seedGroup = (sql: SqlClient.SqlClient, app: AbsolutePath, meta: { project?: string; task?: string }) =>
    seed(
      sql,
      reservation({ path: app, tag: "web", port: 5000, createdAt: 10, ...meta }),
      reservation({ path: app, tag: "api", port: 5001, createdAt: 11, ...meta })
    )
  const services = [svc("web"), svc("api", { offset: 1 })]

  it.scoped("an absent requested value keeps the stored one", () =>
    Effect.gen(function*() {
      const { app, sql, work } = yield* world
      yield* seedGroup(sql, app, { project: "p", task: "t" })
      yield* at(T0)
      yield* reserveGroup(sql, request(app, work, services), small())
      expect((yield* rows(sql)).map((r) => [Option.getOrUndefined(r.project), Option.getOrUndefined(r.task)])).toEqual([
        ["p", "t"],
        ["p", "t"]
      ])
    }))

  it.scoped("a different project → exact sticky message naming the group directory; nothing written", () =>
    Effect.gen(function*() {
      const { app, sql, work } = yield* world
      yield* seedGroup(sql, app, { project: "a" })
      const before = (yield* rows(sql)).map(summary)
      yield* at(T0)
      const error = yield* Effect.flip(reserveGroup(sql, request(app, work, services, { project: Option.some(project("b")) }), small()))
      expect(error._tag).toBe("StickyFieldChange")
      expect(cliText(error)).toBe(
        `Error: cannot change sticky field 'project': Cannot change group project from 'a' to 'b' without --force or --allow-project-change (group at ${app})`
      )
      expect((yield* rows(sql)).map(summary)).toEqual(before)
    }))

  it.scoped("none → value is a change too", () =>
    Effect.gen(function*() {
      const { app, sql, work } = yield* world
      yield* seedGroup(sql, app, {})
      yield* at(T0)
      const p = yield* Effect.flip(reserveGroup(sql, request(app, work, services, { project: Option.some(project("b")) }), small()))
      expect(cliText(p)).toBe(
        `Error: cannot change sticky field 'project': Cannot change group project from none to 'b' without --force or --allow-project-change (group at ${app})`
      )
      const t = yield* Effect.flip(reserveGroup(sql, request(app, work, services, { task: Option.some(task("x")) }), small()))
      expect(cliText(t)).toBe(
        `Error: cannot change sticky field 'task': Cannot change group task from none to 'x' without --force or --allow-task-change (group at ${app})`
      )
    }))

  it.scoped("a different task → exact sticky message; project is checked before task", () =>
    Effect.gen(function*() {
      const { app, sql, work } = yield* world
      yield* seedGroup(sql, app, { project: "a", task: "t1" })
      yield* at(T0)
      const t = yield* Effect.flip(reserveGroup(sql, request(app, work, services, { task: Option.some(task("t2")) }), small()))
      expect(cliText(t)).toBe(
        `Error: cannot change sticky field 'task': Cannot change group task from 't1' to 't2' without --force or --allow-task-change (group at ${app})`
      )
      const both = yield* Effect.flip(
        reserveGroup(sql, request(app, work, services, { project: Option.some(project("b")), task: Option.some(task("t2")) }), small())
      )
      expect(both.message).toContain("sticky field 'project'")
      // the project permission alone still leaves the task change refused
      const onlyProject = yield* Effect.flip(
        reserveGroup(
          sql,
          request(app, work, services, { project: Option.some(project("b")), task: Option.some(task("t2")) }),
          small({ allowProjectChange: true })
        )
      )
      expect(onlyProject.message).toContain("sticky field 'task'")
    }))

  it.scoped("the field permission or --force allows the change: new metadata on every row, ports and created_at kept", () =>
    Effect.gen(function*() {
      const { app, sql, work } = yield* world
      yield* seedGroup(sql, app, { project: "a", task: "t1" })
      yield* at(T0)
      yield* reserveGroup(sql, request(app, work, services, { project: Option.some(project("b")) }), small({ allowProjectChange: true }))
      yield* reserveGroup(sql, request(app, work, services, { task: Option.some(task("t2")) }), small({ allowTaskChange: true }))
      yield* at(T0 + 5)
      const forced = yield* reserveGroup(
        sql,
        request(app, work, services, { project: Option.some(project("c")), task: Option.some(task("t3")), force: true }),
        small()
      )
      expect(forced._tag).toBe("Refresh")
      expect((yield* rows(sql)).map(summary)).toEqual([
        { key: `${app}:api`, port: 5001, project: "c", task: "t3", createdAt: 11, lastUsedAt: T0 + 5 },
        { key: `${app}:web`, port: 5000, project: "c", task: "t3", createdAt: 10, lastUsedAt: T0 + 5 }
      ])
    }))
})

describe("forced replacement of an incompatible group (docs/concepts.md)", () => {
  it.scoped("--force replaces: new mapping and created_at; untagged and descendant rows untouched; Release lines first", () =>
    Effect.gen(function*() {
      const { app, path, sql, work } = yield* world
      yield* seed(
        sql,
        reservation({ path: app, port: 5000, createdAt: 1 }),
        reservation({ path: app, tag: "web", port: 5001, createdAt: 2, project: "p", task: "t" }),
        reservation({ path: app, tag: "old", port: 5002, createdAt: 3, project: "p", task: "t" }),
        reservation({ path: path("app/sub"), tag: "web", port: 5003, createdAt: 4 })
      )
      yield* at(T0)
      const services = [svc("web", { offset: 0 }), svc("api", { offset: 1 })]
      const refused = yield* Effect.flip(reserveGroup(sql, request(app, work, services), small()))
      expect(refused.message).toBe(`reservation conflict: existing group at ${app} is incompatible: requested service set does not match stored service set`)
      const plan = yield* reserveGroup(sql, request(app, work, services, { force: true }), small())
      expect(plan._tag).toBe("Allocate")
      // the replaced rows' own ports are free for the new mapping
      expect(mappingOf(plan)).toEqual({ api: 5002, web: 5001 })
      expect(Group.describe(plan)).toEqual([
        `Release reservation ${app}:old on port 5002`,
        `Release reservation ${app}:web on port 5001`,
        `Reserve port 5002 for ${app}:api`,
        `Reserve port 5001 for ${app}:web`
      ])
      expect((yield* rows(sql)).map(summary)).toEqual([
        { key: app, port: 5000, project: undefined, task: undefined, createdAt: 1, lastUsedAt: 1 },
        { key: `${app}:api`, port: 5002, project: "p", task: "t", createdAt: T0, lastUsedAt: T0 },
        { key: `${app}:web`, port: 5001, project: "p", task: "t", createdAt: T0, lastUsedAt: T0 },
        { key: `${path("app/sub")}:web`, port: 5003, project: undefined, task: undefined, createdAt: 4, lastUsedAt: 4 }
      ])
    }))

  it.scoped("stored rows that disagree on project or task → exact conflict unless the request sets the field", () =>
    Effect.gen(function*() {
      const { app, sql, work } = yield* world
      yield* seed(
        sql,
        reservation({ path: app, tag: "web", port: 5000, project: "a", task: "t" }),
        reservation({ path: app, tag: "api", port: 5001, task: "t" })
      )
      yield* at(T0)
      const services = [svc("web", { offset: 5 })]
      const noProject = yield* Effect.flip(reserveGroup(sql, request(app, work, services, { force: true }), small()))
      expect(noProject._tag).toBe("ReservationConflict")
      expect(noProject.message).toBe(
        "reservation conflict: stored rows disagree on project; provide an explicit value when forcing a shape replacement"
      )
      expect((yield* rows(sql)).length).toBe(2)
      const ok = yield* reserveGroup(sql, request(app, work, services, { force: true, project: Option.some(project("z")) }), small())
      expect(ok._tag).toBe("Allocate")
      expect((yield* rows(sql)).map(summary).map((r) => [r.key, r.port, r.project, r.task])).toEqual([
        [`${app}:web`, 5005, "z", "t"]
      ])
    }))

  it.scoped("disagreeing tasks → task conflict", () =>
    Effect.gen(function*() {
      const { app, sql, work } = yield* world
      yield* seed(
        sql,
        reservation({ path: app, tag: "web", port: 5000, project: "a", task: "t1" }),
        reservation({ path: app, tag: "api", port: 5001, project: "a", task: "t2" })
      )
      yield* at(T0)
      const error = yield* Effect.flip(reserveGroup(sql, request(app, work, [svc("web")], { force: true }), small()))
      expect(error.message).toBe(
        "reservation conflict: stored rows disagree on task; provide an explicit value when forcing a shape replacement"
      )
      const ok = yield* reserveGroup(sql, request(app, work, [svc("web")], { force: true, task: Option.some(task("t3")) }), small())
      expect(ok._tag).toBe("Allocate")
      expect((yield* rows(sql)).map(summary).map((r) => [r.key, r.project, r.task])).toEqual([[`${app}:web`, "a", "t3"]])
    }))

  it.scoped("rows agreeing on 'no value' replace without metadata", () =>
    Effect.gen(function*() {
      const { app, sql, work } = yield* world
      yield* seed(sql, reservation({ path: app, tag: "web", port: 5000 }), reservation({ path: app, tag: "api", port: 5001 }))
      yield* at(T0)
      yield* reserveGroup(sql, request(app, work, [svc("web", { offset: 2 })], { force: true }), small())
      expect((yield* rows(sql)).map(summary)).toEqual([
        { key: `${app}:web`, port: 5002, project: undefined, task: undefined, createdAt: T0, lastUsedAt: T0 }
      ])
    }))

  it.scoped("a failed forced replacement leaves the original rows (immediate transaction rolls back)", () =>
    Effect.gen(function*() {
      const { app, path, sql, work } = yield* world
      yield* seed(
        sql,
        reservation({ path: app, tag: "web", port: 5000, createdAt: 1, project: "p" }),
        reservation({ path: path("other"), port: 5002, createdAt: 2 })
      )
      const before = (yield* rows(sql)).map(summary)
      yield* at(T0)
      const s = small({ range: range(5000, 5002) })
      // a{0} b{2}: base 5000 needs 5002 (reserved by other) → no base fits
      const services = [svc("a", { offset: 0 }), svc("b", { offset: 2 })]
      const error = yield* Effect.flip(reserveGroup(sql, request(app, work, services, { force: true }), s))
      expect(error.message).toBe(
        "group allocation failed after attempting 2 service(s): No scanned base can satisfy the complete offset fallback pattern"
      )
      expect((yield* rows(sql)).map(summary)).toEqual(before)
      // also as a nested step (savepoint) inside a transaction that goes on and commits
      const outer = yield* sql.withTransaction(
        Effect.either(reserveGroup(sql, request(app, work, services, { force: true }), s))
      ).pipe(Effect.provideService(SqlClient.SqlClient, sql))
      expect(outer._tag).toBe("Left")
      expect((yield* rows(sql)).map(summary)).toEqual(before)
    }))

  it.scoped("--force does not bypass exclusions, occupancy or another key's port", () =>
    Effect.gen(function*() {
      const { app, path, sql, work } = yield* world
      yield* seed(sql, reservation({ path: path("other"), port: 5000 }))
      yield* at(T0)
      const plan = yield* reserveGroup(
        sql,
        request(app, work, [svc("a", { preferred: 5000 })], { force: true }),
        small({ exclusions: [exclude(5001)] }),
        Occupancy.Test([5002])
      )
      expect(mappingOf(plan)).toEqual({ a: 5003 })
    }))
})

describe("path guard (docs/concepts.md)", () => {
  it.scoped("an unrelated reservation path fails unless --force or allow_unrelated_path", () =>
    Effect.gen(function*() {
      const { path, sql } = yield* world
      yield* at(T0)
      const cwd = path("app")
      const target = path("other")
      const error = yield* Effect.flip(reserveGroup(sql, request(target, cwd, [svc("a")]), small()))
      expect(error._tag).toBe("PathRelationshipViolation")
      expect(error.message).toBe(`path relationship violation: ${target} and ${cwd} are unrelated paths`)
      expect(yield* rows(sql)).toEqual([])
      yield* reserveGroup(sql, request(target, cwd, [svc("a")], { force: true }), small())
      yield* reserveGroup(sql, request(path("app/sub"), path("other"), [svc("a")]), small({ allowUnrelatedPath: true }))
      expect((yield* rows(sql)).length).toBe(2)
    }))

  it.scoped("ancestor and descendant of the working directory are related", () =>
    Effect.gen(function*() {
      const { path, sql, work } = yield* world
      yield* at(T0)
      yield* reserveGroup(sql, request(work, path("app/sub"), [svc("a")]), small())
      yield* reserveGroup(sql, request(path("app/sub"), work, [svc("a")]), small())
      expect((yield* rows(sql)).length).toBe(2)
    }))
})

describe("plans as a dry run shows them (docs/concepts.md)", () => {
  it.scoped("plan alone writes nothing and lists one Reserve line per service in tag order", () =>
    Effect.gen(function*() {
      const { app, sql, work } = yield* world
      yield* at(T0)
      const plan = yield* planOnly(sql, request(app, work, [svc("web"), svc("api", { offset: 1 }), svc("10", { offset: 2 }), svc("9", { offset: 3 })]), small())
      expect(Group.describe(plan)).toEqual([
        `Reserve port 5002 for ${app}:10`,
        `Reserve port 5003 for ${app}:9`,
        `Reserve port 5001 for ${app}:api`,
        `Reserve port 5000 for ${app}:web`
      ])
      expect(yield* rows(sql)).toEqual([])
    }))

  it("byTag orders by UTF-8 bytes, not by UTF-16 code units", () => {
    const tags = ["é", "a", "\u{1F600}", "\uFF21", "Z", "10", "9"]
    expect([...tags].sort(Group.byTag)).toEqual(["10", "9", "Z", "a", "é", "\uFF21", "\u{1F600}"])
  })
})

describe("which rows a group reads (docs/concepts.md): a refresh only its own, an allocation every one", () => {
  /** A row of another directory that fails decoding (a negative created_at), written past the CHECK constraints. */
  const damageAnother = (file: string, other: AbsolutePath) =>
    Effect.gen(function*() {
      const db = yield* connect(file)
      db.pragma("ignore_check_constraints = ON")
      db.prepare("INSERT INTO reservations (path, tag, port, project, task, created_at, last_used_at) VALUES (?, '', 5090, NULL, NULL, -5, 1)")
        .run(other)
    })

  it.scoped("a refresh succeeds beside a damaged row of another directory (as trop 0.2.0), and leaves it alone", () =>
    Effect.gen(function*() {
      const { dir, file, sql } = yield* freshDatabase
      const app = abs(nodePath.join(dir, "app"))
      fs.mkdirSync(app)
      yield* at(T0)
      const services = [svc("api", { offset: 1 }), svc("web")]
      yield* reserveGroup(sql, request(app, abs(dir), services), small())
      yield* damageAnother(file, abs(nodePath.join(dir, "other")))
      yield* at(T0 + 60)
      const refreshed = yield* reserveGroup(sql, request(app, abs(dir), services), small())
      expect(refreshed._tag).toBe("Refresh")
      expect(mappingOf(refreshed)).toEqual({ api: 5001, web: 5000 })
      expect(committed(file, "SELECT last_used_at FROM reservations WHERE path = '" + app + "' ORDER BY tag")).toEqual([T0 + 60, T0 + 60])
      expect(committed(file, "SELECT created_at FROM reservations WHERE port = 5090")).toEqual([-5])
    }))

  it.scoped("an allocation still reads every row: the damaged row fails it (DatabaseCorrupt) and nothing is written", () =>
    Effect.gen(function*() {
      const { dir, file, sql } = yield* freshDatabase
      const app = abs(nodePath.join(dir, "app"))
      fs.mkdirSync(app)
      yield* damageAnother(file, abs(nodePath.join(dir, "other")))
      const failed = yield* Effect.flip(reserveGroup(sql, request(app, abs(dir), [svc("web")]), small()))
      expect(failed._tag).toBe("DatabaseCorrupt")
      expect(committed(file, "SELECT count(*) FROM reservations")).toEqual([1])
    }))
})
