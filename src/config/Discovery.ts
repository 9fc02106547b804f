import * as Option from "effect/Option"
import * as fs from "node:fs"
import * as nodePath from "node:path"

export const PROJECT_FILE = "trop.yaml"
export const LOCAL_FILE = "trop.local.yaml"

/** The project files of the nearest directory that has any (docs/configuration.md). */
export interface ProjectFiles {
  readonly directory: string
  readonly project: Option.Option<string>
  readonly local: Option.Option<string>
}

/** The files that exist (following symlinks) in `directory`, if any. */
export const projectFilesIn = (directory: string): Option.Option<ProjectFiles> => {
  const existing = (name: string) => {
    const path = nodePath.join(directory, name)
    return fs.existsSync(path) ? Option.some(path) : Option.none()
  }
  const project = existing(PROJECT_FILE)
  const local = existing(LOCAL_FILE)
  return Option.isNone(project) && Option.isNone(local) ? Option.none() : Option.some({ directory, project, local })
}

/**
 * Walks from the canonical working directory up to the root; the first directory holding
 * `trop.yaml` or `trop.local.yaml` wins and the walk stops (no multi-level merge).
 */
export const discover = (cwd: string): Option.Option<ProjectFiles> => {
  for (let directory = cwd;; directory = nodePath.dirname(directory)) {
    const found = projectFilesIn(directory)
    if (Option.isSome(found) || nodePath.dirname(directory) === directory) return found
  }
}
