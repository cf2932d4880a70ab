/**
 * What differs between the SQL databases the store runs on, kept to the few
 * places where one database holds for one node what another must coordinate
 * between nodes (startup work, and the turns below), and to the strings one of
 * them cannot hold. Everything else is the same portable Kysely (sql-store.ts).
 */
import type { KyselyPlugin, QueryExecutorProvider } from 'kysely';

/** What writers take turns at, each per key (a session id, a site key). */
export type Turn = 'audit chain' | 'site endpoints';

export interface SqlEngine {
  /** What every query goes through on this database (PostgreSQL: strings made storable, pg-text.ts). */
  readonly plugins: KyselyPlugin[];
  /** Where Kysely keeps its migration table; undefined for the database's default. */
  migrationSchema(db: QueryExecutorProvider): Promise<string | undefined>;
  /**
   * Runs `work` while no other node (nor caller in this process) runs its own on this database:
   * migrations and first-start work, so nodes starting together agree on one schema and one admin.
   */
  exclusively<T>(work: () => Promise<T>): Promise<T>;
  /**
   * Inside a transaction: waits until no other node holds the same turn, and keeps it until the
   * transaction ends. For a read-then-write that one statement cannot do alone: appending to a
   * session's audit chain, adding a site's endpoint under its limit.
   */
  takeTurn(trx: QueryExecutorProvider, turn: Turn, key: string): Promise<void>;
}

/**
 * One file, one process: SQLite serializes every write, and Kysely runs one
 * statement at a time on its connection, so only callers within this process
 * (nodes sharing one store in the tests' cluster) need to take turns.
 */
export function sqliteEngine(): SqlEngine {
  const exclusively = inTurn();
  return {
    plugins: [],
    migrationSchema: async () => undefined,
    exclusively,
    takeTurn: async () => {},
  };
}

/** A queue of one: each call's work starts when the previous call's has settled. */
export function inTurn(): <T>(work: () => Promise<T>) => Promise<T> {
  let tail: Promise<unknown> = Promise.resolve();
  return <T>(work: () => Promise<T>): Promise<T> => {
    const run = tail.then(work, work);
    tail = run.catch(() => {});
    return run;
  };
}
