/**
 * The `trop` executable (dist/bin.cjs, CommonJS: it starts a few ms sooner than an ES module).
 * It runs the bundled CLI (dist/trop.cjs) through V8's code cache (CodeCache.ts): compiling
 * the ~0.5 MB bundle from scratch costs more than the whole rest of a `trop reserve`. Help
 * and the version are answered before that, from the declarations alone (cli/Front.ts,
 * dist/front.cjs, cached the same way). Nothing else belongs here.
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { runCached } from "./CodeCache.js"

// Built as CommonJS only, so __dirname is dist/.
const directory = __dirname

/** Runs the bundle `name` of dist/ through its code cache (CodeCache.ts) and returns its exports. */
const load = (name: string): unknown => runCached(path.join(directory, name))

/** Only a command line with one of these words can ask for help or the version. */
const ASKING = new Set(["help", "-h", "--help", "-V", "--version"])

type Front = typeof import("./cli/Front.js")

/** Whether dist/front.cjs answered (help or version); if it cannot be loaded, the CLI answers. */
const frontAnswered = (argv: ReadonlyArray<string>): boolean => {
  let front: Front
  let specs: Parameters<Front["answered"]>[2]
  try {
    front = load("front.cjs") as Front
    specs = JSON.parse(fs.readFileSync(path.join(directory, "specs.json"), "utf8"))
  } catch {
    return false
  }
  return front.answered(argv, process.env, specs)
}

const argv = process.argv.slice(2)
// The CLI bundle runs the command line as it loads.
if (!(argv.some((word) => ASKING.has(word)) && frontAnswered(argv))) load("trop.cjs")
