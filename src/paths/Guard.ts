import * as Effect from "effect/Effect"
import type { AbsolutePath } from "../domain/AbsolutePath.js"
import { areRelated } from "../domain/AbsolutePath.js"
import { PathRelationshipViolation } from "../domain/Errors.js"
import { canonicalizeExistingPrefix } from "./Canonical.js"

/**
 * The path relationship guard (docs/concepts.md): `target` must be the working directory,
 * an ancestor or a descendant of it — lexically, or else physically (symlinks resolved).
 * Commands skip it with `--force` or `allow_unrelated_path`.
 */
export const checkRelated = (
  target: AbsolutePath,
  cwd: AbsolutePath
): Effect.Effect<void, PathRelationshipViolation> => {
  if (areRelated(target, cwd)) return Effect.void
  const violation = new PathRelationshipViolation({ target, cwd })
  return Effect.all([canonicalizeExistingPrefix(target), canonicalizeExistingPrefix(cwd)]).pipe(
    Effect.orElseFail(() => violation),
    Effect.filterOrFail(([t, c]) => areRelated(t, c), () => violation),
    Effect.asVoid
  )
}
