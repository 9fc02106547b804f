import * as Effect from "effect/Effect"
import * as fs from "node:fs"
import { userConfigPath } from "../../config/Load.js"
import type { DatabaseBusy, DatabaseFailure } from "../../domain/Errors.js"
import { FileSystemError } from "../../domain/Errors.js"
import { createFile, PRIVATE_FILE_MODE } from "../../paths/AtomicWrite.js"
import * as Database from "../../store/Database.js"
import { classify, classifyAll, commandOperation, isBusy, isSqlError } from "../../store/SqliteErrors.js"
import * as Common from "../CommonOptions.js"
import { define } from "../Definition.js"
import { AlreadyInitialized } from "../Errors.js"
import { flag } from "../Opt.js"
import { Output } from "../Output.js"
import * as Session from "../Session.js"
import { makePrivateDirectory } from "../../paths/PrivateDirectory.js"

/** The `--with-config` template: comments only, documenting real keys (docs/configuration.md). */
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

const COMPANIONS = ["-wal", "-shm", "-journal"]

const removeFiles = (db: string, suffixes: ReadonlyArray<string>) =>
  Effect.forEach(suffixes, (suffix) => io(() => fs.rmSync(`${db}${suffix}`, { force: true })), { discard: true })

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
    // Initialized already: nothing to do, said so; --overwrite is named only as what it is.
    if (dbExists && !o.overwrite) return yield* new AlreadyInitialized({ database: db })
    yield* io(() => makePrivateDirectory(dir))
    const timeoutSeconds = settings.busyTimeoutSeconds
    if (o.overwrite) {
      // Without a database its companions are stale: they would break or leak into the new one.
      if (!fs.existsSync(db)) yield* removeFiles(db, COMPANIONS)
      yield* Effect.logDebug(`init --overwrite: taking the write lock of ${db}`)
      // Emptied in place under the lock, so a writer mid-transaction commits first, into this
      // file. A file SQLite cannot open or lock as a database has no such writer: it is
      // replaced as before, companions included.
      yield* Database.recreate(db, timeoutSeconds).pipe(
        Effect.catchAll((e): Effect.Effect<void, DatabaseBusy | DatabaseFailure | FileSystemError> =>
          isSqlError(e) && isBusy(e)
            ? Effect.fail(classify(e, { operation: commandOperation(e, "init"), timeoutSeconds }))
            : removeFiles(db, ["", ...COMPANIONS])
        )
      )
    }
    const configCreated = yield* Effect.scoped(Effect.gen(function*() {
      const sql = yield* Database.make({ file: db, busyTimeoutSeconds: timeoutSeconds, autoInit: true })
      if (!o.withConfig) return false
      // Under the write lock, like every configuration edit (LockedEdit): checked again here.
      return yield* sql.withTransaction(io(() => {
        if (fs.existsSync(config)) return false
        createFile(config, CONFIG_TEMPLATE, PRIVATE_FILE_MODE)
        return true
      }))
    })).pipe(classifyAll("init", timeoutSeconds))
    yield* output.out(`Initialized trop in: ${dir}`)
    if (!dirExists) yield* output.out("  - Created data directory")
    yield* output.out(o.overwrite ? "  - Recreated database" : "  - Created database")
    if (o.withConfig) {
      yield* output.out(
        configCreated ? "  - Created default configuration file" : "  - Configuration file already exists (not overwritten)"
      )
    }
  }))
