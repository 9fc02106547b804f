// Preloaded (`node -r`) into the build's warm-up runs after the first: at exit it rewrites the
// code cache of every bundle that was run through one (src/CodeCache.ts), so that each cache
// ends up with the functions all the warm-up runs compiled, not only the first run's (the
// launcher writes a cache only when there is none).
const fs = require("node:fs")
const vm = require("node:vm")

const Script = vm.Script
const cached = []
vm.Script = function (source, options) {
  const script = new Script(source, options)
  if (options?.cachedData !== undefined) cached.push({ script, file: `${options.filename}.cache` })
  return script
}
process.once("exit", () => {
  for (const { file, script } of cached) fs.writeFileSync(file, script.createCachedData())
})
