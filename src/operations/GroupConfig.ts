import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"
import * as fs from "node:fs"
import type { Sourced } from "../config/Effective.js"
import { Reservations } from "../config/FileSchema.js"
import type { Resolved } from "../config/Resolve.js"
import { groupProblems } from "../config/Validate.js"
import * as EnvName from "../domain/EnvName.js"
import { InvalidGroup } from "../domain/Errors.js"
import { Tag } from "../domain/Identifier.js"
import * as Port from "../domain/Port.js"
import type { ServiceRequest } from "./Group.js"
import { byTag } from "./Group.js"

/**
 * From a `reservations` block (of a configuration file, or given inline by a library
 * caller) to the parts of a group request.
 */

/** A validated group: its services in tag order, where the offset scan starts, and each service's variable name. */
export interface GroupDefinition {
  readonly services: ReadonlyArray<ServiceRequest>
  readonly base: Option.Option<Port.Port>
  /** tag → environment-variable name. */
  readonly env: ReadonlyMap<string, string>
}

/** The services of a `reservations` block that passed the group rules, sorted by tag. */
export const definition = (group: Reservations): GroupDefinition => {
  const entries = Object.entries(group.services)
    .map(([raw, s]) => ({
      service: {
        tag: Tag.make(raw.trim()),
        offset: s.offset ?? 0,
        preferred: Option.map(Option.fromNullable(s.preferred), Port.unsafeMake)
      },
      // Rules passed, so derivation succeeds; output validates every name again anyway.
      env: s.env ?? Either.getOrElse(EnvName.derive(raw), () => "")
    }))
    .sort((a, b) => byTag(a.service.tag, b.service.tag))
  return {
    services: entries.map((e) => e.service),
    base: Option.map(Option.fromNullable(group.base), Port.unsafeMake),
    env: new Map(entries.map((e) => [e.service.tag, e.env]))
  }
}

/**
 * Made on first use: building a decoder walks the whole schema (about 0.3 ms), and the CLI,
 * which loads this module, never decodes an inline group.
 */
let decoder: ((value: unknown) => Either.Either<Reservations, ParseResult.ParseError>) | undefined
const decodeReservations = (value: unknown) =>
  (decoder ??= Schema.decodeUnknownEither(Reservations, { onExcessProperty: "error" }))(value)

/** A `reservations` block given as a value: the same schema and rules as in a file. */
export const fromValue = (value: unknown): Either.Either<Reservations, InvalidGroup> =>
  Either.flatMap(
    Either.mapLeft(decodeReservations(value), (error) =>
      new InvalidGroup({ field: "reservations", reason: ParseResult.TreeFormatter.formatErrorSync(error) })),
    (group) => {
      const [problem] = groupProblems(group)
      return problem === undefined
        ? Either.right(group)
        : Either.left(new InvalidGroup({ field: problem.field, reason: problem.message }))
    }
  )

/** The group an effective configuration defines, with the file that supplied it. */
export const configured = (resolved: Resolved): Either.Either<Sourced<Reservations>, InvalidGroup> =>
  Either.fromOption(resolved.group, () =>
    new InvalidGroup({ field: "reservations", reason: "Effective configuration does not contain a reservation group" }))

/** A group file named by the caller must exist and be a regular file; messages show it as typed. */
export const checkFile = (typed: string, path: string): Effect.Effect<void, InvalidGroup> => {
  let stat: fs.Stats | undefined
  try {
    stat = fs.statSync(path)
  } catch {
    // ENOENT, ENOTDIR (a path through a regular file), EACCES: not there for us.
  }
  if (stat === undefined) return Effect.fail(new InvalidGroup({ field: "file", reason: `Configuration file not found: ${typed}` }))
  return stat.isFile() ? Effect.void : Effect.fail(new InvalidGroup({ field: "file", reason: `Path is not a file: ${typed}` }))
}
