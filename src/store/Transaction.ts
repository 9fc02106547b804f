import * as SqlClient from "@effect/sql/SqlClient"
import type { Connection } from "@effect/sql/SqlConnection"
import { SqlError } from "@effect/sql/SqlError"
import type * as Statement from "@effect/sql/Statement"
import * as Cause from "effect/Cause"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as FiberRef from "effect/FiberRef"
import * as LogLevel from "effect/LogLevel"
import * as Option from "effect/Option"
import * as Scope from "effect/Scope"
import { BEGIN_FAILED, COMMIT_FAILED, isBusy } from "./SqliteErrors.js"
import { Turns } from "./Turns.js"

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

/**
 * The connection of `client` that this fiber holds: inside one of trop's transactions, or
 * for a run of statements (`onConnection`). Statements of trop's run straight on it
 * (`execute`), and a transaction started meanwhile begins on it.
 */
export class HeldConnection extends Context.Tag("trop/HeldConnection")<HeldConnection, {
  readonly client: SqlClient.SqlClient
  readonly conn: Connection
}>() {}

/**
 * The services of code holding `conn` of `client`, with `extra`'s: the connection held
 * (@effect/sql's own statements use it too, `TransactionConnection`) and the client as
 * `SqlClient`. One map, to which the caller may add: each `Context.add` copies the whole
 * context, and one is built on every call of the library.
 */
const holding = <X>(client: SqlClient.SqlClient, conn: Connection, depth: number, extra?: Context.Context<X>) => {
  const services = new Map<string, unknown>(extra?.unsafeMap)
  services.set(HeldConnection.key, { client, conn })
  services.set(SqlClient.TransactionConnection.key, [conn, depth] as const)
  services.set(SqlClient.SqlClient.key, client)
  return services
}

/** `f` of the fiber's context, in one step (`Effect.contextWithEffect` takes three). */
const withContext = <A, E, R>(f: (context: Context.Context<never>) => Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
  Effect.withFiberRuntime((fiber) => f(fiber.getFiberRef(FiberRef.currentContext)))

/** The connection of `client` held in `context`, if any. */
const heldIn = (context: Context.Context<never>, client: SqlClient.SqlClient): Connection | undefined => {
  const held = Context.getOption(context, HeldConnection)
  return Option.isSome(held) && held.value.client === client ? held.value.conn : undefined
}

/** A client's connection held for as long as its owner lives (`lease`), taken in turns. */
interface Lease {
  readonly conn: Connection
  readonly turns: Turns
}

const leases = new WeakMap<SqlClient.SqlClient, Lease>()

/**
 * Holds the connection of `client` until the scope closes. Meanwhile trop's transactions and
 * `onConnection` runs on `client` take turns on it instead of acquiring it from the client
 * each time (a Scope and the client's semaphore: several dozen fiber steps, on every call of
 * the library). For a client that only trop's code uses, as `Trop.make`'s: a statement sent
 * through the client itself, outside them, would wait until the lease ends.
 */
export const lease = (client: SqlClient.SqlClient): Effect.Effect<void, SqlError, Scope.Scope> =>
  Effect.flatMap(client.reserve, (conn) =>
    Effect.acquireRelease(
      Effect.sync(() => void leases.set(client, { conn, turns: new Turns() })),
      () => Effect.sync(() => void leases.delete(client))
    ))

/** A connection taken for a run of statements, and what gives it back. */
interface Taken {
  readonly conn: Connection
  readonly release: Effect.Effect<void>
}

const nothingToRelease: Effect.Effect<void> = Effect.void

/**
 * The connection of `client`: the one held in `context` (nothing to give back), else a turn
 * on its lease, else the client's own, acquired in a scope of its own. Waiting is
 * interruptible; run it where the caller cannot be interrupted between taking and releasing.
 */
const take = (client: SqlClient.SqlClient, context: Context.Context<never>): Effect.Effect<Taken, SqlError> => {
  const conn = heldIn(context, client)
  if (conn !== undefined) return Effect.succeed({ conn, release: nothingToRelease })
  const leased = leases.get(client)
  if (leased !== undefined) return Effect.as(leased.turns.take, { conn: leased.conn, release: leased.turns.release })
  return Effect.flatMap(Scope.make(), (scope) =>
    Scope.extend(client.reserve, scope).pipe(
      Effect.map((conn) => ({ conn, release: Scope.close(scope, Exit.void) })),
      Effect.onError(() => Scope.close(scope, Exit.void))
    ))
}

/** Runs `use` with `taken`'s connection, then gives it back whatever the outcome. */
const using = <A, E, R>(taken: Taken, use: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
  Effect.flatMap(Effect.exit(use), (exit) => Effect.zipRight(taken.release, exit))

/**
 * The connection of `client` that this fiber holds, else one taken (see `take`) until the
 * current scope closes.
 */
export const connection = (client: SqlClient.SqlClient): Effect.Effect<Connection, SqlError, Scope.Scope> =>
  Effect.map(
    withContext((context) => Effect.acquireRelease(take(client, context), (taken) => taken.release)),
    (taken) => taken.conn
  )

/**
 * Runs `effect` holding the connection of `client`, taken once for all of its statements:
 * its statements run in turn on that connection, and a transaction it starts begins on it.
 * For runs of statements outside a transaction (opening the database, a lookup, a read);
 * `client` is its `SqlClient`, and @effect/sql's statements run on the connection too.
 */
export const onConnection = (client: SqlClient.SqlClient) =>
<A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E | SqlError, Exclude<R, OnConnection>> =>
  Effect.uninterruptibleMask((restore) =>
    withContext((context) =>
      Effect.flatMap(restore(take(client, context)), (taken) =>
        Effect.flatMap(
          using(taken, within(restore, context, Context.unsafeMake(holding(client, taken.conn, 0)), effect)),
          (exit) => exit
        ))
    )
  ) as Effect.Effect<A, E | SqlError, Exclude<R, OnConnection>>

/** What `onConnection` provides. */
type OnConnection = SqlClient.SqlClient | SqlClient.TransactionConnection | HeldConnection

export { BEGIN_FAILED, COMMIT_FAILED }

/**
 * Runs `statement`, prepared when the returned effect runs, not when it is made: SQLite
 * applies a pragma such as `busy_timeout` as it prepares it, and @effect/sql's
 * `executeUnprepared` prepares as soon as it is called.
 */
const exec = (conn: Connection, statement: string, message?: string): Effect.Effect<ReadonlyArray<unknown>, SqlError> => {
  const run = Effect.suspend(() => conn.executeUnprepared(statement, [], undefined))
  return message === undefined ? run : Effect.mapError(run, (e) => renamed(e, message))
}

/** `error` with trop's message for the statement that failed (BEGIN_FAILED, COMMIT_FAILED). */
const renamed = (error: SqlError, message: string) => new SqlError({ cause: error.cause, message })

/**
 * Best effort: after a failed COMMIT SQLite may already have rolled back ("no transaction
 * is active"), and the error that brought us here is the one worth reporting.
 */
const rollback = (conn: Connection) => Effect.ignore(exec(conn, "ROLLBACK"))

/**
 * The lock wait of a client trop opened (`withImmediateTransactions`): the user's busy
 * timeout, which `begin` spends in slices, and the busy timeout its connection keeps between
 * transactions. A client without one (an app's own) gets a plain BEGIN IMMEDIATE that waits
 * in SQLite's busy handler, as configured.
 */
interface LockWait {
  readonly budgetMs: number
  /**
   * Set when the connection rests at the first slice's wait (`restAtFirstSlice`), which is
   * then that wait; otherwise it rests at the budget.
   */
  firstSliceMs: number | undefined
}

const lockWaits = new WeakMap<SqlClient.SqlClient, LockWait>()

/**
 * How long one attempt lets SQLite's busy handler wait, before jitter: a second at first
 * (SQLite's own schedule, as before), halving with every second waited, down to 200 ms.
 */
const SLICE_MS = { longest: 1000, shortest: 200, halvingMs: 1000 } as const

/** The busy handler's wait for an attempt after `waitedMs` of waiting, ±25 % jitter. */
const slice = (waitedMs: number): number =>
  (0.75 + Math.random() / 2) * Math.max(SLICE_MS.shortest, SLICE_MS.longest * 2 ** (-waitedMs / SLICE_MS.halvingMs))

/**
 * BEGIN IMMEDIATE, waiting at most `budgetMs` for the write lock; returns when it was taken
 * (process.hrtime). SQLite's busy handler retries after 1, 2, 5, 10, ... ms and then only
 * every 100 ms, so in a burst the lock goes to whichever waiter happens to retry first: a
 * process that has waited long is less likely to get it than one that has just come, and
 * can starve past its timeout (docs/database.md). The wait is therefore cut into slices,
 * each one attempt during which SQLite's handler waits and retries as usual; every new
 * slice starts again with the handler's quick retries, and slices get shorter the longer
 * this process has waited (jittered, so that waiters do not move in step): the oldest
 * waiters retry most often and, roughly, go first. Between slices the event loop runs.
 * The waiting stays in SQLite's handler because its retries cost far less CPU than waking
 * the event loop for each one, CPU that the lock holder needs in a burst; for the same
 * reason the slices after the first are a plain loop of synchronous statements, not fiber
 * steps. The first, which nearly always gets the lock, is a plain BEGIN IMMEDIATE on a
 * connection that rests at the first slice's wait (`restAtFirstSlice`), else that wait set
 * before it and the budget after it.
 *
 * The last slice ends at the deadline with a last try, and its SQLITE_BUSY is the error,
 * as a single wait of `budgetMs` would end. A budget of 0 (or none) is a single attempt
 * with the connection's own busy timeout. The connection's busy timeout is left as it was.
 */
const begin = (conn: Connection, wait: LockWait | undefined): Effect.Effect<bigint, SqlError> => {
  const acquired = Effect.sync(() => process.hrtime.bigint())
  if (wait === undefined || wait.budgetMs <= 0) return Effect.zipRight(exec(conn, "BEGIN IMMEDIATE", BEGIN_FAILED), acquired)
  const { budgetMs, firstSliceMs } = wait
  const busyTimeout = (waited: number) =>
    `PRAGMA busy_timeout = ${Math.max(0, Math.floor(Math.min(slice(waited), budgetMs - waited)))}`
  return Effect.suspend(() => {
    const started = performance.now()
    const settle = <A>(attempts: Effect.Effect<A, SqlError>) =>
      Effect.flatMap(
        Effect.exit(attempts),
        (exit) => Effect.zipRight(Effect.ignore(exec(conn, `PRAGMA busy_timeout = ${firstSliceMs ?? budgetMs}`)), exit)
      )
    const first = firstSliceMs !== undefined
      ? exec(conn, "BEGIN IMMEDIATE")
      : settle(Effect.zipRight(exec(conn, busyTimeout(0)), exec(conn, "BEGIN IMMEDIATE")))
    // The slices after it, each after the event loop has run.
    const run = (statement: string) => Effect.runSyncExit(conn.executeUnprepared(statement, [], undefined))
    const slices = Effect.promise(async (): Promise<Exit.Exit<unknown, SqlError>> => {
      for (;;) {
        await new Promise((resolve) => setImmediate(resolve))
        const set = run(busyTimeout(performance.now() - started))
        if (Exit.isFailure(set)) return set
        const attempt = run("BEGIN IMMEDIATE")
        if (Exit.isSuccess(attempt) || !Cause.failureOption(attempt.cause).pipe(Option.exists(isBusy))) return attempt
        if (budgetMs - (performance.now() - started) < 1) return attempt
      }
    })
    const waitLonger = (e: SqlError) => isBusy(e) && budgetMs - (performance.now() - started) >= 1
    return Effect.matchEffect(first, {
      onFailure: (e) =>
        (waitLonger(e) ? settle(Effect.flatMap(slices, (exit) => exit)) : Effect.fail(e)).pipe(
          Effect.mapError((e) => renamed(e, BEGIN_FAILED)),
          Effect.zipRight(acquired)
        ),
      onSuccess: () => acquired
    })
  })
}

const millis = (from: bigint, to: bigint) => (Number(to - from) / 1e6).toFixed(3)

/**
 * The diagnostic line of a finished transaction (docs/database.md): how long it held the
 * write lock, from BEGIN IMMEDIATE's success to the end of COMMIT (or ROLLBACK), and how
 * long it waited for it. Logged after the lock is released; shown under `--verbose`.
 */
const logHeld = <A, E>(outcome: "committed" | "rolled back", waiting: bigint, acquired: bigint, then: Effect.Effect<A, E>) =>
  Effect.withFiberRuntime<A, E>(
    (fiber) =>
      // Checked here, as Effect's logger would, so that a call without --verbose pays one step.
      LogLevel.greaterThan(fiber.getFiberRef(FiberRef.currentMinimumLogLevel), LogLevel.Debug)
        ? then
        : Effect.zipRight(
          Effect.logDebug(
            `write transaction: lock held ${millis(acquired, process.hrtime.bigint())} ms (${outcome}), ` +
              `after waiting ${millis(waiting, acquired)} ms for it`
          ),
          then
        )
  )

/** After the body: COMMIT (a failed one rolls back), then the diagnostic line. */
const finish = <A, E, F>(
  conn: Connection,
  exit: Exit.Exit<A, E>,
  own: (error: SqlError) => F,
  waiting: bigint,
  acquired: bigint
): Effect.Effect<A, E | F> => {
  const rolledBack = <B, G>(result: Effect.Effect<B, G>) =>
    Effect.zipRight(rollback(conn), logHeld("rolled back", waiting, acquired, result))
  if (Exit.isFailure(exit)) return rolledBack(exit)
  return Effect.matchCauseEffect(exec(conn, "COMMIT"), {
    onFailure: (cause) => rolledBack(Effect.failCause(Cause.map(cause, (e) => own(renamed(e, COMMIT_FAILED))))),
    onSuccess: () => logHeld("committed", waiting, acquired, exit)
  })
}

/**
 * `effect`, made interruptible again by `restore`, with `added` added to the fiber's context
 * `outer`, and then `outer` again; its outcome as an Exit. Two steps where `Effect.provide` takes about
 * twenty-five (an acquire-use-release of the context): the second is sure to run because
 * the caller runs this in its uninterruptible region (`uninterruptibleMask`).
 */
const within = <A, E, R, S>(
  restore: <X, Y, Z>(effect: Effect.Effect<X, Y, Z>) => Effect.Effect<X, Y, Z>,
  outer: Context.Context<never>,
  added: Context.Context<S>,
  effect: Effect.Effect<A, E, R>
): Effect.Effect<Exit.Exit<A, E>, never, R> =>
  FiberRef.set(FiberRef.currentContext, Context.merge(outer, added) as Context.Context<never>).pipe(
    Effect.zipRight(Effect.exit(restore(effect))),
    Effect.zipLeft(FiberRef.set(FiberRef.currentContext, outer))
  )

/** What a level adds to the context of the code inside it (see `run`). */
type Adds<P> = (level: Level) => Context.Context<P>

// Plain combinators rather than a generator: a transaction wraps every call of the library.
const transaction = <A, E, R, F, P>(
  client: SqlClient.SqlClient,
  outer: Context.Context<never>,
  adds: Adds<P>,
  effect: Effect.Effect<A, E, R>,
  own: (error: SqlError) => F
): Effect.Effect<A, E | F, Exclude<R, P>> =>
  Effect.uninterruptibleMask((restore) =>
    Effect.flatMap(restore(Effect.mapError(take(client, outer), own)), (taken) => {
      const { conn } = taken
      const waiting = process.hrtime.bigint()
      return using(
        taken,
        Effect.flatMap(Effect.mapError(begin(conn, lockWaits.get(client)), own), (acquired) => {
          const level: Level = { client, conn, depth: 0, lock: Effect.unsafeMakeSemaphore(1) }
          return Effect.flatMap(within(restore, outer, adds(level), effect), (exit) => finish(conn, exit, own, waiting, acquired))
        })
      )
    })
  ) as Effect.Effect<A, E | F, Exclude<R, P>>

const savepoint = <A, E, R, F, P>(
  outerLevel: Level,
  outer: Context.Context<never>,
  adds: Adds<P>,
  effect: Effect.Effect<A, E, R>,
  own: (error: SqlError) => F
): Effect.Effect<A, E | F, Exclude<R, P>> =>
  outerLevel.lock.withPermits(1)(Effect.uninterruptibleMask((restore) =>
    Effect.gen(function*() {
      const { conn } = outerLevel
      const depth = outerLevel.depth + 1
      const name = `trop_savepoint_${depth}`
      const undo = Effect.ignore(exec(conn, `ROLLBACK TO SAVEPOINT ${name}`).pipe(
        Effect.zipRight(exec(conn, `RELEASE SAVEPOINT ${name}`))
      ))
      yield* Effect.mapError(exec(conn, `SAVEPOINT ${name}`), own)
      const level: Level = { ...outerLevel, depth, lock: Effect.unsafeMakeSemaphore(1) }
      const exit = yield* within(restore, outer, adds(level), effect)
      if (Exit.isFailure(exit)) {
        yield* undo
        return yield* exit
      }
      const released = yield* Effect.exit(Effect.mapError(exec(conn, `RELEASE SAVEPOINT ${name}`), own))
      if (Exit.isFailure(released)) {
        yield* undo
        return yield* Effect.failCause(released.cause)
      }
      return exit.value
    })
  )) as Effect.Effect<A, E | F, Exclude<R, P>>

/**
 * Runs `effect` in an immediate transaction on `client`, or in a savepoint of the one this
 * fiber already has open on the same client, with what `adds` gives for the level added to
 * its context: `context` for trop's statements and nesting, or less (an app's own
 * statements must not run on trop's connection). `own` turns the errors of the
 * transaction's own statements (BEGIN, COMMIT, SAVEPOINT, RELEASE) into the caller's type;
 * the effect's errors pass through untouched.
 */
export const run = <A, E, R, F, P>(
  client: SqlClient.SqlClient,
  adds: Adds<P>,
  effect: Effect.Effect<A, E, R>,
  own: (error: SqlError) => F
): Effect.Effect<A, E | F, Exclude<R, P>> =>
  withContext((outer) => {
    const current = Context.getOption(outer, CurrentTransaction)
    return Option.isSome(current) && current.value.client === client
      ? savepoint(current.value, outer, adds, effect, own)
      : transaction(client, outer, adds, effect, own)
  })

/** What `context` gives the code inside a level. */
export type Provided = SqlClient.SqlClient | SqlClient.TransactionConnection | CurrentTransaction | HeldConnection

/**
 * What statements inside a level need, as one Context: the level itself (for nesting), its
 * connection held (`holding`), and the client as `SqlClient`; with `extra`'s services too.
 */
export const context = <X = never>(level: Level, extra?: Context.Context<X>): Context.Context<Provided | X> =>
  Context.unsafeMake(holding(level.client, level.conn, level.depth, extra).set(CurrentTransaction.key, level))

/**
 * Runs `statement` of `sql` straight on the connection of `sql` this fiber holds (in a
 * transaction, or `onConnection`), if any; otherwise through the client. A statement run
 * through the client also opens a span and a Scope and acquires the connection: about a
 * hundred fiber steps, which lengthen the hold of the lock and a short `trop reserve` more
 * than the statement itself. trop's client transforms no rows, so the rows are the
 * connection's.
 */
export const execute = <A extends object>(
  sql: SqlClient.SqlClient,
  statement: Statement.Statement<A>
): Effect.Effect<ReadonlyArray<A>, SqlError> =>
  withContext((context) => {
    const conn = heldIn(context, sql)
    if (conn === undefined) return statement
    const [text, params] = statement.compile()
    return conn.execute(text, params, undefined) as Effect.Effect<ReadonlyArray<A>, SqlError>
  })

/**
 * `PRAGMA <setting>` on the connection of `sql` this fiber holds, if any, otherwise through
 * the client; prepared as it runs (see `exec`), outside the client's statement cache.
 * Returns the rows the pragma answers with.
 */
export const pragma = (sql: SqlClient.SqlClient, setting: string): Effect.Effect<ReadonlyArray<unknown>, SqlError> =>
  withContext((context) => {
    const conn = heldIn(context, sql)
    const statement = `PRAGMA ${setting}`
    return conn === undefined ? sql.unsafe(statement).unprepared : exec(conn, statement)
  })

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
 * savepoints (see `run`). We own `client`, so replacing one method is safe. With
 * `busyTimeoutMs` (the busy timeout its connection was given), every transaction `run`
 * starts on it waits for the write lock in fair turns within that budget (see `begin`).
 */
export const withImmediateTransactions = (
  client: SqlClient.SqlClient,
  options: { readonly busyTimeoutMs?: number } = {}
): SqlClient.SqlClient => {
  if (options.busyTimeoutMs !== undefined) lockWaits.set(client, { budgetMs: options.busyTimeoutMs, firstSliceMs: undefined })
  return Object.assign(client, {
    withTransaction: <A, E, R>(effect: Effect.Effect<A, E, R>) =>
      run(client, context, effect, (e): SqlError => e)
  })
}

/**
 * Leaves the connection of `client` at the first slice's busy timeout between transactions
 * (at most the budget), so that the first attempt of `begin` needs no pragma before or
 * after it: two statements prepared afresh on every transaction. Only for a connection on
 * which nothing but BEGIN IMMEDIATE waits for the budget: in WAL mode a COMMIT never waits
 * for readers, and reads are not blocked by writers. (In rollback-journal mode a COMMIT
 * waits for readers, for the whole budget: there the connection rests at the budget.)
 */
export const restAtFirstSlice = (client: SqlClient.SqlClient): Effect.Effect<void, SqlError> =>
  Effect.suspend(() => {
    const wait = lockWaits.get(client)
    if (wait === undefined || wait.budgetMs <= 0) return Effect.void
    const ms = Math.floor(Math.min(slice(0), wait.budgetMs))
    return Effect.map(pragma(client, `busy_timeout = ${ms}`), () => {
      wait.firstSliceMs = ms
    })
  })
