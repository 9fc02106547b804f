import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import { StickyFieldChange } from "../domain/Errors.js"

/** What a command asks for one sticky field (docs/concepts.md). */
export type MetadataIntent<A> =
  | { readonly _tag: "Preserve" }
  | { readonly _tag: "Set"; readonly value: A }
  | { readonly _tag: "Clear" }

/** Keep what is stored (for a new key: what Git infers). */
export const preserve: MetadataIntent<never> = { _tag: "Preserve" }
/** Remove the stored value. */
export const clear: MetadataIntent<never> = { _tag: "Clear" }
/** Store `value`. */
export const set = <A>(value: A): MetadataIntent<A> => ({ _tag: "Set", value })

/** The value an intent leaves on a row that currently stores `stored`. */
export const apply = <A>(intent: MetadataIntent<A>, stored: Option.Option<A>): Option.Option<A> => {
  switch (intent._tag) {
    case "Preserve":
      return stored
    case "Set":
      return Option.some(intent.value)
    case "Clear":
      return Option.none()
  }
}

/**
 * Fails when a sticky field would change without permission; `group` is the group's path
 * when a group request asks for the change.
 */
export const checkSticky = <A extends string>(
  field: "project" | "task",
  stored: Option.Option<A>,
  requested: Option.Option<A>,
  permitted: boolean,
  group?: string
): Effect.Effect<void, StickyFieldChange> => {
  const from = Option.getOrUndefined(stored)
  const to = Option.getOrUndefined(requested)
  if (from === to || permitted) return Effect.void
  return Effect.fail(new StickyFieldChange({ field, from, to, group }))
}
