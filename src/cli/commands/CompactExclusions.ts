import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as ExclusionFile from "../../config/ExclusionFile.js"
import * as ExclusionList from "../../config/ExclusionList.js"
import { exclusionEntry } from "../../config/Validate.js"
import { parseYaml } from "../../config/Yaml.js"
import { InvalidConfiguration, invalidField } from "../../domain/Errors.js"
import * as Common from "../CommonOptions.js"
import { define, positional } from "../Definition.js"
import { CliIoError } from "../Errors.js"
import { Output } from "../Output.js"
import * as Session from "../Session.js"
import { readNamedFile } from "./Validate.js"

export const compactExclusions = define({
  name: "compact-exclusions",
  description: "Compact exclusion list to minimal representation",
  options: { dryRun: Common.dryRun },
  args: { path: positional("PATH", "Configuration file whose exclusions to compact") }
}, (o) =>
  Effect.gen(function*() {
    const output = yield* Output
    yield* Session.workingDirectory
    const text = yield* readNamedFile(o.path)
    const items = yield* Either.flatMap(
      Either.mapLeft(parseYaml(text), (problems) => problems.join("; ")),
      ExclusionFile.listItems
    ).pipe(Either.mapLeft((reason) => new InvalidConfiguration({ detail: `Parse error: ${reason}` })))
    if (items === undefined) return yield* output.out("No exclusions to compact")
    // Invalid entries are refused, never dropped: the set of ports must not change.
    const problem = ExclusionFile.exclusionsProblem(items)
    if (problem !== undefined) return yield* invalidField(problem.field, o.path, problem.message)
    const entries = items.flatMap((item) => Either.match(exclusionEntry(item), { onLeft: () => [], onRight: (e) => [e] }))
    const compacted = ExclusionList.compact(entries)
    if (items.length === 0 || compacted.length === items.length) return yield* output.out("Exclusions already optimal")
    yield* output.out(`Compacted ${items.length} exclusions to ${compacted.length}`)
    if (o.dryRun) {
      yield* output.out("Dry run - no changes made")
      return yield* output.out(`Would save: [${compacted.map(ExclusionList.format).join(", ")}]`)
    }
    yield* ExclusionFile.rewrite(o.path, text, { _tag: "Replace", entries: compacted }).pipe(
      Effect.catchTag("FileSystemError", (e) => Effect.fail(CliIoError.fromCause(e)))
    )
    yield* output.out(`Updated ${o.path}`)
  }))
