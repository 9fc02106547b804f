import { display } from "../../domain/Escape.js"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import * as Key from "../../domain/ReservationKey.js"
import { tagFromInput } from "../../domain/Identifier.js"
import * as Port from "../../domain/Port.js"
import type { TagSelection } from "../../operations/Release.js"
import * as Release from "../../operations/Release.js"
import * as Common from "../CommonOptions.js"
import { define } from "../Definition.js"
import { InvalidArguments } from "../Errors.js"
import { flag, text } from "../Opt.js"
import { Output } from "../Output.js"
import * as Session from "../Session.js"
import * as ResultJson from "./ResultJson.js"

export const release = define({
  name: "release",
  description: "Release a port reservation",
  options: {
    path: Common.path,
    tag: Common.tag,
    untaggedOnly: flag("untagged-only", "Only release untagged reservation"),
    recursive: flag("recursive", "Release all reservations under path recursively"),
    force: flag("force", "Force operation"),
    allowUnrelatedPath: Common.allowUnrelatedPath,
    dryRun: Common.dryRun,
    port: text("port", "PORT", "Release whichever reservation holds this port"),
    format: Common.resultFormat
  },
  conflicts: [["port", "path"], ["port", "tag"], ["port", "untagged-only"], ["port", "recursive"]]
}, (o) =>
  Effect.gen(function*() {
    const output = yield* Output
    const { cwd, dataDir, settings } = yield* Session.discovered(o.globals, { allowUnrelatedPath: o.allowUnrelatedPath })
    // With --port the row decides the path; TROP_PATH is not consulted.
    const path = Option.isSome(o.port) ? cwd : yield* Session.targetPath("release", o.path, cwd)
    if (Option.isSome(o.tag) && o.untaggedOnly) {
      return yield* new InvalidArguments({ detail: "Cannot specify both --tag and --untagged-only" })
    }
    const tags: TagSelection = yield* Option.match(o.tag, {
      onNone: () => Effect.succeed<TagSelection>(o.untaggedOnly ? { _tag: "Untagged" } : { _tag: "AllTags" }),
      onSome: (raw) =>
        Either.match(tagFromInput(raw), {
          onLeft: (reason) => Effect.fail(new InvalidArguments({ detail: `validation error for 'tag': ${reason}` })),
          onRight: (tag) => Effect.succeed<TagSelection>({ _tag: "Tag", tag })
        })
    })
    const port = yield* Option.match(o.port, {
      onNone: () => Effect.succeed(undefined),
      onSome: (raw) =>
        Either.match(Port.parse(raw), {
          onLeft: (detail) => Effect.fail(new InvalidArguments({ detail })),
          onRight: Effect.succeed
        })
    })
    const request = { path, cwd, tags, recursive: o.recursive, unguarded: o.force || settings.allowUnrelatedPath, port }
    const database = Session.withDatabase("release", settings, dataDir, { dryRun: o.dryRun })
    const program = o.dryRun ? Release.plan(request) : Effect.tap(Release.plan(request), Release.execute)
    const plan = yield* program.pipe(Session.transaction(o.dryRun), database)
    const json = ResultJson.requested(o.format)
    // JSON replaces the messages and the dry-run plan; warnings still go to stderr.
    if (json) yield* output.out(ResultJson.release(plan.rows, o.dryRun))
    if (o.globals.quiet) return
    const warnings = Release.warnings(plan)
    if (json) {
      for (const w of warnings) yield* output.err(`Warning: ${display(w)}`)
      return
    }
    const keys = plan.rows.map((r) => display(Key.format(r.key)))
    if (o.dryRun) {
      if (o.recursive) {
        yield* output.err(`Dry run - would release ${keys.length} reservation(s):`)
        for (const key of keys) yield* output.err(`  - Delete reservation for ${key}`)
      } else {
        yield* output.err("Dry run - would perform the following actions:")
        for (const [i, key] of keys.entries()) yield* output.err(`  ${i + 1}. Delete reservation for ${key}`)
      }
      if (warnings.length > 0) {
        yield* output.err("Warnings:")
        for (const w of warnings) yield* output.err(`  - ${display(w)}`)
      }
      return
    }
    yield* output.err(
      o.recursive
        ? `Released ${keys.length} reservation(s)`
        : keys.length === 0
        ? "No reservation found (already released)"
        : "Released reservation successfully"
    )
    for (const w of warnings) yield* output.err(`Warning: ${display(w)}`)
  }))
