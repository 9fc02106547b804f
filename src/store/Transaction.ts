import * as SqlClient from "@effect/sql/SqlClient"
import type { Connection } from "@effect/sql/SqlConnection"
import { SqlError } from "@effect/sql/SqlError"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Option from "effect/Option"
import * as Scope from "effect/Scope"

/**
 * Immediate transactions on trop's client. Every mutating operation plans and writes inside
 * ONE `BEGIN IMMEDIATE`: a deferred `BEGIN` takes a read snapshot first and then fails,
 * without waiting, when it upgrades to a write lock, so concurrent processes could both
 * pick the same port.
 *
 * All state lives in the call (the `Level` below), never in the client: a failed BEGIN
 * issues no ROLLBACK, a failed COMMIT is followed by a ROLLBACK and reported as a typed
 * SqlError (never a defect), and the client stays usable after either.
 */

/** One level of an open transaction: the transaction itself (depth 0) or a savepoint. */
export interface Level {
  /** Whose connection holds the transaction: nesting never crosses clients. */
  readonly client: SqlClient.SqlClient
  readonly conn: Connection
  readonly depth: number
  /** Calls nested at this level share one connection, so they take turns. */
  readonly lock: Effect.Semaphore
}

/** The innermost open level, for the code running inside it. */
export class CurrentTransaction extends Context.Tag("trop/CurrentTransaction")<CurrentTransaction, Level>() {}

/** The message of a failed BEGIN IMMEDIATE: errors can say what waited. */
export const BEGIN_FAILED = "Failed to begin an immediate transaction"
/** The message of a failed COMMIT (rolled back, the client still usable). */
export const COMMIT_FAILED = "Failed to commit the transaction"

const exec = (conn: Connection, statement: string, message?: string): Effect.Effect<void, SqlError> => {
  const run = Effect.asVoid(conn.executeUnprepared(statement, [], undefined))
  return message === undefined ? run : Effect.mapError(run, (e) => new SqlError({ cause: e.cause, message }))
}

/**
 * Best effort: after a failed COMMIT SQLite may already have rolled back ("no transaction
 * is active"), and the error that brought us here is the one worth reporting.
 */
const rollback = (conn: Connection) => Effect.ignore(exec(conn, "ROLLBACK"))

const transaction = <A, E, R, F>(
  client: SqlClient.SqlClient,
  body: (level: Level) => Effect.Effect<A, E, R>,
  own: (error: SqlError) => F
): Effect.Effect<A, E | F, R> =>
  Effect.uninterruptibleMask((restore) =>
    Effect.gen(function*() {
      const scope = yield* Scope.make()
      const result = yield* Effect.exit(Effect.gen(function*() {
        // The client's connection, held (with its semaphore) until the scope closes.
        const conn = yield* restore(Effect.mapError(Scope.extend(client.reserve, scope), own))
        yield* Effect.mapError(exec(conn, "BEGIN IMMEDIATE", BEGIN_FAILED), own)
        const level: Level = { client, conn, depth: 0, lock: yield* Effect.makeSemaphore(1) }
        const exit = yield* Effect.exit(restore(body(level)))
        if (Exit.isFailure(exit)) {
          yield* rollback(conn)
          return yield* exit
        }
        const committed = yield* Effect.exit(Effect.mapError(exec(conn, "COMMIT", COMMIT_FAILED), own))
        if (Exit.isFailure(committed)) {
          yield* rollback(conn)
          return yield* Effect.failCause(committed.cause)
        }
        return exit.value
      }))
      yield* Scope.close(scope, result)
      return yield* result
    })
  )

const savepoint = <A, E, R, F>(
  outer: Level,
  body: (level: Level) => Effect.Effect<A, E, R>,
  own: (error: SqlError) => F
): Effect.Effect<A, E | F, R> =>
  outer.lock.withPermits(1)(Effect.uninterruptibleMask((restore) =>
    Effect.gen(function*() {
      const depth = outer.depth + 1
      const name = `trop_savepoint_${depth}`
      const undo = Effect.ignore(exec(outer.conn, `ROLLBACK TO SAVEPOINT ${name}`).pipe(
        Effect.zipRight(exec(outer.conn, `RELEASE SAVEPOINT ${name}`))
      ))
      yield* Effect.mapError(exec(outer.conn, `SAVEPOINT ${name}`), own)
      const exit = yield* Effect.exit(restore(body({ ...outer, depth, lock: yield* Effect.makeSemaphore(1) })))
      if (Exit.isFailure(exit)) {
        yield* undo
        return yield* exit
      }
      const released = yield* Effect.exit(Effect.mapError(exec(outer.conn, `RELEASE SAVEPOINT ${name}`), own))
      if (Exit.isFailure(released)) {
        yield* undo
        return yield* Effect.failCause(released.cause)
      }
      return exit.value
    })
  ))

/**
 * Runs `body` in an immediate transaction on `client`, or in a savepoint of the one this
 * fiber already has open on the same client. Nothing is provided to `body`: see `provide`.
 * `own` turns the errors of the transaction's own statements (BEGIN, COMMIT, SAVEPOINT,
 * RELEASE) into the caller's type; the body's errors pass through untouched.
 */
export const run = <A, E, R, F>(
  client: SqlClient.SqlClient,
  body: (level: Level) => Effect.Effect<A, E, R>,
  own: (error: SqlError) => F
): Effect.Effect<A, E | F, R> =>
  Effect.flatMap(Effect.serviceOption(CurrentTransaction), (current) =>
    Option.isSome(current) && current.value.client === client
      ? savepoint(current.value, body, own)
      : transaction(client, body, own))

/**
 * What statements inside a level need: the level itself (for nesting), the connection
 * under @effect/sql's `TransactionConnection` (which the client's queries use), and the
 * client as `SqlClient`.
 */
export const provide = (level: Level) => <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  effect.pipe(
    Effect.provideService(SqlClient.SqlClient, level.client),
    Effect.provideService(SqlClient.TransactionConnection, [level.conn, level.depth] as const),
    Effect.provideService(CurrentTransaction, level)
  )

/**
 * `effect` with no transaction of any client in scope. @effect/sql's clients share one
 * `TransactionConnection` tag, so inside an app's open transaction trop's own statements
 * would otherwise run on the app's connection.
 */
export const outsideTransactions = <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
  Effect.mapInputContext(effect, (context: Context.Context<R>) =>
    // Without the tag, a client's statements fall back to the client's own connection.
    Context.omit(SqlClient.TransactionConnection)(context) as Context.Context<R>)

/**
 * Gives `client` a `withTransaction` that starts with `BEGIN IMMEDIATE` and nests as
 * savepoints (see `run`). We own `client`, so replacing one method is safe.
 */
export const withImmediateTransactions = (client: SqlClient.SqlClient): SqlClient.SqlClient =>
  Object.assign(client, {
    withTransaction: <A, E, R>(effect: Effect.Effect<A, E, R>) =>
      run(client, (level) => provide(level)(effect), (e): SqlError => e)
  })
