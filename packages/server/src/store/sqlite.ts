import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { SqliteDialect } from 'kysely';
import { SqlStore } from './sql-store.js';

/** The embedded default: one file under the data directory. */
export async function openSqliteStore(dataDir: string): Promise<SqlStore> {
  mkdirSync(dataDir, { recursive: true });
  const db = new Database(join(dataDir, 'tandem.sqlite'));
  db.pragma('journal_mode = WAL');
  db.pragma('foreign_keys = ON');
  return SqlStore.open(new SqliteDialect({ database: db }));
}
