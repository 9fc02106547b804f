// `npm run bench`: trop against floors measured in the same run. Each row is a ratio
// trop / floor of medians (lower is better) next to its target.
import * as os from "node:os"
import * as path from "node:path"
import { burstRows } from "./burst.mjs"
import { groupRows } from "./group.mjs"
import { inProcessRows } from "./inprocess.mjs"
import { dirs, RUNS, sample, scenario, TROP } from "./lib.mjs"
import { listRows } from "./list.mjs"

const rows = [
  // Asked by people at the prompt; answered without loading the CLI (src/cli/Front.ts).
  ...[["--version"], ["help", "reserve"]].map((args) =>
    scenario({
      name: `trop ${args.join(" ")}`,
      prepare: (root) => ({ cwd: () => root }),
      tropArgs: () => args,
      floorScript: "-e",
      floorArgs: () => ["0"],
      target: 1.2
    })
  ),
  // PORT=$(trop reserve) in a directory that already has its port: the everyday case.
  scenario({
    name: "reserve (existing key)",
    prepare: (root) => {
      const work = dirs(root, "w", 1)[0]
      const tropData = path.join(root, "trop-data")
      const floorData = path.join(root, "floor-data")
      sample(TROP, ["--data-dir", tropData, "reserve"], work)
      sample(TROP, ["--data-dir", floorData, "reserve"], work)
      return { work, tropData, floorData, cwd: () => work }
    },
    tropArgs: (c) => ["--data-dir", c.tropData, "reserve"],
    floorScript: "floor-reserve.mjs",
    floorArgs: (c) => [c.floorData, c.work],
    target: 1.3,
    memoryTarget: 1.3
  }),
  // A new directory: allocation with occupancy probes, each run on a fresh directory.
  scenario({
    name: "reserve (new key)",
    prepare: (root) => {
      const tropDirs = dirs(root, "t", RUNS)
      const floorDirs = dirs(root, "f", RUNS)
      const tropData = path.join(root, "trop-data")
      const floorData = path.join(root, "floor-data")
      sample(TROP, ["--data-dir", floorData, "reserve", "--path", root], root)
      return { tropDirs, floorDirs, tropData, floorData, cwd: (i, who) => (who === "trop" ? tropDirs : floorDirs)[i] }
    },
    tropArgs: (c) => ["--data-dir", c.tropData, "reserve"],
    floorScript: "floor-reserve.mjs",
    floorArgs: (c, i) => [c.floorData, c.floorDirs[i]],
    target: 1.3
  }),
  ...groupRows(),
  ...listRows(),
  // `trop scan` over the default range 5000-7000: 2001 ports × 4 bind probes, then the owner
  // lookup of whatever is in use, against a floor that only binds the same probe sockets.
  scenario({
    name: "scan (default range)",
    prepare: (root) => {
      const work = dirs(root, "w", 1)[0]
      const tropData = path.join(root, "trop-data")
      sample(TROP, ["--data-dir", tropData, "init"], work)
      return { work, tropData, cwd: () => work }
    },
    tropArgs: (c) => ["--data-dir", c.tropData, "scan"],
    floorScript: "floor-scan.mjs",
    floorArgs: () => ["5000", "7000"]
  }),
  ...(await inProcessRows())
]

console.log(`trop vs floor, median of ${RUNS - 1} interleaved runs each (node ${process.version}, ${os.cpus().length} cpus)`)
console.table(rows)

// Many processes at once against one database: no floor, the outcome is the result.
console.log("\nburst: 50 processes reserving at once, default busy timeout")
console.table(await burstRows())
