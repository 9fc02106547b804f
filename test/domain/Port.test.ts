import { describe, it } from "@effect/vitest"
import { Either, Option, Schema } from "effect"
import fc from "fast-check"
import { expect } from "vitest"
import * as Port from "../../src/domain/Port.js"
import * as PortRange from "../../src/domain/PortRange.js"
import * as Exclusions from "../../src/domain/Exclusions.js"
import { port } from "../fixtures/Fixtures.js"

const failure = (text: string): string | undefined => Either.match(Port.parse(text), { onLeft: (m) => m, onRight: () => undefined })

describe("Port.parse (docs/cli.md)", () => {
  it("accepts every port of 1..65535, with a tolerated leading +", () => {
    expect(Port.parse("1")).toEqual(Either.right(1))
    expect(Port.parse("65535")).toEqual(Either.right(65535))
    expect(Port.parse("+8080")).toEqual(Either.right(8080))
    expect(Port.parse("008080")).toEqual(Either.right(8080))
  })

  it("words a non-number with the text as typed", () => {
    expect(failure("abc")).toBe("Invalid port number: 'abc' is not a valid number")
    expect(failure("")).toBe("Invalid port number: '' is not a valid number")
    expect(failure("-1")).toBe("Invalid port number: '-1' is not a valid number")
    expect(failure(" 80")).toBe("Invalid port number: ' 80' is not a valid number")
    expect(failure("80.5")).toBe("Invalid port number: '80.5' is not a valid number")
    expect(failure("0x50")).toBe("Invalid port number: '0x50' is not a valid number")
  })

  it("refuses port 0 as reserved", () => {
    expect(failure("0")).toBe("Invalid port number: port 0 is reserved and cannot be used")
    expect(failure("+0")).toBe("Invalid port number: port 0 is reserved and cannot be used")
  })

  it("refuses values above 65535 naming the number", () => {
    expect(failure("65536")).toBe("Invalid port number: 65536 is greater than maximum port 65535")
    expect(failure("+70000")).toBe("Invalid port number: 70000 is greater than maximum port 65535")
  })

  it.prop("round-trips every valid port's decimal text", [fc.integer({ min: 1, max: 65535 })], ([n]) => {
    expect(Port.parse(String(n))).toEqual(Either.right(n))
  })

  it.prop(
    "never accepts a number outside 1..65535",
    [fc.oneof(fc.integer({ min: 65536, max: 10_000_000 }), fc.constant(0))],
    ([n]) => {
      expect(Either.isLeft(Port.parse(String(n)))).toBe(true)
    }
  )
})

describe("PortRange", () => {
  it("the schema refuses min > max; a range formats as min-max", () => {
    const decode = Schema.decodeUnknownOption(PortRange.PortRange)
    expect(Option.isNone(decode({ min: 6000, max: 5000 }))).toBe(true)
    expect(Option.isNone(decode({ min: 0, max: 5000 }))).toBe(true)
    const r = Option.getOrUndefined(decode({ min: 5000, max: 5002 }))
    expect(r).toBeDefined()
    if (r !== undefined) {
      expect(PortRange.format(r)).toBe("5000-5002")
      expect([...PortRange.ports(r)]).toEqual([5000, 5001, 5002])
      expect(PortRange.contains(r, 5003)).toBe(false)
    }
  })
})

describe("Exclusions.isExcluded", () => {
  it("is inclusive at both ends of every entry", () => {
    const ex = [{ start: port(5005), end: port(5009) }, { start: port(7000), end: port(7000) }]
    expect([5004, 5005, 5009, 5010, 6999, 7000, 7001].map((p) => Exclusions.isExcluded(ex, p))).toEqual([
      false,
      true,
      true,
      false,
      false,
      true,
      false
    ])
    expect(Exclusions.isExcluded(Exclusions.empty, 5000)).toBe(false)
  })
})
