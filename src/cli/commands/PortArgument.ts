import * as Effect from "effect/Effect"
import * as Port from "../../domain/Port.js"
import { InvalidArguments, UsageError } from "../Errors.js"

/**
 * The `<PORT>` of `assert-port`/`port-info` as the argument parser takes it: a u16, else a
 * usage error. 0 passes here: `nonZeroPort` refuses it later, as the command's own check.
 */
export const parsePortArgument = (command: string, raw: string): Effect.Effect<number, UsageError> => {
  const n = /^\+?[0-9]+$/.test(raw) ? Number(raw.replace(/^\+/, "")) : NaN
  return Number.isInteger(n) && n <= Port.MAX_PORT
    ? Effect.succeed(n)
    : Effect.fail(
      new UsageError({
        detail: `invalid value '${raw}' for '<PORT>': expected an integer in 0..${Port.MAX_PORT}`,
        usage: `trop ${command} [OPTIONS] <PORT>`
      })
    )
}

/**
 * Port 0 is refused after the data directory, the working directory and the configuration
 * (the order of docs/compatibility.md, as in trop 0.2.0).
 */
export const nonZeroPort = (n: number): Effect.Effect<Port.Port, InvalidArguments> =>
  n === 0
    ? Effect.fail(new InvalidArguments({ detail: "invalid port 0: port 0 is invalid" }))
    : Effect.succeed(Port.unsafeMake(n))
