import { Option } from "effect"
import type { AbsolutePath } from "./AbsolutePath.js"
import type { Tag } from "./Identifier.js"

/** The identity of a reservation: a directory and an optional tag. */
export interface ReservationKey {
  readonly path: AbsolutePath
  readonly tag: Option.Option<Tag>
}

export const make = (path: AbsolutePath, tag: Option.Option<Tag> = Option.none()): ReservationKey => ({ path, tag })

/** `path` when untagged, `path:tag` when tagged (cli.md §8.2). */
export const format = (key: ReservationKey): string =>
  Option.match(key.tag, { onNone: () => key.path, onSome: (tag) => `${key.path}:${tag}` })

export const equals = (a: ReservationKey, b: ReservationKey): boolean =>
  a.path === b.path && Option.getOrUndefined(a.tag) === Option.getOrUndefined(b.tag)
