import * as SqlClient from "@effect/sql/SqlClient"
import { describe, it } from "@effect/vitest"
import Sqlite from "better-sqlite3"
import { Effect, Option } from "effect"
import { expect } from "vitest"
import * as Key from "../../src/domain/ReservationKey.js"
import * as Reservations from "../../src/store/Reservations.js"
import { abs, freshDatabase, port, reservation, tag } from "../fixtures/Fixtures.js"

const RECOVERY =
  "Make a copy before recovery; restore a known-good database or delete the disposable database and recreate its reservations. trop did not modify or repair the stored data"

interface RawRow {
  readonly path: string
  readonly tag?: string
  readonly port: number
  readonly project?: string | null
  readonly task?: string | null
  readonly created_at?: number
  readonly last_used_at?: number
}

/** Writes rows behind trop's back, the way another tool or a bug could (schema constraints still apply). */
const insertRaw = (file: string, rows: ReadonlyArray<RawRow>) =>
  Effect.sync(() => {
    const db = new Sqlite(file)
    const stmt = db.prepare(
      "INSERT INTO reservations (path, tag, port, project, task, created_at, last_used_at) VALUES (?, ?, ?, ?, ?, ?, ?)"
    )
    for (const r of rows) {
      stmt.run(r.path, r.tag ?? "", r.port, r.project ?? null, r.task ?? null, r.created_at ?? 100, r.last_used_at ?? 100)
    }
    db.close()
  })

/** A database with one good row plus `bad`; returns the corruption message of `Reservations.all`. */
const corruptionOf = (...bad: ReadonlyArray<RawRow>) =>
  Effect.gen(function*() {
    const { file, sql } = yield* freshDatabase
    yield* insertRaw(file, [{ path: "/good", port: 4000 }, ...bad])
    const error = yield* Effect.flip(Reservations.all.pipe(Effect.provideService(SqlClient.SqlClient, sql)))
    expect(error._tag).toBe("DatabaseCorrupt")
    return error.message
  })

const corrupt = (field: string, path: string, tagText: string, reason: string) =>
  `database corruption detected: table=reservations, field=${field}, key=path=${path}, tag=${tagText}: ${reason}. ${RECOVERY}`

describe("fail-closed row decoding (docs/database.md)", () => {
  it.scoped("a relative path", () =>
    Effect.map(corruptionOf({ path: "relative/path", port: 5000 }), (m) =>
      expect(m).toBe(corrupt("path", "\"relative/path\"", "<untagged>", "path must be absolute"))))

  it.scoped("a path that is not in lexical-normal form", () =>
    Effect.gen(function*() {
      expect(yield* corruptionOf({ path: "/a/../b", port: 5000, tag: "web" })).toBe(
        corrupt("path", "\"/a/../b\"", "\"web\"", "path must already be in its absolute lexical-normal form")
      )
    }))

  it.scoped("other non-normal paths: trailing separator, repeated separator, `.`", () =>
    Effect.gen(function*() {
      for (const path of ["/a/", "/a//b", "/a/./b"]) {
        expect(yield* corruptionOf({ path, port: 5000 })).toBe(
          corrupt("path", JSON.stringify(path), "<untagged>", "path must already be in its absolute lexical-normal form")
        )
      }
      expect(yield* corruptionOf({ path: "", port: 5000 })).toBe(corrupt("path", "\"\"", "<untagged>", "path must be nonempty"))
    }))

  it.scoped("an untrimmed tag", () =>
    Effect.map(corruptionOf({ path: "/p", tag: " web", port: 5000 }), (m) =>
      expect(m).toBe(
        corrupt("tag", "\"/p\"", "\" web\"", "tag must be the empty untagged sentinel or exact trimmed nonempty text")
      )))

  it.scoped("an empty project, without printing project values", () =>
    Effect.map(corruptionOf({ path: "/p", port: 5000, project: "" }), (m) =>
      expect(m).toBe(
        corrupt("project", "\"/p\"", "<untagged>", "optional identifier must be NULL or exact trimmed nonempty text")
      )))

  it.scoped("project and task values never appear in the message", () =>
    Effect.gen(function*() {
      const project = yield* corruptionOf({ path: "/p", port: 5000, project: " secret-project " })
      expect(project).toContain("field=project")
      expect(project).not.toContain("secret-project")
      const task = yield* corruptionOf({ path: "/p", port: 5000, task: "secret-task\t" })
      expect(task).toBe(corrupt("task", "\"/p\"", "<untagged>", "optional identifier must be NULL or exact trimmed nonempty text"))
      expect(task).not.toContain("secret-task")
    }))

  it.scoped("a timestamp beyond the end of year 262143", () =>
    Effect.gen(function*() {
      expect(yield* corruptionOf({ path: "/p", port: 5000, last_used_at: 9999999999999 })).toBe(
        corrupt("last_used_at", "\"/p\"", "<untagged>", "timestamp is outside the supported display and serialization range")
      )
      expect(yield* corruptionOf({ path: "/p", port: 5000, created_at: 8210298412800 })).toBe(
        corrupt("created_at", "\"/p\"", "<untagged>", "timestamp is outside the supported display and serialization range")
      )
    }))

  it.scoped("the key is printed as an escaped string literal", () =>
    Effect.map(corruptionOf({ path: "/q\"uote\nline", port: 5000, project: "" }), (m) =>
      expect(m).toContain("key=path=\"/q\\\"uote\\nline\", tag=<untagged>:")))

  it.scoped("the first bad row in (path, tag) order is reported", () =>
    Effect.map(
      corruptionOf({ path: "/z", tag: " z", port: 5001 }, { path: "/b/../c", port: 5002 }),
      (m) => expect(m).toContain("key=path=\"/b/../c\"")
    ))

  it.scoped("lookups by key and by port are fail-closed too", () =>
    Effect.gen(function*() {
      const { file, sql } = yield* freshDatabase
      yield* insertRaw(file, [{ path: "/p", tag: "web ", port: 5000 }, { path: "/q", port: 5001, project: "" }])
      const provide = Effect.provideService(SqlClient.SqlClient, sql)
      const byPort = yield* Effect.flip(provide(Reservations.byPort(port(5000))))
      expect(byPort._tag).toBe("DatabaseCorrupt")
      expect(byPort.message).toContain("field=tag, key=path=\"/p\", tag=\"web \":")
      const byKey = yield* Effect.flip(provide(Reservations.byKey(Key.make(abs("/q")))))
      expect(byKey._tag).toBe("DatabaseCorrupt")
      expect(byKey.message).toContain("field=project, key=path=\"/q\", tag=<untagged>:")
    }))
})

describe("reads and writes", () => {
  it.scoped("rows come back ordered by path, then tag (untagged first), in UTF-8 byte order", () =>
    Effect.gen(function*() {
      const { sql } = yield* freshDatabase
      const provide = Effect.provideService(SqlClient.SqlClient, sql)
      yield* provide(Effect.forEach([
        reservation({ path: "/b", port: 5000 }),
        reservation({ path: "/a", tag: "z", port: 5001 }),
        reservation({ path: "/a", port: 5002 }),
        reservation({ path: "/a", tag: "B", port: 5003 }),
        reservation({ path: "/é", port: 5004 }),
        reservation({ path: "/Z", port: 5005 })
      ], Reservations.insert, { discard: true }))
      const keys = (yield* provide(Reservations.all)).map((r) => Key.format(r.key))
      expect(keys).toEqual(["/Z", "/a", "/a:B", "/a:z", "/b", "/é"])
    }))

  it.scoped("the untagged key is stored as '' and read back as no tag; metadata round-trips", () =>
    Effect.gen(function*() {
      const { sql } = yield* freshDatabase
      const provide = Effect.provideService(SqlClient.SqlClient, sql)
      const r = reservation({ path: "/p", port: 5000, project: "proj", task: "t", createdAt: 5, lastUsedAt: 3 })
      yield* provide(Reservations.insert(r))
      const raw = yield* sql<{ readonly tag: string; readonly project: string | null }>`SELECT tag, project FROM reservations`
      expect(raw).toEqual([{ tag: "", project: "proj" }])
      expect(yield* provide(Reservations.byKey(Key.make(abs("/p"))))).toEqual(Option.some(r))
      expect(yield* provide(Reservations.byKey(Key.make(abs("/p"), Option.some(tag("x")))))).toEqual(Option.none())
      expect(yield* provide(Reservations.byPort(port(5000)))).toEqual(Option.some(r))
    }))

  it.scoped("insert is a plain INSERT: a port held by another key fails and never evicts it", () =>
    Effect.gen(function*() {
      const { sql } = yield* freshDatabase
      const provide = Effect.provideService(SqlClient.SqlClient, sql)
      yield* provide(Reservations.insert(reservation({ path: "/a", port: 5000 })))
      const error = yield* Effect.flip(provide(Reservations.insert(reservation({ path: "/b", port: 5000 }))))
      expect(error._tag).toBe("SqlError")
      expect((yield* provide(Reservations.all)).map((r) => r.key.path)).toEqual(["/a"])
      // The same key twice also fails rather than replacing.
      expect((yield* Effect.flip(provide(Reservations.insert(reservation({ path: "/a", port: 5001 })))))._tag).toBe("SqlError")
    }))
})
