// `trop reserve-group trop.yaml` for a group of three services (web, api +1, db +2), as a
// whole CLI process, against bench/floor-group.mjs: a bare Node script doing the same group
// transaction on a hard-coded copy of the group (it reads no YAML). Three rows:
// - existing group: the same directory every run, its group already reserved (refresh: the
//   everyday case, e.g. `eval "$(trop reserve-group trop.yaml)"` in a shell profile);
// - the same with 1,000 other reservations in the database (other directories: a database
//   that has seen some use), the same rows on both sides;
// - new group: a fresh directory every run (allocation of three ports, with bind probes).
// Both sides get their own data directory, created by `trop init`; every run checks what
// both printed: `export NAME=PORT` lines in tag order on one base, the same lines for an
// existing group.
//
// `node bench/group.mjs` (after `node build.mjs`) prints the table; BENCH_RUNS as in lib.mjs.
import * as fs from "node:fs"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import Database from "better-sqlite3"
import { dirs, RUNS, sample, scenario, TROP } from "./lib.mjs"

const TARGET = 1.3

const GROUP = `reservations:
  services:
    web: {}
    api: { offset: 1 }
    db: { offset: 2 }
`

/** A project directory with the group's trop.yaml. */
const project = (dir) => {
  fs.writeFileSync(path.join(dir, "trop.yaml"), GROUP)
  return dir
}

/** Two empty databases (trop's schema), one per side. */
const dataDirs = (root, cwd) => {
  const tropData = path.join(root, "trop-data")
  const floorData = path.join(root, "floor-data")
  sample(TROP, ["--data-dir", tropData, "init"], cwd)
  sample(TROP, ["--data-dir", floorData, "init"], cwd)
  return { tropData, floorData }
}

/** `count` untagged reservations of other directories, ports 5100 up, in both databases. */
const others = (root, count, ...dataDirs) => {
  const now = Math.floor(Date.now() / 1000)
  for (const dataDir of dataDirs) {
    const db = new Database(path.join(dataDir, "trop.db"))
    const insert = db.prepare(
      "INSERT INTO reservations (path, tag, port, project, task, created_at, last_used_at) VALUES (?, '', ?, NULL, NULL, ?, ?)"
    )
    db.transaction(() => {
      for (let i = 0; i < count; i++) insert.run(path.join(root, "others", `d${i}`), 5100 + i, now, now)
    })()
    db.close()
  }
}

const EXPORTS = /^export API=(\d+)\nexport DB=(\d+)\nexport WEB=(\d+)\n$/

/**
 * Both printed three assignments on one base (api = web + 1, db = web + 2) in the range; the
 * same ones when `same` (not for new groups: a port some other process holds for a moment
 * may be skipped by one side only, which then allocates elsewhere from then on).
 */
const check = (what, same = true) => (trop, floor, i) => {
  for (const [who, out] of [["trop", trop], ["the floor", floor]]) {
    const m = EXPORTS.exec(out)
    if (m === null) throw new Error(`${what}, run ${i}: unexpected output of ${who}: ${JSON.stringify(out)}`)
    const [api, db, web] = m.slice(1).map(Number)
    if (api !== web + 1 || db !== web + 2 || web < 5000 || db > 7000) throw new Error(`${what}, run ${i}: ${who}'s ports ${out}`)
  }
  if (same && trop !== floor) {
    throw new Error(`${what}, run ${i}: trop printed ${JSON.stringify(trop)}, the floor ${JSON.stringify(floor)}`)
  }
}

export const groupRows = () => [
  scenario({
    name: "reserve-group, 3 services, existing group",
    prepare: (root) => {
      const work = project(dirs(root, "w", 1)[0])
      const data = dataDirs(root, work)
      return { work, ...data, cwd: () => work }
    },
    tropArgs: (c) => ["--data-dir", c.tropData, "reserve-group", "trop.yaml"],
    floorScript: "floor-group.mjs",
    floorArgs: (c) => [c.floorData, c.work],
    target: TARGET,
    // Run 0 (discarded) reserves the group on both sides; every later run refreshes it.
    check: check("existing group")
  }),
  scenario({
    name: "reserve-group, 3 services, existing group, 1,000 other rows",
    prepare: (root) => {
      const work = project(dirs(root, "w", 1)[0])
      const data = dataDirs(root, work)
      others(root, 1000, data.tropData, data.floorData)
      return { work, ...data, cwd: () => work }
    },
    tropArgs: (c) => ["--data-dir", c.tropData, "reserve-group", "trop.yaml"],
    floorScript: "floor-group.mjs",
    floorArgs: (c) => [c.floorData, c.work],
    target: TARGET,
    check: check("existing group, 1,000 other rows")
  }),
  scenario({
    name: "reserve-group, 3 services, new group (probes)",
    prepare: (root) => {
      const tropDirs = dirs(root, "t", RUNS).map(project)
      const floorDirs = dirs(root, "f", RUNS).map(project)
      const data = dataDirs(root, root)
      return { tropDirs, floorDirs, ...data, cwd: (i, who) => (who === "trop" ? tropDirs : floorDirs)[i] }
    },
    tropArgs: (c) => ["--data-dir", c.tropData, "reserve-group", "trop.yaml"],
    floorScript: "floor-group.mjs",
    floorArgs: (c, i) => [c.floorData, c.floorDirs[i]],
    target: TARGET,
    check: check("new group", false)
  })
]

if (process.argv[1] !== undefined && fs.realpathSync(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const rows = groupRows()
  console.log(`trop vs floor, median of ${RUNS - 1} interleaved runs each (node ${process.version})`)
  console.table(rows)
}
