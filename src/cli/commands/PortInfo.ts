import { display } from "../../domain/Escape.js"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as fs from "node:fs"
import { formatTimestamp } from "../../domain/Reservation.js"
import { Occupancy } from "../../probe/Occupancy.js"
import * as Owners from "../../probe/Owners.js"
import type { Probe } from "../../probe/Policy.js"
import { describe, probes } from "../../probe/Policy.js"
import * as Reservations from "../../store/Reservations.js"
import * as Common from "../CommonOptions.js"
import { define, positional } from "../Definition.js"
import { flag } from "../Opt.js"
import { Output } from "../Output.js"
import * as Session from "../Session.js"
import { nonZeroPort, parsePortArgument } from "./PortArgument.js"
import * as ResultJson from "./ResultJson.js"

const OCCUPANCY_FLAGS = ["skip-occupancy-check", "skip-tcp", "skip-udp", "skip-ipv6", "skip-ipv4", "check-all-interfaces"]

const at = (probe: Probe) => `${describe(probe)} at ${probe.address}`

export const portInfo = define({
  name: "port-info",
  description: "Display information about a specific port",
  options: {
    includeOccupancy: flag("include-occupancy", "Include occupancy information"),
    ...Common.occupancy,
    format: Common.resultFormat
  },
  args: { port: positional("PORT", "Port number to inspect") },
  requires: OCCUPANCY_FLAGS.map((f) => [f, "include-occupancy"] as const)
}, (o) =>
  Effect.gen(function*() {
    const output = yield* Output
    const requested = yield* parsePortArgument("port-info", o.port)
    const dataDir = yield* Session.dataDirectory(o.globals)
    const cwd = yield* Session.workingDirectory
    const { settings } = yield* Session.configuration(o.globals, Session.discover(cwd, dataDir), {
      occupancy: Common.occupancyLeaves(o)
    })
    const port = yield* nonZeroPort(requested)
    const found = yield* Reservations.byPort(port).pipe(Session.withDatabase("port-info", settings, dataDir))
    const reserved = Option.map(found, (reservation) => ({ reservation, pathExists: fs.existsSync(reservation.key.path) }))
    let report = Option.none<ResultJson.OccupancyReport>()
    const lines: Array<string> = Option.match(reserved, {
      onNone: () => [`Port ${port} is not reserved`],
      onSome: ({ pathExists, reservation: r }) => [
        `Port: ${r.port}`,
        `Path: ${r.key.path}`,
        ...Option.match(r.key.tag, { onNone: () => [], onSome: (t) => [`Tag: ${t}`] }),
        ...Option.match(r.project, { onNone: () => [], onSome: (p) => [`Project: ${p}`] }),
        ...Option.match(r.task, { onNone: () => [], onSome: (t) => [`Task: ${t}`] }),
        `Created: ${formatTimestamp(r.createdAt)}`,
        `Last used: ${formatTimestamp(r.lastUsedAt)}`,
        `Path exists: ${pathExists ? "yes" : "no"}`
      ]
    })
    if (o.includeOccupancy) {
      lines.push("", "Occupancy status:")
      if (probes(settings.occupancy).length === 0) {
        lines.push("  Not checked: the effective policy disabled every probe")
        report = Option.some({ checked: false, inUse: [], failures: [] })
      } else {
        const occupancy = yield* Effect.flatMap(Occupancy, (occ) => occ.check(port, settings.occupancy))
        const owners = yield* Owners.lookup(occupancy.inUse.map((probe) => ({ probe, port })))
        report = Option.some({
          checked: true,
          inUse: occupancy.inUse.map((probe, i) => ({ probe, owner: owners[i] ?? Owners.UNKNOWN })),
          failures: occupancy.failures
        })
        if (occupancy.inUse.length > 0) {
          lines.push("  Port is currently in use")
          for (const [i, probe] of occupancy.inUse.entries()) {
            const owner = owners[i] ?? Owners.UNKNOWN
            const text = (v: Option.Option<string | number>) => Option.match(v, { onNone: () => "unavailable", onSome: String })
            lines.push(
              `  - ${at(probe)}`,
              `    Process ID: ${text(owner.pid)}`,
              `    Process: ${text(owner.name)}`,
              `    User: ${text(owner.user)}`,
              `    Owner metadata: ${Owners.status(owner)}`
            )
          }
        } else if (occupancy.failures.length > 0) {
          lines.push("  Port is possibly occupied (occupancy probe failed)")
        } else {
          lines.push("  Port is available")
        }
        for (const failure of occupancy.failures) lines.push(`  - ${at(failure.probe)}: probe failed: ${failure.reason}`)
      }
    }
    if (ResultJson.requested(o.format)) return yield* output.out(ResultJson.portInfo(port, reserved, report))
    for (const line of lines) yield* output.out(display(line))
  }))
