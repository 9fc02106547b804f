import * as fs from "node:fs"

/**
 * Synchronous writes to a file descriptor, shared by the CLI (Output) and the help front
 * (Front): output is complete when the process exits.
 */

/** `writeSync` may write partially or hit EAGAIN on a non-blocking pipe; retry until done. */
export const writeAll = (fd: number, text: string) => {
  let buffer = Buffer.from(text, "utf8")
  while (buffer.length > 0) {
    try {
      buffer = buffer.subarray(fs.writeSync(fd, buffer))
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EAGAIN") throw error
    }
  }
}

/**
 * The reader went away (`trop list | head -1`): EPIPE on a pipe; on a socket (Node's
 * `spawn` gives a child's stdio sockets, and so does ssh) ECONNRESET when the reader left
 * with data unread, EPIPE after.
 */
export const isBrokenPipe = (cause: unknown) =>
  cause instanceof Error && "code" in cause && (cause.code === "EPIPE" || cause.code === "ECONNRESET")
