import { describe, it } from "@effect/vitest"
import { Option, Schema } from "effect"
import fc from "fast-check"
import { expect } from "vitest"
import { formatTimestamp, UnixSeconds } from "../../src/domain/Reservation.js"
import * as Key from "../../src/domain/ReservationKey.js"
import { abs, seconds, tag } from "../fixtures/Fixtures.js"

describe("ReservationKey.format (docs/cli.md)", () => {
  it("shows the path alone when untagged and path:tag when tagged", () => {
    expect(Key.format(Key.make(abs("/work/app")))).toBe("/work/app")
    expect(Key.format(Key.make(abs("/work/app"), Option.some(tag("web"))))).toBe("/work/app:web")
    expect(Key.format(Key.make(abs("/"), Option.some(tag("a b"))))).toBe("/:a b")
  })

  it("equals compares path and tag", () => {
    const a = Key.make(abs("/p"), Option.some(tag("web")))
    expect(Key.equals(a, Key.make(abs("/p"), Option.some(tag("web"))))).toBe(true)
    expect(Key.equals(a, Key.make(abs("/p")))).toBe(false)
    expect(Key.equals(a, Key.make(abs("/q"), Option.some(tag("web"))))).toBe(false)
  })
})

describe("formatTimestamp (docs/cli.md: UTC YYYY-MM-DD HH:MM:SS)", () => {
  it("epoch 0", () => {
    expect(formatTimestamp(seconds(0))).toBe("1970-01-01 00:00:00")
  })

  it("a leap day, zero-padded fields", () => {
    // 2024-02-29T01:02:03Z
    expect(formatTimestamp(seconds(Date.UTC(2024, 1, 29, 1, 2, 3) / 1000))).toBe("2024-02-29 01:02:03")
    expect(formatTimestamp(seconds(951782400))).toBe("2000-02-29 00:00:00")
  })

  it("the last second of a day and of a year", () => {
    expect(formatTimestamp(seconds(86399))).toBe("1970-01-01 23:59:59")
    expect(formatTimestamp(seconds(Date.UTC(1999, 11, 31, 23, 59, 59) / 1000))).toBe("1999-12-31 23:59:59")
  })

  it("the largest storable timestamp is the end of year 262143", () => {
    expect(formatTimestamp(seconds(8210298412799))).toBe("262143-12-31 23:59:59")
    expect(Schema.is(UnixSeconds)(8210298412799)).toBe(true)
    expect(Schema.is(UnixSeconds)(8210298412800)).toBe(false)
    expect(Schema.is(UnixSeconds)(-1)).toBe(false)
  })

  it.prop("agrees with the ISO rendering for years 1970..9999", [fc.integer({ min: 0, max: 253402300799 })], ([s]) => {
    const iso = new Date(s * 1000).toISOString() // YYYY-MM-DDTHH:MM:SS.sssZ
    expect(formatTimestamp(seconds(s))).toBe(`${iso.slice(0, 10)} ${iso.slice(11, 19)}`)
  })
})
