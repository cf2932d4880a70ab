/**
 * The real PostgreSQL and Redis the cluster tests use (../../.ci/run starts them). Each test file gets
 * its own PostgreSQL schema and its own Redis key prefix, so files running at once never see each
 * other's rows or keys. Outside CI a missing service skips those tests, saying so; with CI=true it fails
 * them: the cluster paths are never silently untested.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { createClient } from 'redis';

/** DATABASE_URL and REDIS_URL when the environment sets them (the servers a test's nodes use), else the machine's own. */
export const POSTGRES_URL = process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/test';
export const REDIS_URL = process.env.REDIS_URL || 'redis://127.0.0.1:6379';

/** True when the service answers; with CI=true a service that does not answer is an error. */
async function reachable(name: string, probe: () => Promise<void>): Promise<boolean> {
  try {
    await probe();
    return true;
  } catch (err) {
    if (process.env.CI === 'true') throw new Error(`${name} is not answering, and CI=true: its tests must run.`, { cause: err });
    console.warn(`${name} is not answering: its tests are skipped here (they run in CI).`);
    return false;
  }
}

export const postgresUp = () =>
  reachable('PostgreSQL', async () => {
    const c = new pg.Client({ connectionString: POSTGRES_URL, connectionTimeoutMillis: 2000 });
    await c.connect();
    await c.end();
  });

export const redisUp = () =>
  reachable('Redis', async () => {
    const c = createClient({ url: REDIS_URL, socket: { connectTimeout: 2000, reconnectStrategy: false } });
    await c.connect();
    await c.quit();
  });

export interface PgSchema {
  /** A DATABASE_URL whose connections use this schema only. */
  url: string;
  drop(): Promise<void>;
}

/** An empty schema of its own in the test database: a fresh install for the store under test. */
export async function freshPgSchema(): Promise<PgSchema> {
  const schema = `tandem_t_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: POSTGRES_URL });
  await admin.connect();
  await admin.query(`CREATE SCHEMA ${schema}`);
  await admin.end();
  const sep = POSTGRES_URL.includes('?') ? '&' : '?';
  return {
    url: `${POSTGRES_URL}${sep}options=${encodeURIComponent(`-c search_path=${schema}`)}`,
    async drop() {
      const c = new pg.Client({ connectionString: POSTGRES_URL });
      await c.connect();
      await c.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await c.end();
    },
  };
}

/** Every row of every table in the schema a DATABASE_URL names, as text (what a deployment keeps at rest there). */
export async function schemaText(url: string): Promise<string> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    const tables = await c.query<{ name: string }>(
      `SELECT table_name AS name FROM information_schema.tables WHERE table_schema = current_schema()`,
    );
    const out: string[] = [];
    for (const { name } of tables.rows) {
      const rows = await c.query<{ row: string }>(`SELECT row_to_json(t)::text AS row FROM "${name.replace(/"/g, '""')}" t`);
      out.push(name, ...rows.rows.map((r) => r.row));
    }
    return out.join('\n');
  } finally {
    await c.end();
  }
}

/** A key prefix of its own for one test's registry and bus in the shared Redis. */
export const redisPrefix = () => `tdmt:${randomBytes(5).toString('hex')}:`;
