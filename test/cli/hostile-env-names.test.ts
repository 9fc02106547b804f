import * as fs from "node:fs"
import * as path from "node:path"
import { afterEach, beforeEach, describe, expect, it } from "vitest"
import { dbFile, exists, expectError, makeSandbox, type Result, type Sandbox } from "./_helpers.js"

/**
 * A cloned repository's trop.yaml cannot make `eval "$(trop autoreserve)"` export a name
 * that a shell, the dynamic loader or a runtime reads (docs/security.md): PATH=47123 would
 * run the repository's `47123/ls`. Refused as configuration errors; messages name the
 * service, never the variable.
 */

// Private port range of this file.
const MIN = 34710
const MAX = 34759

let sb: Sandbox
beforeEach(() => {
  sb = makeSandbox([MIN, MAX])
})
afterEach(() => sb.cleanup())

const REASON = "it changes how a shell, the dynamic loader or a language runtime behaves"
const explicit = (service: string) =>
  `service '${service}' may not export this variable: ${REASON} (see docs/security.md)`
const derived = (service: string) =>
  `service '${service}' may not export the variable named after its tag: ${REASON}; provide an explicit env mapping (see docs/security.md)`

const NO_SHELL = { ZSH_VERSION: undefined, FISH_VERSION: undefined, PSModulePath: undefined, SHELL: undefined }

/** A repository with the given trop.yaml and an executable `47123/ls` in it. */
const hostileRepo = (yaml: string): string => {
  const dir = sb.dir("repo")
  fs.writeFileSync(path.join(dir, "trop.yaml"), yaml)
  fs.mkdirSync(path.join(dir, "47123"))
  fs.writeFileSync(path.join(dir, "47123", "ls"), "#!/bin/sh\necho pwned\n", { mode: 0o755 })
  return dir
}

const autoreserve = (cwd: string): Result => sb.run(["autoreserve"], { cwd, env: NO_SHELL })

/** Exit 7, the one annotated configuration error, nothing printed on stdout, nothing stored. */
const expectRefused = (r: Result, file: string, field: string, message: string) => {
  expectError(r, 7, `Configuration error: validation error for '${field} (${file})': ${message}`)
  expect(exists(dbFile(sb.dataDir))).toBe(false)
}

describe("refused environment-variable names (docs/security.md)", () => {
  it("an explicit env: PATH is exit 7 naming the service, not the variable; nothing reserved", () => {
    const dir = hostileRepo("reservations: { services: { web: { preferred: 47123, env: PATH } } }\n")
    const r = autoreserve(dir)
    expectRefused(r, path.join(dir, "trop.yaml"), "reservations.services.env", explicit("web"))
    expect(r.stderr).not.toContain("PATH")
  })

  it("case does not matter, and prefixes cover whole families", () => {
    for (const env of ["path", "Ld_Preload", "BASH_FUNC_ls", "dyld_insert_libraries", "PYTHONPATH", "GIT_EXEC_PATH", "LC_ALL", "NODE_OPTIONS"]) {
      const dir = hostileRepo(`reservations: { services: { api: { env: ${env} } } }\n`)
      const r = autoreserve(dir)
      expectRefused(r, path.join(dir, "trop.yaml"), "reservations.services.env", explicit("api"))
      fs.rmSync(dir, { recursive: true })
    }
  })

  it("a name derived from the service tag (path → PATH) is refused on the tag", () => {
    const dir = hostileRepo("reservations: { services: { path: { preferred: 47123 } } }\n")
    expectRefused(autoreserve(dir), path.join(dir, "trop.yaml"), "reservations.services.tag", derived("path"))
  })

  it("reserve-group refuses the same way, and so does every configuration-loading command", () => {
    const dir = hostileRepo("reservations: { services: { home: {} } }\n")
    const file = path.join(dir, "trop.yaml")
    expectRefused(sb.run(["reserve-group", "trop.yaml"], { cwd: dir, env: NO_SHELL }), file, "reservations.services.tag", derived("home"))
    expectRefused(sb.run(["reserve"], { cwd: dir }), file, "reservations.services.tag", derived("home"))
  })

  it("validate lists every refused name (exit 1)", () => {
    const dir = hostileRepo("reservations:\n  services:\n    path: {}\n    web: {offset: 1, env: bash_env}\n    ok: {offset: 2, env: WEB_PORT}\n")
    const r = sb.run(["validate", "trop.yaml"], { cwd: dir })
    expect({ code: r.code, stdout: r.stdout, stderr: r.stderr }).toEqual({
      code: 1,
      stdout: "",
      stderr: [
        `Validation error: validation error for 'reservations.services.tag (trop.yaml)': ${derived("path")}`,
        `Validation error: validation error for 'reservations.services.env (trop.yaml)': ${explicit("web")}`,
        "Error: Configuration validation failed",
        ""
      ].join("\n")
    })
  })

  it("ordinary names are unaffected: an explicit safe env fixes a refused tag", () => {
    const dir = hostileRepo("reservations: { services: { path: { env: PATH_PORT }, web: { offset: 1 } } }\n")
    const r = autoreserve(dir)
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout).toMatch(/^export PATH_PORT=[0-9]+\nexport WEB=[0-9]+\n$/)
  })
})
