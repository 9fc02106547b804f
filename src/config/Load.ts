import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import * as fs from "node:fs"
import * as nodePath from "node:path"
import type { InvalidConfiguration } from "../domain/Errors.js"
import type { CommandLineSettings } from "./CommandLine.js"
import type { ProjectFiles } from "./Discovery.js"
import { discover, LOCAL_FILE, PROJECT_FILE, projectFilesIn } from "./Discovery.js"
import type { Environment } from "./Env.js"
import type { LoadedFile } from "./Files.js"
import * as DecodedCache from "./DecodedCache.js"
import * as Files from "./Files.js"
import type { Resolved } from "./Resolve.js"
import { resolveAll } from "./Resolve.js"

/** Which layers a command reads (docs/configuration.md). */
export type ConfigScope =
  /** Built-in defaults, environment and command line; no files (`init`). */
  | { readonly _tag: "EnvironmentOnly" }
  /**
   * Also the user config (of `dataDir`; none when undefined) and the project files found
   * from the working directory.
   */
  | { readonly _tag: "Discover"; readonly cwd: string; readonly dataDir: string | undefined }
  /**
   * The user config and one named project file (`reserve-group <file>`); when it is
   * called trop.yaml or trop.local.yaml, both siblings of its directory load instead.
   */
  | { readonly _tag: "Explicit"; readonly file: string; readonly dataDir: string | undefined }

/** The effective configuration and the files it came from. */
export interface Effective extends Resolved {
  /** The user's `config.yaml`, when it exists. */
  readonly userFile: Option.Option<string>
  /** The project files discovered from the working directory. */
  readonly project: Option.Option<ProjectFiles>
}

export const userConfigPath = (dataDir: string): string => nodePath.join(dataDir, "config.yaml")

/**
 * Loads the files of `scope`, then resolves every layer. Errors are reported in trop
 * 0.2.0's order: every file is read and parsed (user, trop.yaml, trop.local.yaml) before
 * any is checked; then each file's own rules, in the same order; then the environment
 * variables are parsed; then the merged configuration is validated (Effective.validate).
 */
export const load = (
  scope: ConfigScope,
  env: Environment,
  commandLine: CommandLineSettings,
  commandLineSource?: string
): Effect.Effect<Effective, InvalidConfiguration> =>
  Effect.gen(function*() {
    const files: Array<LoadedFile> = []
    let userFile = Option.none<string>()
    let project = Option.none<ProjectFiles>()
    if (scope._tag !== "EnvironmentOnly") {
      const cache = DecodedCache.of(scope.dataDir)
      const user = scope.dataDir === undefined ? undefined : userConfigPath(scope.dataDir)
      if (user !== undefined && fs.existsSync(user)) {
        files.push(yield* Files.parse(user, "user", cache))
        userFile = Option.some(user)
      }
      project = scope._tag === "Discover" ? discover(scope.cwd) : namedProjectFiles(scope.file)
      for (const path of Option.match(project, { onNone: () => [], onSome: (p) => [p.project, p.local] })) {
        if (Option.isSome(path)) files.push(yield* Files.parse(path.value, "project", cache))
      }
      for (const file of files) yield* Files.check(file)
    }
    for (const file of files) yield* Effect.logDebug(`configuration file: ${file.path}`)
    const resolved = yield* Either.match(resolveAll({ env, commandLine, commandLineSource, files }), {
      onLeft: Effect.fail,
      onRight: Effect.succeed
    })
    return { ...resolved, userFile, project }
  })

/** A named file at `trop.yaml` precedence, or both siblings when it is one of the two project files. */
const namedProjectFiles = (file: string): Option.Option<ProjectFiles> => {
  const name = nodePath.basename(file)
  const directory = nodePath.dirname(file)
  return name === PROJECT_FILE || name === LOCAL_FILE
    ? projectFilesIn(directory)
    : Option.some({ directory, project: Option.some(file), local: Option.none() })
}
