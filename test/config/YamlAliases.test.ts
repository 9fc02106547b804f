import { Effect, Either } from "effect"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { afterAll, describe, expect, it } from "vitest"
import * as Files from "../../src/config/Files.js"
import { decodeConfig, parseYaml } from "../../src/config/Yaml.js"

/** Alias expansion beyond the YAML library's limit is a problem of the document, not a crash. */

const dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), "trop-aliases-")))
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }))

const MESSAGE = "Excessive alias count indicates a resource exhaustion attack"
const aliases = (n: number) => `excluded_ports: [&p 5001${", *p".repeat(n)}]\n`

describe("too many YAML aliases", () => {
  it("decodeConfig: one problem line, no exception", () => {
    const decoded = Either.flatMap(parseYaml(aliases(150)), (p) => decodeConfig(p, { all: true }))
    expect(Either.isLeft(decoded) ? decoded.left : "decoded").toEqual([MESSAGE])
  })

  it("Files.load: a configuration error naming the file", () => {
    const file = path.join(dir, "trop.yaml")
    fs.writeFileSync(file, aliases(150))
    const result = Effect.runSync(Effect.either(Files.load(file, "project")))
    expect(Either.isLeft(result) ? result.left.detail : "loaded").toBe(`validation error for '${file}': Invalid YAML: ${MESSAGE}`)
  })
})
