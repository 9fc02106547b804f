import { describe, expect, it } from "vitest"
import { isBrokenPipe } from "../../src/cli/Write.js"

/** Which write errors mean that the reader of stdout went away (src/cli/Write.ts). */
describe("isBrokenPipe", () => {
  const error = (code: string) => Object.assign(new Error(`${code}: write`), { code })

  it("EPIPE (a pipe) and ECONNRESET (a socket whose reader left data unread) are the reader gone", () => {
    expect(isBrokenPipe(error("EPIPE"))).toBe(true)
    expect(isBrokenPipe(error("ECONNRESET"))).toBe(true)
  })

  it("other errors are write errors (exit 5), and so is anything that is not an Error", () => {
    for (const code of ["ENOSPC", "EIO", "EBADF", "EAGAIN"]) expect(isBrokenPipe(error(code))).toBe(false)
    expect(isBrokenPipe({ code: "EPIPE" })).toBe(false)
  })
})
