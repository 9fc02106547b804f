import * as Either from "effect/Either"
import * as Schema from "effect/Schema"

/** A TCP/UDP port trop can hand out: an integer in 1..65535. */
export const Port = Schema.Int.pipe(Schema.between(1, 65535), Schema.brand("trop/Port"))
export type Port = typeof Port.Type

/** The highest TCP/UDP port. */
export const MAX_PORT = 65535

/** Narrows a number already known to be in range (e.g. a loop over a valid PortRange). */
export const unsafeMake = (n: number): Port => Port.make(n)

/** Whether a value is a valid `Port`. */
export const isPort = Schema.is(Port)

/**
 * Parses a port typed by the user as a string (`reserve --port/--min/--max`, `exclude`).
 * The messages are part of the CLI contract (docs/cli.md).
 */
export const parse = (text: string): Either.Either<Port, string> => {
  if (!/^\+?[0-9]+$/.test(text)) {
    return Either.left(`Invalid port number: '${text}' is not a valid number`)
  }
  const n = Number(text)
  if (n === 0) return Either.left("Invalid port number: port 0 is reserved and cannot be used")
  if (n > MAX_PORT) return Either.left(`Invalid port number: ${n} is greater than maximum port ${MAX_PORT}`)
  return Either.right(Port.make(n))
}
