/**
 * Control characters (C0, DEL and C1) in text that reaches a terminal. New values with
 * them are refused; values that are already stored are shown escaped (docs/security.md).
 */

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/

// eslint-disable-next-line no-control-regex
const CONTROLS = /[\u0000-\u001f\u007f-\u009f]/g

/** Whether `text` contains a C0 (U+0000-U+001F, U+007F) or C1 (U+0080-U+009F) control character. */
export const hasControl = (text: string): boolean => CONTROL.test(text)

const NAMED: Readonly<Record<string, string>> = { "\t": "\\t", "\n": "\\n", "\r": "\\r" }

const hex = (c: string) => c.charCodeAt(0).toString(16).padStart(2, "0")

/**
 * `text` with every control character written as `\t`, `\n`, `\r`, `\xNN` (C0, DEL) or
 * `\u00NN` (C1); anything else, backslashes included, is left as it is, so text without
 * control characters is shown unchanged.
 */
export const display = (text: string): string =>
  text.replace(CONTROLS, (c) => NAMED[c] ?? (c.charCodeAt(0) < 0x80 ? `\\x${hex(c)}` : `\\u00${hex(c)}`))

/** JSON text with C1 controls and DEL as `\u00NN` escapes too (`JSON.stringify` leaves them raw); same JSON value. */
export const json = (jsonText: string): string =>
  jsonText.replace(/[\u007f-\u009f]/g, (c) => `\\u00${hex(c)}`)

/** How much of a user's file content one message quotes at most (keys, values, tag names). */
export const EXCERPT_LENGTH = 40

/**
 * At most `max` characters of `text` (code points, never half a pair), `...` marking a cut:
 * messages quote a user's file content, never all of it.
 */
export const excerpt = (text: string, max: number = EXCERPT_LENGTH): string => {
  if (text.length <= max) return text
  const points = Array.from(text)
  return points.length <= max ? text : `${points.slice(0, max).join("")}...`
}
