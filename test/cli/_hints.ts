// The `hint:` lines trop prints after an error's first line (not a test file itself).
import { expect } from "vitest"
import type { Result } from "../support/cli.js"

/**
 * A failed command: exact exit code, empty stdout, the `Error: ⟨message⟩` line exactly as
 * before, then exactly the given `hint:` lines.
 */
export const expectHinted = (r: Result, code: number, message: string, ...hints: ReadonlyArray<string>) => {
  expect({ code: r.code, stdout: r.stdout, stderr: r.stderr }).toEqual({
    code,
    stdout: "",
    stderr: `Error: ${message}\n${hints.map((h) => `hint: ${h}\n`).join("")}`
  })
}

/** The hint of a lock timeout. */
export const lockHint = (seconds: number) =>
  `another process held the database lock for ${seconds}s; retry, or raise --busy-timeout`

/** The hint of a path relationship violation. */
export const unrelatedHint =
  "pass --allow-unrelated-path to use a path outside the working directory's tree (or set allow_unrelated_path: true in the configuration)"

/**
 * The hint of an exhausted range: how many reservations hold it, and the ways to widen or
 * free it (`autoclean` when the cleanup was skipped, `autoclean --days` after it ran).
 */
export const exhaustedHint = (held: number, range: string, cleanup: "skipped" | "rolled back") => {
  const holders = held === 0
    ? `no reservation holds a port of ${range} (its ports are excluded or in use)`
    : `${held} reservation(s) hold ports of ${range}`
  const free = held === 0
    ? ""
    : cleanup === "skipped"
    ? ", or remove stale reservations with 'trop autoclean'"
    : ", or expire unused reservations sooner with 'trop autoclean --days <DAYS>'"
  return `${holders}; widen the range with --max (or ports.max in the configuration)${free}`
}

/** The warning of a preferred port that was not granted. */
export const preferredWarning = (port: number, why: string, granted: number, service?: string) =>
  `Warning: preferred port ${port}${service === undefined ? "" : ` of service '${service}'`} not granted (${why}); got ${granted} instead\n`
