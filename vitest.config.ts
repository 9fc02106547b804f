import { defineConfig } from "vitest/config"

export default defineConfig({
  test: {
    // examples/ is not here: test/package/ typechecks and runs it against the packed tarball.
    include: ["test/**/*.test.ts"],
    // CLI and concurrency tests spawn real processes; CI machines have 2 cores.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: "forks",
    maxWorkers: 2,
    minWorkers: 1,
    // The event loop turns after every test, so vitest's own RPC calls never time out behind
    // a file of synchronous process runs (see the file).
    setupFiles: ["test/support/eventLoop.ts"]
  }
})
