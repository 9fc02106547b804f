// `trop list` streams (docs/output-formats.md): it reads the rows page by page and writes
// its output in bounded chunks, so its memory does not grow with the number of rows. The
// peak RSS of the real CLI listing a full port range (65,535 rows with long paths: over
// 20 MB of table, 45 MB of JSON) must stay within a small margin of listing 1,000 rows.
// Nothing here depends on timing.
import Sqlite from "better-sqlite3"
import { spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { BIN, cleanEnv, tempDir } from "../support/cli.js"
import { SCHEMA_V2 } from "../fixtures/SchemaV2Sql.js"

/** Every port of 1..65535 is held by one row: the most rows a valid database can have. */
const MANY = 65_535
const FEW = 1_000
/** How much more the big listing may take than the small one. */
const MARGIN_MIB = 40

let root: string
/** Reports the process's peak RSS (KiB) on fd 3 as it exits (like bench/peak.cjs). */
let peak: string

const dataDir = (rows: number) => path.join(root, `data-${rows}`)

/** A schema-v2 database with `rows` reservations whose paths are a few hundred bytes long. */
const makeDatabase = (rows: number) => {
  fs.mkdirSync(dataDir(rows))
  const db = new Sqlite(path.join(dataDir(rows), "trop.db"))
  try {
    db.transaction(() => {
      for (const statement of SCHEMA_V2) db.prepare(statement).run()
      const insert = db.prepare(
        "INSERT INTO reservations (path, tag, port, project, task, created_at, last_used_at) VALUES (?, ?, ?, ?, ?, ?, ?)"
      )
      const long = "long-directory-name-".repeat(12)
      for (let i = 0; i < rows; i++) {
        insert.run(
          `${root}/work/${long}/project-${i % 211}/worktree-${i}`,
          ["", "web", "api"][i % 3],
          i + 1,
          i % 2 === 0 ? null : `project-${i % 13}`,
          i % 4 === 0 ? `TASK-${i}` : null,
          1_700_000_000 + i,
          1_700_000_000 + 2 * i
        )
      }
    })()
  } finally {
    db.close()
  }
}

beforeAll(() => {
  root = tempDir()
  peak = path.join(root, "peak.cjs")
  fs.writeFileSync(
    peak,
    "const fs = require('node:fs')\nprocess.on('exit', () => fs.writeSync(3, `${process.resourceUsage().maxRSS}\\n`))\n"
  )
  fs.mkdirSync(path.join(root, "work"))
  makeDatabase(FEW)
  makeDatabase(MANY)
}, 120_000)
afterAll(() => fs.rmSync(root, { recursive: true, force: true }))

/** `trop list` with stdout on a pipe; its peak RSS in MiB and its output's line count. */
const listPeak = (rows: number, format: string) => {
  const r = spawnSync(process.execPath, ["-r", peak, BIN, "--data-dir", dataDir(rows), "list", "--format", format], {
    cwd: path.join(root, "work"),
    env: cleanEnv({ HOME: root }),
    stdio: ["ignore", "pipe", "pipe", "pipe"],
    maxBuffer: 512 * 1024 * 1024
  })
  expect({ code: r.status, stderr: r.stderr.toString("utf8") }).toEqual({ code: 0, stderr: "" })
  const stdout = r.stdout.toString("utf8")
  let lines = 0
  for (let at = stdout.indexOf("\n"); at !== -1; at = stdout.indexOf("\n", at + 1)) lines++
  return { mib: Number(r.output[3]?.toString().trim()) / 1024, lines, bytes: r.stdout.length }
}

describe("list: peak memory does not grow with the number of rows", () => {
  for (const [format, linesPerRow, extraLines] of [["table", 1, 1], ["json", 9, 2]] as const) {
    it(`${format}: ${MANY} rows within ${MARGIN_MIB} MiB of ${FEW} rows`, () => {
      const few = listPeak(FEW, format)
      const many = listPeak(MANY, format)
      expect(few.lines).toBe(FEW * linesPerRow + extraLines)
      expect(many.lines).toBe(MANY * linesPerRow + extraLines)
      expect(many.bytes).toBeGreaterThan(20 * 1024 * 1024)
      expect(
        many.mib - few.mib,
        `peak RSS ${many.mib.toFixed(1)} MiB for ${MANY} rows vs ${few.mib.toFixed(1)} MiB for ${FEW}`
      ).toBeLessThan(MARGIN_MIB)
    }, 300_000)
  }
})
