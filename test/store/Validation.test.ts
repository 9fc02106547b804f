// Read-only validation of a schema-v2 database (docs/database.md): one hand-built fixture
// per check, validated with Database.validateFile exactly as `assert-data-dir --validate` does.
import { describe, it } from "@effect/vitest"
import Sqlite from "better-sqlite3"
import { Effect } from "effect"
import * as fs from "node:fs"
import * as nodePath from "node:path"
import { expect } from "vitest"
import * as Database from "../../src/store/Database.js"
import { tempDirScoped } from "../fixtures/Fixtures.js"
import { STORED_TABLE_SQL } from "../fixtures/SchemaV2Sql.js"

const METADATA_DDL = STORED_TABLE_SQL.metadata
const RESERVATIONS_DDL = STORED_TABLE_SQL.reservations
const INDEXES = [
  "CREATE INDEX idx_reservations_port ON reservations(port)",
  "CREATE INDEX idx_reservations_project ON reservations(project)",
  "CREATE INDEX idx_reservations_last_used ON reservations(last_used_at)"
]
/** Same columns, no types, no NOT NULL, no CHECKs, no STRICT: any storage class can be stored. */
const LOOSE_RESERVATIONS = "CREATE TABLE reservations (path, tag, port UNIQUE, project, task, created_at, last_used_at, PRIMARY KEY (path, tag))"

const RECOVERY =
  "Make a copy before recovery; restore a known-good database or delete the disposable database and recreate its reservations. trop did not modify or repair the stored data"
const SUFFIX = "trop did not modify or repair the stored data"

interface Fixture {
  readonly metadata?: string
  readonly reservations?: string
  readonly indexes?: ReadonlyArray<string>
  /** SQL expression for the schema_version value; `null` = no row. */
  readonly version?: string | null
  /** Statements run after the schema and the version row. */
  readonly extra?: ReadonlyArray<string>
  /**
   * Row tuples stored through a loose copy of the table (no types, constraints or STRICT); the
   * exact docs/database.md DDL is then written into sqlite_schema, so the file has the required schema
   * but rows with wrong storage classes or values.
   */
  readonly looseRows?: ReadonlyArray<string>
}

/** Builds the fixture file (rollback journal, closed) with raw SQL. */
const build = (file: string, f: Fixture) => {
  const db = new Sqlite(file)
  try {
    db.exec(f.metadata ?? METADATA_DDL)
    db.exec(f.looseRows === undefined ? (f.reservations ?? RESERVATIONS_DDL) : LOOSE_RESERVATIONS)
    for (const statement of f.indexes ?? INDEXES) db.exec(statement)
    const version = f.version === undefined ? "'2'" : f.version
    if (version !== null) db.exec(`INSERT INTO metadata (key, value) VALUES ('schema_version', ${version})`)
    for (const row of f.looseRows ?? []) db.exec(`INSERT INTO reservations VALUES (${row})`)
    if (f.looseRows !== undefined) {
      db.unsafeMode(true)
      db.pragma("writable_schema = ON")
      db.prepare("UPDATE sqlite_schema SET sql = ? WHERE type = 'table' AND name = 'reservations'").run(RESERVATIONS_DDL)
      db.pragma("writable_schema = OFF")
      db.unsafeMode(false)
    }
    for (const statement of f.extra ?? []) db.exec(statement)
  } finally {
    db.close()
  }
}

const snapshot = (dir: string) => ({
  files: fs.readdirSync(dir).sort(),
  bytes: fs.readFileSync(nodePath.join(dir, "trop.db"))
})

/** A fixture in its own directory. */
const fixture = (f: Fixture) =>
  Effect.gen(function*() {
    const dir = yield* tempDirScoped("trop-val-")
    const file = nodePath.join(dir, "trop.db")
    build(file, f)
    return { dir, file }
  })

/** Validates; checks that nothing was written (same files, same bytes). */
const validateUnchanged = (dir: string, file: string) =>
  Effect.gen(function*() {
    const before = snapshot(dir)
    const result = yield* Effect.either(Database.validateFile(file, 0))
    const after = snapshot(dir)
    expect(after.files).toEqual(before.files)
    expect(after.bytes.equals(before.bytes), "validation changed trop.db").toBe(true)
    return result
  })

/** The validation error of a fixture that must fail. */
const failure = (f: Fixture) =>
  Effect.gen(function*() {
    const { dir, file } = yield* fixture(f)
    const result = yield* validateUnchanged(dir, file)
    if (result._tag === "Right") throw new Error("validation unexpectedly passed")
    expect(result.left.message).not.toMatch(/SECRET/)
    return result.left
  })

const expectCorruption = (error: { readonly _tag: string; readonly message: string }, prefix: string) => {
  expect(error._tag).toBe("DatabaseCorrupt")
  expect(error.message.startsWith(`database corruption detected: ${prefix}`), error.message).toBe(true)
  expect(error.message.endsWith(SUFFIX), error.message).toBe(true)
}

const passes = (f: Fixture) =>
  Effect.gen(function*() {
    const { dir, file } = yield* fixture(f)
    const result = yield* validateUnchanged(dir, file)
    if (result._tag === "Left") throw new Error(`validation failed: ${result.left.message}`)
  })

const GOOD_ROW = "'/w/good', '', 5000, 'proj', 'task', 1, 2"

describe("a valid database passes (docs/database.md)", () => {
  it.scoped("the exact docs/database.md schema with edge-valid rows and an extra metadata key", () =>
    passes({
      extra: [
        "INSERT INTO metadata VALUES ('custom', 'anything')",
        "INSERT INTO reservations VALUES ('/', '', 1, NULL, NULL, 0, 0)",
        "INSERT INTO reservations VALUES ('/w/a', 'web', 65535, 'my project', 'a task', 8210298412799, 8210298412799)",
        "INSERT INTO reservations VALUES ('/w/ü/ß', 'tag with space', 5001, 'ü', 'ß', 1700000000, 1700000001)"
      ]
    }))

  it.scoped("a database created by trop itself", () =>
    Effect.gen(function*() {
      const dir = yield* tempDirScoped("trop-val-")
      const file = nodePath.join(dir, "trop.db")
      yield* Effect.scoped(Database.make({ file, busyTimeoutSeconds: 0, autoInit: true }))
      const result = yield* validateUnchanged(dir, file)
      expect(result._tag).toBe("Right")
    }))
})

describe("check 1: metadata key/value columns", () => {
  it.scoped("metadata without key/value columns", () =>
    Effect.gen(function*() {
      const error = yield* failure({
        metadata: "CREATE TABLE metadata (name TEXT PRIMARY KEY NOT NULL, val TEXT NOT NULL) STRICT",
        version: null,
        extra: ["INSERT INTO metadata VALUES ('schema_version', '2')"]
      })
      expectCorruption(error, "schema metadata cannot be read because its key/value columns are missing; ")
    }))

  it.scoped("metadata with only a key column", () =>
    Effect.gen(function*() {
      const error = yield* failure({
        metadata: "CREATE TABLE metadata (key TEXT PRIMARY KEY NOT NULL, val TEXT NOT NULL) STRICT",
        version: null
      })
      expectCorruption(error, "schema metadata cannot be read because its key/value columns are missing; ")
    }))

  it.scoped("no metadata table at all", () =>
    Effect.gen(function*() {
      const error = yield* failure({ metadata: "CREATE TABLE unrelated (x TEXT) STRICT", version: null })
      expectCorruption(error, "schema metadata cannot be read because its key/value columns are missing; ")
    }))
})

describe("check 2: the schema version (exactly one TEXT row parseable as i32)", () => {
  const versionCorruption = (reason: string) =>
    `database corruption detected: table=metadata, field=value, key="schema_version": ${reason}. ${RECOVERY}`

  it.scoped("no version row → exactly one row is required", () =>
    Effect.gen(function*() {
      const error = yield* failure({ version: null, extra: ["INSERT INTO metadata VALUES ('other', 'x')"] })
      expect(error.message).toBe(versionCorruption("exactly one schema_version row is required"))
    }))

  it.scoped("two version rows (metadata without its primary key) → exactly one row is required", () =>
    Effect.gen(function*() {
      const error = yield* failure({
        metadata: "CREATE TABLE metadata (key TEXT NOT NULL, value TEXT NOT NULL) STRICT",
        extra: ["INSERT INTO metadata VALUES ('schema_version', '2')"]
      })
      expect(error.message).toBe(versionCorruption("exactly one schema_version row is required"))
    }))

  it.scoped("a non-TEXT version (INTEGER 2)", () =>
    Effect.gen(function*() {
      const error = yield* failure({
        metadata: "CREATE TABLE metadata (key TEXT PRIMARY KEY NOT NULL, value ANY NOT NULL) STRICT",
        version: "2"
      })
      expect(error.message).toBe(versionCorruption("schema_version must be TEXT, found INTEGER"))
    }))

  it.scoped("a non-TEXT version (BLOB)", () =>
    Effect.gen(function*() {
      const error = yield* failure({
        metadata: "CREATE TABLE metadata (key TEXT PRIMARY KEY NOT NULL, value ANY NOT NULL) STRICT",
        version: "X'32'"
      })
      expect(error.message).toBe(versionCorruption("schema_version must be TEXT, found BLOB"))
    }))

  for (const value of ["two", "2.0", " 2", "", "2147483648", "0x2"]) {
    it.scoped(`a version that is not a base-10 i32 (${JSON.stringify(value)})`, () =>
      Effect.gen(function*() {
        const error = yield* failure({ version: `'${value}'` })
        expect(error.message).toBe(versionCorruption("schema_version must be a base-10 signed integer"))
      }))
  }

  it.scoped("a version TEXT that is not valid UTF-8", () =>
    Effect.gen(function*() {
      const error = yield* failure({ version: "CAST(X'32FF' AS TEXT)" })
      expect(error.message).toBe(versionCorruption("schema_version TEXT is not valid UTF-8"))
    }))

  it.scoped("version 3 → unsupported", () =>
    Effect.gen(function*() {
      const error = yield* failure({ version: "'3'" })
      expect(error._tag).toBe("UnsupportedSchemaVersion")
      expect(error.message).toBe("unsupported schema version: expected 2, found 3")
    }))

  for (const version of ["1", "0", "-1"]) {
    it.scoped(`version ${version} → migration required (validation is read-only)`, () =>
      Effect.gen(function*() {
        const error = yield* failure({ version: `'${version}'` })
        expect(error._tag).toBe("MigrationRequired")
        expect(error.message).toBe(
          `database schema migration required from version ${version} to 2: validation is read-only; reopen the database writable to apply the ordered migration, or validate a writable migrated copy`
        )
      }))
  }

  it.scoped("the version is checked before the layout (a v3 file with another layout is still 'unsupported')", () =>
    Effect.gen(function*() {
      const error = yield* failure({ version: "'3'", reservations: "CREATE TABLE reservations (whatever TEXT)", indexes: [] })
      expect(error.message).toBe("unsupported schema version: expected 2, found 3")
    }))
})

describe("check 3: column shapes and STRICT", () => {
  const LAYOUT = "schema v2 table columns or STRICT status do not match the required layout; "
  const cases: ReadonlyArray<readonly [string, Fixture]> = [
    ["a non-STRICT reservations table", { reservations: RESERVATIONS_DDL.replace(") STRICT", ")") }],
    ["a non-STRICT metadata table", { metadata: METADATA_DDL.replace(") STRICT", ")") }],
    ["a wrong column type (created_at INT)", { reservations: RESERVATIONS_DDL.replace("created_at INTEGER NOT NULL", "created_at INT NOT NULL") }],
    ["a wrong column type (metadata value ANY)", { metadata: METADATA_DDL.replace("value TEXT NOT NULL", "value ANY NOT NULL") }],
    ["a missing NOT NULL (created_at)", { reservations: RESERVATIONS_DDL.replace("created_at INTEGER NOT NULL", "created_at INTEGER") }],
    ["an extra NOT NULL (project)", { reservations: RESERVATIONS_DDL.replace("project TEXT,", "project TEXT NOT NULL,") }],
    ["an extra column", { reservations: RESERVATIONS_DDL.replace("    task TEXT,\n", "    task TEXT,\n    note TEXT,\n") }],
    ["a missing column", { reservations: RESERVATIONS_DDL.replace("    task TEXT,\n", "") }],
    ["columns in another order", { reservations: RESERVATIONS_DDL.replace("    project TEXT,\n    task TEXT,\n", "    task TEXT,\n    project TEXT,\n") }],
    [
      "a hidden (generated) column",
      { reservations: RESERVATIONS_DDL.replace("    task TEXT,\n", "    task TEXT,\n    shadow TEXT GENERATED ALWAYS AS (path) VIRTUAL,\n") }
    ]
  ]
  for (const [name, f] of cases) {
    it.scoped(name, () =>
      Effect.gen(function*() {
        expectCorruption(yield* failure(f), LAYOUT)
      }))
  }
})

describe("check 4: metadata rows are UTF-8 TEXT", () => {
  it.scoped("a metadata key that is not valid UTF-8", () =>
    Effect.gen(function*() {
      const error = yield* failure({ extra: ["INSERT INTO metadata VALUES (CAST(X'6BFF' AS TEXT), 'x')"] })
      expectCorruption(error, "table=metadata, ")
    }))

  it.scoped("a metadata value that is not valid UTF-8", () =>
    Effect.gen(function*() {
      const error = yield* failure({ extra: ["INSERT INTO metadata VALUES ('other', CAST(X'FF' AS TEXT))"] })
      expectCorruption(error, "table=metadata, ")
    }))
})

describe("check 5: every reservation row decodes (fail-closed, docs/database.md)", () => {
  const S = "'SECRET-PROJECT', 'SECRET-TASK'"
  const cases: ReadonlyArray<readonly [string, string, string]> = [
    // [name, row tuple, expected details after "table=reservations, "]
    ["path BLOB", `X'2F61', '', 5000, ${S}, 1, 1`, "field=path, key=path=<BLOB>, tag=<untagged>: expected TEXT, found BLOB"],
    ["path INTEGER", `42, 'web', 5000, ${S}, 1, 1`, "field=path, key=path=<INTEGER>, tag=\"web\": expected TEXT, found INTEGER"],
    ["path NULL", `NULL, '', 5000, ${S}, 1, 1`, "field=path, key=path=<NULL>, tag=<untagged>: expected TEXT, found NULL"],
    ["path not valid UTF-8", `CAST(X'2F61FF' AS TEXT), '', 5000, ${S}, 1, 1`, "field=path, key=path=<invalid UTF-8>, tag=<untagged>: stored TEXT is not valid UTF-8"],
    ["path empty", `'', '', 5000, ${S}, 1, 1`, "field=path, key=path=\"\", tag=<untagged>: path must be nonempty"],
    ["path relative", `'relative/path', '', 5000, ${S}, 1, 1`, "field=path, key=path=\"relative/path\", tag=<untagged>: path must be absolute"],
    ["path with ..", `'/project/../other', '', 5000, ${S}, 1, 1`, "field=path, key=path=\"/project/../other\", tag=<untagged>: path must already be in its absolute lexical-normal form"],
    ["path with a trailing separator", `'/project/', '', 5000, ${S}, 1, 1`, "field=path, key=path=\"/project/\", tag=<untagged>: path must already be in its absolute lexical-normal form"],
    ["path with a doubled separator", `'/a//b', '', 5000, ${S}, 1, 1`, "field=path, key=path=\"/a//b\", tag=<untagged>: path must already be in its absolute lexical-normal form"],
    ["path with a quote and a newline (escaped in the key)", `'/a\"b' || char(10) || 'c', 'x', 5000, ${S}, 1, -1`, "field=last_used_at, key=path=\"/a\\\"b\\nc\", tag=\"x\": timestamp must be nonnegative"],
    ["tag NULL", `'/a', NULL, 5000, ${S}, 1, 1`, "field=tag, key=path=\"/a\", tag=<NULL>: expected TEXT, found NULL"],
    ["tag BLOB", `'/a', X'00', 5000, ${S}, 1, 1`, "field=tag, key=path=\"/a\", tag=<BLOB>: expected TEXT, found BLOB"],
    ["tag untrimmed", `'/a', ' web', 5000, ${S}, 1, 1`, "field=tag, key=path=\"/a\", tag=\" web\": tag must be the empty untagged sentinel or exact trimmed nonempty text"],
    ["tag only whitespace", `'/a', '  ', 5000, ${S}, 1, 1`, "field=tag, key=path=\"/a\", tag=\"  \": tag must be the empty untagged sentinel or exact trimmed nonempty text"],
    ["port 0", `'/a', '', 0, ${S}, 1, 1`, "field=port, key=path=\"/a\", tag=<untagged>: port must be an integer in 1..=65535"],
    ["port 65536", `'/a', '', 65536, ${S}, 1, 1`, "field=port, key=path=\"/a\", tag=<untagged>: port must be an integer in 1..=65535"],
    ["port negative", `'/a', '', -5, ${S}, 1, 1`, "field=port, key=path=\"/a\", tag=<untagged>: port must be an integer in 1..=65535"],
    ["port REAL", `'/a', '', 5000.0, ${S}, 1, 1`, "field=port, key=path=\"/a\", tag=<untagged>: expected INTEGER, found REAL"],
    ["port TEXT", `'/a', '', '5000', ${S}, 1, 1`, "field=port, key=path=\"/a\", tag=<untagged>: expected INTEGER, found TEXT"],
    ["port NULL", `'/a', '', NULL, ${S}, 1, 1`, "field=port, key=path=\"/a\", tag=<untagged>: expected INTEGER, found NULL"],
    ["project untrimmed", `'/a', '', 5000, ' SECRET-PROJECT', NULL, 1, 1`, "field=project, key=path=\"/a\", tag=<untagged>: optional identifier must be NULL or exact trimmed nonempty text"],
    ["project empty", `'/a', '', 5000, '', NULL, 1, 1`, "field=project, key=path=\"/a\", tag=<untagged>: optional identifier must be NULL or exact trimmed nonempty text"],
    ["project BLOB", `'/a', '', 5000, X'534543524554', NULL, 1, 1`, "field=project, key=path=\"/a\", tag=<untagged>: expected TEXT, found BLOB"],
    ["project INTEGER", `'/a', '', 5000, 7, NULL, 1, 1`, "field=project, key=path=\"/a\", tag=<untagged>: expected TEXT, found INTEGER"],
    ["task untrimmed", `'/a', 't', 5000, 'SECRET-PROJECT', 'SECRET-TASK ', 1, 1`, "field=task, key=path=\"/a\", tag=\"t\": optional identifier must be NULL or exact trimmed nonempty text"],
    ["task REAL", `'/a', '', 5000, NULL, 1.5, 1, 1`, "field=task, key=path=\"/a\", tag=<untagged>: expected TEXT, found REAL"],
    ["created_at negative", `'/a', '', 5000, ${S}, -1, 1`, "field=created_at, key=path=\"/a\", tag=<untagged>: timestamp must be nonnegative"],
    ["created_at past year 262143", `'/a', '', 5000, ${S}, 8210298412800, 1`, "field=created_at, key=path=\"/a\", tag=<untagged>: timestamp is outside the supported display and serialization range"],
    ["created_at i64 max", `'/a', '', 5000, ${S}, 9223372036854775807, 1`, "field=created_at, key=path=\"/a\", tag=<untagged>: timestamp is outside the supported display and serialization range"],
    ["created_at REAL", `'/a', '', 5000, ${S}, 1.0, 1`, "field=created_at, key=path=\"/a\", tag=<untagged>: expected INTEGER, found REAL"],
    ["created_at TEXT", `'/a', '', 5000, ${S}, '1', 1`, "field=created_at, key=path=\"/a\", tag=<untagged>: expected INTEGER, found TEXT"],
    ["last_used_at negative", `'/a', '', 5000, ${S}, 1, -1`, "field=last_used_at, key=path=\"/a\", tag=<untagged>: timestamp must be nonnegative"],
    ["last_used_at BLOB", `'/a', '', 5000, ${S}, 1, X'01'`, "field=last_used_at, key=path=\"/a\", tag=<untagged>: expected INTEGER, found BLOB"],
    ["last_used_at past year 262143", `'/a', '', 5000, ${S}, 1, 8210298412800`, "field=last_used_at, key=path=\"/a\", tag=<untagged>: timestamp is outside the supported display and serialization range"]
  ]
  for (const [name, row, details] of cases) {
    it.scoped(`${name} → corruption naming table/field/key, never project/task values`, () =>
      Effect.gen(function*() {
        const error = yield* failure({ looseRows: [GOOD_ROW.replace("5000", "4999"), row] })
        expect(error._tag).toBe("DatabaseCorrupt")
        expect(error.message).toBe(`database corruption detected: table=reservations, ${details}. ${RECOVERY}`)
      }))
  }

  it.scoped("tag not valid UTF-8 → corruption with the key shown as <invalid UTF-8>", () =>
    Effect.gen(function*() {
      const error = yield* failure({ looseRows: [`'/a', CAST(X'77FF' AS TEXT), 5000, ${S}, 1, 1`] })
      expect(error._tag).toBe("DatabaseCorrupt")
      expect(error.message).toMatch(
        /^database corruption detected: table=reservations, field=tag, key=path="\/a", tag=<invalid UTF-8>: (stored TEXT is not valid UTF-8|tag must be the empty untagged sentinel or exact trimmed nonempty text)\. Make a copy before recovery; /
      )
    }))

  it.scoped("the loose-row technique itself yields a valid database when the rows are valid", () =>
    passes({ looseRows: [GOOD_ROW, "'/w/other', 'x', 5001, NULL, NULL, 0, 8210298412799"] }))
})

describe("check 6: logical uniqueness when the constraints are missing", () => {
  it.scoped("duplicate (path, tag) in a table without its primary key", () =>
    Effect.gen(function*() {
      const error = yield* failure({
        reservations: RESERVATIONS_DDL.replace(",\n    PRIMARY KEY (path, tag)", ""),
        extra: [
          "INSERT INTO reservations VALUES ('/dup', 'web', 5000, 'SECRET-PROJECT', NULL, 1, 1)",
          "INSERT INTO reservations VALUES ('/dup', 'web', 5001, NULL, 'SECRET-TASK', 1, 1)"
        ]
      })
      expectCorruption(error, "table=reservations, field=primary_key, key=")
      expect(error.message).toContain(": duplicate logical path/tag identities are stored")
    }))

  it.scoped("duplicate port in a table without UNIQUE on port", () =>
    Effect.gen(function*() {
      const error = yield* failure({
        reservations: RESERVATIONS_DDL.replace("port INTEGER NOT NULL UNIQUE", "port INTEGER NOT NULL"),
        extra: [
          "INSERT INTO reservations VALUES ('/a', '', 5000, 'SECRET-PROJECT', NULL, 1, 1)",
          "INSERT INTO reservations VALUES ('/b', 'x', 5000, NULL, 'SECRET-TASK', 1, 1)"
        ]
      })
      expectCorruption(error, "table=reservations, field=port, key=")
      expect(error.message).toContain(": the same port is stored for more than one reservation")
    }))
})

describe("check 7: primary-key positions", () => {
  const PK = "schema v2 primary-key structure does not match the required layout; "
  it.scoped("reservations PRIMARY KEY (tag, path)", () =>
    Effect.gen(function*() {
      expectCorruption(yield* failure({ reservations: RESERVATIONS_DDL.replace("PRIMARY KEY (path, tag)", "PRIMARY KEY (tag, path)") }), PK)
    }))

  it.scoped("reservations PRIMARY KEY (path) only", () =>
    Effect.gen(function*() {
      expectCorruption(yield* failure({ reservations: RESERVATIONS_DDL.replace("PRIMARY KEY (path, tag)", "PRIMARY KEY (path)") }), PK)
    }))

  it.scoped("metadata key not the primary key", () =>
    Effect.gen(function*() {
      expectCorruption(yield* failure({ metadata: METADATA_DDL.replace("key TEXT PRIMARY KEY NOT NULL", "key TEXT NOT NULL UNIQUE") }), PK)
    }))
})

describe("check 8: the three named CHECK constraints", () => {
  const cases: ReadonlyArray<readonly [string, string, string]> = [
    ["valid_port", "        CONSTRAINT valid_port CHECK (port BETWEEN 1 AND 65535),", "        CHECK (port BETWEEN 1 AND 65535),"],
    ["valid_created_at", "        CONSTRAINT valid_created_at CHECK (created_at >= 0),", ","],
    ["valid_last_used_at", "        CONSTRAINT valid_last_used_at CHECK (last_used_at >= 0),", "        CONSTRAINT last_used_ok CHECK (last_used_at >= 0),"]
  ]
  for (const [name, from, to] of cases) {
    it.scoped(`missing constraint ${name}`, () =>
      Effect.gen(function*() {
        const ddl = RESERVATIONS_DDL.replace(from, to).replace("NOT NULL\n,", "NOT NULL,")
        expect(ddl).not.toBe(RESERVATIONS_DDL)
        expectCorruption(yield* failure({ reservations: ddl }), `schema v2 reservations table is missing required constraint ${name}; `)
      }))
  }

  it.scoped("a constraint name only inside a comment does not count", () =>
    Effect.gen(function*() {
      const ddl = RESERVATIONS_DDL.replace("CONSTRAINT valid_port CHECK (port BETWEEN 1 AND 65535),", "CHECK (port BETWEEN 1 AND 65535), -- valid_port\n")
      expectCorruption(yield* failure({ reservations: ddl }), "schema v2 reservations table is missing required constraint valid_port; ")
    }))
})

describe("check 9: the stored table SQL equals the docs/database.md DDL after token normalization", () => {
  const MISMATCH = (t: string) => `schema v2 table ${t} does not exactly match the required definition; `

  it.scoped("different spacing and keyword case pass", () =>
    passes({
      metadata: "create   table metadata(key text primary key not null,value text not null)strict",
      reservations: RESERVATIONS_DDL.replace(/\n\s*/g, " ").replace("CREATE TABLE", "Create  Table").replace("CHECK (port", "check(port")
    }))

  it.scoped("a renamed table, stored as CREATE TABLE \"reservations\", passes", () =>
    passes({
      reservations: RESERVATIONS_DDL.replace("CREATE TABLE reservations", "CREATE TABLE reservations_tmp"),
      indexes: ["ALTER TABLE reservations_tmp RENAME TO reservations", ...INDEXES],
      extra: ["INSERT INTO reservations VALUES ('/a', '', 5000, NULL, NULL, 1, 1)"]
    }))

  it.scoped("quoted identifiers pass", () =>
    passes({
      metadata: "CREATE TABLE \"metadata\" (\"key\" TEXT PRIMARY KEY NOT NULL, \"value\" TEXT NOT NULL) STRICT",
      reservations: RESERVATIONS_DDL.replace("CREATE TABLE reservations", "CREATE TABLE [reservations]").replace("    path TEXT", "    \"path\" TEXT")
    }))

  it.scoped("an extra comment is a token, so it does not match (docs/database.md: comments kept as tokens)", () =>
    Effect.gen(function*() {
      const ddl = RESERVATIONS_DDL.replace("    project TEXT,", "    project TEXT, -- owner\n")
      expectCorruption(yield* failure({ reservations: ddl }), MISMATCH("reservations"))
    }))

  it.scoped("an extra clause on a column (DEFAULT) does not match", () =>
    Effect.gen(function*() {
      const ddl = RESERVATIONS_DDL.replace("created_at INTEGER NOT NULL\n", "created_at INTEGER NOT NULL DEFAULT 0\n")
      expectCorruption(yield* failure({ reservations: ddl }), MISMATCH("reservations"))
    }))

  it.scoped("a different collation does not match", () =>
    Effect.gen(function*() {
      const ddl = RESERVATIONS_DDL.replace("    project TEXT,", "    project TEXT COLLATE NOCASE,")
      expectCorruption(yield* failure({ reservations: ddl }), MISMATCH("reservations"))
    }))

  it.scoped("an extra table constraint does not match", () =>
    Effect.gen(function*() {
      const ddl = RESERVATIONS_DDL.replace("    PRIMARY KEY (path, tag)\n", "    PRIMARY KEY (path, tag),\n    CHECK (length(path) > 0)\n")
      expectCorruption(yield* failure({ reservations: ddl }), MISMATCH("reservations"))
    }))

  it.scoped("metadata with an extra clause does not match", () =>
    Effect.gen(function*() {
      const ddl = METADATA_DDL.replace("value TEXT NOT NULL", "value TEXT NOT NULL DEFAULT ''")
      expectCorruption(yield* failure({ metadata: ddl }), MISMATCH("metadata"))
    }))

  it.scoped("a different CHECK expression under the right name is rejected (check 8 or 9)", () =>
    Effect.gen(function*() {
      const ddl = RESERVATIONS_DDL.replace("CHECK (port BETWEEN 1 AND 65535)", "CHECK (port BETWEEN 0 AND 65535)")
      const error = yield* failure({ reservations: ddl })
      expect(error._tag).toBe("DatabaseCorrupt")
      expect(error.message).toMatch(
        /^database corruption detected: schema v2 (reservations table is missing required constraint valid_port|table reservations does not exactly match the required definition); /
      )
    }))
})

describe("check 10: the named indexes and the uniqueness indexes", () => {
  const INDEX = (name: string) => `schema v2 required index ${name} must be a non-unique, non-partial index `
  const replaced = (name: string, statement: string | null) =>
    INDEXES.flatMap((s) => (s.startsWith(`CREATE INDEX ${name} `) ? (statement === null ? [] : [statement]) : [s]))
  const cases: ReadonlyArray<readonly [string, string, string | null]> = [
    ["missing", "idx_reservations_project", null],
    ["unique", "idx_reservations_port", "CREATE UNIQUE INDEX idx_reservations_port ON reservations(port)"],
    ["partial", "idx_reservations_project", "CREATE INDEX idx_reservations_project ON reservations(project) WHERE project IS NOT NULL"],
    ["descending", "idx_reservations_last_used", "CREATE INDEX idx_reservations_last_used ON reservations(last_used_at DESC)"],
    ["on another column", "idx_reservations_port", "CREATE INDEX idx_reservations_port ON reservations(path)"],
    ["with two key columns", "idx_reservations_last_used", "CREATE INDEX idx_reservations_last_used ON reservations(last_used_at, port)"],
    ["with a NOCASE collation", "idx_reservations_project", "CREATE INDEX idx_reservations_project ON reservations(project COLLATE NOCASE)"],
    ["on an expression", "idx_reservations_project", "CREATE INDEX idx_reservations_project ON reservations(lower(project))"]
  ]
  for (const [kind, name, statement] of cases) {
    it.scoped(`${name} ${kind}`, () =>
      Effect.gen(function*() {
        expectCorruption(yield* failure({ indexes: replaced(name, statement) }), INDEX(name))
      }))
  }

  it.scoped("a named index on another table does not count", () =>
    Effect.gen(function*() {
      const error = yield* failure({
        indexes: [...replaced("idx_reservations_port", null), "CREATE INDEX idx_reservations_port ON metadata(value)"]
      })
      expectCorruption(error, INDEX("idx_reservations_port"))
    }))
})

/** Offset of the first occurrence of `needle` inside page `page` (1-based) of a closed database file. */
const offsetInPage = (bytes: Buffer, pageSize: number, page: number, needle: string) => {
  const start = (page - 1) * pageSize
  const at = bytes.subarray(start, start + pageSize).indexOf(Buffer.from(needle))
  if (at < 0) throw new Error(`${needle} not found in page ${page}`)
  return start + at
}

const pageFacts = (file: string, table: string) => {
  const db = new Sqlite(file, { readonly: true })
  try {
    const pageSize = db.pragma("page_size", { simple: true }) as number
    const root = (db.prepare("SELECT rootpage FROM sqlite_schema WHERE name = ?").get(table) as { rootpage: number }).rootpage
    return { pageSize, root }
  } finally {
    db.close()
  }
}

describe("checks 11-12 and physical corruption", () => {
  it.scoped("a table page changed behind its index → integrity_check failure, reported with SQLite's messages", () =>
    Effect.gen(function*() {
      const { dir, file } = yield* fixture({
        extra: [
          "INSERT INTO reservations VALUES ('/a', '', 5000, 'projAAAA', NULL, 1, 1)",
          "INSERT INTO reservations VALUES ('/b', '', 5001, 'projBBBB', NULL, 1, 1)"
        ]
      })
      const { pageSize, root } = pageFacts(file, "reservations")
      const bytes = fs.readFileSync(file)
      // Same length, still a valid trimmed identifier: only the index no longer matches.
      const at = offsetInPage(bytes, pageSize, root, "projAAAA")
      bytes.write("projAAAZ", at)
      fs.writeFileSync(file, bytes)
      const result = yield* validateUnchanged(dir, file)
      if (result._tag === "Right") throw new Error("validation unexpectedly passed")
      expectCorruption(result.left, "SQLite physical integrity check failed: ")
      expect(result.left.message).toMatch(/idx_reservations_project/)
    }))

  it.scoped("an unreadable table page (SQLITE_CORRUPT) → physical corruption", () =>
    Effect.gen(function*() {
      const { dir, file } = yield* fixture({ extra: ["INSERT INTO reservations VALUES ('/a', '', 5000, NULL, NULL, 1, 1)"] })
      const { pageSize, root } = pageFacts(file, "reservations")
      const bytes = fs.readFileSync(file)
      bytes.fill(0xa5, (root - 1) * pageSize, root * pageSize)
      fs.writeFileSync(file, bytes)
      const result = yield* validateUnchanged(dir, file)
      if (result._tag === "Right") throw new Error("validation unexpectedly passed")
      expect(result.left._tag).toBe("DatabaseCorrupt")
      expect(result.left.message).toMatch(
        /^database corruption detected: (SQLite reported physical database corruption: .+\. |SQLite physical integrity check failed: .+)/
      )
      expect(result.left.message.endsWith(SUFFIX)).toBe(true)
    }))

  it.scoped("a file that is not a database (SQLITE_NOTADB) → physical corruption, file untouched", () =>
    Effect.gen(function*() {
      const dir = yield* tempDirScoped("trop-val-")
      const file = nodePath.join(dir, "trop.db")
      fs.writeFileSync(file, "this is a plain text file, not SQLite\n".repeat(200))
      const result = yield* validateUnchanged(dir, file)
      if (result._tag === "Right") throw new Error("validation unexpectedly passed")
      expect(result.left._tag).toBe("DatabaseCorrupt")
      expect(result.left.message).toMatch(/^database corruption detected: SQLite reported physical database corruption: .+\. Make a copy before recovery; /)
      expect(result.left.message.endsWith(SUFFIX)).toBe(true)
    }))
})
