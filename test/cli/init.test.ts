import * as fs from "node:fs"
import * as path from "node:path"
import { afterEach, beforeEach, describe, expect, it } from "vitest"
import { trop } from "../support/cli.js"
import { dbFile, expectError, expectOk, exists, makeSandbox, type Sandbox, seed, withDb } from "./_helpers.js"
import { expectHinted } from "./_hints.js"

/** `trop init` (docs/cli.md, docs/database.md). */

let sb: Sandbox
beforeEach(() => {
  sb = makeSandbox()
})
afterEach(() => sb.cleanup())

/** The `init --with-config` template, verbatim. */
const TEMPLATE = `# Trop Configuration File
# See documentation for available options

# Port allocation range (default: 5000-7000)
# ports:
#   min: 5000
#   max: 7000

# Ports trop must never hand out
# excluded_ports:
#   - 5432
#   - 8000..8010

# Remove reservations unused for this many days (default: 30)
# cleanup:
#   expire_after_days: 30

# Maximum lock wait time in seconds (default: 5)
# maximum_lock_wait_seconds: 5
`

const lines = (...l: Array<string>) => l.map((x) => `${x}\n`).join("")

const cfg = () => path.join(sb.dataDir, "config.yaml")
const db = () => dbFile(sb.dataDir)

/** A schema-v2 database: the metadata row and the reservations table exist. */
const schemaVersion = (dir: string): string =>
  withDb(dir, (d) => (d.prepare("SELECT value FROM metadata WHERE key = 'schema_version'").get() as { value: string }).value)
const reservationCount = (dir: string): number =>
  withDb(dir, (d) => (d.prepare("SELECT count(*) AS n FROM reservations").get() as { n: number }).n)

describe("dry run: exact lines, nothing created, always exit 0", () => {
  it("nothing exists", () => {
    const d = sb.dataDir
    expectOk(
      sb.run(["init", "--dry-run"]),
      lines("Dry-run mode: no changes will be made", "", `Would initialize trop in: ${d}`, `  - Create data directory: ${d}`, `  - Create database: ${d}/trop.db`)
    )
    expectOk(
      sb.run(["init", "--dry-run", "--with-config"]),
      lines(
        "Dry-run mode: no changes will be made",
        "",
        `Would initialize trop in: ${d}`,
        `  - Create data directory: ${d}`,
        `  - Create database: ${d}/trop.db`,
        `  - Create configuration file: ${d}/config.yaml`
      )
    )
    // --overwrite without a database: nothing to remove.
    expectOk(
      sb.run(["init", "--dry-run", "--overwrite"]),
      lines("Dry-run mode: no changes will be made", "", `Would initialize trop in: ${d}`, `  - Create data directory: ${d}`, `  - Create database: ${d}/trop.db`)
    )
    expect(exists(d)).toBe(false)
  })

  it("the data directory exists, no database; a configuration file exists", () => {
    const d = sb.dataDir
    fs.mkdirSync(d)
    expectOk(
      sb.run(["init", "--dry-run"]),
      lines("Dry-run mode: no changes will be made", "", `Would initialize trop in: ${d}`, `  - Data directory already exists: ${d}`, `  - Create database: ${d}/trop.db`)
    )
    fs.writeFileSync(cfg(), "# mine\n")
    expectOk(
      sb.run(["init", "--dry-run", "--with-config"]),
      lines(
        "Dry-run mode: no changes will be made",
        "",
        `Would initialize trop in: ${d}`,
        `  - Data directory already exists: ${d}`,
        `  - Create database: ${d}/trop.db`,
        `  - Configuration file already exists (will not overwrite): ${d}/config.yaml`
      )
    )
    expect(fs.readdirSync(d)).toEqual(["config.yaml"])
  })

  it("the database exists: the ERROR line still exits 0; with --overwrite: remove then create", () => {
    const d = sb.dataDir
    expect(sb.run(["init"]).code).toBe(0)
    const before = fs.readFileSync(db())
    expectOk(
      sb.run(["init", "--dry-run", "--with-config"]),
      lines(
        "Dry-run mode: no changes will be made",
        "",
        `Would initialize trop in: ${d}`,
        `  - Data directory already exists: ${d}`,
        `  - ERROR: Database already exists (use --overwrite to replace): ${d}/trop.db`,
        `  - Create configuration file: ${d}/config.yaml`
      )
    )
    expectOk(
      sb.run(["init", "--dry-run", "--overwrite"]),
      lines(
        "Dry-run mode: no changes will be made",
        "",
        `Would initialize trop in: ${d}`,
        `  - Data directory already exists: ${d}`,
        `  - Remove existing database: ${d}/trop.db`,
        `  - Create new database: ${d}/trop.db`
      )
    )
    expect(fs.readFileSync(db()).equals(before)).toBe(true)
    expect(exists(cfg())).toBe(false)
  })
})

describe("live runs", () => {
  it("fresh: creates the directory and a schema-v2 database", () => {
    expectOk(sb.run(["init"]), lines(`Initialized trop in: ${sb.dataDir}`, "  - Created data directory", "  - Created database"))
    expect(schemaVersion(sb.dataDir)).toBe("2")
    expect(reservationCount(sb.dataDir)).toBe(0)
    expect(exists(cfg())).toBe(false)
  })

  it("an existing directory is not reported as created", () => {
    fs.mkdirSync(sb.dataDir)
    expectOk(sb.run(["init"]), lines(`Initialized trop in: ${sb.dataDir}`, "  - Created database"))
  })

  it("--with-config writes the documented template when config.yaml is absent", () => {
    expectOk(
      sb.run(["init", "--with-config"]),
      lines(`Initialized trop in: ${sb.dataDir}`, "  - Created data directory", "  - Created database", "  - Created default configuration file")
    )
    expect(fs.readFileSync(cfg(), "utf8")).toBe(TEMPLATE)
    // The template is a valid (empty) user configuration.
    expectOk(sb.run(["validate", cfg()]), "Configuration is valid\n")
  })

  it("--with-config never overwrites an existing config.yaml", () => {
    fs.mkdirSync(sb.dataDir)
    fs.writeFileSync(cfg(), "output_format: json\n")
    expectOk(
      sb.run(["init", "--with-config"]),
      lines(`Initialized trop in: ${sb.dataDir}`, "  - Created database", "  - Configuration file already exists (not overwritten)")
    )
    expect(fs.readFileSync(cfg(), "utf8")).toBe("output_format: json\n")
  })

  it("--quiet and --disable-autoinit are accepted and change nothing", () => {
    expectOk(
      sb.run(["--quiet", "--disable-autoinit", "init"]),
      lines(`Initialized trop in: ${sb.dataDir}`, "  - Created data directory", "  - Created database")
    )
    expect(exists(db())).toBe(true)
  })
})

describe("an existing database", () => {
  it("without --overwrite → exit 6: already initialized, nothing to do; --overwrite named only as destructive; the database untouched (bytes and mtime)", () => {
    seed(sb, [{ path: "/x", port: 5001 }])
    const before = fs.readFileSync(db())
    const old = new Date("2020-01-02T03:04:05Z")
    fs.utimesSync(db(), old, old)
    expectHinted(
      sb.run(["init", "--with-config"]),
      6,
      `Database already exists at ${db()}: trop is already initialized here, nothing needs doing`,
      "only to start over with no reservations: 'trop init --overwrite' deletes every reservation"
    )
    expect(fs.readFileSync(db()).equals(before)).toBe(true)
    expect(fs.statSync(db()).mtimeMs).toBe(old.getTime())
    expect(reservationCount(sb.dataDir)).toBe(1)
    expect(exists(cfg())).toBe(false)
  })

  it("--overwrite replaces it with a fresh database and removes trop.db-wal and trop.db-shm", () => {
    seed(sb, [{ path: "/x", port: 5001 }, { path: "/y", port: 5002 }])
    // Stale companions. SQLite would silently reset a junk regular file, so they are symlinks to
    // junk elsewhere: if left in place, the new database cannot be opened (or the targets change).
    const elsewhere = path.join(sb.root, "elsewhere")
    fs.mkdirSync(elsewhere)
    for (const suffix of ["-wal", "-shm"]) {
      fs.writeFileSync(path.join(elsewhere, `stale${suffix}`), `stale ${suffix} junk`)
      fs.symlinkSync(path.join(elsewhere, `stale${suffix}`), `${db()}${suffix}`)
    }
    expectOk(sb.run(["init", "--overwrite"]), lines(`Initialized trop in: ${sb.dataDir}`, "  - Recreated database"))
    for (const suffix of ["-wal", "-shm"]) {
      const f = `${db()}${suffix}`
      expect(fs.lstatSync(f, { throwIfNoEntry: false })?.isSymbolicLink() ?? false, f).toBe(false)
      expect(fs.readFileSync(path.join(elsewhere, `stale${suffix}`), "utf8")).toBe(`stale ${suffix} junk`)
    }
    expect(schemaVersion(sb.dataDir)).toBe("2")
    expect(reservationCount(sb.dataDir)).toBe(0)
  })

  it("--overwrite without a database still reports Recreated database (kept quirk)", () => {
    expectOk(
      sb.run(["init", "--overwrite"]),
      lines(`Initialized trop in: ${sb.dataDir}`, "  - Created data directory", "  - Recreated database")
    )
    expect(schemaVersion(sb.dataDir)).toBe("2")
  })
})

describe("which data directory (docs/cli.md)", () => {
  const initialized = (dir: string) => lines(`Initialized trop in: ${dir}`, "  - Created data directory", "  - Created database")

  it("trop --data-dir X init, trop init --data-dir X and TROP_DATA_DIR=X trop init all use X", () => {
    const opts = { cwd: sb.work, env: { HOME: sb.home } }
    const a = path.join(sb.root, "a")
    expectOk(trop(["--data-dir", a, "init"], opts), initialized(a))
    const b = path.join(sb.root, "b")
    expectOk(trop(["init", "--data-dir", b], opts), initialized(b))
    const c = path.join(sb.root, "c")
    expectOk(trop(["init"], { ...opts, env: { ...opts.env, TROP_DATA_DIR: c } }), initialized(c))
    for (const d of [a, b, c]) expect(exists(dbFile(d)), d).toBe(true)
    expect(exists(path.join(sb.home, ".trop"))).toBe(false)
  })

  it("trop --data-dir G init --data-dir C uses C; the option beats TROP_DATA_DIR", () => {
    const opts = { cwd: sb.work, env: { HOME: sb.home, TROP_DATA_DIR: path.join(sb.root, "env") } }
    const g = path.join(sb.root, "g")
    const c = path.join(sb.root, "c")
    expectOk(trop(["--data-dir", g, "init", "--data-dir", c], opts), initialized(c))
    expect(exists(g)).toBe(false)
    expect(exists(path.join(sb.root, "env"))).toBe(false)
    const x = path.join(sb.root, "x")
    expectOk(trop(["init", "--data-dir", x], opts), initialized(x))
  })

  it("a relative data directory is used verbatim (relative to the working directory)", () => {
    const r = trop(["init", "--data-dir", "rel/dir"], { cwd: sb.work, env: { HOME: sb.home } })
    expectOk(r, initialized("rel/dir"))
    expect(exists(path.join(sb.work, "rel", "dir", "trop.db"))).toBe(true)
  })

  it("without --data-dir and TROP_DATA_DIR: $HOME/.trop", () => {
    const r = trop(["init"], { cwd: sb.work, env: { HOME: sb.home, USERPROFILE: undefined } })
    expectOk(r, initialized(path.join(sb.home, ".trop")))
  })
})

describe("configuration scope Defaults + Env + CLI (docs/configuration.md, docs/cli.md)", () => {
  it("an invalid TROP_* variable fails with exit 7 before anything is created", () => {
    expectError(
      sb.run(["init", "--with-config"], { env: { TROP_BUSY_TIMEOUT: "soon" } }),
      7,
      "Configuration error: validation error for 'TROP_BUSY_TIMEOUT': Must be a positive integer"
    )
    expect(exists(sb.dataDir)).toBe(false)
  })

  it("a --busy-timeout above 2147483 fails with exit 7 before anything is created", () => {
    expectError(
      sb.run(["--busy-timeout", "2147484", "init"]),
      7,
      "Configuration error: validation error for 'maximum_lock_wait_seconds (<command line>)': Timeout must not exceed 2147483 seconds"
    )
    expect(exists(sb.dataDir)).toBe(false)
  })

  it("YAML files are not read: a broken config.yaml in the data directory and a broken trop.yaml are ignored", () => {
    fs.mkdirSync(sb.dataDir)
    fs.writeFileSync(cfg(), "project: not-allowed\nbogus: [\n")
    fs.writeFileSync(path.join(sb.work, "trop.yaml"), "ports:\n  min: 0\n")
    expectOk(
      sb.run(["init", "--with-config"]),
      lines(`Initialized trop in: ${sb.dataDir}`, "  - Created database", "  - Configuration file already exists (not overwritten)")
    )
    expect(fs.readFileSync(cfg(), "utf8")).toBe("project: not-allowed\nbogus: [\n")
  })
})
