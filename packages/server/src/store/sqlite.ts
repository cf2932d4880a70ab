import { chmodSync, closeSync, mkdirSync, openSync, statSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { SqliteDialect } from 'kysely';
import { SqlStore } from './sql-store.js';

/** How long a statement waits for another process's lock before giving up. */
const BUSY_TIMEOUT_MS = 2_000;

/**
 * The embedded default: one file under the data directory, readable by the
 * server's user only (it holds password hashes and agents' sign-ins).
 */
export async function openSqliteStore(dataDir: string): Promise<SqlStore> {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const file = join(dataDir, 'tandem.sqlite');
  const size = sizeOf(file);
  // SQLite would take an empty file for a new database: a truncated copy or a failed
  // restore would then silently become a fresh install with a new admin.
  if (size === 0) {
    throw new Error(
      `The database ${file} is empty (0 bytes), so it is not a Tandem database. Restore it from a backup; ` +
        'or, to start a fresh install on purpose, delete the file.',
    );
  }
  // Created 0600 before SQLite opens it (its journal and WAL files take the same mode).
  if (size === undefined) closeSync(openSync(file, 'wx', 0o600));
  else chmodSync(file, 0o600);
  try {
    const db = new Database(file, { timeout: BUSY_TIMEOUT_MS });
    db.pragma('journal_mode = WAL');
    db.pragma('foreign_keys = ON');
    return await SqlStore.open(new SqliteDialect({ database: db }));
  } catch (err) {
    throw new Error(explain(file, err), { cause: err });
  }
}

function sizeOf(file: string): number | undefined {
  try {
    return statSync(file).size;
  } catch {
    return undefined;
  }
}

/** What went wrong with the file, and what the operator can do about it. */
function explain(file: string, err: unknown): string {
  const code = (err as { code?: string }).code ?? '';
  if (code === 'SQLITE_NOTADB' || code.startsWith('SQLITE_CORRUPT')) {
    return `The database ${file} is damaged or not a database. Stop Tandem and restore it from a backup; or move it away to start a fresh install.`;
  }
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) {
    return `The database ${file} is locked by another process. Stop the other Tandem server or tool using this data directory, then start again.`;
  }
  if (code.startsWith('SQLITE_CANTOPEN') || code.startsWith('SQLITE_READONLY') || code.startsWith('SQLITE_PERM')) {
    return `The database ${file} cannot be opened for writing. Check that the server's user owns it and its directory.`;
  }
  return `The database ${file} cannot be used: ${err instanceof Error ? err.message : String(err)}`;
}
