// `trop list` reads its rows page by page from one snapshot (Reservations.forEachPage) and
// checks them all before the first page is handed on. Whatever the table holds (any
// storage class in any column, bytes that are not UTF-8, NUL bytes, duplicate keys in a
// table without its primary key, rowids beyond 2^53), it must yield exactly the rows of
// Reservations.all, in the same order, or fail with exactly the error `all` fails with,
// having handed on nothing.
import * as SqlClient from "@effect/sql/SqlClient"
import Sqlite from "better-sqlite3"
import { Effect, Either, Exit } from "effect"
import * as fc from "fast-check"
import * as fs from "node:fs"
import * as os from "node:os"
import * as nodePath from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import type { Reservation } from "../../src/domain/Reservation.js"
import * as Database from "../../src/store/Database.js"
import * as Reservations from "../../src/store/Reservations.js"
import { SCHEMA_V2, STORED_TABLE_SQL } from "../fixtures/SchemaV2Sql.js"

/** SQL expressions for each column: mostly valid values, then every kind of bad one. */
const VALID = {
  path: ["'/a'", "'/a/b'", "'/a-b'", "'/ab'", "'/x y'", "'/'", "'/home/me/app'", "'/é/日本'", "'/t' || char(9) || 'x'", "'/.hidden'", "'/a/.git'", "'/a' || char(65533)"],
  tag: ["''", "''", "'web'", "'api'", "'Z'", "'wéb'", "'a b'", "'x' || char(27)"],
  text: ["NULL", "NULL", "'shop'", "'Shop'", "'prøject'", "'a' || char(155) || 'b'", "'t 🚀'", "'x' || char(65533)"],
  time: ["0", "1", "1700000000", "8210298412799", "253402300799"]
}
const BAD = {
  path: ["NULL", "42", "4.5", "X'2F61'", "CAST(X'2F61FF' AS TEXT)", "''", "'relative'", "'/a/../b'", "'/a//b'", "'/a/'", "'/a/.'", "'/a' || char(0) || 'b'", "CAST(X'2F6100FF' AS TEXT)"],
  tag: ["NULL", "X'00'", "7", "' web'", "'web '", "'  '", "CAST(X'77FF' AS TEXT)", "'w' || char(0)", "char(160) || 'x'"],
  port: ["0", "70000", "-5", "5000.0", "'5000'", "NULL", "X'01'"],
  text: ["''", "' p'", "'p '", "7", "1.5", "X'534543'", "CAST(X'70FF' AS TEXT)", "char(8232) || 'p'"],
  time: ["-1", "8210298412800", "9223372036854775807", "1.0", "'1'", "NULL", "X'01'"]
}

interface Row {
  readonly rowid: string | undefined
  readonly values: ReadonlyArray<string>
}

const pick = (valid: ReadonlyArray<string>, bad: ReadonlyArray<string>, badness: number) =>
  fc.tuple(fc.double({ min: 0, max: 1, noNaN: true }), fc.constantFrom(...valid), fc.constantFrom(...bad)).map((
    [p, v, b]
  ) => p < badness ? b : v)

const rows = (
  badness: number,
  minLength: number,
  maxLength: number,
  /** How many distinct last path components: few make many duplicate keys (in a keyless table). */
  subs = 40
): fc.Arbitrary<ReadonlyArray<Row>> =>
  fc.array(
    fc.record({
      // Now and then an explicit rowid: negative, or beyond what a JavaScript number holds
      // (the rows inserted after it follow it).
      rowid: fc.tuple(
        fc.integer({ min: 0, max: 99 }),
        fc.constantFrom("-5", "9007199254740993", "4611686018427387904", "9223372036854775807")
      ).map(([n, rowid]) => n === 0 ? rowid : undefined),
      // Rarer: NULL and numbers sort first, so a bad path would nearly always be the error.
      path: pick(VALID.path, BAD.path, badness / 4),
      sub: fc.integer({ min: 0, max: subs }),
      tag: pick(VALID.tag, BAD.tag, badness),
      port: pick(["GOOD"], BAD.port, badness),
      project: pick(VALID.text, BAD.text, badness),
      task: pick(VALID.text, BAD.text, badness),
      created: pick(VALID.time, BAD.time, badness),
      used: pick(VALID.time, BAD.time, badness)
    }),
    { minLength, maxLength, size: "max" }
  ).map((rs) =>
    rs.map((r, i) => ({
      rowid: r.rowid,
      values: [
        // Many distinct keys: a valid path gets a valid last component.
        VALID.path.includes(r.path) && r.path !== "'/'" ? `${r.path} || '/w${r.sub}'` : r.path,
        r.tag,
        r.port === "GOOD" ? String(i + 1) : r.port,
        r.project,
        r.task,
        r.created,
        r.used
      ]
    }))
  )

/** Every bad value with the column it goes in (0 path, 1 tag, ... 6 last_used_at). */
const ONE_BAD: ReadonlyArray<readonly [number, string]> = [
  ...BAD.path.map((v) => [0, v] as const),
  ...BAD.tag.map((v) => [1, v] as const),
  ...BAD.port.map((v) => [2, v] as const),
  ...BAD.text.map((v) => [3, v] as const),
  ...BAD.text.map((v) => [4, v] as const),
  ...BAD.time.map((v) => [5, v] as const),
  ...BAD.time.map((v) => [6, v] as const)
]

/** Valid rows, one of which gets one bad value. */
const oneBad = fc.tuple(rows(0, 1, 700), fc.nat(), fc.constantFrom(...ONE_BAD)).map(([content, at, [column, value]]) =>
  content.map((r, i) =>
    i === at % content.length ? { ...r, values: r.values.map((v, c) => (c === column ? value : v)) } : r
  )
)

/** How the reservations table is declared. */
const TABLES = {
  /** The schema-v2 table itself: only valid storage classes can be stored. */
  strict: STORED_TABLE_SQL.reservations,
  /** No types or constraints but the key: any storage class in any column. */
  loose: "CREATE TABLE reservations (path, tag, port, project, task, created_at, last_used_at, PRIMARY KEY (path, tag))",
  /** No key either: duplicate keys, and no index to read them in order. */
  keyless: "CREATE TABLE reservations (path, tag, port, project, task, created_at, last_used_at)"
} as const

let root: string
beforeAll(() => {
  root = fs.realpathSync(fs.mkdtempSync(nodePath.join(os.tmpdir(), "trop-list-store-")))
})
afterAll(() => fs.rmSync(root, { recursive: true, force: true }))

let counter = 0
const build = (table: keyof typeof TABLES, content: ReadonlyArray<Row>): string => {
  const file = nodePath.join(root, `db-${counter++}.db`)
  const db = new Sqlite(file)
  try {
    db.exec(SCHEMA_V2[0] ?? "")
    db.exec("INSERT INTO metadata (key, value) VALUES ('schema_version', '2')")
    db.exec(TABLES[table])
    db.transaction(() => {
      for (const r of content) {
        const columns = "path, tag, port, project, task, created_at, last_used_at"
        try {
          db.exec(
            r.rowid === undefined
              ? `INSERT OR IGNORE INTO reservations (${columns}) VALUES (${r.values.join(", ")})`
              : `INSERT OR IGNORE INTO reservations (rowid, ${columns}) VALUES (${r.rowid}, ${r.values.join(", ")})`
          )
        } catch {
          // A storage class the STRICT table refuses: not stored.
        }
      }
    })()
  } finally {
    db.close()
  }
  return file
}

/** `all` and `forEachPage` on the same file: each one's rows, or its error message. */
const both = (file: string) =>
  Effect.runPromise(Effect.scoped(Effect.gen(function*() {
    const sql = yield* Database.make({ file, busyTimeoutSeconds: 0, autoInit: false })
    const all = yield* Effect.either(Reservations.all).pipe(Effect.provideService(SqlClient.SqlClient, sql))
    const pages: Array<ReadonlyArray<Reservation>> = []
    const paged = yield* Effect.exit(
      Reservations.forEachPage((page) => Effect.sync(() => pages.push(page))).pipe(
        Effect.provideService(SqlClient.SqlClient, sql)
      )
    )
    return { all, paged, pages }
  })))

const errorMessage = (u: unknown) => u instanceof Error ? `${(u as { _tag?: string })._tag}: ${u.message}` : String(u)

const expectSame = async (file: string) => {
  const { all, pages, paged } = await both(file)
  if (Either.isLeft(all)) {
    expect(Exit.isFailure(paged), `forEachPage succeeded where all failed with ${all.left.message}`).toBe(true)
    if (Exit.isFailure(paged)) {
      const error = paged.cause._tag === "Fail" ? paged.cause.error : paged.cause
      expect(errorMessage(error)).toBe(errorMessage(all.left))
    }
    // Nothing was handed on before the failure.
    expect(pages).toEqual([])
  } else {
    expect(Exit.isSuccess(paged), Exit.isFailure(paged) ? String(paged.cause) : "").toBe(true)
    expect(pages.flat()).toEqual(all.right)
    expect(pages.every((p) => p.length <= Reservations.PAGE_SIZE)).toBe(true)
  }
}

describe("forEachPage yields exactly what `all` yields, or fails exactly as it fails", () => {
  it("valid tables, several pages each", async () => {
    await fc.assert(
      fc.asyncProperty(rows(0, 300, 900), async (content) => expectSame(build("strict", content))),
      { numRuns: 25, endOnFailure: true }
    )
  }, 300_000)

  it("duplicate keys in a table without its key, across pages", async () => {
    await fc.assert(
      fc.asyncProperty(rows(0, 300, 900, 2), async (content) => expectSame(build("keyless", content))),
      { numRuns: 25, endOnFailure: true }
    )
  }, 300_000)

  it("one bad value (of every kind) anywhere among good rows, in every kind of table", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom<keyof typeof TABLES>("strict", "loose", "keyless"),
        oneBad,
        async (table, content) => expectSame(build(table, content))
      ),
      { numRuns: 150, endOnFailure: true }
    )
  }, 300_000)

  it("many bad values, any table", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom<keyof typeof TABLES>("loose", "keyless"),
        fc.constantFrom(0.01, 0.05, 0.3).chain((badness) => rows(badness, 0, 400)),
        async (table, content) => expectSame(build(table, content))
      ),
      { numRuns: 80, endOnFailure: true }
    )
  }, 300_000)

  it("a bad row far down the list fails before the first page is handed on", async () => {
    const good = Array.from({ length: 3 * Reservations.PAGE_SIZE }, (_, i): Row => ({
      rowid: undefined,
      values: [`'/w/${String(i).padStart(5, "0")}'`, "''", String(i + 1), "NULL", "NULL", "1", "2"]
    }))
    const bad: Row = { rowid: undefined, values: ["'/w/99999'", "''", "9999", "' SECRET'", "NULL", "1", "2"] }
    const file = build("strict", [...good, bad])
    const { all, pages, paged } = await both(file)
    expect(Either.isLeft(all)).toBe(true)
    expect(Exit.isFailure(paged)).toBe(true)
    expect(pages).toEqual([])
    await expectSame(file)
  })
})
