/** Until the store opens PostgreSQL from the config (DATABASE_URL), only SQLite can be opened here. */
import { openSqliteStore, type ServerConfig, type Store } from '@tandem/server';

export async function openStore(config: ServerConfig): Promise<Store> {
  if (config.databaseUrl) throw new Error('PostgreSQL is not wired yet: openStore(config) comes with the PostgreSQL store.');
  return openSqliteStore(config.dataDir);
}
