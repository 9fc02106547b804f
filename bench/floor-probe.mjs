// The floors' occupancy check: trop's default policy with no library around it. A port is
// free when all four bind probes succeed (TCP and UDP on 127.0.0.1 and ::1; exclusive,
// v6-only for IPv6, UDP without address reuse), run together, each socket closed at once.
import * as dgram from "node:dgram"
import * as net from "node:net"

const probe = (protocol, host, port) =>
  new Promise((resolve) => {
    const ipv6Only = host.includes(":")
    if (protocol === "tcp") {
      const server = net.createServer()
      server.once("error", () => resolve(false))
      server.listen({ host, port, ipv6Only, exclusive: true }, () => server.close(() => resolve(true)))
    } else {
      const socket = dgram.createSocket({ type: ipv6Only ? "udp6" : "udp4", reuseAddr: false, ipv6Only })
      socket.once("error", () => {
        socket.close()
        resolve(false)
      })
      socket.bind({ address: host, port, exclusive: true }, () => socket.close(() => resolve(true)))
    }
  })

const PROBES = [["tcp", "127.0.0.1"], ["udp", "127.0.0.1"], ["tcp", "::1"], ["udp", "::1"]]

/** Whether `port` is free by all four probes. */
export const free = async (port) =>
  (await Promise.all(PROBES.map(([protocol, host]) => probe(protocol, host, port)))).every(Boolean)
