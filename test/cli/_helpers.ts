// Shared helpers for the end-to-end CLI tests (not a test file itself).
import Sqlite from "better-sqlite3"
import * as fs from "node:fs"
import * as path from "node:path"
import { expect } from "vitest"
import { type Result, type RunOptions, sandbox, tropAsync } from "../support/cli.js"
import { SCHEMA_V2 } from "../fixtures/SchemaV2Sql.js"

export type { Result }

/**
 * A sandbox whose runs get a private HOME (inside the sandbox) and, unless overridden, a
 * private port range through TROP_PORT_MIN/TROP_PORT_MAX. Each test file uses its own range so
 * that occupancy probes of files running in parallel never collide, and the ranges stay below
 * the Linux ephemeral range and above the privileged ports.
 */
export const makeSandbox = (range?: readonly [number, number]) => {
  const sb = sandbox()
  const home = path.join(sb.root, "home")
  fs.mkdirSync(home)
  const baseEnv: Record<string, string | undefined> = {
    HOME: home,
    USERPROFILE: undefined,
    TROP_PORT_MIN: range ? String(range[0]) : undefined,
    TROP_PORT_MAX: range ? String(range[1]) : undefined
  }
  const run = (args: ReadonlyArray<string>, options: RunOptions = {}): Result =>
    sb.run(args, { ...options, env: { ...baseEnv, ...options.env } })
  /** `run` without blocking this process's event loop (for tests that run many processes). */
  const runAsync = (args: ReadonlyArray<string>, options: RunOptions = {}): Promise<Result> =>
    tropAsync(["--data-dir", sb.dataDir, ...args], { cwd: sb.work, ...options, env: { ...baseEnv, ...options.env } })
  /** Creates a directory (recursively) inside the sandbox root and returns its path. */
  const dir = (...segments: Array<string>): string => {
    const p = path.join(sb.root, ...segments)
    fs.mkdirSync(p, { recursive: true })
    return p
  }
  return { ...sb, home, baseEnv, run, runAsync, dir }
}

export type Sandbox = ReturnType<typeof makeSandbox>

const STACK = /^\s+at\s/m

/** A failed command: exact exit code, empty stdout, exactly one `Error: ⟨message⟩` line. */
export const expectError = (r: Result, code: number, message: string) => {
  expect({ code: r.code, stdout: r.stdout, stderr: r.stderr }).toEqual({
    code,
    stdout: "",
    stderr: `Error: ${message}\n`
  })
}

/** A usage error (docs/cli.md). `mentions` must all appear in stderr. */
export const expectUsageError = (r: Result, ...mentions: Array<string | RegExp>) => {
  expect(r.code, `stderr: ${r.stderr}`).toBe(4)
  expect(r.stdout).toBe("")
  const firstLine = r.stderr.split("\n")[0] ?? ""
  expect(firstLine).toMatch(/error/i)
  for (const m of mentions) {
    if (typeof m === "string") expect(r.stderr).toContain(m)
    else expect(r.stderr).toMatch(m)
  }
  expect(r.stderr).toContain("--help")
  expect(r.stderr).not.toMatch(STACK)
}

/** Any failure: the given code, nothing on stdout, no stack trace. */
export const expectFailure = (r: Result, code: number) => {
  expect(r.code, `stderr: ${r.stderr}`).toBe(code)
  expect(r.stdout).toBe("")
  expect(r.stderr).not.toMatch(STACK)
}

/** A successful `reserve`: exit 0, stdout is only the port, stderr empty. Returns the port. */
export const expectPort = (r: Result): number => {
  expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: "" })
  expect(r.stdout).toMatch(/^[1-9][0-9]*\n$/)
  return Number(r.stdout)
}

/** Success with exact streams. */
export const expectOk = (r: Result, stdout: string, stderr = "") => {
  expect({ code: r.code, stdout: r.stdout, stderr: r.stderr }).toEqual({ code: 0, stdout, stderr })
}

export interface JsonRow {
  readonly created_at: string
  readonly last_used_at: string
  readonly path: string
  readonly port: number
  readonly project: string | null
  readonly tag: string | null
  readonly task: string | null
}

/** `trop list --format json`, parsed. */
export const listJson = (sb: Sandbox, options: RunOptions = {}): Array<JsonRow> => {
  const r = sb.run(["list", "--format", "json"], options)
  expect(r.code, r.stderr).toBe(0)
  return JSON.parse(r.stdout) as Array<JsonRow>
}

export const dbFile = (dataDir: string) => path.join(dataDir, "trop.db")

/** Runs `f` against the sandbox database with a direct SQLite connection. */
export const withDb = <T>(dataDir: string, f: (db: Sqlite.Database) => T): T => {
  const db = new Sqlite(dbFile(dataDir))
  try {
    return f(db)
  } finally {
    db.close()
  }
}

export interface SeedRow {
  readonly path: string
  readonly tag?: string
  readonly port: number
  readonly project?: string | null
  readonly task?: string | null
  readonly created_at?: number
  readonly last_used_at?: number
}

/** 2023-11-14 22:13:20 UTC */
export const T0 = 1_700_000_000
export const T0_TEXT = "2023-11-14 22:13:20"
/** 2023-11-14 23:13:20 UTC */
export const T1 = 1_700_003_600
export const T1_TEXT = "2023-11-14 23:13:20"

/**
 * Creates a schema-v2 database in the sandbox (unless trop already created one) and inserts rows
 * directly (docs/configuration.md / docs/database.md: untagged stored as '').
 */
export const seed = (sb: Sandbox, rows: ReadonlyArray<SeedRow>) => {
  fs.mkdirSync(sb.dataDir, { recursive: true })
  withDb(sb.dataDir, (db) => {
    db.transaction(() => {
      for (const statement of SCHEMA_V2) db.prepare(statement).run()
    }).immediate()
    const insert = db.prepare(
      "INSERT INTO reservations (path, tag, port, project, task, created_at, last_used_at) VALUES (?, ?, ?, ?, ?, ?, ?)"
    )
    for (const r of rows) {
      insert.run(r.path, r.tag ?? "", r.port, r.project ?? null, r.task ?? null, r.created_at ?? T0, r.last_used_at ?? T1)
    }
  })
}

/** Sets both timestamps of every row (or of the rows at `where` path) to fixed old values. */
export const ageRows = (dataDir: string, created: number, lastUsed: number, atPath?: string) =>
  withDb(dataDir, (db) => {
    if (atPath === undefined) {
      db.prepare("UPDATE reservations SET created_at = ?, last_used_at = ?").run(created, lastUsed)
    } else {
      db.prepare("UPDATE reservations SET created_at = ?, last_used_at = ? WHERE path = ?").run(created, lastUsed, atPath)
    }
  })

/** Formats Unix seconds as trop does (UTC, `YYYY-MM-DD HH:MM:SS`). */
export const fmt = (seconds: number) => new Date(seconds * 1000).toISOString().slice(0, 19).replace("T", " ")

/** Asserts a timestamp text is "now" (within a generous window). */
export const expectRecent = (text: string) => {
  expect(text).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/)
  const t = Date.parse(text.replace(" ", "T") + "Z") / 1000
  const now = Date.now() / 1000
  expect(Math.abs(now - t)).toBeLessThan(300)
}

export const exists = (p: string) => fs.existsSync(p)
