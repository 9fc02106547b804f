import * as fs from "node:fs"
import * as path from "node:path"
import { afterEach, beforeEach, describe, expect, it } from "vitest"
import {
  expectOk,
  listJson,
  makeSandbox,
  type Sandbox,
  seed,
  type SeedRow,
  withDb
} from "./_helpers.js"
import { exhaustedHint, expectHinted } from "./_hints.js"

/**
 * reserve's automatic cleanup on exhaustion (docs/concepts.md, docs/cli.md): one
 * cleanup and one retry inside reserve's transaction, its warning and dry-run line, the
 * policy switches and the rollback of a failed retry.
 */

// Private port range of this file.
const MIN = 32100
const MAX = 32199
const DAY = 86_400

let sb: Sandbox
beforeEach(() => {
  sb = makeSandbox([MIN, MAX])
})
afterEach(() => sb.cleanup())

const now = () => Math.floor(Date.now() / 1000)
const lo = MIN + 10
const hi = MIN + 11
const range = ["--min", String(lo), "--max", String(hi)]

const success = (pruned: number, expired: number) =>
  `Warning: Automatic cleanup after initial port exhaustion pruned ${pruned} and expired ${expired} reservation(s); allocation succeeded on the single retry.\n`
/** A rolled-back cleanup that removed rows is told as what it would have done and `freed`. */
const afterCleanup = (
  blockers: string,
  pruned: number,
  expired: number,
  policy: string,
  r = `${lo}-${hi}`,
  freed: ReadonlyArray<number> = []
) =>
  `port range ${r} exhausted after cleanup: remaining blockers after the single retry: ${blockers}; ${
    freed.length === 0
      ? `automatic cleanup pruned ${pruned} and expired ${expired} reservation(s)`
      : `automatic cleanup would have pruned ${pruned} and expired ${expired} reservation(s), freeing port${
        freed.length === 1 ? "" : "s"
      } ${freed.join(", ")} but no usable port of the range, so nothing was removed`
  }; ${policy}`
/** The hint of the range lo-hi held by two reservations (`full()`). */
const fullHint = (cleanup: "skipped" | "rolled back") => exhaustedHint(2, `${lo}-${hi}`, cleanup)
const skipped = `port range ${lo}-${hi} exhausted: cleanup was skipped (automatic pruning and expiration disabled); remaining blockers: reserved`

const snapshot = () => withDb(sb.dataDir, (db) => db.prepare("SELECT * FROM reservations ORDER BY path, tag").all())
const keys = () => listJson(sb).map((r) => (r.tag === null ? r.path : `${r.path}:${r.tag}`))

/**
 * The range [lo, hi] is full: `a` holds lo, `b` holds hi (both directories exist and were used
 * just now, unless the options say otherwise). `c` is the directory that wants a port.
 */
const full = (o: { readonly aGone?: boolean; readonly bAgeDays?: number; readonly extra?: ReadonlyArray<SeedRow> } = {}) => {
  const a = sb.dir("work", "a")
  const b = sb.dir("work", "b")
  const c = sb.dir("work", "c")
  const t = now()
  seed(sb, [
    { path: a, port: lo, project: "pa", created_at: t, last_used_at: t },
    { path: b, port: hi, created_at: t - 100 * DAY, last_used_at: t - (o.bAgeDays ?? 0) * DAY - (o.bAgeDays === undefined ? 0 : 1) },
    ...(o.extra ?? [])
  ])
  if (o.aGone === true) fs.rmdirSync(a)
  return { a, b, c }
}

describe("automatic cleanup succeeds on the single retry", () => {
  it("a deleted directory is pruned: the port is reused, exact warning, the stale row is gone", () => {
    const { a, b, c } = full({ aGone: true })
    expectOk(sb.run(["reserve", "--path", c, ...range]), `${lo}\n`, success(1, 0))
    const rows = listJson(sb)
    expect(rows.map((r) => [r.path, r.port])).toEqual([[b, hi], [c, lo]])
    expect(rows.some((r) => r.path === a)).toBe(false)
  })

  it("--quiet keeps the port on stdout and drops the warning", () => {
    const { b, c } = full({ aGone: true })
    expectOk(sb.run(["reserve", "--path", c, ...range, "--quiet"]), `${lo}\n`, "")
    expect(keys()).toEqual([b, c])
  })

  it("--dry-run lists the cleanup as item 1 and the reservation as item 2, and deletes nothing", () => {
    const { c } = full({ aGone: true })
    const before = snapshot()
    expectOk(
      sb.run(["reserve", "--path", c, ...range, "--dry-run"]),
      "",
      `Dry run - would perform the following actions:\n  1. Automatic cleanup would prune 1 and expire 0 reservation(s)\n  2. Reserve port ${lo} for ${c}\n`
    )
    expect(snapshot()).toEqual(before)
    // --quiet dry run: nothing at all.
    expectOk(sb.run(["reserve", "--path", c, ...range, "--dry-run", "--quiet"]), "", "")
    expect(snapshot()).toEqual(before)
  })

  it("an expired row is removed (pruned 0, expired 1); the dry run names it too", () => {
    const { a, c } = full({ bAgeDays: 30 })
    expectOk(
      sb.run(["reserve", "--path", c, ...range, "--tag", "web", "--dry-run"]),
      "",
      `Dry run - would perform the following actions:\n  1. Automatic cleanup would prune 0 and expire 1 reservation(s)\n  2. Reserve port ${hi} for ${c}:web\n`
    )
    expectOk(sb.run(["reserve", "--path", c, ...range, "--tag", "web"]), `${hi}\n`, success(0, 1))
    expect(keys()).toEqual([a, `${c}:web`])
  })

  it("the whole cleanup runs, over every reservation, not only the range or what the retry needs", () => {
    const outside = path.join(sb.work, "outside-gone")
    const t = now()
    const { c } = full({
      aGone: true,
      bAgeDays: 31,
      extra: [{ path: outside, port: MIN + 60, created_at: t, last_used_at: t }]
    })
    const live = sb.dir("work", "live-old")
    seed(sb, [{ path: live, port: MIN + 61, created_at: t, last_used_at: t - 40 * DAY }])
    expectOk(sb.run(["reserve", "--path", c, ...range]), `${lo}\n`, success(2, 2))
    expect(keys()).toEqual([c])
  })

  it("the retry tries the preferred port first: a --port freed by the cleanup wins over the scan", () => {
    const stale = path.join(sb.work, "stale")
    const t = now()
    const preferred = MIN + 40
    const { b, c } = full({ aGone: true, extra: [{ path: stale, port: preferred, created_at: t, last_used_at: t }] })
    expectOk(
      sb.run(["reserve", "--path", c, ...range, "--port", String(preferred), "--dry-run"]),
      "",
      `Dry run - would perform the following actions:\n  1. Automatic cleanup would prune 2 and expire 0 reservation(s)\n  2. Reserve port ${preferred} for ${c}\n`
    )
    expectOk(sb.run(["reserve", "--path", c, ...range, "--port", String(preferred)]), `${preferred}\n`, success(2, 0))
    expect(listJson(sb).map((r) => [r.path, r.port])).toEqual([[b, hi], [c, preferred]])
  })

  it("the effective expire_after_days is used (TROP_EXPIRE_AFTER_DAYS, trop.yaml)", () => {
    const { a, b, c } = full({ bAgeDays: 10 })
    // 10 days + 1 s old: kept with the default 30 days → exhausted.
    expectHinted(
      sb.run(["reserve", "--path", c, ...range]),
      6,
      afterCleanup("reserved", 0, 0, "automatic pruning and expiration enabled"),
      fullHint("rolled back")
    )
    fs.writeFileSync(path.join(sb.work, "trop.yaml"), "cleanup:\n  expire_after_days: 10\n")
    // The environment beats trop.yaml.
    expectHinted(
      sb.run(["reserve", "--path", c, ...range], { env: { TROP_EXPIRE_AFTER_DAYS: "11" } }),
      6,
      afterCleanup("reserved", 0, 0, "automatic pruning and expiration enabled"),
      fullHint("rolled back")
    )
    expect(keys()).toEqual([a, b])
    expectOk(sb.run(["reserve", "--path", c, ...range]), `${hi}\n`, success(0, 1))
    expect(keys()).toEqual([a, c])
  })

  it("uninspectable paths emit no warning inside reserve (docs/concepts.md) and are kept", () => {
    const a = sb.dir("work", "a")
    const loop = path.join(sb.work, "loop")
    fs.symlinkSync(loop, loop)
    const c = sb.dir("work", "c")
    const t = now()
    seed(sb, [
      { path: a, port: lo, created_at: t, last_used_at: t },
      { path: loop, port: hi, created_at: t, last_used_at: t }
    ])
    fs.rmdirSync(a)
    expectOk(sb.run(["reserve", "--path", c, ...range]), `${lo}\n`, success(1, 0))
    expect(keys()).toEqual([c, loop])
  })

  it("no cleanup when the range is not exhausted, nor when an existing key is refreshed", () => {
    const { a, b } = full({ aGone: false })
    fs.rmdirSync(b) // stale, but nobody needs its port
    // a refresh of an existing key in a full range: no cleanup, no warning
    expectOk(sb.run(["reserve", "--path", a, ...range]), `${lo}\n`)
    const d = sb.dir("work", "d")
    // a wider range has room: no cleanup either
    expectOk(sb.run(["reserve", "--path", d, "--min", String(lo), "--max", String(hi + 1)]), `${hi + 1}\n`)
    expect(keys()).toEqual([a, b, d])
  })
})

describe("cleanup policy switches (docs/concepts.md)", () => {
  it("--disable-autoprune: a gone directory is not pruned → exhausted, naming the policy; rows untouched", () => {
    const { c } = full({ aGone: true })
    const before = snapshot()
    const msg = afterCleanup("reserved", 0, 0, "automatic pruning disabled")
    expectHinted(sb.run(["reserve", "--path", c, ...range, "--disable-autoprune"]), 6, msg, fullHint("rolled back"))
    expectHinted(sb.run(["reserve", "--path", c, ...range], { env: { TROP_DISABLE_AUTOPRUNE: "true" } }), 6, msg, fullHint("rolled back"))
    expectHinted(sb.run(["reserve", "--path", c, ...range, "--disable-autoprune", "--dry-run"]), 6, msg, fullHint("rolled back"))
    fs.writeFileSync(path.join(sb.work, "trop.yaml"), "disable_autoprune: true\n")
    expectHinted(sb.run(["reserve", "--path", c, ...range]), 6, msg, fullHint("rolled back"))
    expect(snapshot()).toEqual(before)
    // The environment's false beats trop.yaml's true: pruning runs again.
    expectOk(sb.run(["reserve", "--path", c, ...range], { env: { TROP_DISABLE_AUTOPRUNE: "false" } }), `${lo}\n`, success(1, 0))
  })

  it("--disable-autoprune still expires; --disable-autoexpire still prunes", () => {
    const { b, c } = full({ aGone: true, bAgeDays: 31 })
    expectOk(
      sb.run(["reserve", "--path", c, ...range, "--disable-autoprune", "--dry-run"]),
      "",
      `Dry run - would perform the following actions:\n  1. Automatic cleanup would prune 0 and expire 1 reservation(s)\n  2. Reserve port ${hi} for ${c}\n`
    )
    expectOk(sb.run(["reserve", "--path", c, ...range, "--disable-autoexpire"]), `${lo}\n`, success(1, 0))
    // b is old but expiration was disabled: it survives.
    expect(keys()).toEqual([b, c])
  })

  it("--disable-autoexpire: an old row is not expired → exhausted, naming the policy", () => {
    const { c } = full({ bAgeDays: 31 })
    const before = snapshot()
    const msg = afterCleanup("reserved", 0, 0, "automatic expiration disabled")
    expectHinted(sb.run(["reserve", "--path", c, ...range, "--disable-autoexpire"]), 6, msg, fullHint("rolled back"))
    expectHinted(sb.run(["reserve", "--path", c, ...range], { env: { TROP_DISABLE_AUTOEXPIRE: "1" } }), 6, msg, fullHint("rolled back"))
    expect(snapshot()).toEqual(before)
  })

  it("--disable-autoclean (or both switches, from any layer) skips the cleanup entirely; --force does not override", () => {
    const { c } = full({ aGone: true, bAgeDays: 31 })
    const before = snapshot()
    expectHinted(sb.run(["reserve", "--path", c, ...range, "--disable-autoclean"]), 6, skipped, fullHint("skipped"))
    expectHinted(sb.run(["reserve", "--path", c, ...range, "--disable-autoclean", "--force"]), 6, skipped, fullHint("skipped"))
    expectHinted(sb.run(["reserve", "--path", c, ...range, "--disable-autoclean", "--dry-run"]), 6, skipped, fullHint("skipped"))
    expectHinted(
      sb.run(["reserve", "--path", c, ...range, "--disable-autoexpire"], { env: { TROP_DISABLE_AUTOPRUNE: "on" } }),
      6,
      skipped,
      fullHint("skipped")
    )
    fs.writeFileSync(path.join(sb.work, "trop.yaml"), "disable_autoprune: true\ndisable_autoexpire: true\n")
    expectHinted(sb.run(["reserve", "--path", c, ...range]), 6, skipped, fullHint("skipped"))
    expect(snapshot()).toEqual(before)
  })
})

describe("a failed retry rolls the cleanup back (docs/concepts.md)", () => {
  it("pruned and expired rows outside the range survive when the retry still finds no port", () => {
    const a = sb.dir("work", "a")
    const c = sb.dir("work", "c")
    const live = sb.dir("work", "old")
    const gone = path.join(sb.work, "gone")
    const t = now()
    seed(sb, [
      { path: a, port: lo, created_at: t, last_used_at: t },
      { path: gone, port: MIN + 50, project: "p", created_at: t, last_used_at: t },
      { path: live, port: MIN + 51, created_at: t, last_used_at: t - 45 * DAY }
    ])
    const before = snapshot()
    expectHinted(
      sb.run(["reserve", "--path", c, "--min", String(lo), "--max", String(lo)]),
      6,
      afterCleanup("reserved", 1, 1, "automatic pruning and expiration enabled", `${lo}-${lo}`, [MIN + 50, MIN + 51]),
      exhaustedHint(1, `${lo}-${lo}`, "rolled back")
    )
    expect(snapshot()).toEqual(before)
    expect(keys()).toEqual([a, gone, live])
  })

  it("the remaining blockers list every kind present after the retry (reserved, excluded)", () => {
    const { c } = full({ aGone: false, extra: [] })
    const wide = ["--min", String(lo), "--max", String(hi + 1)]
    const env = { TROP_EXCLUDED_PORTS: String(hi + 1) }
    const gone = path.join(sb.work, "gone")
    const t = now()
    seed(sb, [{ path: gone, port: MIN + 70, created_at: t, last_used_at: t }])
    const before = snapshot()
    expectHinted(
      sb.run(["reserve", "--path", c, ...wide], { env }),
      6,
      afterCleanup("reserved, excluded", 1, 0, "automatic pruning and expiration enabled", `${lo}-${hi + 1}`, [MIN + 70]),
      exhaustedHint(2, `${lo}-${hi + 1}`, "rolled back")
    )
    expect(snapshot()).toEqual(before)
  })
})
