import * as fs from "node:fs"

/**
 * "It waited for the lock", proven by what the kernel shows of the waiting process instead of
 * by elapsed time: SQLite's busy handler retries a lock with short sleeps, so a process waiting
 * for one has the database file open and its main thread asleep in nanosleep (its wait channel
 * in /proc/<pid>/wchan, its system call in /proc/<pid>/syscall). A test holds a lock, starts
 * trop with a generous busy timeout, waits here until trop is seen waiting, and only then lets
 * go: trop cannot have finished before (the lock was held), and it ends after, so it waited,
 * however slow the machine.
 */

/** nanosleep and clock_nanosleep, by architecture (what glibc's usleep ends in). */
const SLEEP_CALLS: Partial<Record<NodeJS.Architecture, ReadonlyArray<number>>> = {
  x64: [35, 230],
  arm64: [101, 115],
  ia32: [162, 267]
}

const read = (file: string): string | undefined => {
  try {
    return fs.readFileSync(file, "utf8").trim()
  } catch {
    return undefined
  }
}

/** Whether `pid` has `file` open. */
const hasOpen = (pid: number, file: string): boolean => {
  let fds: Array<string>
  try {
    fds = fs.readdirSync(`/proc/${pid}/fd`)
  } catch {
    return false
  }
  return fds.some((fd) => {
    try {
      return fs.readlinkSync(`/proc/${pid}/fd/${fd}`) === file
    } catch {
      return false
    }
  })
}

/** Whether the main thread of `pid` sleeps in nanosleep; undefined when this kernel does not tell. */
const asleep = (pid: number): boolean | undefined => {
  const wchan = read(`/proc/${pid}/wchan`)
  if (wchan !== undefined && wchan.includes("nanosleep")) return true
  const calls = SLEEP_CALLS[process.arch]
  const syscall = read(`/proc/${pid}/syscall`)
  if (calls === undefined || syscall === undefined) return undefined
  const number = Number(syscall.split(" ")[0])
  // "running" (or a number in the middle of a retry's bookkeeping): not asleep yet.
  return Number.isInteger(number) && calls.includes(number)
}

/**
 * Resolves once process `pid` waits for a lock on the SQLite database `file` (a real path):
 * the file open and the process asleep in SQLite's busy handler. Where the kernel does not
 * show the sleep, the open file alone (trop opens the database only to lock it). Fails if
 * the process ends first, or after `timeoutMs` (generous: a loaded machine is slow to start
 * a process, and nothing here measures time).
 */
export const waitingForLock = async (
  process_: { readonly pid: number; readonly exited: () => boolean },
  file: string,
  timeoutMs = 120_000
): Promise<void> => {
  if (!fs.existsSync("/proc/self/fd")) throw new Error("waitingForLock needs /proc (Linux)")
  const real = fs.realpathSync(file)
  const deadline = Date.now() + timeoutMs
  for (;;) {
    if (process_.exited()) throw new Error(`process ${process_.pid} ended before it was seen waiting for the lock on ${real}`)
    if (hasOpen(process_.pid, real) && asleep(process_.pid) !== false) return
    if (Date.now() > deadline) throw new Error(`process ${process_.pid} was never seen waiting for the lock on ${real}`)
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
}
