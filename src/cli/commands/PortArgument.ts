import * as Effect from "effect/Effect"
import * as Port from "../../domain/Port.js"
import { InvalidArguments, UsageError } from "../Errors.js"

/** The `<PORT>` of `assert-port`/`port-info`: a u16 (else usage error); 0 is rejected separately. */
export const parsePortArgument = (command: string, raw: string): Effect.Effect<Port.Port, UsageError | InvalidArguments> => {
  const n = /^\+?[0-9]+$/.test(raw) ? Number(raw.replace(/^\+/, "")) : NaN
  if (!Number.isInteger(n) || n > Port.MAX_PORT) {
    return Effect.fail(
      new UsageError({
        detail: `invalid value '${raw}' for '<PORT>': expected an integer in 0..${Port.MAX_PORT}`,
        usage: `trop ${command} [OPTIONS] <PORT>`
      })
    )
  }
  return n === 0
    ? Effect.fail(new InvalidArguments({ detail: "invalid port 0: port 0 is invalid" }))
    : Effect.succeed(Port.unsafeMake(n))
}
