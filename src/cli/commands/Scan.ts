import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import * as ExclusionFile from "../../config/ExclusionFile.js"
import * as ExclusionList from "../../config/ExclusionList.js"
import * as LockedEdit from "../../config/LockedEdit.js"
import type { ListEdit } from "../../config/EditYaml.js"
import { userConfigPath } from "../../config/Load.js"
import { parseYaml } from "../../config/Yaml.js"
import { InvalidConfiguration } from "../../domain/Errors.js"
import * as Scan from "../../operations/Scan.js"
import { PRIVATE_FILE_MODE } from "../../paths/AtomicWrite.js"
import type { ScanRow } from "../../operations/Scan.js"
import * as Owners from "../../probe/Owners.js"
import * as Reservations from "../../store/Reservations.js"
import * as Common from "../CommonOptions.js"
import { define } from "../Definition.js"
import { CliIoError } from "../Errors.js"
import { choice, flag, unsigned } from "../Opt.js"
import { Output } from "../Output.js"
import * as Session from "../Session.js"
import { delimited } from "./ListFormat.js"

const WIDTHS = [6, 20, 9, 9, 7, 10, 15, 12, 16, 16] as const
const HEADERS = ["Port", "Status", "Reserved", "Protocol", "Family", "Scope", "Address", "Process ID", "Process", "User", "Owner Status"]
const FIELDS = [
  "port",
  "status",
  "reserved",
  "protocol",
  "address_family",
  "scope",
  "address",
  "process_id",
  "process_name",
  "user",
  "owner_status"
]

const status = (row: ScanRow) => row.reserved ? `${row.kind} (reserved)` : row.kind

const cells = (row: ScanRow): ReadonlyArray<string> => {
  const text = (o: Option.Option<string | number>) => Option.match(o, { onNone: () => "unavailable", onSome: String })
  return [
    String(row.port),
    status(row),
    String(row.reserved),
    row.probe.protocol,
    row.probe.family,
    row.probe.scope,
    row.probe.address,
    text(row.owner.pid),
    text(row.owner.name),
    text(row.owner.user),
    Owners.status(row.owner)
  ]
}

/** The `scan` output in one of its formats, without the final newline (docs/cli.md). */
export const formatScan = (rows: ReadonlyArray<ScanRow>, format: "table" | "json" | "csv" | "tsv"): string => {
  switch (format) {
    case "table": {
      const line = (values: ReadonlyArray<string>) =>
        values.map((v, i) => i < WIDTHS.length ? v.padEnd(WIDTHS[i] ?? 0) : v).join(" ")
      return [line(HEADERS), "-".repeat(145), ...rows.map((r) => line(cells(r)))].join("\n")
    }
    case "json":
      return JSON.stringify(
        rows.map((r) => ({
          port: r.port,
          status: status(r),
          reserved: r.reserved,
          protocol: r.probe.protocol,
          address_family: r.probe.family,
          scope: r.probe.scope,
          address: r.probe.address,
          process_id: Option.getOrNull(r.owner.pid),
          process_name: Option.getOrNull(r.owner.name),
          user: Option.getOrNull(r.owner.user),
          owner_status: Owners.status(r.owner)
        })),
        null,
        2
      )
    case "csv":
    case "tsv":
      return delimited(format, FIELDS, rows.map(cells))
  }
}

const parseFailure = (reason: string) => new InvalidConfiguration({ detail: `Failed to parse config: ${reason}` })

export const scan = define({
  name: "scan",
  description: "Scan port range for occupied ports",
  options: {
    min: unsigned("min", "MIN", "Minimum acceptable port", 65535),
    max: unsigned("max", "MAX", "Maximum acceptable port", 65535),
    autoexclude: flag("autoexclude", "Automatically add occupied, unreserved ports to exclusion list"),
    autocompact: flag("autocompact", "Automatically compact exclusions after adding"),
    format: choice("format", "FORMAT", "Output format", ["table", "json", "csv", "tsv"]),
    // No --skip-occupancy-check here (docs/cli.md); the configuration's `skip` still applies.
    skipTcp: Common.occupancy.skipTcp,
    skipUdp: Common.occupancy.skipUdp,
    skipIpv4: Common.occupancy.skipIpv4,
    skipIpv6: Common.occupancy.skipIpv6,
    checkAllInterfaces: Common.occupancy.checkAllInterfaces
  }
}, (o) =>
  Effect.gen(function*() {
    const output = yield* Output
    const quiet = o.globals.quiet
    const { dataDir, ...effective } = yield* Session.discovered(o.globals, {
      min: Option.getOrUndefined(o.min),
      max: Option.getOrUndefined(o.max),
      occupancy: Common.occupancyLeaves({ ...o, skipOccupancyCheck: false })
    })
    const { settings } = effective
    const rows = yield* Reservations.all.pipe(Session.withDatabase("scan", settings, dataDir))
    const reserved = new Set<number>(rows.map((r) => r.port))
    const { max, min } = settings.range
    const result = yield* Scan.scan(settings.range, settings.occupancy, reserved, (done, total) =>
      output.progress(`Scanning ports ${min}-${max}: ${done}/${total}`))
    yield* output.progress(undefined)
    // Exclusions are written before anything is printed: a failed write leaves stdout empty.
    let notes: ReadonlyArray<string> = []
    if (o.autoexclude && result.unreservedOccupied.length > 0) {
      const project = Option.flatMap(effective.project, (p) => Option.orElse(p.local, () => p.project))
      const target = Option.getOrElse(project, () => userConfigPath(dataDir))
      const newFileMode = Option.isNone(project) ? PRIVATE_FILE_MODE : undefined
      // Read, decide and write under the write lock, re-reading after the first rewrite (LockedEdit).
      const edit = Effect.gen(function*() {
        const read = Effect.gen(function*() {
          const text = yield* ExclusionFile.readOrEmpty(target).pipe(Effect.catchTag("FileSystemError", (e) => Effect.fail(CliIoError.fromCause(e))))
          const items = yield* Either.flatMap(
            Either.mapLeft(parseYaml(text), (problems) => problems.join("; ")),
            ExclusionFile.listItems
          ).pipe(Either.mapLeft(parseFailure))
          return { text, items: items ?? [] }
        })
        const write = (text: string, change: ListEdit) =>
          ExclusionFile.rewrite(target, text, change, newFileMode).pipe(
            Effect.catchTag("FileSystemError", (e) => Effect.fail(CliIoError.fromCause(e)))
          )
        const before = yield* read
        const singles = new Set(
          ExclusionFile.validEntries(before.items).flatMap((e) => e !== undefined && e.start === e.end ? [e.start] : [])
        )
        const added = result.unreservedOccupied.filter((p) => !singles.has(p)).map((p) => ({ start: p, end: p }))
        if (added.length > 0) yield* write(before.text, { _tag: "Add", entries: added, absorbed: [] })
        const addedNote = `Added ${result.unreservedOccupied.length} exclusions to ${target}`
        if (o.autocompact && added.length > 0) {
          const after = yield* read
          const entries = ExclusionFile.validEntries(after.items).flatMap((e) => e === undefined ? [] : [e])
          const compacted = ExclusionList.compact(entries)
          if (entries.length === after.items.length && compacted.length !== after.items.length) {
            yield* write(after.text, { _tag: "Replace", entries: compacted })
            return [addedNote, `Compacted ${after.items.length} exclusions to ${compacted.length}`]
          }
        }
        return [addedNote]
      })
      notes = yield* edit.pipe(LockedEdit.underWriteLock, Session.withDatabase("scan", settings, dataDir))
    }
    yield* output.out(formatScan(result.rows, Option.getOrElse(o.format, () => "table" as const)))
    if (!quiet) for (const note of notes) yield* output.err(note)
    if (!quiet && Option.isSome(result.firstFailure)) {
      yield* output.err(
        `Warning: occupancy probes failed for ${result.failedPorts} port(s), reported as possibly occupied; first failure: ${result.firstFailure.value}`
      )
    }
    // Printed even with --quiet (kept from trop 0.2.0).
    if (result.unreservedOccupied.length > 0) {
      yield* output.err("")
      yield* output.err(`Found ${result.unreservedOccupied.length} unreserved occupied port(s)`)
    }
  }))
