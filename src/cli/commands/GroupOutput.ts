import * as Either from "effect/Either"
import type { Environment } from "../../config/Env.js"
import { InvalidValue } from "../../domain/Errors.js"
import * as EnvName from "../../domain/EnvName.js"
import * as Escape from "../../domain/Escape.js"

/**
 * The output of `reserve-group`/`autoreserve` (docs/output-formats.md). Every variable name is
 * validated again right here, so `export` output can only ever be assignments of digits
 * to `[A-Za-z_][A-Za-z0-9_]*` names that no shell, loader or runtime reads for itself,
 * whatever the configuration held; tags are shown with control characters escaped
 * (docs/security.md).
 */

export const FORMATS = ["export", "json", "dotenv", "human"] as const
export type GroupFormat = typeof FORMATS[number]

export type Shell = "bash" | "zsh" | "fish" | "powershell"

/** `--shell`, case-insensitive, with its aliases. */
export const parseShell = (raw: string): Either.Either<Shell, InvalidValue> => {
  switch (raw.toLowerCase()) {
    case "bash":
    case "sh":
      return Either.right("bash")
    case "zsh":
      return Either.right("zsh")
    case "fish":
      return Either.right("fish")
    case "powershell":
    case "pwsh":
    case "ps":
      return Either.right("powershell")
    default:
      return Either.left(
        new InvalidValue({
          field: "shell",
          reason: `unknown shell type '${raw}': supported shells are bash, zsh, fish, powershell`
        })
      )
  }
}

/** The shell that will evaluate `export` output when `--shell` is absent; never fails. */
export const detectShell = (env: Environment): Shell => {
  if (env.ZSH_VERSION !== undefined) return "zsh"
  if (env.FISH_VERSION !== undefined) return "fish"
  if (env.PSModulePath !== undefined) return "powershell"
  const shell = env.SHELL
  if (shell === undefined) return "bash"
  if (shell.includes("zsh")) return "zsh"
  if (shell.includes("fish")) return "fish"
  if (shell.includes("pwsh") || shell.includes("powershell")) return "powershell"
  return "bash"
}

/** One line of output: a service, its variable name and its port, in tag order. */
export interface Entry {
  readonly tag: string
  readonly name: string
  readonly port: number
}

const assignment = (shell: Shell, name: string, port: string) => {
  switch (shell) {
    case "bash":
    case "zsh":
      return `export ${name}=${port}`
    case "fish":
      return `set -x ${name} ${port}`
    case "powershell":
      return `$env:${name}="${port}"`
  }
}

/** The complete output text (without the final newline), or why it cannot be produced. */
export const render = (
  entries: ReadonlyArray<Entry>,
  format: GroupFormat,
  shell: Shell
): Either.Either<string, InvalidValue> => {
  for (const { name, port, tag } of entries) {
    const problem = EnvName.problem(name) ??
      (EnvName.isRefused(name) ? EnvName.refusedProblem(tag) : undefined) ??
      (Number.isInteger(port) && port >= 1 && port <= 65535 ? undefined : "port must be an integer in 1..=65535")
    if (problem !== undefined) return Either.left(new InvalidValue({ field: "environment_variable", reason: problem }))
  }
  if (!EnvName.areUnique(entries.map((e) => e.name))) {
    return Either.left(new InvalidValue({ field: "environment_variable", reason: EnvName.UNIQUENESS_PROBLEM }))
  }
  switch (format) {
    case "export":
      return Either.right(entries.map((e) => assignment(shell, e.name, String(e.port))).join("\n"))
    case "dotenv":
      return Either.right(entries.map((e) => `${e.name}=${e.port}`).join("\n"))
    case "json":
      // Built by hand: a JS object would move integer-like tags ("10") first.
      return Either.right(
        entries.length === 0 ? "{}" : `{\n${entries.map((e) => `  ${Escape.json(JSON.stringify(e.tag))}: ${e.port}`).join(",\n")}\n}`
      )
    case "human":
      return Either.right(["Reserved ports:", ...entries.map((e) => `  ${Escape.display(e.tag)}: ${e.port}`)].join("\n"))
  }
}
