import { describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import { expect } from "vitest"
import * as GroupOutput from "../../src/cli/commands/GroupOutput.js"
import type { Reservations } from "../../src/config/FileSchema.js"
import { groupProblems } from "../../src/config/Validate.js"
import * as EnvName from "../../src/domain/EnvName.js"
import { Trop } from "../../src/index.js"
import * as GroupConfig from "../../src/operations/GroupConfig.js"

/**
 * A group never exports a name a shell, the dynamic loader or a runtime reads for itself
 * (docs/security.md): not from an explicit `env`, not derived from a tag, not in an inline
 * library group, and not at output time.
 */

/** The names the issue lists, one of each family. */
const REFUSED = [
  "PATH", "HOME", "IFS", "ENV", "BASH_ENV", "BASH_FUNC_ls", "SHELL", "SHELLOPTS", "BASHOPTS", "CDPATH",
  "PS1", "PS2", "PS3", "PS4", "PROMPT_COMMAND", "LD_PRELOAD", "LD_LIBRARY_PATH", "LD_AUDIT", "DYLD_INSERT_LIBRARIES",
  "NODE_OPTIONS", "NODE_PATH", "PYTHONPATH", "PYTHONSTARTUP", "PYTHONHOME", "PERL5LIB", "PERL5OPT", "PERLLIB",
  "RUBYLIB", "RUBYOPT", "GIT_DIR", "GIT_EXEC_PATH", "GIT_CONFIG_GLOBAL", "TMPDIR", "TERM", "LANG", "LC_ALL",
  "LC_CTYPE", "TZ", "ZDOTDIR", "FPATH", "MAIL", "MAILPATH", "JAVA_TOOL_OPTIONS", "GCONV_PATH", "HOSTALIASES",
  "GLIBC_TUNABLES", "XDG_CONFIG_HOME", "NPM_CONFIG_SCRIPT_SHELL", "EDITOR", "KUBECONFIG"
]

const ALLOWED = ["WEB", "WEB_PORT", "API_V2", "PATHS", "MY_PATH", "HOME_PORT", "LANGPORT", "TERMINAL", "ENV_PORT", "_", "DB"]

const group = (services: Reservations["services"]): Reservations => ({ services })

describe("refused environment-variable names", () => {
  it("refuses every listed name in any ASCII case, and only those", () => {
    for (const name of REFUSED) {
      expect(EnvName.isRefused(name), name).toBe(true)
      expect(EnvName.isRefused(name.toLowerCase()), name).toBe(true)
    }
    expect(EnvName.isRefused("Path")).toBe(true)
    for (const name of ALLOWED) expect(EnvName.isRefused(name), name).toBe(false)
  })

  it("an explicit env is a problem of reservations.services.env naming the service, never the variable", () => {
    for (const name of REFUSED) {
      const problems = groupProblems(group({ web: { offset: 0, env: name.toLowerCase() } }))
      expect(problems, name).toEqual([{ field: "reservations.services.env", message: EnvName.refusedProblem("web") }])
    }
    // One message for every name: the variable is never echoed.
    expect(EnvName.refusedProblem("web")).toBe(
      "service 'web' may not export this variable: it changes how a shell, the dynamic loader or a language runtime behaves (see docs/security.md)"
    )
  })

  it("a name derived from a tag is a problem of reservations.services.tag; an explicit safe env fixes it", () => {
    for (const tag of ["path", "ld-preload", "Bash_Env", "node-options", "git-dir", "Home"]) {
      expect(groupProblems(group({ [tag]: { offset: 0 } })), tag).toEqual([
        { field: "reservations.services.tag", message: EnvName.refusedDerivationProblem(tag) }
      ])
      expect(groupProblems(group({ [tag]: { offset: 0, env: "SAFE_PORT" } })), tag).toEqual([])
    }
    expect(EnvName.refusedDerivationProblem("path")).toBe(
      "service 'path' may not export the variable named after its tag: it changes how a shell, the dynamic loader or a language runtime behaves; provide an explicit env mapping (see docs/security.md)"
    )
  })

  it("library inline groups are refused as InvalidGroup", () => {
    const result = GroupConfig.fromValue({ services: { web: { env: "LD_PRELOAD" } } })
    expect(Either.isLeft(result) && result.left).toMatchObject({
      _tag: "InvalidGroup",
      field: "reservations.services.env",
      reason: EnvName.refusedProblem("web")
    })
    expect(Either.isLeft(GroupConfig.fromValue({ services: { path: {} } }))).toBe(true)
  })

  it.effect("the Trop service refuses them before reserving anything", () =>
    Effect.gen(function*() {
      const trop = yield* Trop
      const failure = yield* Effect.flip(trop.reserveGroup({ path: "/w/shop", services: { web: { env: "PATH" } } }))
      expect(failure).toMatchObject({ _tag: "InvalidGroup", field: "reservations.services.env" })
      expect(yield* trop.list()).toEqual([])
    }).pipe(Effect.provide(Trop.layerTest())))

  it("output refuses them again, naming the service", () => {
    for (const format of GroupOutput.FORMATS) {
      const result = GroupOutput.render([{ tag: "web", name: "PATH", port: 5000 }], format, "bash")
      expect(Either.isLeft(result) && result.left).toMatchObject({
        _tag: "InvalidValue",
        field: "environment_variable",
        reason: EnvName.refusedProblem("web")
      })
    }
    expect(GroupOutput.render([{ tag: "web", name: "WEB", port: 5000 }], "export", "bash")).toEqual(
      Either.right("export WEB=5000")
    )
  })
})
