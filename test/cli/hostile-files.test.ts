import { execFileSync, spawn, spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { afterEach, beforeEach, describe, expect, it } from "vitest"
import { BIN, cleanEnv, type Result } from "../support/cli.js"
import { makeSandbox, type Sandbox } from "./_helpers.js"

/**
 * Files a repository controls cannot hang trop or exhaust its memory: every configuration
 * file and every Git metadata file is opened without blocking, must be a regular file and
 * is read up to a cap (1 MiB for configuration, 64 KiB for Git metadata).
 */

// Private port range of this file.
const MIN = 33700
const MAX = 33799

const MiB = 1024 * 1024
const KiB = 1024

let sb: Sandbox
beforeEach(() => {
  sb = makeSandbox([MIN, MAX])
})
afterEach(() => sb.cleanup())

/**
 * Runs trop like `sb.run`, but killed after 20 s (a hang fails instead of blocking the
 * suite) and with at most 2 GB of address space (a runaway read fails instead of
 * exhausting the machine).
 */
const run = (args: ReadonlyArray<string>, cwd = sb.work, timeout = 20_000): Result => {
  const r = spawnSync("sh", ["-c", "ulimit -v 2000000; exec \"$0\" \"$@\"", process.execPath, BIN, "--data-dir", sb.dataDir, ...args], {
    cwd,
    env: cleanEnv({ ...sb.baseEnv }),
    input: "",
    encoding: "utf8",
    timeout,
    killSignal: "SIGKILL",
    maxBuffer: 256 * MiB
  })
  return { code: r.status, stdout: r.stdout, stderr: r.stderr }
}

const fifo = (file: string) => {
  fs.mkdirSync(path.dirname(file), { recursive: true })
  execFileSync("mkfifo", [file])
  return file
}

/** A valid configuration of exactly `size` bytes: a project line padded with comments. */
const paddedConfig = (size: number): string => {
  const head = "project: padded\n"
  const line = `#${"x".repeat(99)}\n`
  const rest = size - head.length
  return head + line.repeat(Math.floor(rest / line.length)) + "#".repeat(rest % line.length)
}

const configError = (r: Result, detail: string) => {
  expect({ code: r.code, stdout: r.stdout, stderr: r.stderr }).toEqual({
    code: 7,
    stdout: "",
    stderr: `Error: Configuration error: ${detail}\n`
  })
}

const notRegular = (file: string) => `invalid path ${file}: Failed to read configuration file: not a regular file`
const tooLarge = (file: string) => `invalid path ${file}: Failed to read configuration file: larger than the 1 MiB limit`

describe("configuration files that are not regular files", () => {
  it("trop.yaml as a FIFO: list fails at once with exit 7 naming the file", () => {
    const file = fifo(path.join(sb.work, "trop.yaml"))
    configError(run(["list"]), notRegular(file))
  })

  it("trop.local.yaml as a FIFO: reserve fails with exit 7 naming the file", () => {
    fs.writeFileSync(path.join(sb.work, "trop.yaml"), "project: p\n")
    const file = fifo(path.join(sb.work, "trop.local.yaml"))
    configError(run(["reserve"]), notRegular(file))
  })

  it("the user config.yaml as a FIFO: exit 7 naming it", () => {
    const file = fifo(path.join(sb.dataDir, "config.yaml"))
    configError(run(["list"]), notRegular(file))
  })

  it("trop.yaml → /dev/zero: exit 7 naming the file, without reading it", () => {
    const file = path.join(sb.work, "trop.yaml")
    fs.symlinkSync("/dev/zero", file)
    configError(run(["list"]), notRegular(file))
  })


  it("validate <FIFO>: listed, exit 1", () => {
    fifo(path.join(sb.work, "trop.yaml"))
    const r = run(["validate", "trop.yaml"])
    expect({ code: r.code, stdout: r.stdout, stderr: r.stderr }).toEqual({
      code: 1,
      stdout: "",
      stderr: `Validation error: ${notRegular("trop.yaml")}\nError: Configuration file is invalid\n`
    })
  })

  it("a directory keeps its I/O error's exit code (5), in words: a directory, expected a YAML file", () => {
    fs.mkdirSync(path.join(sb.work, "trop.yaml"))
    const r = run(["validate", "trop.yaml"])
    expect({ code: r.code, stdout: r.stdout, stderr: r.stderr }).toEqual({
      code: 5,
      stdout: "",
      stderr: "Error: I/O error: trop.yaml is a directory, expected a YAML file\n"
    })
  })
})

describe("configuration files beyond 1 MiB", () => {
  it("a 10 MB trop.yaml: exit 7 naming the file and the cap", () => {
    const file = path.join(sb.work, "trop.yaml")
    fs.writeFileSync(file, paddedConfig(10 * MiB))
    configError(run(["list"]), tooLarge(file))
  })

  it("exactly 1 MiB is read; one byte more is refused", () => {
    const file = path.join(sb.work, "trop.yaml")
    fs.writeFileSync(file, paddedConfig(MiB))
    expect(run(["validate", "trop.yaml"]).stdout).toBe("Configuration is valid\n")
    expect(run(["list"]).code).toBe(0)
    fs.writeFileSync(file, paddedConfig(MiB + 1))
    configError(run(["list"]), tooLarge(file))
  })

  it("reserve-group <2 MiB file>: exit 7 naming the file and the cap", () => {
    const file = path.join(sb.work, "group.yaml")
    fs.writeFileSync(file, paddedConfig(2 * MiB))
    configError(run(["reserve-group", "group.yaml"]), tooLarge(file))
  })

  it("validate of a 2 MiB file: listed with the cap, exit 1", () => {
    fs.writeFileSync(path.join(sb.work, "big.yaml"), paddedConfig(2 * MiB))
    const r = run(["validate", "big.yaml"])
    expect({ code: r.code, stdout: r.stdout, stderr: r.stderr }).toEqual({
      code: 1,
      stdout: "",
      stderr: `Validation error: ${tooLarge("big.yaml")}\nError: Configuration file is invalid\n`
    })
  })
})

describe("YAML aliases", () => {
  const aliases = (n: number) => `excluded_ports: [&p 5001${", *p".repeat(n)}]\n`

  it("99 aliases are read (the YAML library's limit is unchanged)", () => {
    fs.writeFileSync(path.join(sb.work, "trop.yaml"), aliases(99))
    expect(run(["validate", "trop.yaml"]).stdout).toBe("Configuration is valid\n")
  })

  it("too many aliases: exit 7 naming the file (validate: listed, exit 1)", () => {
    const file = path.join(sb.work, "trop.yaml")
    fs.writeFileSync(file, aliases(101))
    const reason = "Invalid YAML: Excessive alias count indicates a resource exhaustion attack"
    configError(run(["list"]), `validation error for '${file}': ${reason}`)
    const r = run(["validate", "trop.yaml"])
    expect({ code: r.code, stdout: r.stdout, stderr: r.stderr }).toEqual({
      code: 1,
      stdout: "",
      stderr: "Parse error in trop.yaml: Excessive alias count indicates a resource exhaustion attack\nError: Configuration file is invalid\n"
    })
  })
})

describe("large documents are checked in linear time", () => {
  /** Far more than the few seconds of CPU a linear check takes; far less than a quadratic one's minutes. */
  const CPU_SECONDS = 60

  /**
   * Runs trop like `run`, but without blocking this process's event loop (these runs take
   * seconds each), with its CPU time capped at CPU_SECONDS (`ulimit -t`): a bound on the work
   * done, which a loaded machine does not change, where elapsed time would. A hang is killed
   * after 5 minutes.
   */
  const runCpuBounded = (args: ReadonlyArray<string>): Promise<Result & { readonly killed: string | undefined }> =>
    new Promise((resolve, reject) => {
      const child = spawn(
        "sh",
        ["-c", `ulimit -v 2000000; ulimit -t ${CPU_SECONDS}; exec "$0" "$@"`, process.execPath, BIN, "--data-dir", sb.dataDir, ...args],
        { cwd: sb.work, env: cleanEnv({ ...sb.baseEnv }), stdio: ["ignore", "pipe", "pipe"] }
      )
      let stdout = ""
      let stderr = ""
      child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d))
      child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d))
      let hung = false
      const hang = setTimeout(() => {
        hung = true
        child.kill("SIGKILL")
      }, 300_000)
      child.on("error", (e) => {
        clearTimeout(hang)
        reject(e)
      })
      child.on("close", (code, signal) => {
        clearTimeout(hang)
        // The CPU limit ends it with SIGXCPU, or SIGKILL at the hard limit.
        const killed = signal === null ? undefined : hung ? "after 5 minutes" : `by ${signal}: more than ${CPU_SECONDS} s of CPU`
        resolve({ code, killed, stdout, stderr })
      })
    })

  /** The run finished by itself, within its CPU budget. */
  const finished = (r: { readonly killed: string | undefined }) => expect(r.killed, `killed ${r.killed}`).toBeUndefined()

  /** `reservations.services` with as many distinct short names as fit in 1 MiB (~100,000). */
  const manyKeys = () => {
    let text = "reservations:\n  services:\n"
    for (let i = 0; ; i++) {
      const line = `    s${i.toString(36)}:\n`
      if (text.length + line.length > MiB) return text
      text += line
    }
  }

  it("100,000 distinct keys: list and validate answer in seconds of CPU, not minutes (duplicate-key check)", async () => {
    fs.writeFileSync(path.join(sb.work, "trop.yaml"), manyKeys())
    // Every service defaults to offset 0: the first problem, found once the document is read.
    const problem = "Duplicate offset: 0"
    const list = await runCpuBounded(["list"])
    finished(list)
    expect(list.code, list.stderr).toBe(7)
    expect(list.stderr).toContain(problem)
    const validate = await runCpuBounded(["validate", "trop.yaml"])
    finished(validate)
    expect(validate.code, validate.stderr).toBe(1)
    expect(validate.stderr).toContain(problem)
  }, 660_000)

  it("100,000 unknown keys: validate lists each in seconds of CPU, not minutes (key positions)", async () => {
    let text = ""
    for (let i = 0; ; i++) {
      const line = `k${i.toString(36)}: 0\n`
      if (text.length + line.length > MiB) break
      text += line
    }
    fs.writeFileSync(path.join(sb.work, "trop.yaml"), text)
    const r = await runCpuBounded(["validate", "trop.yaml"])
    finished(r)
    expect(r.code).toBe(1)
    expect(r.stderr.split("\n").filter((l) => l.includes("unknown field")).length).toBe(text.split("\n").length - 1)
  }, 360_000)
})

describe("Git metadata", () => {
  /** A work directory that looks like a repository on `main`: `.git/{HEAD,objects,refs}`. */
  const repository = () => {
    const dotGit = path.join(sb.work, ".git")
    fs.mkdirSync(path.join(dotGit, "objects"), { recursive: true })
    fs.mkdirSync(path.join(dotGit, "refs"))
    return dotGit
  }
  const gitError = (file: string, reason: string) => `invalid path ${file}: Failed to read Git metadata: ${reason}`

  it("a regular HEAD is still read (project and task inferred)", () => {
    fs.writeFileSync(path.join(repository(), "HEAD"), "ref: refs/heads/main\n")
    expect(run(["reserve"]).code).toBe(0)
    const rows = JSON.parse(run(["list", "--format", "json"]).stdout) as Array<{ project: string; task: string }>
    expect(rows.map((r) => [r.project, r.task])).toEqual([["work", "main"]])
  })

  it(".git/HEAD as a FIFO: reserve fails with exit 7 naming it", () => {
    const head = fifo(path.join(repository(), "HEAD"))
    configError(run(["reserve"]), gitError(head, "not a regular file"))
  })

  it("HEAD beyond 64 KiB: exit 7 naming it and the cap", () => {
    const head = path.join(repository(), "HEAD")
    fs.writeFileSync(head, `ref: refs/heads/main\n${" ".repeat(64 * KiB)}`)
    configError(run(["reserve"]), gitError(head, "larger than the 64 KiB limit"))
  })

  it("a linked worktree whose commondir is a FIFO: exit 7 naming it", () => {
    const gitDir = path.join(sb.root, "main-repo", ".git", "worktrees", "work")
    fs.mkdirSync(gitDir, { recursive: true })
    fs.writeFileSync(path.join(sb.work, ".git"), `gitdir: ${gitDir}\n`)
    const commondir = fifo(path.join(gitDir, "commondir"))
    configError(run(["reserve"]), gitError(commondir, "not a regular file"))
  })

  it("a .git file beyond 64 KiB: exit 7 naming it and the cap", () => {
    const dotGit = path.join(sb.work, ".git")
    fs.writeFileSync(dotGit, `gitdir: ${sb.root}\n${"#".repeat(64 * KiB)}`)
    configError(run(["reserve"]), gitError(dotGit, "larger than the 64 KiB limit"))
  })

  it("stored keys do not read Git metadata: a refresh still works", () => {
    fs.writeFileSync(path.join(repository(), "HEAD"), "ref: refs/heads/main\n")
    expect(run(["reserve"]).code).toBe(0)
    fs.rmSync(path.join(sb.work, ".git", "HEAD"))
    fifo(path.join(sb.work, ".git", "HEAD"))
    expect(run(["reserve"]).code).toBe(0)
  })
})
