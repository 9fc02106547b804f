// The floor for `trop reserve`: the least a Node process must do to answer it, with no
// CLI parsing, no configuration and no Effect runtime. It loads better-sqlite3, opens the
// database and, inside one BEGIN IMMEDIATE transaction, refreshes the directory's row —
// or, for a new directory, takes the lowest port of 5000..7000 that no row holds and that
// the same four bind probes as trop's (TCP/UDP on 127.0.0.1 and ::1) find free.
// Usage: node floor-reserve.mjs <data-dir> <directory>
import Database from "better-sqlite3"
import { free } from "./floor-probe.mjs"
import * as path from "node:path"

const [dataDir, dir] = process.argv.slice(2)
const db = new Database(path.join(dataDir, "trop.db"), { timeout: 5000 })
db.pragma("journal_mode = WAL")
db.pragma("synchronous = NORMAL")


const now = Math.floor(Date.now() / 1000)
db.prepare("BEGIN IMMEDIATE").run()
const row = db.prepare("SELECT port FROM reservations WHERE path = ? AND tag = ''").get(dir)
let port
if (row) {
  port = row.port
  db.prepare("UPDATE reservations SET last_used_at = ? WHERE path = ? AND tag = ''").run(now, dir)
} else {
  const taken = new Set(db.prepare("SELECT port FROM reservations").pluck().all())
  for (let p = 5000; p <= 7000 && port === undefined; p++) if (!taken.has(p) && await free(p)) port = p
  db.prepare("INSERT INTO reservations (path, tag, port, project, task, created_at, last_used_at) VALUES (?, '', ?, NULL, NULL, ?, ?)")
    .run(dir, port, now, now)
}
db.prepare("COMMIT").run()
process.stdout.write(`${port}\n`)
