import * as Either from "effect/Either"
import * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"
import type { CommandLineSettings } from "../config/CommandLine.js"
import { InvalidConfiguration } from "../domain/Errors.js"

/**
 * Settings a program passes to `Trop.layer` / `Trop.layerTest`. They override every
 * configuration layer (files, `TROP_*`), as command-line options do for the CLI, and are
 * validated with the same rules; errors name them `<options>`.
 */
export interface SettingsOptions {
  /** How long to wait for another process's write lock; default 5. */
  readonly busyTimeoutSeconds?: number | undefined
  /** The range ports are allocated from; default 5000..7000. */
  readonly ports?: { readonly min?: number | undefined; readonly max?: number | undefined } | undefined
  /** Ports and inclusive ranges never handed out, added to the configured ones. */
  readonly excludedPorts?: ReadonlyArray<number | { readonly start: number; readonly end: number }> | undefined
  /** The project recorded on new reservations. */
  readonly project?: string | undefined
  /** The task recorded on new reservations. */
  readonly task?: string | undefined
  readonly allowUnrelatedPath?: boolean | undefined
  readonly allowProjectChange?: boolean | undefined
  readonly allowTaskChange?: boolean | undefined
  /** Fail with `DatabaseMissing` instead of creating the data directory and database. */
  readonly disableAutoinit?: boolean | undefined
  /** Never prune (reservations of deleted directories) when the range is exhausted. */
  readonly disableAutoprune?: boolean | undefined
  /** Never expire (long-unused reservations) when the range is exhausted. */
  readonly disableAutoexpire?: boolean | undefined
  /** Days after which an unused reservation expires; default 30. */
  readonly expireAfterDays?: number | undefined
  /** Which bind probes decide that a port is in use; default: TCP and UDP on IPv4 and IPv6 localhost. */
  readonly occupancy?: {
    readonly skip?: boolean | undefined
    readonly skipTcp?: boolean | undefined
    readonly skipUdp?: boolean | undefined
    readonly skipIpv4?: boolean | undefined
    readonly skipIpv6?: boolean | undefined
    readonly checkAllInterfaces?: boolean | undefined
  } | undefined
}

/** How configuration errors name these options. */
export const SOURCE = "<options>"

const Int = Schema.Int
const Flag = Schema.optional(Schema.Boolean)

const Settings = Schema.Struct({
  busyTimeoutSeconds: Schema.optional(Int),
  ports: Schema.optional(Schema.Struct({ min: Schema.optional(Int), max: Schema.optional(Int) })),
  excludedPorts: Schema.optional(Schema.Array(Schema.Union(Int, Schema.Struct({ start: Int, end: Int })))),
  project: Schema.optional(Schema.String),
  task: Schema.optional(Schema.String),
  allowUnrelatedPath: Flag,
  allowProjectChange: Flag,
  allowTaskChange: Flag,
  disableAutoinit: Flag,
  disableAutoprune: Flag,
  disableAutoexpire: Flag,
  expireAfterDays: Schema.optional(Int),
  occupancy: Schema.optional(Schema.Struct({
    skip: Flag,
    skipTcp: Flag,
    skipUdp: Flag,
    skipIpv4: Flag,
    skipIpv6: Flag,
    checkAllInterfaces: Flag
  }))
})

const decode = Schema.decodeUnknownEither(Settings)

/** The options as the command-line layer of the configuration; values of the wrong type are refused here. */
export const commandLine = (options: unknown): Either.Either<CommandLineSettings, InvalidConfiguration> =>
  Either.map(
    Either.mapLeft(decode(options ?? {}), (error) =>
      new InvalidConfiguration({
        detail: `invalid options: ${ParseResult.TreeFormatter.formatErrorSync(error).replaceAll("\n", " ")}`
      })),
    (o) => ({
      busyTimeoutSeconds: o.busyTimeoutSeconds,
      min: o.ports?.min,
      max: o.ports?.max,
      exclusions: o.excludedPorts?.map((e) => typeof e === "number" ? { start: e, end: e } : e),
      project: o.project,
      task: o.task,
      allowUnrelatedPath: o.allowUnrelatedPath,
      allowProjectChange: o.allowProjectChange,
      allowTaskChange: o.allowTaskChange,
      disableAutoinit: o.disableAutoinit,
      disableAutoprune: o.disableAutoprune,
      disableAutoexpire: o.disableAutoexpire,
      expireAfterDays: o.expireAfterDays,
      occupancy: o.occupancy === undefined ? undefined : {
        skip: o.occupancy.skip ?? false,
        skip_tcp: o.occupancy.skipTcp ?? false,
        skip_udp: o.occupancy.skipUdp ?? false,
        skip_ip4: o.occupancy.skipIpv4 ?? false,
        skip_ip6: o.occupancy.skipIpv6 ?? false,
        check_all_interfaces: o.occupancy.checkAllInterfaces ?? false
      }
    })
  )
