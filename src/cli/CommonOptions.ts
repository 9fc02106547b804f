import type { CommandLineSettings } from "../config/CommandLine.js"
import * as Opt from "./Opt.js"
import { choice, flag, text } from "./Opt.js"

/** Options several subcommands share, with their help strings (docs/cli.md). */

export const path = Opt.path("path", "Directory path (default: current directory)", "TROP_PATH")
export const tag = text("tag", "TAG", "Service tag")
export const dryRun = flag("dry-run", "Perform a dry run")
/**
 * `--format` of the commands that report what they did (`reserve`, `release`, `port-info`,
 * `prune`, `expire`, `autoclean`): `text` as trop 0.2.0 prints it, or one JSON document.
 * Unlike `list --format`, `output_format`/`TROP_OUTPUT_FORMAT` never apply (docs/output-formats.md).
 */
export const resultFormat = choice("format", "FORMAT", "Output format", ["text", "json"])
export const allowUnrelatedPath = flag("allow-unrelated-path", "Allow operations on unrelated paths")
export const allowProjectChange = flag("allow-project-change", "Allow changing the project field")
export const allowTaskChange = flag("allow-task-change", "Allow changing the task field")
export const allowChange = flag("allow-change", "Allow changing project or task fields")

/** The occupancy policy flags (docs/concepts.md). */
export const occupancy = {
  skipOccupancyCheck: flag("skip-occupancy-check", "Skip occupancy check"),
  skipTcp: flag("skip-tcp", "Skip TCP checks"),
  skipUdp: flag("skip-udp", "Skip UDP checks"),
  skipIpv6: flag("skip-ipv6", "Skip IPv6 checks"),
  skipIpv4: flag("skip-ipv4", "Skip IPv4 checks"),
  checkAllInterfaces: flag("check-all-interfaces", "Check all network interfaces")
}

export interface OccupancyFlags {
  readonly skipOccupancyCheck: boolean
  readonly skipTcp: boolean
  readonly skipUdp: boolean
  readonly skipIpv6: boolean
  readonly skipIpv4: boolean
  readonly checkAllInterfaces: boolean
}

/** The occupancy flags as command-line configuration leaves. */
export const occupancyLeaves = (f: OccupancyFlags): CommandLineSettings["occupancy"] => ({
  skip: f.skipOccupancyCheck,
  skip_tcp: f.skipTcp,
  skip_udp: f.skipUdp,
  skip_ip6: f.skipIpv6,
  skip_ip4: f.skipIpv4,
  check_all_interfaces: f.checkAllInterfaces
})
