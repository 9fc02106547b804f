import { define, positional } from "../Definition.js"
import { groupOptions, runGroup } from "./Group.js"

export const reserveGroup = define({
  name: "reserve-group",
  description: "Reserve ports for a group of services defined in a config file",
  options: groupOptions,
  args: { file: positional("CONFIG_PATH", "Configuration file defining the group") }
}, (o) => runGroup(o, { _tag: "Named", typed: o.file }))
