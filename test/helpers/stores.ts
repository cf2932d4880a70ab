/**
 * The store's backends, for suites that run once on each: SQLite (a file in a temporary data
 * directory) and PostgreSQL (a schema of its own in the test database, test/helpers/services.ts).
 * Outside CI an absent PostgreSQL leaves its half out, saying so; with CI=true it fails.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqliteStore, openStore } from '@tandem/server';
import { freshPgSchema, postgresUp, type PgSchema } from './services.js';

type Opened = Awaited<ReturnType<typeof openSqliteStore>>;

/** One store's place: opened as often as a test likes (several nodes), all seeing the same data. */
export interface StorePlace {
  /** The data directory (on PostgreSQL only the server secret's file lives there). */
  dataDir: string;
  /** What points a test server at this store. */
  env: Record<string, string>;
  open(): Promise<Opened>;
}

export interface StoreBackend {
  name: 'SQLite' | 'PostgreSQL';
  /** A new, empty store. */
  place(): Promise<StorePlace>;
}

export interface StoreBackends {
  /** SQLite, and PostgreSQL where it answers (always in CI). */
  list: StoreBackend[];
  /** Deletes every data directory and drops every schema these backends made (a file's afterAll). */
  drop(): Promise<void>;
}

export async function storeBackends(): Promise<StoreBackends> {
  const dirs: string[] = [];
  const schemas: PgSchema[] = [];
  const tempDir = () => {
    const d = mkdtempSync(join(tmpdir(), 'tandem-stores-'));
    dirs.push(d);
    return d;
  };
  const sqlite: StoreBackend = {
    name: 'SQLite',
    async place() {
      const dataDir = tempDir();
      return { dataDir, env: { TANDEM_DATA_DIR: dataDir }, open: () => openSqliteStore(dataDir) };
    },
  };
  const postgres: StoreBackend = {
    name: 'PostgreSQL',
    async place() {
      const dataDir = tempDir();
      const schema = await freshPgSchema();
      schemas.push(schema);
      return {
        dataDir,
        env: { TANDEM_DATA_DIR: dataDir, DATABASE_URL: schema.url },
        open: () => openStore({ dataDir, databaseUrl: schema.url }),
      };
    },
  };
  return {
    list: (await postgresUp()) ? [sqlite, postgres] : [sqlite],
    async drop() {
      for (const s of schemas.splice(0)) await s.drop();
      for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
    },
  };
}
