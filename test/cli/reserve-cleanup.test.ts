import * as fs from "node:fs"
import * as net from "node:net"
import * as path from "node:path"
import { afterEach, beforeEach, describe, expect, it } from "vitest"
import {
  ageRows,
  dbFile,
  expectError,
  expectFailure,
  expectOk,
  exists,
  listJson,
  makeSandbox,
  type Sandbox,
  T0,
  T0_TEXT
} from "./_helpers.js"
import { exhaustedHint, expectHinted, preferredWarning } from "./_hints.js"

// Private port range of this file (see _helpers.ts).
const MIN = 26000
const MAX = 26099

let sb: Sandbox
beforeEach(() => {
  sb = makeSandbox([MIN, MAX])
})
afterEach(() => sb.cleanup())

describe("reserve: exhaustion and automatic cleanup (docs/concepts.md)", () => {
  const lo = MIN + 97
  const hi = MIN + 98
  const range = ["--min", String(lo), "--max", String(hi)]
  const fill = () => {
    const a = sb.dir("work", "a")
    const b = sb.dir("work", "b")
    const c = sb.dir("work", "c")
    expectOk(sb.run(["reserve", "--path", a, ...range]), `${lo}\n`)
    expectOk(sb.run(["reserve", "--path", b, ...range]), `${hi}\n`)
    return { a, b, c }
  }

  it("with cleanup disabled: the exact 'cleanup was skipped' message (exit 6)", () => {
    const { c } = fill()
    const msg = `port range ${lo}-${hi} exhausted: cleanup was skipped (automatic pruning and expiration disabled); remaining blockers: reserved`
    const hint = exhaustedHint(2, `${lo}-${hi}`, "skipped")
    expectHinted(sb.run(["reserve", "--path", c, ...range, "--disable-autoclean"]), 6, msg, hint)
    expectHinted(sb.run(["reserve", "--path", c, ...range, "--disable-autoprune", "--disable-autoexpire"]), 6, msg, hint)
    expectHinted(
      sb.run(["reserve", "--path", c, ...range], { env: { TROP_DISABLE_AUTOPRUNE: "yes", TROP_DISABLE_AUTOEXPIRE: "ON" } }),
      6,
      msg,
      hint
    )
  })

  it("with cleanup enabled but nothing to clean: the 'after cleanup' message with the policy", () => {
    const { c } = fill()
    const msg = (policy: string) =>
      `port range ${lo}-${hi} exhausted after cleanup: remaining blockers after the single retry: reserved; automatic cleanup pruned 0 and expired 0 reservation(s); ${policy}`
    const hint = exhaustedHint(2, `${lo}-${hi}`, "rolled back")
    expectHinted(sb.run(["reserve", "--path", c, ...range]), 6, msg("automatic pruning and expiration enabled"), hint)
    expectHinted(sb.run(["reserve", "--path", c, ...range, "--disable-autoprune"]), 6, msg("automatic pruning disabled"), hint)
    expectHinted(sb.run(["reserve", "--path", c, ...range, "--disable-autoexpire"]), 6, msg("automatic expiration disabled"), hint)
    // --force does not override --disable-autoclean
    expectHinted(
      sb.run(["reserve", "--path", c, ...range, "--disable-autoclean", "--force"]),
      6,
      `port range ${lo}-${hi} exhausted: cleanup was skipped (automatic pruning and expiration disabled); remaining blockers: reserved`,
      exhaustedHint(2, `${lo}-${hi}`, "skipped")
    )
  })

  it("prunes a reservation whose directory is gone and succeeds on the retry, with a warning", () => {
    const { a, c } = fill()
    fs.rmdirSync(a)
    expectOk(
      sb.run(["reserve", "--path", c, ...range]),
      `${lo}\n`,
      "Warning: Automatic cleanup after initial port exhaustion pruned 1 and expired 0 reservation(s); allocation succeeded on the single retry.\n"
    )
    expect(listJson(sb).map((r) => r.path).sort()).toEqual([path.join(sb.work, "b"), c].sort())
  })

  it("expires an old reservation; --quiet suppresses the warning but not the port", () => {
    const { b, c } = fill()
    ageRows(sb.dataDir, 86_400, 86_400, b)
    expectOk(sb.run(["reserve", "--path", c, ...range, "--quiet"]), `${hi}\n`)
    expect(listJson(sb).map((r) => r.path).sort()).toEqual([path.join(sb.work, "a"), c].sort())
  })

  it("the expiry is reported in the warning", () => {
    const { b, c } = fill()
    ageRows(sb.dataDir, 86_400, 86_400, b)
    expectOk(
      sb.run(["reserve", "--path", c, ...range]),
      `${hi}\n`,
      "Warning: Automatic cleanup after initial port exhaustion pruned 0 and expired 1 reservation(s); allocation succeeded on the single retry.\n"
    )
  })

  it("a failed retry rolls back the cleanup deletions too", () => {
    const gone = sb.dir("work", "gone")
    const keep = sb.dir("work", "keep")
    const c = sb.dir("work", "c")
    expectOk(sb.run(["reserve", "--path", gone, "--port", String(MIN + 10)]), `${MIN + 10}\n`)
    expectOk(sb.run(["reserve", "--path", keep, "--min", String(lo), "--max", String(lo)]), `${lo}\n`)
    fs.rmdirSync(gone)
    // Nothing was removed: the message tells what the cleanup would have done and freed.
    expectHinted(
      sb.run(["reserve", "--path", c, "--min", String(lo), "--max", String(lo)]),
      6,
      `port range ${lo}-${lo} exhausted after cleanup: remaining blockers after the single retry: reserved; automatic cleanup would have pruned 1 and expired 0 reservation(s), freeing port ${
        MIN + 10
      } but no usable port of the range, so nothing was removed; automatic pruning and expiration enabled`,
      exhaustedHint(1, `${lo}-${lo}`, "rolled back")
    )
    expect(listJson(sb).map((r) => r.path)).toEqual([gone, keep])
  })

  it("a dry run lists the automatic cleanup first and deletes nothing", () => {
    const { a, c } = fill()
    fs.rmdirSync(a)
    expectOk(
      sb.run(["reserve", "--path", c, ...range, "--dry-run"]),
      "",
      `Dry run - would perform the following actions:\n  1. Automatic cleanup would prune 1 and expire 0 reservation(s)\n  2. Reserve port ${lo} for ${c}\n`
    )
    expect(listJson(sb).map((r) => r.path)).toEqual([a, path.join(sb.work, "b")])
  })
})

describe("reserve: auto-init and environment configuration", () => {
  const missing = "Data directory not found (use --data-dir or enable auto-init)"

  it("--disable-autoinit / TROP_DISABLE_AUTOINIT with no trop.db → exit 3, nothing created", () => {
    expectError(sb.run(["reserve", "--disable-autoinit"]), 3, missing)
    expectError(sb.run(["--disable-autoinit", "reserve"]), 3, missing)
    expectError(sb.run(["reserve"], { env: { TROP_DISABLE_AUTOINIT: "1" } }), 3, missing)
    expectError(sb.run(["reserve", "--dry-run"], { env: { TROP_DISABLE_AUTOINIT: "true" } }), 3, missing)
    expect(exists(sb.dataDir)).toBe(false)
    // Only the database file is checked, not the directory.
    fs.mkdirSync(sb.dataDir)
    expectError(sb.run(["reserve", "--disable-autoinit"]), 3, missing)
    expect(exists(dbFile(sb.dataDir))).toBe(false)
  })

  it("auto-init disabled is fine once the database exists; TROP_DISABLE_AUTOINIT=0 creates it", () => {
    expectOk(sb.run(["reserve"], { env: { TROP_DISABLE_AUTOINIT: "0" } }), `${MIN}\n`)
    expectOk(sb.run(["reserve", "--disable-autoinit"]), `${MIN}\n`)
  })

  it("invalid boolean in TROP_DISABLE_AUTOINIT → exit 7", () => {
    expectError(
      sb.run(["reserve"], { env: { TROP_DISABLE_AUTOINIT: "maybe" } }),
      7,
      "Configuration error: validation error for 'TROP_DISABLE_AUTOINIT': Invalid boolean value: 'maybe' (expected true/false/1/0/yes/no/on/off)"
    )
  })

  it("TROP_BUSY_TIMEOUT invalid → exit 7 with the exact message", () => {
    expectError(
      sb.run(["reserve"], { env: { TROP_BUSY_TIMEOUT: "abc" } }),
      7,
      "Configuration error: validation error for 'TROP_BUSY_TIMEOUT': Must be a positive integer"
    )
    expectError(
      sb.run(["reserve"], { env: { TROP_BUSY_TIMEOUT: "9999999" } }),
      7,
      "Configuration error: validation error for 'maximum_lock_wait_seconds (TROP_BUSY_TIMEOUT)': Timeout must not exceed 2147483 seconds"
    )
    expect(exists(sb.dataDir)).toBe(false)
  })

  it("--busy-timeout above 2147483 → exit 7 with the exact message; 2147483 is accepted", () => {
    expectError(
      sb.run(["reserve", "--busy-timeout", "9999999"]),
      7,
      "Configuration error: validation error for 'maximum_lock_wait_seconds (<command line>)': Timeout must not exceed 2147483 seconds"
    )
    expect(exists(sb.dataDir)).toBe(false)
    expectOk(sb.run(["--busy-timeout", "2147483", "reserve"]), `${MIN}\n`)
  })

  it("an invalid TROP_OUTPUT_FORMAT breaks reserve (exit 7)", () => {
    expectError(
      sb.run(["reserve"], { env: { TROP_OUTPUT_FORMAT: "xml" } }),
      7,
      "Configuration error: validation error for 'TROP_OUTPUT_FORMAT': Invalid output format: 'xml' (expected table/json/csv/tsv)"
    )
    expect(exists(sb.dataDir)).toBe(false)
  })

  it("a non-database trop.db is a database error (exit 6), never a lock timeout", () => {
    fs.mkdirSync(sb.dataDir)
    fs.writeFileSync(dbFile(sb.dataDir), "this is not a database, just some text padding it out".repeat(40))
    const r = sb.run(["reserve"])
    expectFailure(r, 6)
    expect(r.stderr).toMatch(/^Error: (database error|database corruption detected): /)
    expect(r.stderr.split("\n").filter((l) => l !== "")).toHaveLength(1)
  })
})

describe("reserve: exclusions and occupancy (docs/concepts.md)", () => {
  const listen = async (port: number) => {
    const server = net.createServer()
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject)
      server.listen({ port, host: "127.0.0.1", exclusive: true }, resolve)
    })
    return () => new Promise<void>((resolve) => server.close(() => resolve()))
  }

  it("the scan skips excluded ports (TROP_EXCLUDED_PORTS); a preferred excluded port falls back unless ignored", () => {
    const env = { TROP_EXCLUDED_PORTS: `${MIN}, ${MIN + 2}..${MIN + 3}` }
    expectOk(sb.run(["reserve"], { env }), `${MIN + 1}\n`)
    expectOk(sb.run(["reserve", "--tag", "a"], { env }), `${MIN + 4}\n`)
    expectOk(
      sb.run(["reserve", "--tag", "b", "--port", String(MIN + 2)], { env }),
      `${MIN + 5}\n`,
      preferredWarning(MIN + 2, "excluded", MIN + 5)
    )
    expectOk(sb.run(["reserve", "--tag", "c", "--port", String(MIN + 2), "--ignore-exclusions"], { env }), `${MIN + 2}\n`)
    expectOk(sb.run(["reserve", "--tag", "d", "--port", String(MIN + 3), "--force"], { env }), `${MIN + 3}\n`)
    // --ignore-occupied does not bypass exclusions
    expectOk(
      sb.run(["reserve", "--tag", "e", "--port", String(MIN), "--ignore-occupied"], { env }),
      `${MIN + 6}\n`,
      preferredWarning(MIN, "excluded", MIN + 6)
    )
  })

  it("the scan skips an occupied port; a preferred occupied port falls back unless --ignore-occupied/--force", async () => {
    const occupied = MIN + 40
    const close = await listen(occupied)
    try {
      const range = ["--min", String(occupied), "--max", String(occupied + 5)]
      expectOk(sb.run(["reserve", ...range]), `${occupied + 1}\n`)
      expectOk(sb.run(["reserve", "--tag", "a", "--port", String(occupied)]), `${MIN}\n`, preferredWarning(occupied, "occupied", MIN))
      expectOk(
        sb.run(["reserve", "--tag", "b", "--port", String(occupied), "--ignore-exclusions"]),
        `${MIN + 1}\n`,
        preferredWarning(occupied, "occupied", MIN + 1)
      )
      expectOk(sb.run(["reserve", "--tag", "c", "--port", String(occupied), "--ignore-occupied"]), `${occupied}\n`)
    } finally {
      await close()
    }
  })

  it("--skip-occupancy-check lets the scan hand out an occupied port", async () => {
    const occupied = MIN + 45
    const close = await listen(occupied)
    try {
      expectOk(
        sb.run(["reserve", "--min", String(occupied), "--max", String(occupied), "--skip-occupancy-check"]),
        `${occupied}\n`
      )
    } finally {
      await close()
    }
  })

  it("exhaustion lists every blocker kind present, in order: reserved, excluded, occupied", async () => {
    const lo = MIN + 50
    const close = await listen(lo + 2)
    try {
      expectOk(sb.run(["reserve", "--tag", "holder", "--port", String(lo)]), `${lo}\n`)
      expectHinted(
        sb.run(["reserve", "--min", String(lo), "--max", String(lo + 2), "--disable-autoclean"], {
          env: { TROP_EXCLUDED_PORTS: String(lo + 1) }
        }),
        6,
        `port range ${lo}-${lo + 2} exhausted: cleanup was skipped (automatic pruning and expiration disabled); remaining blockers: reserved, excluded, occupied`,
        exhaustedHint(1, `${lo}-${lo + 2}`, "skipped")
      )
    } finally {
      await close()
    }
  })

  it("TROP_PORT_MAX_OFFSET is applied after TROP_PORT_MAX and wins", () => {
    const env = { TROP_PORT_MIN: String(MIN + 70), TROP_PORT_MAX: String(MIN + 70), TROP_PORT_MAX_OFFSET: "1" }
    expectOk(sb.run(["reserve"], { env }), `${MIN + 70}\n`)
    expectOk(sb.run(["reserve", "--tag", "b"], { env }), `${MIN + 71}\n`)
    expectHinted(
      sb.run(["reserve", "--tag", "c", "--disable-autoclean"], { env }),
      6,
      `port range ${MIN + 70}-${MIN + 71} exhausted: cleanup was skipped (automatic pruning and expiration disabled); remaining blockers: reserved`,
      exhaustedHint(2, `${MIN + 70}-${MIN + 71}`, "skipped")
    )
  })

  it("a dry-run --overwrite that moves the port is planned as 'Reserve port'", () => {
    expectOk(sb.run(["reserve", "--port", String(MIN + 60)]), `${MIN + 60}\n`)
    expectOk(
      sb.run(["reserve", "--overwrite", "--dry-run"]),
      "",
      `Dry run - would perform the following actions:\n  1. Reserve port ${MIN} for ${sb.work}\n`
    )
    expectOk(
      sb.run(["reserve", "--project", "p", "--allow-project-change", "--dry-run"]),
      "",
      `Dry run - would perform the following actions:\n  1. Refresh reservation ${sb.work} on port ${MIN + 60}\n`
    )
    expect(listJson(sb)).toMatchObject([{ port: MIN + 60, project: null }])
  })
})

describe("reserve: cleanup that removes the key itself (docs/concepts.md, expected behaviour)", () => {
  it("an --overwrite whose own directory is gone is written anew by the retry, keeping created_at", () => {
    const lo = MIN + 90
    const k = sb.dir("work", "k")
    const x = sb.dir("work", "x")
    expectOk(sb.run(["reserve", "--path", k, "--port", String(MIN + 20)]), `${MIN + 20}\n`)
    expectOk(sb.run(["reserve", "--path", x, "--port", String(lo)]), `${lo}\n`)
    ageRows(sb.dataDir, T0, Math.floor(Date.now() / 1000), k)
    fs.rmdirSync(k)
    fs.rmdirSync(x)
    expectOk(
      sb.run(["reserve", "--path", k, "--overwrite", "--min", String(lo), "--max", String(lo)]),
      `${lo}\n`,
      "Warning: Automatic cleanup after initial port exhaustion pruned 2 and expired 0 reservation(s); allocation succeeded on the single retry.\n"
    )
    expect(listJson(sb)).toMatchObject([{ path: k, port: lo, created_at: T0_TEXT }])
  })
})
