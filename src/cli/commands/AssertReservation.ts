import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import { InvalidValue } from "../../domain/Errors.js"
import { tagFromInput } from "../../domain/Identifier.js"
import * as Key from "../../domain/ReservationKey.js"
import * as Reservations from "../../store/Reservations.js"
import * as Common from "../CommonOptions.js"
import { define } from "../Definition.js"
import { AssertionFailed } from "../Errors.js"
import { flag } from "../Opt.js"
import { Output } from "../Output.js"
import * as Session from "../Session.js"

export const assertReservation = define({
  name: "assert-reservation",
  description: "Assert that a reservation exists for a path/tag",
  options: { path: Common.path, tag: Common.tag, not: flag("not", "Invert the assertion") }
}, (o) =>
  Effect.gen(function*() {
    const { cwd, dataDir, settings } = yield* Session.discovered(o.globals)
    const path = yield* Session.targetPath("assert-reservation", o.path, cwd)
    // A blank tag is exit 6 here, unlike reserve/release (kept from trop 0.2.0).
    const tag = yield* Option.match(o.tag, {
      onNone: () => Effect.succeedNone,
      onSome: (raw) =>
        Either.match(tagFromInput(raw), {
          onLeft: (reason) => Effect.fail(new InvalidValue({ field: "tag", reason })),
          onRight: Effect.succeedSome
        })
    })
    const key = Key.make(path, tag)
    const found = yield* Reservations.byKey(key).pipe(Session.withDatabase("assert-reservation", settings, dataDir))
    if (Option.isSome(found) === o.not) {
      return yield* new AssertionFailed({
        detail: o.not ? `reservation exists for ${Key.format(key)}` : `no reservation found for ${Key.format(key)}`
      })
    }
    if (Option.isSome(found) && !o.globals.quiet) {
      yield* Effect.flatMap(Output, (output) => output.out(String(found.value.port)))
    }
  }))
