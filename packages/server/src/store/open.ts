/** The store the configuration asks for: PostgreSQL when DATABASE_URL is set, else the SQLite file under the data directory. */
import type { ServerConfig } from '../config.js';
import { openPostgresStore } from './postgres.js';
import { openSqliteStore } from './sqlite.js';
import type { SqlStore } from './sql-store.js';

export function openStore(config: Pick<ServerConfig, 'dataDir' | 'databaseUrl'>): Promise<SqlStore> {
  return config.databaseUrl ? openPostgresStore(config.databaseUrl) : openSqliteStore(config.dataDir);
}
