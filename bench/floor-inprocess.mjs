// The floor for `trop.reserve(...)` called in-process through `Trop.layer`: a raw
// better-sqlite3 loop issuing, per reserve, the very statements trop issues (traced from
// better-sqlite3), each reserve in its own BEGIN IMMEDIATE ... COMMIT:
//   new key:      BEGIN IMMEDIATE; the row of (path, tag) [none]; every row ORDER BY path, tag;
//                 DELETE of (path, tag); INSERT; COMMIT
//   existing key: BEGIN IMMEDIATE; the row of (path, tag); UPDATE; COMMIT
// plus the non-SQL work of a new key that trop cannot skip: the upward search for a Git
// repository (project/task inference: a stat of `.git` and of `HEAD` per ancestor) and,
// unless `probes` is false, the same four bind probes (TCP/UDP on 127.0.0.1 and ::1) for
// the lowest port of 5000..7000 that no row holds. No Effect, no validation, no decoding.
import Database from "better-sqlite3"
import { free } from "./floor-probe.mjs"
import * as fs from "node:fs"
import * as path from "node:path"


/** trop's Git inference on a directory outside any repository: nothing found, every ancestor looked at. */
const noRepository = (dir) => {
  if (fs.statSync(dir, { throwIfNoEntry: false })?.isDirectory() !== true) return
  for (let d = dir;; d = path.dirname(d)) {
    if (fs.statSync(path.join(d, ".git"), { throwIfNoEntry: false }) !== undefined) throw new Error(`${d} is in a Git repository`)
    if (fs.statSync(path.join(d, "HEAD"), { throwIfNoEntry: false })?.isFile() === true) throw new Error(`${d} has a HEAD`)
    if (path.dirname(d) === d) return
  }
}

const ROW = `SELECT rowid AS row_id, path, typeof(path) AS path_type, tag, typeof(tag) AS tag_type,
    port, typeof(port) AS port_type, project, typeof(project) AS project_type,
    task, typeof(task) AS task_type, created_at, typeof(created_at) AS created_at_type,
    last_used_at, typeof(last_used_at) AS last_used_at_type FROM reservations`

/** Opens `<dataDir>/trop.db` (created by trop, so the schema is trop's) as trop does. */
export const open = (dataDir) => {
  const db = new Database(path.join(dataDir, "trop.db"), { timeout: 5000 })
  db.pragma("journal_mode = WAL")
  db.pragma("synchronous = NORMAL")
  const s = {
    begin: db.prepare("BEGIN IMMEDIATE"),
    commit: db.prepare("COMMIT"),
    byKey: db.prepare(`${ROW} WHERE path = ? AND tag = ?`),
    all: db.prepare(`${ROW} ORDER BY path, tag`),
    remove: db.prepare("DELETE FROM reservations WHERE path = ? AND tag = ?"),
    insert: db.prepare(
      "INSERT INTO reservations (path, tag, port, project, task, created_at, last_used_at) VALUES (?, ?, ?, ?, ?, ?, ?)"
    ),
    update: db.prepare(
      "UPDATE reservations SET project = ?, task = ?, last_used_at = ? WHERE path = ? AND tag = ?"
    )
  }
  /** One reserve of (dir, untagged): the port, as trop would answer. */
  const reserve = async (dir, probes) => {
    const now = Math.floor(Date.now() / 1000)
    s.begin.run()
    try {
      const [row] = s.byKey.all(dir, "")
      let port
      if (row !== undefined) {
        port = row.port
        s.update.run(row.project, row.task, now, dir, "")
      } else {
        noRepository(dir)
        const taken = new Set(s.all.all().map((r) => r.port))
        for (let p = 5000; p <= 7000 && port === undefined; p++) {
          if (!taken.has(p) && (!probes || await free(p))) port = p
        }
        if (port === undefined) throw new Error("range exhausted")
        s.remove.run(dir, "")
        s.insert.run(dir, "", port, null, null, now, now)
      }
      s.commit.run()
      return port
    } catch (e) {
      if (db.inTransaction) db.prepare("ROLLBACK").run()
      throw e
    }
  }
  return { reserve, close: () => db.close() }
}
