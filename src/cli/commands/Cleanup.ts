import { display } from "../../domain/Escape.js"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import { quoted } from "../../domain/Identifier.js"
import * as Cleanup from "../../operations/Cleanup.js"
import type { Uninspectable } from "../../operations/Cleanup.js"
import type { GlobalValues } from "../Globals.js"
import { Output } from "../Output.js"
import * as Session from "../Session.js"
import * as ResultJson from "./ResultJson.js"

/** What the cleanup commands share: `prune`, `expire`, `autoclean` (docs/cli.md). */
export type CleanupCommand = "prune" | "expire" | "autoclean"

const ADVICE: Record<Uninspectable["kind"], string> = {
  "permission denied": "Restore access to the path and its parents, then retry.",
  "symlink loop": "Repair the symlink loop, then retry.",
  "transient I/O error": "Retry when the filesystem or mount is available.",
  "unsupported filesystem operation": "Verify filesystem support or release the reservation explicitly.",
  "unknown filesystem error": "Inspect the filesystem state or release the reservation explicitly."
}

export const runCleanup = (
  command: CleanupCommand,
  o: {
    readonly days: Option.Option<number>
    readonly dryRun: boolean
    readonly format: Option.Option<"text" | "json">
    readonly globals: GlobalValues
  }
) =>
  Effect.gen(function*() {
    const output = yield* Output
    const { dataDir, settings } = yield* Session.discovered(o.globals, {
      expireAfterDays: Option.getOrUndefined(o.days)
    })
    const days = settings.expireAfterDays
    const quiet = o.globals.quiet
    const verbose = o.globals.verbose && !quiet
    const dry = o.dryRun
    // JSON replaces the messages (the count under --quiet); warnings still go to stderr.
    const json = ResultJson.requested(o.format)
    if (dry && !quiet && !json) {
      yield* output.err(
        command === "prune"
          ? "[DRY RUN] Scanning for reservations with non-existent paths..."
          : command === "expire"
          ? `[DRY RUN] Scanning for reservations unused for ${days} days...`
          : "[DRY RUN] Performing combined cleanup..."
      )
    }
    const { now, plan, result } = yield* Cleanup.run({
      prune: command !== "expire",
      expireAfterDays: command === "prune" ? Option.none() : Option.some(days)
    }, { dryRun: dry }).pipe(Session.transaction(dry), Session.withDatabase(command, settings, dataDir, { dryRun: dry }))
    const pruned = result.pruned
    const expired = result.expired
    const total = pruned.length + expired.length
    if (json) yield* output.out(ResultJson.cleanup(result, command === "prune" ? null : days, dry))
    if (quiet) {
      if (total > 0 && !json) yield* output.out(String(total))
      return
    }
    if (command !== "expire") {
      for (const u of plan.uninspectable) {
        yield* output.err(
          `Warning: could not inspect reserved directory ${display(u.path)} (${u.kind}: ${u.reason}); reservation preserved by prune. ${
            ADVICE[u.kind]
          }`
        )
      }
    }
    if (json) return
    const age = (r: (typeof expired)[number]) => Cleanup.ageInDays(r, now)
    // A dry run lists the rows it would remove, as --verbose does, after its summary line.
    const listed = verbose || dry
    const prunedRow = (r: (typeof pruned)[number]) =>
      `  - Port ${r.port}: ${r.key.path} (tag: ${quoted(Option.getOrUndefined(r.key.tag))}, project: ${
        quoted(Option.getOrUndefined(r.project))
      })`
    const lines: Array<string> = []
    if (command === "prune") {
      const prefix = dry ? "[DRY RUN] Would remove" : "Removed"
      lines.push(verbose ? `${prefix} ${total} reservation(s):` : `${prefix} ${total} reservation(s) for non-existent paths`)
      if (listed) lines.push(...pruned.map(prunedRow))
    } else if (command === "expire") {
      const summary = `${dry ? "[DRY RUN] Would expire" : "Expired"} ${total} reservation(s) older than ${days} days`
      lines.push(verbose ? `${summary}:` : summary)
      if (listed) {
        for (const r of expired) {
          lines.push(
            `  - Port ${r.port}: ${r.key.path} (${age(r)} days old, project: ${quoted(Option.getOrUndefined(r.project))})`
          )
        }
      }
    } else {
      const prefix = dry ? "[DRY RUN] Would remove" : "Removed"
      if (verbose) {
        lines.push(
          `${prefix} ${total} total reservation(s):`,
          `  Pruned: ${pruned.length} (non-existent paths)`,
          `  Expired: ${expired.length} (old reservations)`
        )
      } else {
        lines.push(`${prefix} ${total} total reservation(s) (pruned: ${pruned.length}, expired: ${expired.length})`)
      }
      if (listed && pruned.length > 0) {
        lines.push("", "Pruned reservations:", ...pruned.map((r) => `  - Port ${r.port}: ${r.key.path}`))
      }
      if (listed && expired.length > 0) {
        lines.push("", "Expired reservations:", ...expired.map((r) => `  - Port ${r.port}: ${r.key.path} (${age(r)} days old)`))
      }
    }
    for (const line of lines) yield* output.err(display(line))
  })
