import { describe, it } from "@effect/vitest"
import fc from "fast-check"
import { expect } from "vitest"
import type { OccupancyPolicy } from "../../src/probe/Policy.js"
import { describe as describeProbe, fromCheck, probes, sockaddr } from "../../src/probe/Policy.js"

const none: OccupancyPolicy = { skipTcp: false, skipUdp: false, skipIpv4: false, skipIpv6: false, checkAllInterfaces: false }
const labels = (policy: OccupancyPolicy) => probes(policy).map((p) => `${describeProbe(p)} ${sockaddr(p, 5000)}`)

describe("probe list (docs/concepts.md)", () => {
  it("4 probes by default, in the fixed order", () => {
    expect(labels(none)).toEqual([
      "TCP IPv4 localhost 127.0.0.1:5000",
      "UDP IPv4 localhost 127.0.0.1:5000",
      "TCP IPv6 localhost [::1]:5000",
      "UDP IPv6 localhost [::1]:5000"
    ])
  })

  it("8 probes with check_all_interfaces: wildcard after localhost, per family", () => {
    expect(labels({ ...none, checkAllInterfaces: true })).toEqual([
      "TCP IPv4 localhost 127.0.0.1:5000",
      "UDP IPv4 localhost 127.0.0.1:5000",
      "TCP IPv4 wildcard 0.0.0.0:5000",
      "UDP IPv4 wildcard 0.0.0.0:5000",
      "TCP IPv6 localhost [::1]:5000",
      "UDP IPv6 localhost [::1]:5000",
      "TCP IPv6 wildcard [::]:5000",
      "UDP IPv6 wildcard [::]:5000"
    ])
  })

  it("skips drop protocol or family entries", () => {
    expect(labels({ ...none, skipTcp: true })).toEqual(["UDP IPv4 localhost 127.0.0.1:5000", "UDP IPv6 localhost [::1]:5000"])
    expect(labels({ ...none, skipIpv6: true })).toEqual(["TCP IPv4 localhost 127.0.0.1:5000", "UDP IPv4 localhost 127.0.0.1:5000"])
    expect(labels({ ...none, skipTcp: true, skipUdp: true })).toEqual([])
    expect(labels({ ...none, skipIpv4: true, skipIpv6: true, checkAllInterfaces: true })).toEqual([])
  })

  it("skip folds into every other skip (docs/concepts.md)", () => {
    const leaves = { skip: false, skip_ip4: false, skip_ip6: false, skip_tcp: false, skip_udp: false, check_all_interfaces: false }
    expect(fromCheck({ ...leaves, skip: true })).toEqual({
      skipTcp: true,
      skipUdp: true,
      skipIpv4: true,
      skipIpv6: true,
      checkAllInterfaces: false
    })
    expect(fromCheck({ ...leaves, skip_ip4: true, check_all_interfaces: true })).toEqual({
      ...none,
      skipIpv4: true,
      checkAllInterfaces: true
    })
  })

  it.prop(
    "the count is families × protocols × scopes",
    [fc.boolean(), fc.boolean(), fc.boolean(), fc.boolean(), fc.boolean()],
    ([skipTcp, skipUdp, skipIpv4, skipIpv6, checkAllInterfaces]) => {
      const count = probes({ skipTcp, skipUdp, skipIpv4, skipIpv6, checkAllInterfaces }).length
      const families = (skipIpv4 ? 0 : 1) + (skipIpv6 ? 0 : 1)
      const protocols = (skipTcp ? 0 : 1) + (skipUdp ? 0 : 1)
      expect(count).toBe(families * protocols * (checkAllInterfaces ? 2 : 1))
    },
    { fastCheck: { numRuns: 64 } }
  )
})
