import * as Effect from "effect/Effect"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { afterEach, beforeEach, describe, expect, it } from "vitest"
import { writeAtomically } from "../../src/config/ExclusionFile.js"
import { createFile, PRIVATE_FILE_MODE } from "../../src/paths/AtomicWrite.js"

/**
 * Atomic rewrites of configuration files: the temporary file is created
 * exclusively under an unpredictable name, its mode set on the descriptor.
 */

let root: string
let umask: number
beforeEach(() => {
  root = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), "trop-write-")))
  umask = process.umask(0)
})
afterEach(() => {
  process.umask(umask)
  fs.rmSync(root, { recursive: true, force: true })
})

const mode = (file: string) => (fs.statSync(file).mode & 0o7777).toString(8)
const write = (file: string, text: string, newFileMode?: number) => Effect.runSync(writeAtomically(file, text, newFileMode))
const temporaries = () => fs.readdirSync(root).filter((n) => n.endsWith(".tmp"))

/** A file outside `root` and a symlink to it at the name the old code used in this process. */
const plantAtPidName = (target: string) => {
  const victim = path.join(fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), "trop-victim-"))), "victim")
  fs.writeFileSync(victim, "precious\n", { mode: 0o644 })
  fs.symlinkSync(victim, path.join(path.dirname(target), `.${path.basename(target)}.${process.pid}.tmp`))
  return victim
}

describe("writeAtomically", () => {
  it("never follows a symlink planted at the old predictable temporary name", () => {
    const file = path.join(root, "trop.yaml")
    fs.writeFileSync(file, "old\n", { mode: 0o640 })
    const victim = plantAtPidName(file)
    try {
      write(file, "new\n")
      expect(fs.readFileSync(victim, "utf8")).toBe("precious\n")
      expect(mode(victim)).toBe("644")
      expect(fs.readFileSync(file, "utf8")).toBe("new\n")
      expect(fs.lstatSync(file).isFile()).toBe(true)
      expect(mode(file)).toBe("640")
    } finally {
      fs.rmSync(path.dirname(victim), { recursive: true, force: true })
    }
  })

  it("a new file gets the mode asked for whatever the umask; without one, 0666 less the umask", () => {
    write(path.join(root, "config.yaml"), "a\n", PRIVATE_FILE_MODE)
    expect(mode(path.join(root, "config.yaml"))).toBe("600")
    write(path.join(root, "trop.yaml"), "a\n")
    expect(mode(path.join(root, "trop.yaml"))).toBe("666")
    expect(temporaries()).toEqual([])
  })

  it("an existing file keeps its mode, even one the umask would narrow", () => {
    const file = path.join(root, "trop.yaml")
    fs.writeFileSync(file, "old\n")
    fs.chmodSync(file, 0o664)
    process.umask(0o077)
    write(file, "new\n")
    expect(mode(file)).toBe("664")
  })

  it("a symlinked file stays a symlink; its target is rewritten", () => {
    const real = path.join(root, "real.yaml")
    fs.writeFileSync(real, "old\n")
    const link = path.join(root, "trop.yaml")
    fs.symlinkSync(real, link)
    write(link, "new\n")
    expect(fs.readlinkSync(link)).toBe(real)
    expect(fs.readFileSync(real, "utf8")).toBe("new\n")
    expect(temporaries()).toEqual([])
  })

  it("a failed rename leaves no temporary file behind", () => {
    const dir = path.join(root, "trop.yaml")
    fs.mkdirSync(dir)
    expect(() => write(dir, "new\n")).toThrow()
    expect(temporaries()).toEqual([])
  })
})

describe("createFile", () => {
  it("refuses anything already at the name, a dangling symlink included, and touches nothing", () => {
    const victim = path.join(root, "victim")
    const link = path.join(root, "config.yaml")
    fs.symlinkSync(victim, link)
    expect(() => createFile(link, "x\n", PRIVATE_FILE_MODE)).toThrow(/EEXIST/)
    expect(fs.existsSync(victim)).toBe(false)
  })

  it("creates the file with the mode asked for whatever the umask", () => {
    const file = path.join(root, "config.yaml")
    createFile(file, "# template\n", PRIVATE_FILE_MODE)
    expect(fs.readFileSync(file, "utf8")).toBe("# template\n")
    expect(mode(file)).toBe("600")
  })
})
