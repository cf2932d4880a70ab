/**
 * The audit trail in SQL (the `audit_entries` table of migration 006): portable
 * Kysely, as the rest of the store. An entry is appended in a transaction that
 * reads the session's last one, so it links to what is really there. Where
 * several nodes append (PostgreSQL), the transaction first takes the
 * session's chain lock, so appends to one session follow one another; the
 * unique (session, position) index stays the last word: an append that still
 * lost a race for its place reads again and links to the winner.
 */
import type { Kysely, QueryExecutorProvider, Selectable } from 'kysely';
import { canonicalJson, seal, type AuditEntry, type AuditFields } from '../audit/chain.js';

export interface AuditTables {
  audit_entries: {
    id: string;
    session_id: string;
    site_key: string;
    position: number;
    seq: number;
    at: string;
    actor: string;
    kind: string;
    /** Canonical JSON of the entry's detail. */
    detail: string;
    prev_hash: string;
    hash: string;
  };
}

/** Tries of an append that lost a race for its place. */
const APPEND_TRIES = 5;

export async function appendAudit(
  db: Kysely<AuditTables>,
  fields: Omit<AuditFields, 'position'>,
  lockChain: (trx: QueryExecutorProvider) => Promise<void>,
): Promise<AuditEntry> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await db.transaction().execute(async (trx) => {
        await lockChain(trx);
        const last = await trx
          .selectFrom('audit_entries')
          .select(['position', 'hash'])
          .where('session_id', '=', fields.sessionId)
          .orderBy('position', 'desc')
          .limit(1)
          .executeTakeFirst();
        const entry = seal(fields, last && { position: Number(last.position), hash: last.hash });
        await trx
          .insertInto('audit_entries')
          .values({
            id: entry.id,
            session_id: entry.sessionId,
            site_key: entry.siteKey,
            position: entry.position,
            seq: entry.seq,
            at: entry.at,
            actor: entry.actor,
            kind: entry.kind,
            detail: canonicalJson(entry.detail),
            prev_hash: entry.prevHash,
            hash: entry.hash,
          })
          .execute();
        return entry;
      });
    } catch (err) {
      if (attempt >= APPEND_TRIES || !isUniqueViolation(err)) throw err;
    }
  }
}

/** A session's entries in chain order, after the entry at `after` (a position). */
export async function listAudit(db: Kysely<AuditTables>, sessionId: string, options: { after?: number; limit: number }): Promise<AuditEntry[]> {
  let q = db.selectFrom('audit_entries').selectAll().where('session_id', '=', sessionId).orderBy('position').limit(options.limit);
  if (options.after !== undefined) q = q.where('position', '>', options.after);
  return (await q.execute()).map(toEntry);
}

/** Every session that has an audit trail. */
export async function auditSessionIds(db: Kysely<AuditTables>): Promise<string[]> {
  const rows = await db.selectFrom('audit_entries').select('session_id').distinct().orderBy('session_id').execute();
  return rows.map((r) => r.session_id);
}

function toEntry(row: Selectable<AuditTables['audit_entries']>): AuditEntry {
  let detail: Record<string, unknown>;
  try {
    const parsed: unknown = JSON.parse(row.detail);
    detail =
      typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : { unreadable: row.detail };
  } catch {
    // Not JSON any more: kept as it is, so the chain says this entry was changed.
    detail = { unreadable: row.detail };
  }
  return {
    id: row.id,
    sessionId: row.session_id,
    siteKey: row.site_key,
    position: Number(row.position),
    seq: Number(row.seq),
    at: row.at,
    actor: row.actor,
    kind: row.kind,
    detail,
    prevHash: row.prev_hash,
    hash: row.hash,
  };
}

/** SQLite's and PostgreSQL's words for a unique index that refused a row. */
function isUniqueViolation(err: unknown): boolean {
  const code = (err as { code?: unknown }).code;
  return code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || code === '23505';
}
