import * as Option from "effect/Option"
import type { Reservation } from "../../domain/Reservation.js"
import type { CleanupResult } from "../../operations/Cleanup.js"
import type { ReservePlan } from "../../operations/Reserve.js"
import type { ProbeFailure } from "../../probe/Occupancy.js"
import type { Owner } from "../../probe/Owners.js"
import * as Owners from "../../probe/Owners.js"
import type { Probe } from "../../probe/Policy.js"
import { jsonDocument, reservationJson } from "./ListFormat.js"

/**
 * `--format json` of the commands that report what they did: one JSON document on stdout,
 * every object's keys in alphabetical order, reservations in the shape of
 * `list --format json` (docs/output-formats.md).
 */

/** Whether `--format json` was given. */
export const requested = (format: Option.Option<"text" | "json">): boolean => Option.contains(format, "json")

/** `value` with its keys in alphabetical order (the order JSON.stringify then keeps). */
const alphabetical = (value: Record<string, unknown>): Record<string, unknown> =>
  Object.fromEntries(Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))

const rows = (reservations: ReadonlyArray<Reservation>) => reservations.map(reservationJson)

/** `reserve`: the reservation as stored (or as it would be), what was done, what it replaced. */
export const reserve = (plan: ReservePlan, dryRun: boolean): string =>
  jsonDocument(alphabetical({
    ...reservationJson(plan.reservation),
    action: plan.action,
    cleanup: Option.match(plan.cleanup, {
      onNone: () => null,
      onSome: (c) => ({ expired: rows(c.expired), pruned: rows(c.pruned) })
    }),
    dry_run: dryRun,
    previous_port: Option.match(plan.previous, { onNone: () => null, onSome: (p) => p.port })
  }))

/** `release`: the reservations released (or that would be). */
export const release = (released: ReadonlyArray<Reservation>, dryRun: boolean): string =>
  jsonDocument({ dry_run: dryRun, released: rows(released) })

/** `prune`, `expire`, `autoclean`: the rows removed (or that would be); `expireAfterDays` null for prune. */
export const cleanup = (result: CleanupResult, expireAfterDays: number | null, dryRun: boolean): string =>
  jsonDocument({
    dry_run: dryRun,
    expire_after_days: expireAfterDays,
    expired: rows(result.expired),
    pruned: rows(result.pruned)
  })

/** Where a probe binds: protocol, family, scope and address. */
const probeJson = (probe: Probe) => ({
  address: probe.address,
  family: probe.family,
  protocol: probe.protocol,
  scope: probe.scope
})

/** What `port-info --include-occupancy` found; `checked` false when the policy disabled every probe. */
export interface OccupancyReport {
  readonly checked: boolean
  readonly inUse: ReadonlyArray<{ readonly probe: Probe; readonly owner: Owner }>
  readonly failures: ReadonlyArray<ProbeFailure>
}

const occupancyJson = (o: OccupancyReport) => ({
  failures: o.failures.map((f) => alphabetical({ ...probeJson(f.probe), reason: f.reason })),
  in_use: o.inUse.map(({ owner, probe }) =>
    alphabetical({
      ...probeJson(probe),
      owner_metadata: Owners.status(owner),
      pid: Option.getOrNull(owner.pid),
      process: Option.getOrNull(owner.name),
      user: Option.getOrNull(owner.user)
    })
  ),
  status: !o.checked
    ? "not_checked"
    : o.inUse.length > 0
    ? "in_use"
    : o.failures.length > 0
    ? "possibly_occupied"
    : "available"
})

/** `port-info`: the reservation holding the port (with whether its path exists) and the occupancy, if asked. */
export const portInfo = (
  port: number,
  found: Option.Option<{ readonly reservation: Reservation; readonly pathExists: boolean }>,
  occupancy: Option.Option<OccupancyReport>
): string =>
  jsonDocument({
    occupancy: Option.match(occupancy, { onNone: () => null, onSome: occupancyJson }),
    port,
    reservation: Option.match(found, {
      onNone: () => null,
      onSome: (f) => alphabetical({ ...reservationJson(f.reservation), path_exists: f.pathExists })
    })
  })
