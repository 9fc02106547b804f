import * as Common from "../CommonOptions.js"
import { define } from "../Definition.js"
import { unsigned } from "../Opt.js"
import { runCleanup } from "./Cleanup.js"

export const expire = define({
  name: "expire",
  description: "Remove reservations based on age",
  options: { days: unsigned("days", "DAYS", "Remove reservations unused for N days", 4294967295), dryRun: Common.dryRun, format: Common.resultFormat }
}, (o) => runCleanup("expire", o))
