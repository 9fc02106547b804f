import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Migrate from "../../operations/Migrate.js"
import * as Common from "../CommonOptions.js"
import { define } from "../Definition.js"
import { flag, requiredPath } from "../Opt.js"
import { Output } from "../Output.js"
import * as Session from "../Session.js"

export const migrate = define({
  name: "migrate",
  description: "Migrate reservations between paths",
  options: {
    from: requiredPath("from", "Source path to migrate from"),
    to: requiredPath("to", "Destination path to migrate to"),
    recursive: flag("recursive", "Migrate all sub-paths recursively"),
    force: flag("force", "Overwrite existing reservations at destination"),
    dryRun: Common.dryRun
  }
}, (o) =>
  Effect.gen(function*() {
    const output = yield* Output
    const { dataDir, settings } = yield* Session.discovered(o.globals)
    // The database opens first, then the paths resolve (docs/cli.md); planned inside the
    // transaction that executes it (docs/concepts.md), and a dry run rolls back.
    const { from, plan, to } = yield* Effect.gen(function*() {
      const from = yield* Session.explicitPath(o.from)
      const to = yield* Session.explicitPath(o.to)
      const request = { from, to, recursive: o.recursive, force: o.force }
      const plan = yield* Migrate.plan(request).pipe(
        Effect.tap((p) => o.dryRun ? Effect.void : Migrate.execute(p)),
        Session.transaction(o.dryRun)
      )
      return { from, plan, to }
    }).pipe(Session.withDatabase("migrate", settings, dataDir, { dryRun: o.dryRun }))
    if (o.globals.quiet) {
      if (!o.dryRun) yield* output.out(to)
      return
    }
    const lines = [
      "Migration plan:",
      `  From: ${from}`,
      `  To:   ${to}`,
      `  Mode: ${o.recursive ? "recursive" : "exact"}`,
      ""
    ]
    if (plan.moves.length === 0) {
      lines.push("No reservations to migrate.")
    } else {
      lines.push(`Reservations to migrate (${plan.moves.length}):`)
      for (const { destination, source } of plan.moves) {
        const tag = Option.match(source.key.tag, { onNone: () => "", onSome: (t) => `, tag: ${t}` })
        const project = Option.match(source.project, { onNone: () => "", onSome: (p) => `, project: ${p}` })
        lines.push(`  ${source.key.path} -> ${destination.key.path} (port ${source.port}${tag}${project})`)
      }
      lines.push("")
      if (plan.conflicts.length > 0) {
        lines.push(`Conflicts at destination (${plan.conflicts.length}) (will be overwritten):`)
        for (const conflict of plan.conflicts) {
          lines.push(`  ${conflict.key.path}`)
          if (Option.isSome(conflict.key.tag)) lines.push(`    (tag: ${conflict.key.tag.value})`)
        }
        lines.push("")
      }
      if (o.dryRun) lines.push("Dry run - no changes made.")
      else {
        lines.push("Migration complete:", `  Migrated: ${plan.moves.length} reservation(s)`)
        if (plan.conflicts.length > 0) lines.push(`  Conflicts resolved: ${plan.conflicts.length}`)
      }
    }
    for (const line of lines) yield* output.err(line)
  }))
