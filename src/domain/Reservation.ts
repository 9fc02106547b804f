import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import { InvalidValue } from "./Errors.js"
import { Project, Task } from "./Identifier.js"
import { Port } from "./Port.js"
import { ReservationKey } from "./ReservationKey.js"

/** Whole Unix seconds, UTC, within the range trop can store and display (docs/database.md). */
export const UnixSeconds = Schema.Int.pipe(Schema.between(0, 8210298412799), Schema.brand("trop/UnixSeconds"))
export type UnixSeconds = typeof UnixSeconds.Type
const isUnixSeconds = Schema.is(UnixSeconds)

/**
 * "Now" in whole seconds (sub-seconds truncated), captured once per command. A clock
 * outside the storable range is refused, so trop never writes a row it cannot read back.
 */
export const currentTime: Effect.Effect<UnixSeconds, InvalidValue> = Effect.flatMap(
  Clock.currentTimeMillis,
  (ms) => {
    const seconds = Math.floor(ms / 1000)
    if (isUnixSeconds(seconds)) return Effect.succeed(seconds)
    return Effect.fail(
      new InvalidValue({
        field: "timestamp",
        reason: seconds < 0
          ? "timestamp must be nonnegative"
          : "timestamp is outside the supported display and serialization range"
      })
    )
  }
)

/** A stored `(path, tag) → port` reservation with its sticky metadata. */
export const Reservation = Schema.Struct({
  key: ReservationKey,
  port: Port,
  project: Schema.OptionFromSelf(Project),
  task: Schema.OptionFromSelf(Task),
  createdAt: UnixSeconds,
  lastUsedAt: UnixSeconds
})
export type Reservation = typeof Reservation.Type

/** `YYYY-MM-DD HH:MM:SS` in UTC, the timestamp format of every output (docs/cli.md). */
export const formatTimestamp = (seconds: UnixSeconds): string => {
  const d = new Date(seconds * 1000)
  const two = (n: number) => String(n).padStart(2, "0")
  return `${String(d.getUTCFullYear()).padStart(4, "0")}-${two(d.getUTCMonth() + 1)}-${two(d.getUTCDate())} ` +
    `${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())}`
}
