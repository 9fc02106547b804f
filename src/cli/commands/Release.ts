import { display } from "../../domain/Escape.js"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import * as Key from "../../domain/ReservationKey.js"
import { tagFromInput } from "../../domain/Identifier.js"
import type { TagSelection } from "../../operations/Release.js"
import * as Release from "../../operations/Release.js"
import * as Common from "../CommonOptions.js"
import { define } from "../Definition.js"
import { InvalidArguments } from "../Errors.js"
import { flag } from "../Opt.js"
import { Output } from "../Output.js"
import * as Session from "../Session.js"

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
    dryRun: Common.dryRun
  }
}, (o) =>
  Effect.gen(function*() {
    const output = yield* Output
    const { cwd, dataDir, settings } = yield* Session.discovered(o.globals, { allowUnrelatedPath: o.allowUnrelatedPath })
    const path = yield* Session.targetPath("release", o.path, cwd)
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
    const request = { path, cwd, tags, recursive: o.recursive, unguarded: o.force || settings.allowUnrelatedPath }
    const database = Session.withDatabase("release", settings, dataDir, { dryRun: o.dryRun })
    const program = o.dryRun ? Release.plan(request) : Effect.tap(Release.plan(request), Release.execute)
    const plan = yield* program.pipe(Session.transaction(o.dryRun), database)
    if (o.globals.quiet) return
    const warnings = Release.warnings(plan)
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
