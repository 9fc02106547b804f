// `node undocumented.mjs <file.d.ts>...`: prints, as a JSON array, every export of the given
// declaration files (walking into the namespaces they export) that has no doc comment.
// test/package/exports-documented.test.ts runs it in a process of its own: building the
// TypeScript program takes seconds of CPU, which would block the test worker's event loop.
import * as path from "node:path"
import ts from "typescript"

const files = process.argv.slice(2)
const program = ts.createProgram(files, {
  module: ts.ModuleKind.NodeNext,
  moduleResolution: ts.ModuleResolutionKind.NodeNext,
  types: ["node"],
  noEmit: true
})
const checker = program.getTypeChecker()
const missing = []
const seen = new Set()
const visit = (symbol, name) => {
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
process.stdout.write(`${JSON.stringify(missing)}\n`)
