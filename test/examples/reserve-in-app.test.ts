import { it } from "@effect/vitest"
import { Effect } from "effect"
import * as path from "node:path"
import { expect } from "vitest"
import { app } from "../../examples/reserve-in-app.js"
import { AbsolutePath } from "../../src/domain/AbsolutePath.js"
import { tempDir, trop } from "../support/cli.js"

it.live("the example app reserves a port through the library and serves on it; the CLI agrees", () =>
  Effect.gen(function*() {
    const root = tempDir()
    const dataDir = path.join(root, "data")
    const first = yield* app(dataDir, AbsolutePath.make(root))
    expect(first.reply).toBe(`hello from port ${first.port}\n`)
    const again = yield* app(dataDir, AbsolutePath.make(root))
    expect(again.port).toBe(first.port)
    const cli = trop(["--data-dir", dataDir, "reserve", "--tag", "dev-server", "--project", "example-app"], { cwd: root })
    expect(cli).toMatchObject({ code: 0, stdout: `${first.port}\n` })
  }))
