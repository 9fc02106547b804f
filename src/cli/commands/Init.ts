import * as Effect from "effect/Effect"
import * as fs from "node:fs"
import { userConfigPath } from "../../config/Load.js"
import { FileSystemError, InvalidValue } from "../../domain/Errors.js"
import * as Database from "../../store/Database.js"
import * as Common from "../CommonOptions.js"
import { define } from "../Definition.js"
import { flag } from "../Opt.js"
import { Output } from "../Output.js"
import * as Session from "../Session.js"

/** The `--with-config` template: comments only, documenting real keys (semantics.md §13.10). */
export const CONFIG_TEMPLATE = `# Trop Configuration File
# See documentation for available options

# Port allocation range (default: 5000-7000)
# ports:
#   min: 5000
#   max: 7000

# Ports trop must never hand out
# excluded_ports:
#   - 5432
#   - 8000..8010

# Remove reservations unused for this many days (default: 30)
# cleanup:
#   expire_after_days: 30

# Maximum lock wait time in seconds (default: 5)
# maximum_lock_wait_seconds: 5
`

const io = <A>(f: () => A) => Effect.try({ try: f, catch: FileSystemError.fromCause })

export const init = define({
  name: "init",
  description: "Initialize trop data directory and database",
  options: {
    overwrite: flag("overwrite", "Overwrite existing database"),
    withConfig: flag("with-config", "Create default configuration file"),
    dryRun: Common.dryRun
  }
}, (o) =>
  Effect.gen(function*() {
    const output = yield* Output
    const dir = yield* Session.dataDirectory(o.globals)
    yield* Session.workingDirectory
    // Defaults, environment and command line only; --disable-autoinit is ignored here.
    const { settings } = yield* Session.configuration(o.globals, { _tag: "EnvironmentOnly" })
    const db = Database.databaseFile(dir)
    const config = userConfigPath(dir)
    const dirExists = fs.existsSync(dir)
    const dbExists = fs.existsSync(db)
    const configExists = fs.existsSync(config)
    if (o.dryRun) {
      const lines = ["Dry-run mode: no changes will be made", "", `Would initialize trop in: ${dir}`]
      lines.push(dirExists ? `  - Data directory already exists: ${dir}` : `  - Create data directory: ${dir}`)
      if (!dbExists) lines.push(`  - Create database: ${db}`)
      else if (o.overwrite) lines.push(`  - Remove existing database: ${db}`, `  - Create new database: ${db}`)
      else lines.push(`  - ERROR: Database already exists (use --overwrite to replace): ${db}`)
      if (o.withConfig) {
        lines.push(
          configExists
            ? `  - Configuration file already exists (will not overwrite): ${config}`
            : `  - Create configuration file: ${config}`
        )
      }
      for (const line of lines) yield* output.out(line)
      return
    }
    if (dbExists && !o.overwrite) {
      return yield* new InvalidValue({
        field: "database",
        reason: `Database already exists at ${db}. Use --overwrite to replace it.`
      })
    }
    yield* io(() => fs.mkdirSync(dir, { recursive: true }))
    // A stale WAL must not leak into the new database.
    if (o.overwrite) {
      for (const suffix of ["", "-wal", "-shm", "-journal"]) yield* io(() => fs.rmSync(`${db}${suffix}`, { force: true }))
    }
    yield* Effect.scoped(Database.make({ file: db, busyTimeoutSeconds: settings.busyTimeoutSeconds, autoInit: true }))
    if (o.withConfig && !configExists) yield* io(() => fs.writeFileSync(config, CONFIG_TEMPLATE, { flag: "wx" }))
    yield* output.out(`Initialized trop in: ${dir}`)
    if (!dirExists) yield* output.out("  - Created data directory")
    yield* output.out(o.overwrite ? "  - Recreated database" : "  - Created database")
    if (o.withConfig) {
      yield* output.out(
        configExists ? "  - Configuration file already exists (not overwritten)" : "  - Created default configuration file"
      )
    }
  }))
