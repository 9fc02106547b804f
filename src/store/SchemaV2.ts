/**
 * Schema v2, byte-compatible with trop 0.2.0 (docs/database.md): 0.2.0 compares the
 * stored table SQL token by token, so these texts must not be reformatted.
 */
export const VERSION = 2

export const CREATE_STATEMENTS: ReadonlyArray<string> = [
  `CREATE TABLE IF NOT EXISTS metadata (
    key TEXT PRIMARY KEY NOT NULL,
    value TEXT NOT NULL
) STRICT`,
  `CREATE TABLE IF NOT EXISTS reservations (
    path TEXT NOT NULL,
    tag TEXT NOT NULL,
    port INTEGER NOT NULL UNIQUE
        CONSTRAINT valid_port CHECK (port BETWEEN 1 AND 65535),
    project TEXT,
    task TEXT,
    created_at INTEGER NOT NULL
        CONSTRAINT valid_created_at CHECK (created_at >= 0),
    last_used_at INTEGER NOT NULL
        CONSTRAINT valid_last_used_at CHECK (last_used_at >= 0),
    PRIMARY KEY (path, tag)
) STRICT`,
  "CREATE INDEX IF NOT EXISTS idx_reservations_port ON reservations(port)",
  "CREATE INDEX IF NOT EXISTS idx_reservations_project ON reservations(project)",
  "CREATE INDEX IF NOT EXISTS idx_reservations_last_used ON reservations(last_used_at)",
  "INSERT OR REPLACE INTO metadata (key, value) VALUES ('schema_version', '2')"
]
