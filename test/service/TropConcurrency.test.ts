// The Trop service on a real database file: lock contention surfaces as a catchable
// DatabaseBusy and the same layer recovers, many fibers share one layer, a long-lived layer
// survives 1000 operations, and trop's transactions stay apart from an app's own SqlClient.
import * as Reactivity from "@effect/experimental/Reactivity"
import { describe, it } from "@effect/vitest"
import * as SqlClient from "@effect/sql/SqlClient"
import * as SqliteClient from "@effect/sql-sqlite-node/SqliteClient"
import { Cause, Effect, Exit, Layer, Option } from "effect"
import * as fs from "node:fs"
import * as nodePath from "node:path"
import { expect } from "vitest"
import { DatabaseBusy } from "../../src/domain/Errors.js"
import { Trop } from "../../src/Trop.js"
import type { TropOptions } from "../../src/Trop.js"
import { tempDirScoped } from "../fixtures/Fixtures.js"
import { committed, connect } from "../support/sqlite.js"

/** A data directory and a working directory in one scoped temp directory. */
const sandbox = Effect.gen(function*() {
  const root = yield* tempDirScoped("trop-svc-")
  const dataDir = nodePath.join(root, "data")
  const cwd = nodePath.join(root, "work")
  fs.mkdirSync(cwd)
  return { root, dataDir, cwd, file: nodePath.join(dataDir, "trop.db") }
})

/** `Trop.layer` on the sandbox: no user environment, no bind probes. */
const tropLayer = (s: { readonly dataDir: string; readonly cwd: string }, options: TropOptions = {}) =>
  Trop.layer({ dataDir: s.dataDir, cwd: s.cwd, env: {}, occupancy: { skip: true }, busyTimeoutSeconds: 5, ...options })


const committedTags = (file: string) => committed(file, "SELECT tag FROM reservations ORDER BY tag")

/** The typed failure of `exit`; fails the test on success or on any defect in the cause. */
const typedFailure = <A, E>(exit: Exit.Exit<A, E>): E => {
  if (Exit.isSuccess(exit)) throw new Error(`expected a failure, got a success: ${String(exit.value)}`)
  expect(Cause.isDie(exit.cause), `a defect instead of a typed failure:\n${Cause.pretty(exit.cause)}`).toBe(false)
  const failure = Cause.failureOption(exit.cause)
  if (Option.isNone(failure)) throw new Error(`no typed failure in:\n${Cause.pretty(exit.cause)}`)
  return failure.value
}

describe("Trop.layer under lock contention", () => {
  it.scopedLive("busyTimeoutSeconds 0: a held write lock makes reserve fail with a catchable DatabaseBusy; the same layer then works", () =>
    Effect.gen(function*() {
      const s = yield* sandbox
      yield* Effect.gen(function*() {
        const trop = yield* Trop
        const first = yield* trop.reserve({ tag: "first" })
        const other = yield* connect(s.file)
        other.exec("BEGIN IMMEDIATE")
        other.prepare("INSERT INTO metadata (key, value) VALUES ('theirs', '1')").run()

        const error = typedFailure(yield* Effect.exit(trop.reserve({ tag: "second" })))
        expect(error).toBeInstanceOf(DatabaseBusy)
        expect(error).toMatchObject({ _tag: "DatabaseBusy", operation: "starting an immediate database transaction", timeoutSeconds: 0 })
        const caught = yield* trop.reserve({ tag: "second" }).pipe(
          Effect.map((port) => `reserved ${port}`),
          Effect.catchTag("DatabaseBusy", (e) => Effect.succeed(`busy while ${e.operation}`))
        )
        expect(caught).toBe("busy while starting an immediate database transaction")
        // trop did not touch the other writer's transaction.
        expect(other.inTransaction).toBe(true)
        expect(committedTags(s.file)).toEqual(["first"])

        other.exec("COMMIT")
        const second = yield* trop.reserve({ tag: "second" })
        expect(second).not.toBe(first)
        expect((yield* trop.list()).map((r) => [r.tag, r.port])).toEqual([["first", first], ["second", second]])
        expect(committed(s.file, "SELECT value FROM metadata WHERE key = 'theirs'")).toEqual(["1"])
      }).pipe(Effect.provide(tropLayer(s, { busyTimeoutSeconds: 0 })))
    }))
})

describe("one Trop.layer, many operations", () => {
  it.scopedLive("50 fibers reserving at once get 50 distinct ports, without a defect", () =>
    Effect.gen(function*() {
      const s = yield* sandbox
      yield* Effect.gen(function*() {
        const trop = yield* Trop
        const requests = Array.from({ length: 50 }, (_, i) =>
          i % 2 === 0 ? { tag: `t${i}` } : { path: `service-${i}` })
        const exits = yield* Effect.all(requests.map((r) => Effect.exit(trop.reserve(r))), { concurrency: "unbounded" })
        const failures = exits.filter(Exit.isFailure).map((e) => Cause.pretty(e.cause))
        expect(failures).toEqual([])
        const ports = exits.map((e) => (Exit.isSuccess(e) ? e.value : -1))
        expect(new Set(ports).size).toBe(50)
        const listed = yield* trop.list()
        expect(listed.map((r) => r.port).sort()).toEqual([...ports].sort())
        expect(committed(s.file, "SELECT count(DISTINCT port) FROM reservations")).toEqual([50])
      }).pipe(Effect.provide(tropLayer(s)))
    }))

  it.scopedLive("1000 mixed sequential reserve/release/list calls all succeed and the layer stays usable", () =>
    Effect.gen(function*() {
      const s = yield* sandbox
      yield* Effect.gen(function*() {
        const trop = yield* Trop
        const model = new Map<string, number>()
        for (let i = 0; i < 1000; i++) {
          const tag = `t${(i * 7) % 37}`
          switch (i % 4) {
            case 0:
            case 1: {
              const port = yield* trop.reserve({ tag })
              const known = model.get(tag)
              if (known !== undefined && port !== known) throw new Error(`op ${i}: ${tag} moved from ${known} to ${port}`)
              model.set(tag, port)
              break
            }
            case 2: {
              const released = yield* trop.release({ tag })
              const known = model.get(tag)
              const expected = known === undefined ? [] : [known]
              if (JSON.stringify(released.map((r) => r.port)) !== JSON.stringify(expected)) {
                throw new Error(`op ${i}: released ${JSON.stringify(released)}, expected ports ${JSON.stringify(expected)}`)
              }
              model.delete(tag)
              break
            }
            default: {
              const listed = yield* trop.list()
              if (listed.length !== model.size) throw new Error(`op ${i}: listed ${listed.length}, expected ${model.size}`)
            }
          }
        }
        const final = [...model.entries()].map(([tag, port]) => [tag, port]).sort()
        expect((yield* trop.list()).map((r) => [r.tag, r.port]).sort()).toEqual(final)
        // Still usable: a multi-call transaction commits, and the file is sound.
        const extra = yield* trop.transaction(Effect.zip(trop.reserve({ tag: "extra-1" }), trop.reserve({ tag: "extra-2" })))
        expect(extra[0]).not.toBe(extra[1])
        expect(committed(s.file, "SELECT count(*) FROM reservations")).toEqual([model.size + 2])
        expect(committed(s.file, "PRAGMA integrity_check")).toEqual(["ok"])
      }).pipe(Effect.provide(tropLayer(s)))
    }), 120_000)
})

describe("trop's transactions and an app's own SqlClient", () => {
  it.scopedLive("inside the app's transaction trop commits on its own; inside trop.transaction the app's statements go to the app", () =>
    Effect.gen(function*() {
      const s = yield* sandbox
      const appFile = nodePath.join(s.root, "app.db")
      const appSql = yield* SqliteClient.make({ filename: appFile }).pipe(Effect.provide(Reactivity.layer))
      yield* appSql`CREATE TABLE app_rows (name TEXT NOT NULL)`
      const appLayer = Layer.succeed(SqlClient.SqlClient, appSql)

      yield* Effect.gen(function*() {
        const trop = yield* Trop
        const sql = yield* SqlClient.SqlClient
        expect(sql).toBe(appSql)

        // 1. trop.reserve inside the app's transaction: trop's own commit, visible at once.
        const seen = yield* sql.withTransaction(Effect.gen(function*() {
          yield* sql`INSERT INTO app_rows (name) VALUES ('app-1')`
          const port = yield* trop.reserve({ tag: "inside-app" })
          const tropRows = committed(s.file, "SELECT tag || '=' || port FROM reservations ORDER BY tag")
          const appRowsSoFar = committed(appFile, "SELECT name FROM app_rows")
          yield* sql`INSERT INTO app_rows (name) VALUES ('app-2')`
          return { port, tropRows, appRowsSoFar }
        }))
        expect(seen.tropRows).toEqual([`inside-app=${seen.port}`])
        expect(seen.appRowsSoFar).toEqual([])
        expect(committed(appFile, "SELECT name FROM app_rows ORDER BY name")).toEqual(["app-1", "app-2"])

        // 2. The app's statements inside trop.transaction go to the app's database.
        const port = yield* trop.transaction(Effect.gen(function*() {
          const app = yield* SqlClient.SqlClient
          yield* app`INSERT INTO app_rows (name) VALUES ('in-trop-tx')`
          return yield* trop.reserve({ tag: "in-trop-tx" })
        }))
        expect(committed(appFile, "SELECT name FROM app_rows WHERE name = 'in-trop-tx'")).toEqual(["in-trop-tx"])
        expect(committed(s.file, "SELECT count(*) FROM sqlite_schema WHERE name = 'app_rows'")).toEqual([0])
        expect(committed(s.file, "SELECT port FROM reservations WHERE tag = 'in-trop-tx'")).toEqual([port])

        // 3. Both at once: the app's transaction around trop.transaction around app statements.
        const both = yield* sql.withTransaction(trop.transaction(Effect.gen(function*() {
          yield* sql`INSERT INTO app_rows (name) VALUES ('nested')`
          return yield* trop.reserve({ tag: "nested" })
        })))
        expect(committed(s.file, "SELECT port FROM reservations WHERE tag = 'nested'")).toEqual([both])
        expect(committed(appFile, "SELECT name FROM app_rows WHERE name = 'nested'")).toEqual(["nested"])

        // 4. The app's transaction failing afterwards does not undo trop's commit.
        const failed = yield* Effect.either(sql.withTransaction(Effect.gen(function*() {
          yield* sql`INSERT INTO app_rows (name) VALUES ('rolled-back')`
          yield* trop.reserve({ tag: "survives" })
          return yield* Effect.fail("app aborts" as const)
        })))
        expect(failed).toMatchObject({ _tag: "Left", left: "app aborts" })
        expect(committed(appFile, "SELECT count(*) FROM app_rows WHERE name = 'rolled-back'")).toEqual([0])
        expect(committed(s.file, "SELECT count(*) FROM reservations WHERE tag = 'survives'")).toEqual([1])
      }).pipe(Effect.provide(Layer.merge(tropLayer(s), appLayer)))
    }))

  it.scopedLive("trop.list inside the app's transaction reads trop's database, not the app's", () =>
    Effect.gen(function*() {
      const s = yield* sandbox
      const appFile = nodePath.join(s.root, "app.db")
      const appSql = yield* SqliteClient.make({ filename: appFile }).pipe(Effect.provide(Reactivity.layer))
      yield* appSql`CREATE TABLE app_rows (name TEXT NOT NULL)`

      yield* Effect.gen(function*() {
        const trop = yield* Trop
        const port = yield* trop.reserve({ tag: "listed" })
        // Outside any app transaction: trop's database.
        expect((yield* trop.list()).map((r) => [r.tag, r.port])).toEqual([["listed", port]])
        // Inside the app's transaction: must still be trop's database.
        const inside = yield* appSql.withTransaction(Effect.exit(trop.list()))
        expect(Exit.map(inside, (rows) => rows.map((r) => [r.tag, r.port]))).toEqual(Exit.succeed([["listed", port]]))
      }).pipe(Effect.provide(Layer.merge(tropLayer(s), Layer.succeed(SqlClient.SqlClient, appSql))))
    }))

  it.scopedLive("Trop.layer built inside the app's transaction opens and writes trop's database, not the app's", () =>
    Effect.gen(function*() {
      const s = yield* sandbox
      const appFile = nodePath.join(s.root, "app.db")
      const appSql = yield* SqliteClient.make({ filename: appFile }).pipe(Effect.provide(Reactivity.layer))
      yield* appSql`CREATE TABLE app_rows (name TEXT NOT NULL)`
      const exit = yield* appSql.withTransaction(Effect.exit(
        Effect.flatMap(Trop, (trop) => trop.reserve({ tag: "opened-inside" })).pipe(Effect.provide(tropLayer(s)))
      ))
      expect(Exit.isSuccess(exit), Exit.isFailure(exit) ? Cause.pretty(exit.cause) : "").toBe(true)
      expect(committedTags(s.file)).toEqual(["opened-inside"])
      expect(committed(appFile, "SELECT name FROM sqlite_schema ORDER BY name")).toEqual(["app_rows"])
    }))
})
