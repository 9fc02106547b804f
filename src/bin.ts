import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { Invocation } from "./cli/Invocation.js"
import { main } from "./cli/Main.js"
import { Output } from "./cli/Output.js"

// The process entry: run the command line, exit with its code. Everything else is in cli/.
Effect.runPromise(main(process.argv.slice(2)).pipe(Effect.provide(Layer.merge(Invocation.layer, Output.layer))))
  .then((code) => process.exit(code))
