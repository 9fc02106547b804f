import Sqlite from "better-sqlite3"
import * as Effect from "effect/Effect"

/** An independent better-sqlite3 connection, closed (rolling back what it left open) with the scope. */
export const connect = (file: string, timeoutMs = 0) =>
  Effect.acquireRelease(
    Effect.sync(() => new Sqlite(file, { timeout: timeoutMs })),
    (db) =>
      Effect.sync(() => {
        if (!db.open) return
        if (db.inTransaction) db.exec("ROLLBACK")
        db.close()
      })
  )

/** The first column of `query`'s committed rows, read through a brand-new connection. */
export const committed = (file: string, query: string): Array<unknown> => {
  const db = new Sqlite(file, { timeout: 5000 })
  try {
    return db.prepare(query).pluck().all()
  } finally {
    db.close()
  }
}
