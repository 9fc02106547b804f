import { define } from "../Definition.js"
import { groupOptions, runGroup } from "./Group.js"

export const autoreserve = define({
  name: "autoreserve",
  description: "Automatically discover and reserve ports from project config",
  options: groupOptions
}, (o) => runGroup(o, { _tag: "Discovered" }))
