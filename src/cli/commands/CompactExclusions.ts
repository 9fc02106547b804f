import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import * as ExclusionFile from "../../config/ExclusionFile.js"
import * as ExclusionList from "../../config/ExclusionList.js"
import * as LockedEdit from "../../config/LockedEdit.js"
import type { ExclusionEntry } from "../../config/Validate.js"
import { exclusionEntry } from "../../config/Validate.js"
import { parseYaml } from "../../config/Yaml.js"
import { InvalidConfiguration, invalidField } from "../../domain/Errors.js"
import * as Common from "../CommonOptions.js"
import { define, positional } from "../Definition.js"
import { CliIoError } from "../Errors.js"
import type { GlobalValues } from "../Globals.js"
import { Output } from "../Output.js"
import * as Session from "../Session.js"
import { readNamedFile } from "./Validate.js"

/** What compacting a file's text comes to: a final message, or the shorter list to write. */
type Plan =
  | { readonly _tag: "Done"; readonly message: string }
  | { readonly _tag: "Compact"; readonly from: number; readonly entries: ReadonlyArray<ExclusionEntry> }

const plan = (path: string, text: string): Effect.Effect<Plan, InvalidConfiguration> =>
  Effect.gen(function*() {
    const items = yield* Either.flatMap(
      Either.mapLeft(parseYaml(text), (problems) => problems.join("; ")),
      ExclusionFile.listItems
    ).pipe(Either.mapLeft((reason) => new InvalidConfiguration({ detail: `Parse error: ${reason}` })))
    if (items === undefined) return { _tag: "Done", message: "No exclusions to compact" } as const
    // Invalid entries are refused, never dropped: the set of ports must not change.
    const problem = ExclusionFile.exclusionsProblem(items)
    if (problem !== undefined) return yield* invalidField(problem.field, path, problem.message)
    const entries = items.flatMap((item) => Either.match(exclusionEntry(item), { onLeft: () => [], onRight: (e) => [e] }))
    const compacted = ExclusionList.compact(entries)
    if (items.length === 0 || compacted.length === items.length) {
      return { _tag: "Done", message: "Exclusions already optimal" } as const
    }
    return { _tag: "Compact", from: items.length, entries: compacted } as const
  })

/**
 * The data directory and settings `exclude` would use here, for the write lock that guards
 * the rewrite (LockedEdit). None when they cannot be determined (no data directory, an
 * invalid configuration): then `exclude` and `scan` cannot edit anything here either.
 */
const lockOf = (globals: GlobalValues) => Effect.option(Session.discovered(globals))

export const compactExclusions = define({
  name: "compact-exclusions",
  description: "Compact exclusion list to minimal representation",
  options: { dryRun: Common.dryRun },
  args: { path: positional("PATH", "Configuration file whose exclusions to compact") }
}, (o) =>
  Effect.gen(function*() {
    const output = yield* Output
    yield* Session.workingDirectory
    const first = yield* plan(o.path, yield* readNamedFile(o.path))
    if (first._tag === "Done") return yield* output.out(first.message)
    const compacted = (p: Plan & { readonly _tag: "Compact" }) => `Compacted ${p.from} exclusions to ${p.entries.length}`
    if (o.dryRun) {
      yield* output.out(compacted(first))
      yield* output.out("Dry run - no changes made")
      return yield* output.out(`Would save: [${first.entries.map(ExclusionList.format).join(", ")}]`)
    }
    // Only a rewrite takes the lock (and so opens the database); it plans again on what it re-reads.
    const rewrite = Effect.gen(function*() {
      const text = yield* readNamedFile(o.path)
      const locked = yield* plan(o.path, text)
      if (locked._tag === "Done") return yield* output.out(locked.message)
      yield* output.out(compacted(locked))
      yield* ExclusionFile.rewrite(o.path, text, { _tag: "Replace", entries: locked.entries }).pipe(
        Effect.catchTag("FileSystemError", (e) => Effect.fail(CliIoError.fromCause(e)))
      )
      yield* output.out(`Updated ${o.path}`)
    })
    const lock = yield* lockOf(o.globals)
    if (Option.isNone(lock)) return yield* rewrite
    const { dataDir, settings } = lock.value
    yield* rewrite.pipe(
      LockedEdit.underWriteLock,
      Session.withDatabase("compact-exclusions", settings, dataDir),
      // Auto-init is off and there is no database to lock: `exclude` and `scan` fail here too.
      Effect.catchTag("DatabaseMissing", () => rewrite)
    )
  }))
