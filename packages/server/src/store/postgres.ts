/**
 * PostgreSQL, when DATABASE_URL is set: one database shared by every node of
 * a cluster. The same migrations and queries as SQLite (sql-store.ts); what
 * the nodes must coordinate is done with advisory locks, which PostgreSQL
 * releases by itself when the connection holding them goes (a node killed
 * mid-start blocks no one).
 */
import pg from 'pg';
import { PostgresDialect, sql, type DatabaseIntrospector, type Kysely } from 'kysely';
import { SqlStore } from './sql-store.js';
import { inTurn, type SqlEngine, type Turn } from './sql-engine.js';
import { PgTextPlugin } from './pg-text.js';
import { SchemaIntrospector } from './pg-introspector.js';

/** Connections per node: enough for a busy node, bounded so that many nodes stay under max_connections (100 by default). */
const POOL_MAX = 10;
const CONNECT_TIMEOUT_MS = 10_000;
const IDLE_TIMEOUT_MS = 30_000;
/** A node waiting longer than this for another's startup work gives up, saying so, instead of hanging. */
const STARTUP_LOCK_TIMEOUT_MS = 120_000;
/**
 * The first key of the two-key advisory locks ("TDM" and a number): the startup work of one install (the second
 * key its schema's hash, so installs sharing a database do not wait on each other), and each kind of turn
 * (sql-engine.ts; the second key the hash of a session id or a site key).
 */
const STARTUP_LOCK = 0x54444d01;
const TURNS: Record<Turn, number> = { 'audit chain': 0x54444d02, 'site endpoints': 0x54444d03 };

export async function openPostgresStore(url: string): Promise<SqlStore> {
  const pool = new pg.Pool({
    connectionString: url,
    max: POOL_MAX,
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    idleTimeoutMillis: IDLE_TIMEOUT_MS,
  });
  // An idle connection the server closed (a restart, a failover) is dropped and the next query opens another;
  // without a listener its error would end the process.
  pool.on('error', () => {});
  try {
    return await SqlStore.open(new InstallDialect({ pool }), postgresEngine(url));
  } catch (err) {
    throw new Error(explain(url, err), { cause: err });
  }
}

/** Kysely's PostgreSQL dialect, looking only at this install's schema (pg-introspector.ts). */
class InstallDialect extends PostgresDialect {
  override createIntrospector(db: Kysely<unknown>): DatabaseIntrospector {
    return new SchemaIntrospector(db);
  }
}

function postgresEngine(url: string): SqlEngine {
  const local = inTurn();
  return {
    plugins: [new PgTextPlugin()],
    async migrationSchema(db) {
      // Kysely looks for its migration table in every schema it can see unless told which: an install
      // in another schema of the same database would make it think this one is migrated.
      const { rows } = await sql<{ schema: string | null }>`select current_schema() as schema`.execute(db);
      const schema = rows[0]?.schema;
      if (!schema) throw new Error('The search_path names no schema that exists: create it, or fix the options of DATABASE_URL.');
      return schema;
    },
    exclusively: (work) => local(() => holdingStartupLock(url, work)),
    async takeTurn(trx, turn, key) {
      // Held until the transaction ends: the next one reads what this one wrote (read committed).
      await sql`select pg_advisory_xact_lock(${sql.lit(TURNS[turn])}, hashtext(${key}))`.execute(trx);
    },
  };
}

/** Runs `work` holding the install's startup lock on a connection of its own (not one of the pool's). */
async function holdingStartupLock<T>(url: string, work: () => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: CONNECT_TIMEOUT_MS });
  // The connection lost while held: the lock goes with it, and the work's own queries fail on their own.
  client.on('error', () => {});
  await client.connect();
  try {
    await client.query(`set lock_timeout = ${STARTUP_LOCK_TIMEOUT_MS}`);
    try {
      await client.query('select pg_advisory_lock($1, hashtext(current_schema()))', [STARTUP_LOCK]);
    } catch (err) {
      if ((err as { code?: string }).code !== '55P03') throw err;
      throw new Error(
        `Another Tandem node has been starting for over ${STARTUP_LOCK_TIMEOUT_MS / 1000} s (it holds the startup lock). Look at that node's log; ` +
          'a node that was killed releases the lock at once.',
        { cause: err },
      );
    }
    const result = await work();
    await client.query('select pg_advisory_unlock($1, hashtext(current_schema()))', [STARTUP_LOCK]);
    return result;
  } finally {
    // Ending the session releases the lock too, when the work failed.
    await client.end().catch(() => {});
  }
}

/** What went wrong, naming the server and database but never the password DATABASE_URL may hold. */
function explain(url: string, err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  let where = 'DATABASE_URL';
  try {
    const u = new URL(url);
    where = `the PostgreSQL database ${u.pathname.slice(1) || '(default)'} at ${u.hostname}${u.port ? `:${u.port}` : ''} (DATABASE_URL)`;
  } catch {
    // Not a URL (a key=value string): named by its variable only.
  }
  const code = (err as { code?: string }).code ?? '';
  if (code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'ETIMEDOUT' || /timeout/i.test(message)) {
    return `Cannot reach ${where}: ${message}. Check that PostgreSQL is running and DATABASE_URL names it.`;
  }
  const The = where.charAt(0).toUpperCase() + where.slice(1);
  if (code === '28P01' || code === '28000') return `${The} refused the sign-in: ${message}. Check the user and password in DATABASE_URL.`;
  if (code === '3D000') return `${The} does not exist: create it (createdb), or fix DATABASE_URL.`;
  return `${The} cannot be used: ${message}`;
}
