/**
 * vitest with `trop/vitest`: a test that takes a `port` argument gets a port of its own,
 * reserved in trop's database for the test and released after it. Tests running at the
 * same time — in this file, in other files, in other vitest processes on the machine —
 * never get the same port.
 */
import * as net from "node:net"
import { test } from "trop/vitest"
import { describe, type ExpectStatic } from "vitest"

/** A TCP server on `port` that greets every connection. */
const listen = (port: number) =>
  new Promise<net.Server>((resolve, reject) => {
    const server = net.createServer((socket) => socket.end(`hello from ${port}`))
    server.once("error", reject)
    server.listen(port, "127.0.0.1", () => resolve(server))
  })

/** What a client connecting to `port` reads. */
const greeting = (port: number) =>
  new Promise<string>((resolve, reject) => {
    let text = ""
    net.connect(port, "127.0.0.1")
      .setEncoding("utf8")
      .on("data", (chunk: string) => (text += chunk))
      .on("end", () => resolve(text))
      .on("error", reject)
  })

const close = (server: net.Server) => new Promise<void>((resolve) => server.close(() => resolve()))

// The tests of this block run concurrently, and each holds its server open until all three
// are listening: three ports in use at once, so they must differ.
describe.concurrent("each test gets its own port", () => {
  const TESTS = 3
  const listening: Array<number> = []
  let allListening!: () => void
  const everyoneListens = new Promise<void>((resolve) => (allListening = resolve))

  /** The body of each test: serve on the fixture's port while the other tests serve on theirs. */
  const serve = async (port: number, expect: ExpectStatic) => {
    const server = await listen(port)
    try {
      expect(await greeting(port)).toBe(`hello from ${port}`)
      listening.push(port)
      if (listening.length === TESTS) allListening()
      await everyoneListens
      expect(new Set(listening).size).toBe(TESTS)
    } finally {
      await close(server)
    }
  }

  test("web", ({ port, expect }) => serve(port, expect))
  test("api", ({ port, expect }) => serve(port, expect))
  test("worker", ({ port, expect }) => serve(port, expect))
})
