// `trop list` over 10,000 reservations against floor-list.mjs, in the default table format
// (stdout a pipe, so tab-separated) and as JSON. Each run's stdout must be byte for byte
// the floor's. Imported by run.mjs; alone:
//   node -e 'import("./bench/list.mjs").then((m) => console.table(m.listRows()))'
import Database from "better-sqlite3"
import * as path from "node:path"
import { dirs, sample, scenario, TROP } from "./lib.mjs"

export const LIST_ROWS = 10_000

/**
 * A data directory made by `trop init` with `count` rows inserted directly: worktrees of
 * a few hundred projects under `root` (under $HOME, so the table shortens them), about a
 * third untagged, half with a project, a fifth with a task, a few with non-ASCII and
 * control characters (escaped in the table and in JSON).
 */
export const seedList = (root, dataDir, count = LIST_ROWS) => {
  sample(TROP, ["--data-dir", dataDir, "init"], root)
  const db = new Database(path.join(dataDir, "trop.db"))
  try {
    const insert = db.prepare(
      "INSERT INTO reservations (path, tag, port, project, task, created_at, last_used_at) VALUES (?, ?, ?, ?, ?, ?, ?)"
    )
    db.transaction(() => {
      for (let i = 0; i < count; i++) {
        const odd = i % 1000 === 7
        insert.run(
          path.join(root, "src", `project-${i % 331}`, odd ? `wörktree\t${i}\u009b` : `worktree-${i}`),
          ["", "web", "api"][i % 3],
          1024 + i,
          i % 2 === 0 ? null : odd ? `shop\u007f${i % 17}` : `shop-${i % 17}`,
          i % 5 === 0 ? `TASK-${i}` : null,
          1_700_000_000 + i * 37,
          1_700_000_000 + i * 53
        )
      }
    })()
  } finally {
    db.close()
  }
}

const identical = (label) => (trop, floor, i) => {
  if (trop !== floor) {
    let at = 0
    while (at < trop.length && trop[at] === floor[at]) at++
    throw new Error(
      `${label}, run ${i}: trop's stdout differs from the floor's at character ${at} ` +
        `(trop ${trop.length}, floor ${floor.length} characters): ${JSON.stringify(trop.slice(at, at + 80))} ` +
        `vs ${JSON.stringify(floor.slice(at, at + 80))}`
    )
  }
  if (trop.split("\n").length < LIST_ROWS) throw new Error(`${label}, run ${i}: fewer lines than rows`)
}

const listScenario = (format) =>
  scenario({
    name: `list (${LIST_ROWS.toLocaleString("en-US")} rows, ${format})`,
    prepare: (root) => {
      const work = dirs(root, "w", 1)[0]
      const dataDir = path.join(root, "data")
      seedList(root, dataDir)
      return { work, dataDir, cwd: () => work }
    },
    tropArgs: (c) => ["--data-dir", c.dataDir, "list", ...(format === "table" ? [] : ["--format", format])],
    floorScript: "floor-list.mjs",
    floorArgs: (c) => [c.dataDir, format],
    target: 1.5,
    check: identical(`list ${format}`)
  })

/** The two rows of the benchmark table: the default table format and JSON. */
export const listRows = () => [listScenario("table"), listScenario("json")]
