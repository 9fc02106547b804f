import * as path from "node:path"
import { fileURLToPath } from "node:url"
import ts from "typescript"
import { expect, it } from "vitest"

/**
 * Every export of the published entry points — walking into the namespaces they export —
 * has a doc comment in the declarations users install (dist/lib, built by `npm test`).
 */
const dist = fileURLToPath(new URL("../../dist/lib/", import.meta.url))

const undocumented = (entries: ReadonlyArray<string>): ReadonlyArray<string> => {
  const files = entries.map((e) => path.join(dist, `${e}.d.ts`))
  const program = ts.createProgram(files, {
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    types: ["node"],
    noEmit: true
  })
  const checker = program.getTypeChecker()
  const missing: Array<string> = []
  const seen = new Set<ts.Symbol>()
  const visit = (symbol: ts.Symbol, name: string): void => {
    const target = symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol
    if (seen.has(target)) return
    seen.add(target)
    const declarations = target.getDeclarations() ?? []
    if (declarations.some((d) => ts.isSourceFile(d) || ts.isModuleDeclaration(d))) {
      for (const s of checker.getExportsOfModule(target)) visit(s, `${name}.${s.getName()}`)
      return
    }
    if (ts.displayPartsToString(target.getDocumentationComment(checker)).trim() === "") missing.push(name)
  }
  for (const file of files) {
    const source = program.getSourceFile(file)
    const module = source === undefined ? undefined : checker.getSymbolAtLocation(source)
    if (module === undefined) throw new Error(`cannot read ${file}`)
    for (const s of checker.getExportsOfModule(module)) visit(s, `${path.basename(file, ".d.ts")}:${s.getName()}`)
  }
  return missing
}

it("every export of trop, trop/promise and trop/vitest has a doc comment", () => {
  expect(undocumented(["index", "promise", "vitest"])).toEqual([])
}, 120_000)
