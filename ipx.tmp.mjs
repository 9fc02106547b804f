import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Scope from "effect/Scope"
import * as SqlClient from "@effect/sql/SqlClient"
import * as fs from "node:fs"
import * as path from "node:path"
const lib = await import(path.resolve("dist/lib/index.js"))
const { Trop, Database, Transaction, Reservations } = lib
const root = fs.realpathSync(fs.mkdtempSync("/work/scratch/ip/r-"))
const paths = Array.from({ length: 1000 }, (_, i) => { const d = path.join(root, `d${i}`); fs.mkdirSync(d); return d })
const scope = await Effect.runPromise(Scope.make())
const context = await Effect.runPromise(Layer.buildWithScope(Trop.layer({ dataDir: path.join(root, "data"), cwd: root, env: { HOME: root }, occupancy: { skip: true } }), scope))
const sql = await Effect.runPromise(Scope.extend(Database.make({ file: path.join(root, "data", "trop.db"), busyTimeoutSeconds: 5, autoInit: false }), scope))
const time = async (name, eff) => { await Effect.runPromise(eff); const ts = []; for (let i = 0; i < 7; i++) { const t = performance.now(); await Effect.runPromise(eff); ts.push(performance.now() - t) } ts.sort((a, b) => a - b); console.log(name.padEnd(40), (ts[3]).toFixed(1), "ms / 1000") }
const reserveAll = Effect.gen(function*() { const trop = yield* Trop; for (const p of paths) yield* trop.reserve({ path: p }) }).pipe(Effect.provide(context))
await Effect.runPromise(reserveAll)
await time("trop.reserve existing", reserveAll)
await time("empty sql.withTransaction", Effect.gen(function*() { for (const p of paths) yield* sql.withTransaction(Effect.void) }))
const Option = await import("effect/Option")
await time("txn + byKey", Effect.gen(function*() { for (const p of paths) yield* sql.withTransaction(Reservations.byKey({ path: p, tag: Option.none() })) }).pipe(Effect.provideService(SqlClient.SqlClient, sql)))
await time("txn + byKey + update", Effect.gen(function*() { for (const p of paths) yield* sql.withTransaction(Effect.flatMap(Reservations.byKey({ path: p, tag: Option.none() }), (r) => Reservations.update(r.value))) }).pipe(Effect.provideService(SqlClient.SqlClient, sql)))
await time("Effect.void x1000", Effect.gen(function*() { for (const p of paths) yield* Effect.void }))
const conn = await Effect.runPromise(Scope.extend(sql.reserve, scope))
const Q = "SELECT rowid AS row_id, path, typeof(path) AS path_type, tag, typeof(tag) AS tag_type, port, typeof(port) AS port_type, project, typeof(project) AS project_type, task, typeof(task) AS task_type, created_at, typeof(created_at) AS created_at_type, last_used_at, typeof(last_used_at) AS last_used_at_type FROM reservations WHERE path = ? AND tag = ?"
await time("conn.execute (prepare cache)", Effect.gen(function*() { for (const p of paths) yield* conn.execute(Q, [p, ""], undefined) }))
await time("conn.executeUnprepared", Effect.gen(function*() { for (const p of paths) yield* conn.executeUnprepared(Q, [p, ""], undefined) }))
await time("conn.executeUnprepared BEGIN+COMMIT", Effect.gen(function*() { for (const p of paths) { yield* conn.executeUnprepared("BEGIN IMMEDIATE", [], undefined); yield* conn.executeUnprepared("COMMIT", [], undefined) } }))
fs.rmSync(root, { recursive: true, force: true })
