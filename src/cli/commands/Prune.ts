import * as Option from "effect/Option"
import * as Common from "../CommonOptions.js"
import { define } from "../Definition.js"
import { runCleanup } from "./Cleanup.js"

export const prune = define({
  name: "prune",
  description: "Remove reservations for non-existent directories",
  options: { dryRun: Common.dryRun, format: Common.resultFormat }
}, (o) => runCleanup("prune", { ...o, days: Option.none() }))
