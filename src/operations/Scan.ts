import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import type { Port } from "../domain/Port.js"
import type { PortRange } from "../domain/PortRange.js"
import { ports } from "../domain/PortRange.js"
import type { PortOccupancy } from "../probe/Occupancy.js"
import { describeFailure, Occupancy } from "../probe/Occupancy.js"
import type { Owner } from "../probe/Owners.js"
import * as Owners from "../probe/Owners.js"
import type { OccupancyPolicy, Probe } from "../probe/Policy.js"
import { describe, probes } from "../probe/Policy.js"

/** One scan result: a probe that found its port in use, or that failed (docs/concepts.md). */
export interface ScanRow {
  readonly port: Port
  readonly kind: "occupied" | "possibly occupied"
  readonly reserved: boolean
  readonly probe: Probe
  readonly owner: Owner
}

export interface ScanResult {
  /** Ordered by port, then probe order (docs/concepts.md). */
  readonly rows: ReadonlyArray<ScanRow>
  /** Ports some probe found in use that no reservation holds, ascending. */
  readonly unreservedOccupied: ReadonlyArray<Port>
  /** Ports with failed probes, and the first failure for the warning. */
  readonly failedPorts: number
  readonly firstFailure: Option.Option<string>
}

/** Ports per `checkAll` call; progress is reported between batches. */
const BATCH = 500

/**
 * Probes every port of `range` (`trop scan`), then looks up the owners of what is in
 * use. `progress` hears about each finished port. A read: no transaction.
 */
export const scan = (
  range: PortRange,
  policy: OccupancyPolicy,
  reserved: ReadonlySet<number>,
  progress: (done: number, total: number) => Effect.Effect<void> = () => Effect.void
): Effect.Effect<ScanResult, never, Occupancy> =>
  Effect.gen(function*() {
    const occupancy = yield* Occupancy
    const all = [...ports(range)]
    const results: Array<PortOccupancy> = []
    for (let start = 0; start < all.length; start += BATCH) {
      results.push(...yield* occupancy.checkAll(all.slice(start, start + BATCH), policy))
      yield* progress(results.length, all.length)
    }
    const inUse = results.flatMap((r) => r.inUse.map((probe) => ({ probe, port: r.port })))
    const owners = yield* Owners.lookup(inUse)
    const ownerOf = new Map(inUse.map(({ port, probe }, i) => [`${port}/${describe(probe)}`, owners[i] ?? Owners.UNKNOWN]))
    const order = probes(policy).map(describe)
    const rows: Array<ScanRow> = results.flatMap((result) => {
      const port = result.port as Port
      const found = [
        ...result.inUse.map((probe) => ({ probe, kind: "occupied" as const })),
        ...result.failures.map((f) => ({ probe: f.probe, kind: "possibly occupied" as const }))
      ].sort((a, b) => order.indexOf(describe(a.probe)) - order.indexOf(describe(b.probe)))
      return found.map(({ kind, probe }) => ({
        port,
        kind,
        reserved: reserved.has(port),
        probe,
        owner: ownerOf.get(`${port}/${describe(probe)}`) ?? Owners.UNKNOWN
      }))
    })
    const firstFailed = results.find((r) => r.failures.length > 0)
    return {
      rows,
      unreservedOccupied: results.filter((r) => r.inUse.length > 0 && !reserved.has(r.port)).map((r) => r.port as Port),
      failedPorts: results.filter((r) => r.failures.length > 0).length,
      firstFailure: Option.fromNullable(firstFailed).pipe(
        Option.flatMap((r) =>
          Option.map(Option.fromNullable(r.failures[0]), (f) => `port ${r.port}: ${describeFailure(r.port, f)}`)
        )
      )
    }
  })
