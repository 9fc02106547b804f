import * as Schema from "effect/Schema"
import * as nodePath from "node:path"

/**
 * An absolute, lexically normal path: no `.`/`..` components, no repeated or trailing
 * separator (except the root itself). Reservations are keyed by it.
 */
export const AbsolutePath = Schema.String.pipe(
  Schema.filter((s) => nodePath.isAbsolute(s) && nodePath.normalize(s) === s && (s === nodePath.sep || !s.endsWith(nodePath.sep))),
  Schema.brand("trop/AbsolutePath")
)
export type AbsolutePath = typeof AbsolutePath.Type

const sep = nodePath.sep

/** `path` is `ancestor` or lies below it, comparing whole components (docs/concepts.md). */
export const isUnder = (path: string, ancestor: string): boolean =>
  path === ancestor || ancestor === sep ||
  (path.startsWith(ancestor) && path.charAt(ancestor.length) === sep)

/** Same path, ancestor or descendant: the relationship the path guard allows. */
export const areRelated = (a: string, b: string): boolean => isUnder(a, b) || isUnder(b, a)

/** `target` re-rooted from `from` to `to`; `target` must be under `from`. */
export const rebase = (target: AbsolutePath, from: AbsolutePath, to: AbsolutePath): AbsolutePath =>
  AbsolutePath.make(target === from ? to : nodePath.join(to, nodePath.relative(from, target)))
