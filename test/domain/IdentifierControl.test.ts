import { describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import { expect } from "vitest"
import * as GroupOutput from "../../src/cli/commands/GroupOutput.js"
import { formatList } from "../../src/cli/commands/ListFormat.js"
import { render } from "../../src/cli/Exit.js"
import { groupProblems } from "../../src/config/Validate.js"
import { AbsolutePath } from "../../src/domain/AbsolutePath.js"
import { StickyFieldChange } from "../../src/domain/Errors.js"
import * as Identifier from "../../src/domain/Identifier.js"
import * as Port from "../../src/domain/Port.js"
import { Reservation, UnixSeconds } from "../../src/domain/Reservation.js"
import { Trop } from "../../src/index.js"

/** Control characters in identifiers: refused when new, escaped when shown (docs/security.md). */

const CONTROLS = ["\u0000", "\u0001", "\u0007", "\u001b", "\u007f", "\u0080", "\u0085", "\u009b", "\u009f", "\t", "\n", "\r"]

describe("new identifiers with control characters", () => {
  it("project and task: refused anywhere inside, with their own message; NUL keeps its message", () => {
    for (const c of CONTROLS.filter((c) => c !== "\u0000")) {
      expect(Identifier.projectFromInput(`a${c}b`), JSON.stringify(c)).toEqual(Either.left("Cannot contain control characters"))
      expect(Identifier.taskFromInput(`a${c}b`), JSON.stringify(c)).toEqual(Either.left("Cannot contain control characters"))
    }
    expect(Identifier.projectFromInput("a\u0000b")).toEqual(Either.left("Cannot contain null bytes"))
  })

  it("single-reservation tags: refused inside; surrounding whitespace is still trimmed", () => {
    for (const c of CONTROLS) {
      expect(Identifier.tagFromInput(`a${c}b`), JSON.stringify(c)).toEqual(Either.left("tag must not contain control characters"))
    }
    expect(Identifier.tagFromInput("\t web\r\n")).toEqual(Either.right("web"))
    expect(Identifier.tagFromInput("\n")).toEqual(Either.left("tag must be non-empty after trimming whitespace"))
  })

  it.effect("library requests: InvalidValue, nothing reserved", () =>
    Effect.gen(function*() {
      const trop = yield* Trop
      const failures = yield* Effect.all([
        Effect.flip(trop.reserve({ path: "/w/x", project: "a\u001bb" })),
        Effect.flip(trop.reserve({ path: "/w/x", task: "a\nb" })),
        Effect.flip(trop.reserve({ path: "/w/x", tag: "a\u009bb" }))
      ])
      expect(failures.map((f) => [f._tag, f.message])).toEqual([
        ["InvalidValue", "validation error for 'project': Cannot contain control characters"],
        ["InvalidValue", "validation error for 'task': Cannot contain control characters"],
        ["InvalidValue", "validation error for 'tag': tag must not contain control characters"]
      ])
      expect(yield* trop.list()).toEqual([])
    }).pipe(Effect.provide(Trop.layerTest())))

  it("group service tags: a problem of reservations.services.tag", () => {
    expect(groupProblems({ services: { "a\u001bb": { env: "A" } } })).toEqual([
      { field: "reservations.services.tag", message: "Cannot contain control characters" }
    ])
  })
})

/** A stored row as another tool may have written it: the brands do not check for controls. */
const row = (fields: { tag: string; project: string; task: string }): Reservation =>
  Reservation.make({
    key: { path: AbsolutePath.make("/w/x\u001by"), tag: Option.some(Identifier.Tag.make(fields.tag)) },
    port: Port.unsafeMake(5000),
    project: Option.some(Identifier.Project.make(fields.project)),
    task: Option.some(Identifier.Task.make(fields.task)),
    createdAt: UnixSeconds.make(0),
    lastUsedAt: UnixSeconds.make(0)
  })

describe("stored values are shown escaped", () => {
  const rows = [row({ tag: "t\tx", project: "\u001b[31mred\nFAKE", task: "a\u009bb" })]
  const options = { home: undefined, fullPaths: true }

  it("list table, csv and tsv", () => {
    const shown = "/w/x\\x1by\tt\\tx\t\\x1b[31mred\\nFAKE\ta\\u009bb"
    expect(formatList(rows, "table", options).split("\n")[1]).toBe(`5000\t${shown}\t1970-01-01 00:00:00\t1970-01-01 00:00:00`)
    expect(formatList(rows, "csv", options).split("\n")[1]).toBe(
      "5000,/w/x\\x1by,t\\tx,\\x1b[31mred\\nFAKE,a\\u009bb,1970-01-01 00:00:00,1970-01-01 00:00:00"
    )
    expect(formatList(rows, "tsv", options).split("\n")[1]).toBe(`5000\t${shown}\t1970-01-01 00:00:00\t1970-01-01 00:00:00`)
  })

  it("list json: the exact values, with C1 and DEL as \\u escapes too", () => {
    const text = formatList(rows, "json", options)
    expect(text).toContain("\"task\": \"a\\u009bb\"")
    expect(JSON.parse(text)).toMatchObject([{ path: "/w/x\u001by", tag: "t\tx", project: "\u001b[31mred\nFAKE", task: "a\u009bb" }])
  })

  it("human and json group output", () => {
    const entries = [{ tag: "a\u001b[2Jb", name: "A", port: 5000 }]
    expect(GroupOutput.render(entries, "human", "bash")).toEqual(Either.right("Reserved ports:\n  a\\x1b[2Jb: 5000"))
    expect(GroupOutput.render([{ tag: "a\u009bb", name: "A", port: 5000 }], "json", "bash")).toEqual(
      Either.right("{\n  \"a\\u009bb\": 5000\n}")
    )
  })

  it("error messages: one line, values escaped", () => {
    const sticky = new StickyFieldChange({ field: "task", from: "x\ny", to: "z", group: "/w/g\u0085" })
    expect(render(sticky)).toBe(
      "Error: cannot change sticky field 'task': Cannot change group task from 'x\\ny' to 'z' without --force or --allow-task-change (group at /w/g\\u0085)"
    )
  })
})
