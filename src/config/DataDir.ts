import * as nodePath from "node:path"
import type { Environment } from "./Env.js"

/** HOME, then USERPROFILE. */
export const home = (env: Environment): string | undefined => env.HOME ?? env.USERPROFILE

/**
 * The data directory: `explicit` (`--data-dir`, a library option) ▸ `TROP_DATA_DIR` ▸
 * `$HOME/.trop`. The first given value is used verbatim, `""` included (callers refuse
 * it in their own words); undefined when none is given and no home is known.
 */
export const resolve = (explicit: string | undefined, env: Environment): string | undefined => {
  const given = explicit ?? env.TROP_DATA_DIR
  if (given !== undefined) return given
  const h = home(env)
  return h === undefined || h === "" ? undefined : nodePath.join(h, ".trop")
}
