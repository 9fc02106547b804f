import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as fs from "node:fs"
import * as nodePath from "node:path"
import { fileProblems } from "../../config/Validate.js"
import { decodeConfig, parseYaml } from "../../config/Yaml.js"
import { define, positional } from "../Definition.js"
import { CliIoError, ConfigurationRejected, InvalidArguments } from "../Errors.js"
import { Output } from "../Output.js"
import * as Session from "../Session.js"

/** Reads a file the user named; a missing one is an argument error, others are I/O errors. */
export const readNamedFile = (path: string): Effect.Effect<string, InvalidArguments | CliIoError> =>
  fs.existsSync(path)
    ? Effect.try({
      try: () => fs.readFileSync(path, "utf8"),
      catch: CliIoError.fromCause
    })
    : Effect.fail(new InvalidArguments({ detail: `File not found: ${path}` }))

export const validate = define({
  name: "validate",
  description: "Validate a configuration file",
  options: {},
  args: { path: positional("CONFIG_PATH", "Configuration file to validate") }
}, (o) =>
  Effect.gen(function*() {
    const output = yield* Output
    yield* Session.workingDirectory
    const text = yield* readNamedFile(o.path)
    // Only this document: no merge, no environment (cli.md §9.16).
    const kind = nodePath.basename(o.path) === "config.yaml" ? "user" : "project"
    const decoded = Either.flatMap(parseYaml(text), (parsed) => decodeConfig(parsed, { all: true }))
    if (Either.isLeft(decoded)) {
      for (const problem of decoded.left) yield* output.err(`Parse error in ${o.path}: ${problem}`)
      return yield* new ConfigurationRejected({ detail: "Configuration file is invalid" })
    }
    const problems = fileProblems(decoded.right.config, kind)
    if (problems.length > 0) {
      for (const { field, message } of problems) {
        yield* output.err(`Validation error: validation error for '${field} (${o.path})': ${message}`)
      }
      return yield* new ConfigurationRejected({ detail: "Configuration validation failed" })
    }
    yield* output.out("Configuration is valid")
  }))
