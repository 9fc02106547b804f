import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import { AbsolutePath } from "./AbsolutePath.js"
import { Tag } from "./Identifier.js"

/** The identity of a reservation: a directory and an optional tag (untagged is stored as ''). */
export const ReservationKey = Schema.Struct({ path: AbsolutePath, tag: Schema.OptionFromSelf(Tag) })
export type ReservationKey = typeof ReservationKey.Type

/** A key; untagged unless a tag is given. */
export const make = (path: AbsolutePath, tag: Option.Option<Tag> = Option.none()): ReservationKey => ({ path, tag })

/** `path` when untagged, `path:tag` when tagged (docs/cli.md). */
export const format = (key: ReservationKey): string =>
  Option.match(key.tag, { onNone: () => key.path, onSome: (tag) => `${key.path}:${tag}` })

/** Same path and same tag (or both untagged). */
export const equals = (a: ReservationKey, b: ReservationKey): boolean =>
  a.path === b.path && Option.getOrUndefined(a.tag) === Option.getOrUndefined(b.tag)
