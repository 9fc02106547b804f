// What the service gives the programs it runs in a transaction (`withSqlClient`, and every
// method through it), now assembled in one change of the context rather than four provides:
// trop's client as SqlClient, the transaction's connection (so statements neither wait for
// the client's connection nor leave the transaction), the level (so trop's calls nest as
// savepoints), and Occupancy and GitInfo. And request decoding, now a plain Either, still
// happens when the effect runs, each time it runs.
import { describe, it } from "@effect/vitest"
import * as SqlClient from "@effect/sql/SqlClient"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import { expect } from "vitest"
import { Reserve, Trop } from "../../src/index.js"
import type { TropService } from "../../src/index.js"
import { AbsolutePath } from "../../src/domain/AbsolutePath.js"
import { GitInfo } from "../../src/git/GitInfo.js"
import { Occupancy } from "../../src/probe/Occupancy.js"

const layer = Trop.layerTest({ occupied: [5000], git: { project: "shop", task: "main" } })

/**
 * The test's program with the service; live and bounded in time, because a statement that
 * misses the transaction's connection waits for the client's forever, and should fail.
 */
const using = <A, E>(f: (trop: TropService) => Effect.Effect<A, E>) =>
  Effect.flatMap(Trop, f).pipe(
    Effect.timeoutFail({ duration: "5 seconds", onTimeout: () => new Error("a statement waited for the connection") })
  )

const count = Effect.flatMap(SqlClient.SqlClient, (sql) => sql<{ n: number }>`SELECT count(*) AS n FROM reservations`).pipe(
  Effect.map((rows) => rows[0]?.n)
)

describe("programs run by the service", () => {
  it.live("get trop's client on the transaction's connection: statements run inside it and roll back with it", () =>
    using((trop) =>
      Effect.gen(function*() {
        // Without the transaction's connection a statement would wait for the client's, which
        // the transaction holds (`using` bounds that wait).
        const inside = yield* trop.withSqlClient(Effect.gen(function*() {
          yield* trop.reserve({ path: "/w", tag: "a" })
          return yield* count
        }))
        expect(inside).toBe(1)
        const failed = yield* trop.withSqlClient(Effect.gen(function*() {
          const sql = yield* SqlClient.SqlClient
          yield* sql`DELETE FROM reservations`
          expect(yield* count).toBe(0)
          return yield* Effect.fail("undo" as const)
        })).pipe(Effect.flip)
        expect(failed).toBe("undo")
        expect((yield* trop.list()).map((r) => r.tag)).toEqual(["a"])
      })
    ).pipe(Effect.provide(layer)))

  it.live("nest trop's own calls as savepoints of the same transaction", () =>
    using((trop) =>
      Effect.gen(function*() {
        yield* trop.withSqlClient(Effect.gen(function*() {
          yield* trop.reserve({ path: "/w", tag: "kept" })
          // A failed inner call rolls back only itself.
          yield* Effect.ignore(trop.withSqlClient(Effect.zipRight(trop.reserve({ path: "/w", tag: "undone" }), Effect.fail("x"))))
          // A read inside the transaction sees its writes.
          expect((yield* trop.list()).map((r) => r.tag)).toEqual(["kept"])
        }))
        expect((yield* trop.list()).map((r) => r.tag)).toEqual(["kept"])
      })
    ).pipe(Effect.provide(layer)))

  it.live("get the service's Occupancy and GitInfo, as plan/execute programs need", () =>
    using((trop) =>
      Effect.gen(function*() {
        const occupancy = yield* trop.withSqlClient(Effect.flatMap(Occupancy, (o) => o.check(5000, trop.settings.occupancy)))
        expect(occupancy.inUse.length).toBeGreaterThan(0)
        const git = yield* trop.withSqlClient(Effect.flatMap(GitInfo, (g) => g.infer("/w")))
        expect([Option.getOrNull(git.project), Option.getOrNull(git.task)]).toEqual(["shop", "main"])
        const cwd = AbsolutePath.make(trop.cwd)
        const request: Reserve.ReserveRequest = {
          key: { path: cwd, tag: Option.none() },
          cwd,
          preferred: Option.none(),
          project: { _tag: "Preserve" },
          task: { _tag: "Preserve" },
          overwrite: false,
          force: false,
          ignoreOccupied: false,
          ignoreExclusions: false
        }
        const port = yield* trop.withSqlClient(Effect.flatMap(Reserve.plan(request, trop.settings), Reserve.execute))
        expect(port).toBe(5001)
        const [row] = yield* trop.list()
        expect([row?.port, row?.project, row?.task]).toEqual([5001, "shop", "main"])
      })
    ).pipe(Effect.provide(layer)))
})

describe("requests", () => {
  it.live("are decoded when the effect runs, each time it runs", () =>
    using((trop) =>
      Effect.gen(function*() {
        const request: { path: string; tag: unknown } = { path: "/w", tag: 7 }
        const temporary: { path: string; tag: unknown } = { path: "/w", tag: 7 }
        const reserve = trop.reserve(request as never)
        const scoped = Effect.scoped(trop.reserveScoped(temporary as never))
        expect((yield* Effect.flip(reserve))._tag).toBe("InvalidValue")
        expect((yield* Effect.flip(scoped))._tag).toBe("InvalidValue")
        request.tag = "web"
        temporary.tag = "tmp"
        expect(yield* reserve).toBe(5001)
        expect(yield* scoped).toBe(5002)
        // The scoped one was released when its scope closed.
        expect((yield* trop.list()).map((r) => [r.tag, r.port])).toEqual([["web", 5001]])
      })
    ).pipe(Effect.provide(layer)))
})
