/** Which bind probes the effective configuration asks for (docs/concepts.md). */
export interface OccupancyPolicy {
  readonly skipTcp: boolean
  readonly skipUdp: boolean
  readonly skipIpv4: boolean
  readonly skipIpv6: boolean
  readonly checkAllInterfaces: boolean
}

/** The `occupancy_check` leaves of the configuration, before `skip` is folded in. */
export interface OccupancyCheck {
  readonly skip: boolean
  readonly skip_ip4: boolean
  readonly skip_ip6: boolean
  readonly skip_tcp: boolean
  readonly skip_udp: boolean
  readonly check_all_interfaces: boolean
}

/** The policy of the `occupancy_check` leaves: `skip` turns every probe off. */
export const fromCheck = (c: OccupancyCheck): OccupancyPolicy => ({
  skipTcp: c.skip || c.skip_tcp,
  skipUdp: c.skip || c.skip_udp,
  skipIpv4: c.skip || c.skip_ip4,
  skipIpv6: c.skip || c.skip_ip6,
  checkAllInterfaces: c.check_all_interfaces
})

/** A probe's transport. */
export type Protocol = "tcp" | "udp"
/** A probe's address family. */
export type Family = "ipv4" | "ipv6"
/** Loopback only, or every interface (`check_all_interfaces`). */
export type Scope = "localhost" | "wildcard"

/** One bind attempt: a protocol on one address. */
export interface Probe {
  readonly protocol: Protocol
  readonly family: Family
  readonly scope: Scope
  readonly address: string
}

const ADDRESSES: Record<Family, Record<Scope, string>> = {
  ipv4: { localhost: "127.0.0.1", wildcard: "0.0.0.0" },
  ipv6: { localhost: "::1", wildcard: "::" }
}

/** The probes of one port in their fixed order (docs/concepts.md). */
export const probes = (policy: OccupancyPolicy): ReadonlyArray<Probe> => {
  const result: Array<Probe> = []
  const families: ReadonlyArray<Family> = [
    ...(policy.skipIpv4 ? [] : ["ipv4" as const]),
    ...(policy.skipIpv6 ? [] : ["ipv6" as const])
  ]
  const protocols: ReadonlyArray<Protocol> = [
    ...(policy.skipTcp ? [] : ["tcp" as const]),
    ...(policy.skipUdp ? [] : ["udp" as const])
  ]
  const scopes: ReadonlyArray<Scope> = policy.checkAllInterfaces ? ["localhost", "wildcard"] : ["localhost"]
  for (const family of families) {
    for (const scope of scopes) {
      for (const protocol of protocols) result.push({ protocol, family, scope, address: ADDRESSES[family][scope] })
    }
  }
  return result
}

/** `127.0.0.1:5000` / `[::1]:5000`: where a probe binds. */
export const sockaddr = (probe: Probe, port: number): string =>
  probe.family === "ipv6" ? `[${probe.address}]:${port}` : `${probe.address}:${port}`

const FAMILY_LABEL: Record<Family, string> = { ipv4: "IPv4", ipv6: "IPv6" }

/** `IPv4` / `IPv6`, as messages name a family. */
export const familyLabel = (family: Family): string => FAMILY_LABEL[family]

/** `TCP IPv4 localhost`, the way messages name a probe. */
export const describe = (probe: Probe): string =>
  `${probe.protocol.toUpperCase()} ${FAMILY_LABEL[probe.family]} ${probe.scope}`
