// The floor for `trop scan` over the default range: the least a Node process must do to
// answer it, with no CLI parsing, no configuration, no database and no Effect runtime. It
// bind-probes every port of 5000..7000 with the same four sockets as trop's default policy
// (TCP and UDP on 127.0.0.1 and ::1; exclusive, v6-only for IPv6, UDP without address
// reuse), closing each at once, with trop's strategy: the four probes of a port together,
// 32 ports in flight (a sliding window, as Effect.forEach with concurrency 32), and prints
// how many ports some probe found in use.
// Usage: node floor-scan.mjs [min] [max]
import * as dgram from "node:dgram"
import * as net from "node:net"

const [min = 5000, max = 7000] = process.argv.slice(2).map(Number)
const CONCURRENCY = 32
const PROBES = [["tcp", "127.0.0.1"], ["udp", "127.0.0.1"], ["tcp", "::1"], ["udp", "::1"]]

/** true when the bind hit EADDRINUSE. */
const inUse = (protocol, host, port) =>
  new Promise((resolve) => {
    const ipv6Only = host.includes(":")
    if (protocol === "tcp") {
      const server = net.createServer()
      server.once("error", (e) => {
        server.close()
        resolve(e.code === "EADDRINUSE")
      })
      server.listen({ host, port, ipv6Only, exclusive: true }, () => server.close(() => resolve(false)))
    } else {
      const socket = dgram.createSocket({ type: ipv6Only ? "udp6" : "udp4", reuseAddr: false, ipv6Only })
      socket.once("error", (e) => {
        socket.close()
        resolve(e.code === "EADDRINUSE")
      })
      socket.bind({ address: host, port, exclusive: true }, () => socket.close(() => resolve(false)))
    }
  })

let next = min
let count = 0
const worker = async () => {
  while (next <= max) {
    const port = next++
    const results = await Promise.all(PROBES.map(([protocol, host]) => inUse(protocol, host, port)))
    if (results.some(Boolean)) count++
  }
}
await Promise.all(Array.from({ length: CONCURRENCY }, worker))
process.stdout.write(`${count}\n`)
