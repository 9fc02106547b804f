import * as Context from "effect/Context"
import type * as Ref from "effect/Ref"

/**
 * The exit status of a command that succeeds without being trop's to choose: `exec` ends
 * with its child's. Main provides it (0 unless set) and exits with it after a success.
 */
export class ExitStatus extends Context.Tag("trop/ExitStatus")<ExitStatus, Ref.Ref<number>>() {}
