import { Either } from "effect"
import { it } from "vitest"
import { decodeConfig, parseYaml } from "../../src/config/Yaml.js"
import { fileProblems } from "../../src/config/Validate.js"
const cases: Array<string> = [
  'excluded_ports: [0, "0", "0..5", "5..0", "9000..8000", {start: 0, end: 0}, {start: 0, end: 5}, {start: 5, end: 0}, {start: 9, end: 8}, "5000..5000", " 5005 .. 5009 ", "5001..", "..5", "5..6..7", "+5", "65536", " 7 "]',
  'excluded_ports: [{start: "5", end: 6}]',
  'project: "a\\0b"',
  'project: "   "',
  'project: "' + "x".repeat(256) + '"',
  'project: "  ' + "x".repeat(255) + '  "',
  'reservations:\n  services:\n    "  ": {env: A}\n',
  'reservations:\n  services:\n    web: {env: WEB}\n    " web ": {env: WEB2, offset: 1}\n',
  'reservations:\n  services:\n    web: {}\n    api: {}\n',
  'reservations:\n  base: 0\n  services:\n    web: {preferred: 0}\n    api: {preferred: 8080, offset: 1}\n    db: {preferred: 8080, offset: 2}\n',
  'reservations:\n  services:\n    a: {env: ""}\n    b: {env: "1A", offset: 1}\n    c: {env: "A-B", offset: 2}\n    d: {env: "' + "A".repeat(256) + '", offset: 3}\n',
  'reservations:\n  services:\n    api-v2: {}\n    -web: {offset: 1}\n    web--server: {offset: 2}\n',
  'reservations:\n  services:\n    123-api: {}\n    api.server: {offset: 1}\n    "api server": {offset: 2}\n    "ß": {offset: 3}\n    " web ": {offset: 4}\n',
  'reservations:\n  services:\n    api-v2: {}\n    api_v2: {offset: 1}\n',
  'reservations:\n  services:\n    web: {env: Web_Port}\n    api: {env: WEB_PORT, offset: 1}\n',
  'ports: {min: 0}', 'ports: {min: 5000, max: 0}', 'ports: {min: 6000, max: 5000}', 'ports: {min: 5000, max: 6000, max_offset: 5}', 'ports: {min: 5000, max_offset: 0}', 'ports: {min: 65000, max_offset: 536}', 'ports: {min: 65000, max_offset: 535}',
  'cleanup: {expire_after_days: 0}', 'maximum_lock_wait_seconds: 2147483',
]
it("scratch", () => {
  for (const c of cases) {
    const r = Either.flatMap(parseYaml(c), (p) => decodeConfig(p, { all: true }))
    console.log(JSON.stringify(c).slice(0,120), "=>", JSON.stringify(Either.isLeft(r) ? r.left : fileProblems(r.right.config, "project")))
  }
})
it("floats", () => { for (const v of ["5000.5", "5000.0", "1e3", "5e3", ".inf", ".nan", "5_000", "0x_1"]) { const r = Either.flatMap(parseYaml(`ports:\n  min: ${v}\n`), (p) => decodeConfig(p, { all: true })); console.log(v, "=>", JSON.stringify(r)) } })
