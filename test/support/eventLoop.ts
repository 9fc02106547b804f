import { afterEach } from "vitest"

/**
 * Lets the event loop turn after every test (a setup file of the whole suite: vitest.config.ts).
 *
 * vitest's runner goes from one test to the next through promises alone, and most tests here
 * run trop synchronously (spawnSync), so a file of such tests may never give the event loop a
 * turn. The worker's RPC calls to the main process (`onTaskUpdate` after each test) then wait
 * unanswered, their replies unread, and when the loop finally turns (at the file's end) their
 * 60 s timeout fires first: "Timeout calling onTaskUpdate" once a file takes a minute, which a
 * loaded machine makes of a few dozen spawnSync runs. A timer, then an immediate, passes
 * through the poll phase, where the replies are read: no call then waits longer than a test.
 */
// The real timers, kept before any test could install fake ones.
const { setImmediate: immediate, setTimeout: timer } = globalThis

afterEach(async () => {
  await new Promise<void>((resolve) => timer(resolve, 0))
  await new Promise<void>((resolve) => immediate(resolve))
})
