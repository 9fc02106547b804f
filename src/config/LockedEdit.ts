import * as SqlClient from "@effect/sql/SqlClient"
import type { SqlError } from "@effect/sql/SqlError"
import * as Effect from "effect/Effect"

/**
 * Configuration files are edited read-modify-write (`exclude`, `compact-exclusions`,
 * `scan --autoexclude/--autocompact`, `init --with-config`): two trop processes editing one
 * file at once would each write back what they read plus their own entry, and one entry
 * would be lost. So every edit reads the file, decides and writes it while holding trop's
 * database write lock: one `BEGIN IMMEDIATE` on the data directory's `trop.db`, waited for
 * up to the busy timeout (exit 2 after it), as every mutating command does.
 *
 * Why this lock and not a lock file: a lock file beside `trop.yaml` would show up in the
 * user's project (and in `git status`), and a lock file elsewhere would need stale-lock
 * handling; SQLite releases its lock when a process dies. What it costs: processes using
 * different data directories do not exclude each other, and the edit needs the database,
 * which `exclude` and `scan` open anyway (auto-created unless auto-init is disabled),
 * `init` creates, and `compact-exclusions` opens only when it has something to write.
 */
export const underWriteLock = <A, E, R>(
  edit: Effect.Effect<A, E, R>
): Effect.Effect<A, E | SqlError, R | SqlClient.SqlClient> =>
  Effect.flatMap(SqlClient.SqlClient, (sql) => sql.withTransaction(edit))
