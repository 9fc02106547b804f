import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import { userConfigPath } from "../../config/Load.js"
import * as ExclusionFile from "../../config/ExclusionFile.js"
import * as ExclusionList from "../../config/ExclusionList.js"
import * as LockedEdit from "../../config/LockedEdit.js"
import type { ExclusionEntry } from "../../config/Validate.js"
import { parseYaml } from "../../config/Yaml.js"
import { InvalidConfiguration } from "../../domain/Errors.js"
import * as Port from "../../domain/Port.js"
import { PRIVATE_FILE_MODE } from "../../paths/AtomicWrite.js"
import * as Reservations from "../../store/Reservations.js"
import { define, positional } from "../Definition.js"
import { CliIoError, InvalidArguments } from "../Errors.js"
import { flag } from "../Opt.js"
import { Output } from "../Output.js"
import * as Session from "../Session.js"

/** `N` or `A..B` (split at the first `..`, sides not trimmed), validated (docs/concepts.md). */
export const parseEntry = (raw: string): Either.Either<ExclusionEntry, InvalidArguments> => {
  const fail = (detail: string) => Either.left(new InvalidArguments({ detail }))
  const dots = raw.indexOf("..")
  const sides = dots < 0 ? [raw] : [raw.slice(0, dots), raw.slice(dots + 2)]
  const ports = sides.map((s) => /^\+?[0-9]+$/.test(s) ? Number(s) : NaN)
  if (ports.some((p) => !Number.isInteger(p) || p > Port.MAX_PORT)) {
    // `6000-6010`: a range written with a dash, which the hint spells with two dots.
    const dashed = dots < 0 ? /^\+?([0-9]+)-\+?([0-9]+)$/.exec(raw) : null
    return Either.left(new InvalidArguments({
      detail: "Invalid port number",
      about: dashed === null ? undefined : { _tag: "DashedRange", start: dashed[1] ?? "", end: dashed[2] ?? "" }
    }))
  }
  if (ports.includes(0)) return fail("Invalid port number: port 0 is reserved and cannot be used")
  const [start = 0, end = start] = ports
  if (start > end) return fail(`Invalid port range: start (${start}) must be less than or equal to end (${end})`)
  return Either.right({ start, end })
}


export const exclude = define({
  name: "exclude",
  description: "Add port or range to exclusion list",
  options: {
    global: flag("global", "Add to global config instead of project config"),
    force: flag("force", "Force exclusion even if port is reserved")
  },
  args: { entry: positional("PORT_OR_RANGE", "A port (8080) or an inclusive range (8080..8090)") }
}, (o) =>
  Effect.gen(function*() {
    const output = yield* Output
    const { cwd, dataDir, project, settings } = yield* Session.discovered(o.globals)
    // The entry is the command's own check: after the configuration, as in trop 0.2.0.
    const entry = yield* parseEntry(o.entry)
    // The target is chosen before the database is opened, so this error creates nothing (docs/concepts.md).
    const target = o.global
      ? Option.some(userConfigPath(dataDir))
      : Option.flatMap(project, (p) => Option.orElse(p.local, () => p.project))
    if (Option.isNone(target)) {
      return yield* new InvalidArguments({
        detail: `No trop.yaml or trop.local.yaml found (searched from: ${cwd}); use --global to add the exclusion to ${
          userConfigPath(dataDir)
        }`
      })
    }
    const file = target.value
    // The reserved-port check and the whole edit share one write transaction (LockedEdit).
    const outcome = yield* Effect.gen(function*() {
      const reserved = yield* Reservations.lowestInRange(entry.start, entry.end)
      if (Option.isSome(reserved) && !o.force) {
        return yield* new InvalidArguments({
          detail: `Port ${reserved.value.port} is reserved. Use --force to override.`,
          about: { _tag: "PortReserved", port: reserved.value.port, holder: reserved.value.key }
        })
      }
      const text = yield* ExclusionFile.readOrEmpty(file).pipe(Effect.catchTag("FileSystemError", (e) => Effect.fail(CliIoError.fromCause(e))))
      const items = yield* Either.flatMap(
        Either.mapLeft(parseYaml(text), (problems) => problems.join("; ")),
        ExclusionFile.listItems
      ).pipe(Either.mapLeft((reason) => new InvalidConfiguration({ detail: `Failed to parse config: ${reason}` })))
      const addition = ExclusionList.add(ExclusionFile.validEntries(items ?? []), entry)
      if (addition._tag === "AlreadyCovered") return `Exclusion already exists in ${file}`
      const edit = { _tag: "Add", entries: [addition.entry], absorbed: addition.absorbed } as const
      yield* ExclusionFile.rewrite(file, text, edit, o.global ? PRIVATE_FILE_MODE : undefined).pipe(
        Effect.catchTag("FileSystemError", (e) => Effect.fail(CliIoError.fromCause(e)))
      )
      return `Added exclusion to ${file}`
    }).pipe(LockedEdit.underWriteLock, Session.withDatabase("exclude", settings, dataDir))
    if (!o.globals.quiet) yield* output.out(outcome)
  }))
