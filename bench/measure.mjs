// Runs a script in this process and reports its peak RSS on fd 3 when it exits, so a
// command and its floor are measured the same way: `node measure.mjs script args...`.
import * as fs from "node:fs"
import { pathToFileURL } from "node:url"

const [script, ...args] = process.argv.slice(2)
process.argv = [process.argv[0], script, ...args]
process.on("exit", () => fs.writeSync(3, `${process.resourceUsage().maxRSS}\n`))
await import(pathToFileURL(script).href)
