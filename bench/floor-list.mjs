// The floor for `trop list`: the least a Node process must do to answer it, with no CLI
// parsing, no configuration, no row validation and no Effect runtime. It loads
// better-sqlite3, opens the database and streams the rows (iterate(), one statement, so one
// snapshot) ordered by path then tag, printing exactly the bytes `trop list` prints when
// stdout is not a terminal: the tab-separated table (paths under $HOME shortened to ~/...,
// control characters escaped) or the JSON array (two-space indentation, C1 and DEL escaped),
// written in chunks of about 64 KiB.
// Usage: node floor-list.mjs <data-dir> table|json
import Database from "better-sqlite3"
import * as fs from "node:fs"
import * as path from "node:path"

const [dataDir, format] = process.argv.slice(2)
if (format !== "table" && format !== "json") throw new Error("usage: node floor-list.mjs <data-dir> table|json")
const db = new Database(path.join(dataDir, "trop.db"), { timeout: 5000 })
db.pragma("journal_mode = WAL")

const write = (text) => {
  let buffer = Buffer.from(text, "utf8")
  while (buffer.length > 0) {
    try {
      buffer = buffer.subarray(fs.writeSync(1, buffer))
    } catch (error) {
      if (error.code === "EPIPE") process.exit(0)
      if (error.code !== "EAGAIN") throw error
    }
  }
}

const CHUNK = 64 * 1024
let out = ""
const emit = (text) => {
  out += text
  if (out.length >= CHUNK) {
    write(out)
    out = ""
  }
}

// eslint-disable-next-line no-control-regex
const CONTROLS = /[\u0000-\u001f\u007f-\u009f]/g
const NAMED = { "\t": "\\t", "\n": "\\n", "\r": "\\r" }
const hex = (c) => c.charCodeAt(0).toString(16).padStart(2, "0")
const display = (text) =>
  text.replace(CONTROLS, (c) => NAMED[c] ?? (c.charCodeAt(0) < 0x80 ? `\\x${hex(c)}` : `\\u00${hex(c)}`))
const jsonString = (text) => JSON.stringify(text).replace(/[\u007f-\u009f]/g, (c) => `\\u00${hex(c)}`)

const two = (n) => String(n).padStart(2, "0")
const timestamp = (seconds) => {
  const d = new Date(seconds * 1000)
  return `${String(d.getUTCFullYear()).padStart(4, "0")}-${two(d.getUTCMonth() + 1)}-${two(d.getUTCDate())} ` +
    `${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())}`
}

const rawHome = process.env.HOME
const home = rawHome === undefined || rawHome === "" ? undefined : path.resolve(rawHome)
const shorten = (p) =>
  home === undefined
    ? p
    : p === home
    ? "~/"
    : home === "/"
    ? `~/${p.slice(1)}`
    : p.startsWith(home) && p.charCodeAt(home.length) === 47
    ? `~/${p.slice(home.length + 1)}`
    : p

const rows = db.prepare(
  "SELECT path, tag, port, project, task, created_at, last_used_at FROM reservations ORDER BY path, tag"
).iterate()

if (format === "table") {
  emit("PORT\tPATH\tTAG\tPROJECT\tTASK\tCREATED_AT\tLAST_USED_AT")
  for (const r of rows) {
    emit(
      `\n${r.port}\t${display(shorten(r.path))}\t${r.tag === "" ? "-" : display(r.tag)}\t${
        r.project === null ? "-" : display(r.project)
      }\t${r.task === null ? "-" : display(r.task)}\t${timestamp(r.created_at)}\t${timestamp(r.last_used_at)}`
    )
  }
  emit("\n")
} else {
  let first = true
  for (const r of rows) {
    emit(
      `${first ? "[\n" : ",\n"}  {\n    "created_at": "${timestamp(r.created_at)}",\n    "last_used_at": "${
        timestamp(r.last_used_at)
      }",\n    "path": ${jsonString(r.path)},\n    "port": ${r.port},\n    "project": ${
        r.project === null ? "null" : jsonString(r.project)
      },\n    "tag": ${r.tag === "" ? "null" : jsonString(r.tag)},\n    "task": ${
        r.task === null ? "null" : jsonString(r.task)
      }\n  }`
    )
    first = false
  }
  emit(first ? "[]\n" : "\n]\n")
}
write(out)
