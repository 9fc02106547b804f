/**
 * A `port` fixture for vitest: each test that asks for it gets a port reserved in the
 * user's real trop database — free and not in use when handed out — and released after
 * the test. Every vitest process and worker on the machine draws from the same database,
 * so none of them ever gets a port another one holds.
 *
 * ```ts
 * import { test } from "trop/vitest"
 * test("serves", async ({ port }) => { server.listen(port) })
 * ```
 */
import { threadId } from "node:worker_threads"
import { test as base } from "vitest"
import type { TropClient } from "./promise.js"
import { openTrop } from "./promise.js"
import type { TropOptions } from "./Trop.js"

/** What the fixture adds to a test's context. */
export interface PortFixtures {
  /** A port reserved for this test alone, released after it. */
  readonly port: number
}

/** Tags of fixture reservations: `vitest:<pid>:<thread>:<n>`, unique on the machine while the process lives. */
const PREFIX = "vitest:"
const OWNER = /^vitest:(\d+):/

const isAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0)
    return true
  } catch (e) {
    // EPERM: the process exists but belongs to someone else.
    return (e as NodeJS.ErrnoException).code === "EPERM"
  }
}

/** Releases what killed runs left behind: fixture reservations of processes that are gone. */
const sweep = async (trop: TropClient): Promise<void> => {
  for (const r of await trop.list({ path: trop.cwd })) {
    const owner = r.path === trop.cwd && r.tag !== null ? OWNER.exec(r.tag)?.[1] : undefined
    if (owner !== undefined && !isAlive(Number(owner))) await trop.release({ path: r.path, tag: r.tag ?? undefined })
  }
}

/**
 * The fixtures, for `test.extend(tropFixtures(options))`. `options` are those of
 * `openTrop` (data directory, range, exclusions, ...); reservations are keyed by the
 * working directory. One database connection is opened per worker, on first use.
 */
export const tropFixtures = (options?: TropOptions) => {
  let opened: Promise<TropClient> | undefined
  const open = () =>
    (opened ??= openTrop(options).then(async (trop) => {
      await sweep(trop)
      return trop
    }))
  let count = 0
  return {
    // vitest reads a fixture's dependencies from its first parameter: it must be a pattern.
    port: async ({}: object, use: (port: number) => Promise<void>): Promise<void> => {
      const trop = await open()
      const tag = `${PREFIX}${process.pid}:${threadId}:${++count}`
      const port = await trop.reserve({ tag, path: trop.cwd })
      try {
        await use(port)
      } finally {
        await trop.release({ tag, path: trop.cwd })
      }
    }
  }
}

/** vitest's `test`, with the `port` fixture. */
export const test = base.extend<PortFixtures>(tropFixtures())

/** Alias of `test`. */
export const it = test
