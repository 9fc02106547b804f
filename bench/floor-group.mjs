// The floor for `trop reserve-group trop.yaml` with a group of three services: the least a
// Node process must do to answer it, with no CLI parsing, no configuration loading and no
// Effect runtime. The group is HARD-CODED (no YAML is read or parsed), the one
// bench/group.mjs writes into trop.yaml:
//   web: {}, api: { offset: 1 }, db: { offset: 2 }   (variables WEB, API, DB)
// It loads better-sqlite3, opens the database and, inside one BEGIN IMMEDIATE transaction,
// reads the group's tagged rows at the directory and
// - when they are exactly the three services on one common base (an existing group):
//   refreshes the three rows (one UPDATE each, as trop does);
// - when there are none (a new group): takes the lowest base of 5000..7000 at which the
//   three offsets land on ports that no row holds and that the same four bind probes as
//   trop's (TCP/UDP on 127.0.0.1 and ::1) find free, port by port in tag order as trop
//   checks them, and inserts the three rows.
// Then it prints what trop prints: `export NAME=PORT` lines in tag order.
// Usage: node floor-group.mjs <data-dir> <group-directory>
import Database from "better-sqlite3"
import { free } from "./floor-probe.mjs"
import * as path from "node:path"

/** In tag order (UTF-8 byte order), as trop orders a group's services. */
const SERVICES = [
  { tag: "api", offset: 1, env: "API" },
  { tag: "db", offset: 2, env: "DB" },
  { tag: "web", offset: 0, env: "WEB" }
]
const MIN = 5000
const MAX = 7000

const [dataDir, dir] = process.argv.slice(2)
const db = new Database(path.join(dataDir, "trop.db"), { timeout: 5000 })
db.pragma("journal_mode = WAL")
db.pragma("synchronous = NORMAL")


const now = Math.floor(Date.now() / 1000)
db.prepare("BEGIN IMMEDIATE").run()
const stored = db.prepare("SELECT tag, port, project, task FROM reservations WHERE path = ? AND tag <> ''").all(dir)
const ports = new Map()
if (stored.length > 0) {
  const bases = new Set()
  for (const s of SERVICES) {
    const row = stored.find((r) => r.tag === s.tag)
    if (row === undefined || stored.length !== SERVICES.length) throw new Error("stored group has another shape")
    bases.add(row.port - s.offset)
    ports.set(s.tag, row.port)
  }
  if (bases.size !== 1) throw new Error("stored group has another shape")
  const update = db.prepare("UPDATE reservations SET project = ?, task = ?, last_used_at = ? WHERE path = ? AND tag = ?")
  for (const s of SERVICES) {
    const row = stored.find((r) => r.tag === s.tag)
    update.run(row.project, row.task, now, dir, s.tag)
  }
} else {
  const taken = new Set(db.prepare("SELECT port FROM reservations").pluck().all())
  const widest = Math.max(...SERVICES.map((s) => s.offset))
  let base
  for (let b = MIN; b + widest <= MAX && base === undefined; b++) {
    let fits = true
    for (const s of SERVICES) {
      if (taken.has(b + s.offset) || !(await free(b + s.offset))) {
        fits = false
        break
      }
    }
    if (fits) base = b
  }
  if (base === undefined) throw new Error("no base fits the group")
  const insert = db.prepare(
    "INSERT INTO reservations (path, tag, port, project, task, created_at, last_used_at) VALUES (?, ?, ?, NULL, NULL, ?, ?)"
  )
  for (const s of SERVICES) {
    ports.set(s.tag, base + s.offset)
    insert.run(dir, s.tag, base + s.offset, now, now)
  }
}
db.prepare("COMMIT").run()
process.stdout.write(`${SERVICES.map((s) => `export ${s.env}=${ports.get(s.tag)}`).join("\n")}\n`)
