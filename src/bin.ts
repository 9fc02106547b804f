import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import { Invocation } from "./cli/Invocation.js"
import { main } from "./cli/Main.js"
import { Output } from "./cli/Output.js"

// The process entry: run the command line, exit with its code. Everything else is in cli/.
// The services are given as a Context, not Layers: building layers costs a measurable part of a run.
const services = Context.make(Invocation, Invocation.live()).pipe(Context.add(Output, Output.live))
Effect.runPromise(Effect.provide(main(process.argv.slice(2)), services)).then((code) => process.exit(code))
