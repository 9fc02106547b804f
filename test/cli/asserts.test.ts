import * as net from "node:net"
import * as path from "node:path"
import { afterEach, beforeEach, describe, expect, it } from "vitest"
import {
  dbFile,
  expectError,
  expectOk,
  expectUsageError,
  exists,
  makeSandbox,
  type Sandbox,
  seed
} from "./_helpers.js"

const MIN = 24000
const MAX = 24099

let sb: Sandbox
beforeEach(() => {
  sb = makeSandbox([MIN, MAX])
})
afterEach(() => sb.cleanup())

const fixture = () => {
  const other = path.join(sb.root, "other")
  seed(sb, [
    { path: sb.work, port: MIN + 10 },
    { path: sb.work, tag: "web", port: MIN + 11 },
    { path: other, tag: "api", port: MIN + 12 }
  ])
  return { other }
}

describe("assert-reservation", () => {
  it("found: prints the port on stdout (cwd, untagged by default), exit 0", () => {
    fixture()
    expectOk(sb.run(["assert-reservation"]), `${MIN + 10}\n`)
    expectOk(sb.run(["assert-reservation", "--tag", "web"]), `${MIN + 11}\n`)
    expectOk(sb.run(["assert-reservation", "--tag", "  web "]), `${MIN + 11}\n`)
  })

  it("--quiet suppresses the port", () => {
    fixture()
    expectOk(sb.run(["assert-reservation", "--quiet"]), "")
    expectOk(sb.run(["--quiet", "assert-reservation", "--tag", "web"]), "")
  })

  it("not found → exit 1 with the key in the message", () => {
    fixture()
    expectError(sb.run(["assert-reservation", "--tag", "nope"]), 1, `Assertion failed: no reservation found for ${sb.work}:nope`)
    const sub = path.join(sb.work, "sub")
    expectError(sb.run(["assert-reservation", "--path", sub]), 1, `Assertion failed: no reservation found for ${sub}`)
    // the error line is printed even with --quiet
    expectError(sb.run(["assert-reservation", "--path", sub, "--quiet"]), 1, `Assertion failed: no reservation found for ${sub}`)
  })

  it("--not inverts: exists → exit 1; missing → exit 0 with empty stdout", () => {
    fixture()
    expectError(sb.run(["assert-reservation", "--not"]), 1, `Assertion failed: reservation exists for ${sb.work}`)
    expectError(sb.run(["assert-reservation", "--not", "--tag", "web"]), 1, `Assertion failed: reservation exists for ${sb.work}:web`)
    expectOk(sb.run(["assert-reservation", "--not", "--tag", "nope"]), "")
  })

  it("has no path guard: an unrelated path is just looked up", () => {
    const { other } = fixture()
    expectOk(sb.run(["assert-reservation", "--path", other, "--tag", "api"]), `${MIN + 12}\n`)
    expectError(sb.run(["assert-reservation", "--path", other]), 1, `Assertion failed: no reservation found for ${other}`)
  })

  it("TROP_PATH is used; --path is normalized", () => {
    const { other } = fixture()
    expectOk(sb.run(["assert-reservation", "--tag", "api"], { env: { TROP_PATH: other } }), `${MIN + 12}\n`)
    expectOk(sb.run(["assert-reservation", "--path", "./sub/../"]), `${MIN + 10}\n`)
    expectOk(sb.run(["assert-reservation", "--path", "../other", "--tag", "api"]), `${MIN + 12}\n`)
  })

  it("a blank tag is exit 6 (not 4) with the library message", () => {
    fixture()
    expectError(
      sb.run(["assert-reservation", "--tag", "  "]),
      6,
      "validation error for 'tag': tag must be non-empty after trimming whitespace"
    )
  })

  it("agrees with a real reserve/release cycle", () => {
    const reserved = sb.run(["reserve", "--tag", "cycle"])
    expect(reserved.code).toBe(0)
    expectOk(sb.run(["assert-reservation", "--tag", "cycle"]), reserved.stdout)
    expect(sb.run(["release", "--tag", "cycle", "--quiet"]).code).toBe(0)
    expectOk(sb.run(["assert-reservation", "--tag", "cycle", "--not"]), "")
  })

  it("auto-creates the database; with auto-init disabled → exit 3", () => {
    expectError(
      sb.run(["assert-reservation"], { env: { TROP_DISABLE_AUTOINIT: "yes" } }),
      3,
      "Data directory not found (use --data-dir or enable auto-init)"
    )
    expect(exists(sb.dataDir)).toBe(false)
    expectError(sb.run(["assert-reservation"]), 1, `Assertion failed: no reservation found for ${sb.work}`)
    expect(exists(dbFile(sb.dataDir))).toBe(true)
  })
})

describe("assert-port", () => {
  it("reserved → exit 0 with no output; --not → exit 1", () => {
    fixture()
    expectOk(sb.run(["assert-port", String(MIN + 12)]), "")
    expectOk(sb.run(["assert-port", String(MIN + 10), "--quiet"]), "")
    expectError(sb.run(["assert-port", String(MIN + 11), "--not"]), 1, `Assertion failed: port ${MIN + 11} is reserved`)
  })

  it("unreserved → exit 1; --not → exit 0", () => {
    fixture()
    expectError(sb.run(["assert-port", String(MIN + 20)]), 1, `Assertion failed: port ${MIN + 20} is not reserved`)
    expectOk(sb.run(["assert-port", String(MIN + 20), "--not"]), "")
  })

  it("a leading + is tolerated", () => {
    fixture()
    expectOk(sb.run(["assert-port", `+${MIN + 10}`]), "")
  })

  it("0 → exit 4 with the exact message", () => {
    expectError(sb.run(["assert-port", "0"]), 4, "Invalid arguments: invalid port 0: port 0 is invalid")
  })

  it("non-numeric, out of range, negative or missing <PORT> → usage error", () => {
    expectUsageError(sb.run(["assert-port", "abc"]), "abc")
    expectUsageError(sb.run(["assert-port", "70000"]), "70000")
    expectUsageError(sb.run(["assert-port", "65536"]), "65536")
    expectUsageError(sb.run(["assert-port", "-1"]))
    expectUsageError(sb.run(["assert-port"]), "<PORT>")
    expectUsageError(sb.run(["assert-port", "5000", "5001"]), "5001")
  })

  it("checks the database only: an occupied but unreserved port is 'not reserved'", async () => {
    fixture()
    const server = net.createServer()
    await new Promise<void>((resolve) => server.listen({ port: 0, host: "127.0.0.1" }, resolve))
    const port = (server.address() as net.AddressInfo).port
    try {
      expectError(sb.run(["assert-port", String(port)]), 1, `Assertion failed: port ${port} is not reserved`)
      expectOk(sb.run(["assert-port", String(port), "--not"]), "")
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()))
    }
  })

  it("an invalid configuration variable is exit 7", () => {
    expectError(
      sb.run(["assert-port", "5000"], { env: { TROP_PORT_MIN: "abc" } }),
      7,
      "Configuration error: validation error for 'TROP_PORT_MIN': Invalid port number"
    )
  })
})
