import * as Context from "effect/Context"
import * as Layer from "effect/Layer"
import type { Environment } from "../config/Env.js"

/** What the process was started with, besides argv: injected so commands can be run in-process. */
export class Invocation extends Context.Tag("trop/Invocation")<Invocation, {
  readonly env: Environment
  /** The working directory as the OS reports it; throws when it cannot be read. */
  readonly cwd: () => string
}>() {
  static readonly layer = Layer.sync(Invocation, () => ({ env: process.env, cwd: () => process.cwd() }))
}
