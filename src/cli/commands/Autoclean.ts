import * as Common from "../CommonOptions.js"
import { define } from "../Definition.js"
import { unsigned } from "../Opt.js"
import { runCleanup } from "./Cleanup.js"

export const autoclean = define({
  name: "autoclean",
  description: "Combined cleanup (prune + expire)",
  options: { days: unsigned("days", "DAYS", "Override expiration threshold in days", 4294967295), dryRun: Common.dryRun, format: Common.resultFormat }
}, (o) => runCleanup("autoclean", o))
