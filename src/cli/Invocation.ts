import * as Context from "effect/Context"
import type { Environment } from "../config/Env.js"

/** What the process was started with, besides argv: injected so commands can be run in-process. */
export class Invocation extends Context.Tag("trop/Invocation")<Invocation, {
  readonly env: Environment
  /** The working directory as the OS reports it; throws when it cannot be read. */
  readonly cwd: () => string
}>() {
  /** This process's. */
  static readonly live = (): Context.Tag.Service<Invocation> => ({ env: process.env, cwd: () => process.cwd() })
}
