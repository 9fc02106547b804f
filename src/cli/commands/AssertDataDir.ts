import * as Effect from "effect/Effect"
import * as fs from "node:fs"
import { causeMessage, DatabaseCorrupt } from "../../domain/Errors.js"
import * as Database from "../../store/Database.js"
import { define } from "../Definition.js"
import { AssertionFailed } from "../Errors.js"
import { flag } from "../Opt.js"
import * as Session from "../Session.js"

/**
 * Whether the data directory exists, and with --validate whether its database is valid
 * (docs/cli.md). Never creates, migrates or repairs anything.
 */
const exists = (dir: string, validate: boolean): Effect.Effect<boolean, DatabaseCorrupt> =>
  Effect.try({
    try: () => {
      // With --validate every stat error but "missing" is reported, not taken for absence.
      if (!validate) return fs.existsSync(dir)
      return fs.statSync(dir, { throwIfNoEntry: false }) !== undefined
    },
    catch: (cause) =>
      new DatabaseCorrupt({
        details: `cannot access the selected data directory ${dir}: ${causeMessage(cause)}; verify its path and permissions before retrying. trop did not initialize or modify the data directory`
      })
  })

export const assertDataDir = define({
  name: "assert-data-dir",
  description: "Assert that the data directory exists and is valid",
  options: {
    not: flag("not", "Invert the assertion"),
    validate: flag("validate", "Read-only physical, schema, and logical database validation")
  }
}, (o) =>
  Effect.gen(function*() {
    const dir = yield* Session.dataDirectory(o.globals)
    const cwd = yield* Session.workingDirectory
    // --validate switches the configuration scope to Discover (for the busy timeout).
    const settings = o.validate
      ? (yield* Session.configuration(o.globals, Session.discover(cwd, dir))).settings
      : undefined
    const found = yield* exists(dir, o.validate)
    if (found && settings !== undefined) {
      const file = Database.databaseFile(dir)
      if (!fs.existsSync(file)) {
        return yield* new DatabaseCorrupt({
          details:
            `the selected data directory does not contain ${file}; restore a known-good database or recreate disposable reservations. trop did not initialize or modify the data directory`
        })
      }
      // Any validation problem fails the command, --not or not.
      yield* Database.validateFile(file, settings.busyTimeoutSeconds)
    }
    if (found === o.not) {
      return yield* new AssertionFailed({
        detail: o.not ? `data directory exists at ${dir}` : `data directory not found at ${dir}`
      })
    }
  }))
