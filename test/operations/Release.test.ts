import * as SqlClient from "@effect/sql/SqlClient"
import { describe, it } from "@effect/vitest"
import { Effect } from "effect"
import * as nodePath from "node:path"
import { expect } from "vitest"
import type { AbsolutePath } from "../../src/domain/AbsolutePath.js"
import * as Key from "../../src/domain/ReservationKey.js"
import type { ReleaseRequest, TagSelection } from "../../src/operations/Release.js"
import * as Release from "../../src/operations/Release.js"
import * as Database from "../../src/store/Database.js"
import * as Reservations from "../../src/store/Reservations.js"
import { abs, freshDatabase, port, reservation, tag } from "../fixtures/Fixtures.js"

/**
 * Rows at work/a (untagged, api, web), work/a/b (untagged, web), and the sibling work/ab
 * (untagged, web) that no release of work/a may touch.
 */
const world = Effect.gen(function*() {
  const { dir, sql } = yield* freshDatabase
  const work = abs(nodePath.join(dir, "work"))
  const p = (rel: string): AbsolutePath => abs(nodePath.join(work, rel))
  const seeded = [
    reservation({ path: p("a"), port: 5000 }),
    reservation({ path: p("a"), tag: "web", port: 5001 }),
    reservation({ path: p("a"), tag: "api", port: 5002 }),
    reservation({ path: p("a/b"), port: 5003 }),
    reservation({ path: p("a/b"), tag: "web", port: 5004 }),
    reservation({ path: p("ab"), port: 5005 }),
    reservation({ path: p("ab"), tag: "web", port: 5006 })
  ]
  yield* Effect.forEach(seeded, Reservations.insert, { discard: true }).pipe(Effect.provideService(SqlClient.SqlClient, sql))
  return { sql, work, p }
})

const ALL: TagSelection = { _tag: "AllTags" }
const UNTAGGED: TagSelection = { _tag: "Untagged" }
const WEB: TagSelection = { _tag: "Tag", tag: tag("web") }

const release = (sql: SqlClient.SqlClient, request: ReleaseRequest) =>
  sql.withTransaction(Effect.flatMap(Release.plan(request), (plan) => Effect.map(Release.execute(plan), (n) => ({ plan, n })))).pipe(
    Effect.provideService(SqlClient.SqlClient, sql)
  )

const remaining = (sql: SqlClient.SqlClient) =>
  Effect.map(Reservations.all, (rows) => rows.map((r) => r.port)).pipe(Effect.provideService(SqlClient.SqlClient, sql))

const keys = (plan: Release.ReleasePlan) => plan.rows.map((r) => Key.format(r.key))

describe("selection (docs/concepts.md)", () => {
  it.scoped("no tag option: every row at exactly the path, untagged first then by tag", () =>
    Effect.gen(function*() {
      const { p, sql, work } = yield* world
      const { n, plan } = yield* release(sql, { path: p("a"), cwd: work, tags: ALL, recursive: false, unguarded: false })
      expect(keys(plan)).toEqual([p("a"), `${p("a")}:api`, `${p("a")}:web`])
      expect(n).toBe(3)
      expect(Release.warnings(plan)).toEqual([])
      expect(yield* remaining(sql)).toEqual([5003, 5004, 5005, 5006])
    }))

  it.scoped("--tag: only that key", () =>
    Effect.gen(function*() {
      const { p, sql, work } = yield* world
      const { plan } = yield* release(sql, { path: p("a"), cwd: work, tags: WEB, recursive: false, unguarded: false })
      expect(keys(plan)).toEqual([`${p("a")}:web`])
      expect(yield* remaining(sql)).toEqual([5000, 5002, 5003, 5004, 5005, 5006])
    }))

  it.scoped("--untagged-only: only the untagged key", () =>
    Effect.gen(function*() {
      const { p, sql, work } = yield* world
      const { plan } = yield* release(sql, { path: p("a"), cwd: work, tags: UNTAGGED, recursive: false, unguarded: false })
      expect(keys(plan)).toEqual([p("a")])
      expect(yield* remaining(sql)).toEqual([5002, 5001, 5003, 5004, 5005, 5006]) // ordered by path, then tag (api < web)
    }))

  it.scoped("--recursive: the path and its descendants by whole components, never the sibling /ab", () =>
    Effect.gen(function*() {
      const { p, sql, work } = yield* world
      const { n, plan } = yield* release(sql, { path: p("a"), cwd: work, tags: ALL, recursive: true, unguarded: false })
      expect(keys(plan)).toEqual([p("a"), `${p("a")}:api`, `${p("a")}:web`, p("a/b"), `${p("a/b")}:web`])
      expect(n).toBe(5)
      expect(yield* remaining(sql)).toEqual([5005, 5006])
    }))

  it.scoped("--recursive with --tag or --untagged-only applies the same tag filter below the path", () =>
    Effect.gen(function*() {
      const { p, sql, work } = yield* world
      const web = yield* release(sql, { path: p("a"), cwd: work, tags: WEB, recursive: true, unguarded: false })
      expect(keys(web.plan)).toEqual([`${p("a")}:web`, `${p("a/b")}:web`])
      const untagged = yield* release(sql, { path: p("a"), cwd: work, tags: UNTAGGED, recursive: true, unguarded: false })
      expect(keys(untagged.plan)).toEqual([p("a"), p("a/b")])
      expect(yield* remaining(sql)).toEqual([5002, 5005, 5006])
    }))

  it.scoped("recursive at an ancestor of everything takes every row", () =>
    Effect.gen(function*() {
      const { sql, work } = yield* world
      const { n } = yield* release(sql, { path: abs("/"), cwd: work, tags: ALL, recursive: true, unguarded: false })
      expect(n).toBe(7)
      expect(yield* remaining(sql)).toEqual([])
    }))
})

describe("nothing matched: success with a warning (docs/cli.md)", () => {
  it.scoped("each mode words its own warning", () =>
    Effect.gen(function*() {
      const { p, sql, work } = yield* world
      const none = p("none")
      const warn = (tags: TagSelection, recursive: boolean) =>
        Effect.map(release(sql, { path: none, cwd: work, tags, recursive, unguarded: false }), ({ n, plan }) => {
          expect(n).toBe(0)
          return Release.warnings(plan)
        })
      expect(yield* warn(ALL, false)).toEqual([`No reservations found for ${none} (already released)`])
      expect(yield* warn(WEB, false)).toEqual([`No reservation found for ${none}:web (already released)`])
      expect(yield* warn(UNTAGGED, false)).toEqual([`No reservation found for ${none} (already released)`])
      expect(yield* warn(ALL, true)).toEqual([`No reservations found under ${none} (already released)`])
      expect(yield* warn(WEB, true)).toEqual([`No reservations found under ${none} (already released)`])
      expect((yield* remaining(sql)).length).toBe(7)
    }))

  it.scoped("releasing twice is idempotent", () =>
    Effect.gen(function*() {
      const { p, sql, work } = yield* world
      const request: ReleaseRequest = { path: p("ab"), cwd: work, tags: WEB, recursive: false, unguarded: false }
      expect((yield* release(sql, request)).n).toBe(1)
      const again = yield* release(sql, request)
      expect(again.n).toBe(0)
      expect(Release.warnings(again.plan)).toEqual([`No reservation found for ${p("ab")}:web (already released)`])
    }))
})

describe("path guard and dry run", () => {
  it.scoped("an unrelated path is refused (nothing deleted) unless unguarded", () =>
    Effect.gen(function*() {
      const { p, sql } = yield* world
      const cwd = p("a")
      const error = yield* Effect.flip(release(sql, { path: p("ab"), cwd, tags: ALL, recursive: true, unguarded: false }))
      expect(error.message).toBe(`path relationship violation: ${p("ab")} and ${cwd} are unrelated paths`)
      expect((yield* remaining(sql)).length).toBe(7)
      const { n } = yield* release(sql, { path: p("ab"), cwd, tags: ALL, recursive: true, unguarded: true })
      expect(n).toBe(2)
    }))

  it.scoped("a descendant and an ancestor of the working directory are allowed", () =>
    Effect.gen(function*() {
      const { p, sql } = yield* world
      expect((yield* release(sql, { path: p("a/b"), cwd: p("a"), tags: ALL, recursive: false, unguarded: false })).n).toBe(2)
      expect((yield* release(sql, { path: p("a"), cwd: p("a/b/c"), tags: ALL, recursive: false, unguarded: false })).n).toBe(3)
    }))

  it.scoped("a dry run selects inside the transaction and deletes nothing", () =>
    Effect.gen(function*() {
      const { p, sql, work } = yield* world
      const plan = yield* Database.rolledBack(
        Effect.tap(Release.plan({ path: p("a"), cwd: work, tags: ALL, recursive: true, unguarded: false }), Release.execute)
      ).pipe(Effect.provideService(SqlClient.SqlClient, sql))
      expect(plan.rows.length).toBe(5)
      expect((yield* remaining(sql)).length).toBe(7)
    }))
})

describe("by port (release --port, docs/output-formats.md)", () => {
  it.scoped("selects the row holding the port, whatever path, tags and recursive say; the guard checks that row's path", () =>
    Effect.gen(function*() {
      const { p, sql } = yield* world
      const byPort = (n: number, unguarded = false): ReleaseRequest => ({
        path: p("a"),
        cwd: p("a"),
        tags: UNTAGGED,
        recursive: true,
        unguarded,
        port: port(n)
      })
      const { n, plan } = yield* release(sql, byPort(5004))
      expect(keys(plan)).toEqual([`${p("a/b")}:web`])
      expect(n).toBe(1)
      // p("ab") is unrelated to the working directory p("a").
      const error = yield* Effect.flip(release(sql, byPort(5006)))
      expect(error.message).toBe(`path relationship violation: ${p("ab")} and ${p("a")} are unrelated paths`)
      expect((yield* release(sql, byPort(5006, true))).n).toBe(1)
      const none = yield* release(sql, byPort(5999))
      expect(none.n).toBe(0)
      expect(Release.warnings(none.plan)).toEqual(["No reservation found for port 5999 (already released)"])
      expect(yield* remaining(sql)).toEqual([5000, 5002, 5001, 5003, 5005]) // by path, then tag
    }))
})
