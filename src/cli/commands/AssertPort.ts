import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Reservations from "../../store/Reservations.js"
import { define, positional } from "../Definition.js"
import { AssertionFailed } from "../Errors.js"
import { flag } from "../Opt.js"
import * as Session from "../Session.js"
import { nonZeroPort, parsePortArgument } from "./PortArgument.js"

export const assertPort = define({
  name: "assert-port",
  description: "Assert that a specific port is reserved",
  options: { not: flag("not", "Invert the assertion") },
  args: { port: positional("PORT", "Port number to check") }
}, (o) =>
  Effect.gen(function*() {
    const requested = yield* parsePortArgument("assert-port", o.port)
    const dataDir = yield* Session.dataDirectory(o.globals)
    const cwd = yield* Session.workingDirectory
    const { settings } = yield* Session.configuration(o.globals, Session.discover(cwd, dataDir))
    const port = yield* nonZeroPort(requested)
    const found = yield* Reservations.byPort(port).pipe(Session.withDatabase("assert-port", settings, dataDir))
    if (Option.isSome(found) === o.not) {
      return yield* new AssertionFailed({ detail: o.not ? `port ${port} is reserved` : `port ${port} is not reserved` })
    }
  }))
