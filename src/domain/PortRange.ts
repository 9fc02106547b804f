import * as Schema from "effect/Schema"
import * as Port from "./Port.js"

/** An inclusive range of ports with `min <= max`. */
export const PortRange = Schema.Struct({ min: Port.Port, max: Port.Port }).pipe(
  Schema.filter((r) => r.min <= r.max || "max must be >= min")
)
export type PortRange = typeof PortRange.Type

/** Whether `port` lies in the inclusive range. */
export const contains = (range: PortRange, port: number): boolean => port >= range.min && port <= range.max

/** Every port of the range in ascending order. */
export function* ports(range: PortRange): Generator<Port.Port> {
  for (let p: number = range.min; p <= range.max; p++) yield Port.unsafeMake(p)
}

/** `5000-7000`, as messages show a range. */
export const format = (range: PortRange): string => `${range.min}-${range.max}`
