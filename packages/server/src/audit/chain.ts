/**
 * The audit trail's hash chain, one per session. Each entry's hash is
 * SHA-256(prevHash + canonical JSON of its fields), its prevHash the hash of
 * the entry before it, and the first one's prevHash a fixed value derived from
 * the session id. An entry changed, deleted or moved breaks a link that
 * `verifyChain` names. Plain SHA-256, not a keyed MAC: whoever holds the
 * entries (from the REST API, a backup) can check them without the server's
 * secret. What a chain cannot show by itself is a cut at its end, or a chain
 * rewritten from the first change on: keep a head hash elsewhere for that.
 */
import { createHash } from 'node:crypto';

/** What an entry says; its hash covers every field. */
export interface AuditFields {
  id: string;
  sessionId: string;
  siteKey: string;
  /** Its place in the session's chain, from 0. */
  position: number;
  /** The session event's sequence number. */
  seq: number;
  at: string;
  /** An agent's id, or `visitor`, `api`, `server`. */
  actor: string;
  /** The session event's name: agentJoined, modeChanged, action, actionResult… */
  kind: string;
  /** Metadata only (what, where, who): never text typed, keys pressed or page content. */
  detail: Record<string, unknown>;
}

export interface AuditEntry extends AuditFields {
  prevHash: string;
  hash: string;
}

const sha256 = (text: string): string => createHash('sha256').update(text, 'utf8').digest('hex');

/** The prevHash of a session's first entry. */
export const genesisHash = (sessionId: string): string => sha256(`tandem audit genesis\n${sessionId}`);

/**
 * JSON with object keys sorted at every depth and no spaces: one text for one
 * value, whatever order its keys were written or stored in.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') {
    const text = JSON.stringify(value);
    if (text === undefined) throw new TypeError(`A value JSON cannot hold: ${typeof value}`);
    return text;
  }
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record)
    .filter((k) => record[k] !== undefined)
    .sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(record[k])}`).join(',')}}`;
}

export function entryHash(prevHash: string, f: AuditFields): string {
  const { id, sessionId, siteKey, position, seq, at, actor, kind, detail } = f;
  return sha256(prevHash + canonicalJson({ id, sessionId, siteKey, position, seq, at, actor, kind, detail }));
}

/** The fields of the entry that follows `last` (undefined: the session's first), linked and hashed. */
export function seal(fields: Omit<AuditFields, 'position'>, last: { position: number; hash: string } | undefined): AuditEntry {
  const position = last ? last.position + 1 : 0;
  const prevHash = last ? last.hash : genesisHash(fields.sessionId);
  const entry = { ...fields, position };
  return { ...entry, prevHash, hash: entryHash(prevHash, entry) };
}

export type ChainCheck = { ok: true; entries: number; head: string | null } | { ok: false; position: number; entryId: string; problem: string };

/**
 * Walks a session's chain in position order (as the store returns it, in pages) and stops at the
 * first entry that does not hold. Its problem says what an operator should know: changed, missing, out of place.
 */
export class ChainVerifier {
  private expected = 0;
  private prev: string;
  private failed: ChainCheck | null = null;

  constructor(private readonly sessionId: string) {
    this.prev = genesisHash(sessionId);
  }

  /** Takes the next entries; false once the chain failed (the rest need not be read). */
  push(entries: readonly AuditEntry[]): boolean {
    for (const e of entries) {
      if (this.failed) return false;
      this.failed = this.check(e);
      if (!this.failed) {
        this.prev = e.hash;
        this.expected = e.position + 1;
      }
    }
    return this.failed === null;
  }

  result(): ChainCheck {
    return this.failed ?? { ok: true, entries: this.expected, head: this.expected === 0 ? null : this.prev };
  }

  private check(e: AuditEntry): ChainCheck | null {
    const fail = (position: number, problem: string): ChainCheck => ({ ok: false, position, entryId: e.id, problem });
    const entry = `entry ${e.position} (seq ${e.seq}, ${e.kind}, id ${e.id})`;
    if (e.sessionId !== this.sessionId) return fail(e.position, `${entry} names another session (${e.sessionId})`);
    if (e.position > this.expected) {
      const missing = e.position - 1 === this.expected ? `entry ${this.expected} is` : `entries ${this.expected} to ${e.position - 1} are`;
      return fail(this.expected, `${missing} missing (deleted): the chain goes on with ${entry}`);
    }
    if (e.position < this.expected) return fail(e.position, `${entry} appears twice`);
    if (entryHash(e.prevHash, e) !== e.hash) return fail(e.position, `${entry} was changed or moved: its hash does not match what it says`);
    if (e.prevHash !== this.prev) {
      return fail(
        e.position,
        e.position === 0
          ? `${entry} does not start the chain: it was replaced, or moved here from another place`
          : `${entry} does not follow entry ${e.position - 1}: one of them was replaced (its hash recomputed), or entries were deleted and renumbered`,
      );
    }
    return null;
  }
}
