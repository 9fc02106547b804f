import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as fs from "node:fs"
import * as nodePath from "node:path"
import { readFailure } from "../../config/Files.js"
import { fileProblems } from "../../config/Validate.js"
import { decodeConfig, parseYaml } from "../../config/Yaml.js"
import type { InvalidConfiguration } from "../../domain/Errors.js"
import { causeCode } from "../../domain/Errors.js"
import { CONFIGURATION_LIMIT, readBounded } from "../../paths/SafeRead.js"
import { define, positional } from "../Definition.js"
import { CliIoError, ConfigurationRejected, InvalidArguments } from "../Errors.js"
import { Output } from "../Output.js"
import * as Session from "../Session.js"

/**
 * Reads a configuration file the user named, up to the configuration limit: a missing one
 * is an argument error, a FIFO, device or oversized file a configuration error, others
 * I/O errors (a directory: `<path> is a directory, expected a YAML file`).
 */
export const readNamedFile = (path: string): Effect.Effect<string, InvalidArguments | CliIoError | InvalidConfiguration> =>
  fs.existsSync(path)
    ? Either.match(readBounded(path, CONFIGURATION_LIMIT), {
      onLeft: (failure) =>
        Effect.fail(
          failure._tag !== "Unreadable"
            ? readFailure(path, failure)
            : causeCode(failure.cause) === "EISDIR"
            ? new CliIoError({ reason: `${path} is a directory, expected a YAML file` })
            : CliIoError.fromCause(failure.cause)
        ),
      onRight: (bytes) => Effect.succeed(bytes.toString("utf8"))
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
    const text = yield* readNamedFile(o.path).pipe(
      Effect.catchTag("InvalidConfiguration", (e) =>
        Effect.zipRight(output.err(`Validation error: ${e.detail}`), new ConfigurationRejected({ detail: "Configuration file is invalid" })))
    )
    // Only this document: no merge, no environment (docs/cli.md).
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
