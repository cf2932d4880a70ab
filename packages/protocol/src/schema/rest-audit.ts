/**
 * The audit trail over REST: `GET /api/v1/sessions/{id}/audit`. Entries come
 * in chain order, a page at a time; each carries the hashes that link it, so a
 * client can check them itself (see PROTOCOL.md, "Audit trail").
 */
import { Type, type Static } from 'typebox';
import { Timestamp } from './common.js';

export const AuditQuery = Type.Object({
  /** The `next` of the page before; absent for the first page. */
  cursor: Type.Optional(Type.String({ pattern: '^[0-9]{1,10}$', description: 'the `next` of the previous page' })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 100 })),
});

export const AuditEntry = Type.Object({
  id: Type.String(),
  /** Its place in the session's chain, from 0. */
  position: Type.Integer(),
  /** The session event's sequence number. */
  seq: Type.Integer(),
  at: Timestamp,
  /** The agent's id, or `visitor`, `agent` (an agent ended the session), `api` or `server`. */
  actor: Type.String(),
  /** The session event: requested, started, agentJoined, agentLeft, modeRequested, controlHandedOver, modeChanged, action, actionResult, navigated, ended. */
  kind: Type.String(),
  /**
   * What and where, never what was typed or shown: `agent {id, name}`, `mode`, `previous`, `action` (its kind),
   * `id` (the agent's action id, shared by an action and its result), `node`, `url` (without query), `ok`,
   * `reason`, `path` (the element), `startUrl`.
   */
  detail: Type.Record(Type.String(), Type.Unknown()),
  prevHash: Type.String({ description: 'hex SHA-256: the entry before, or the session’s genesis value for the first' }),
  hash: Type.String({ description: 'hex SHA-256 of prevHash and the canonical JSON of the entry’s fields' }),
});

export const AuditTrail = Type.Object({
  sessionId: Type.String(),
  siteKey: Type.String(),
  /** The whole chain of the session verifies: no entry was changed, deleted or moved. */
  verified: Type.Boolean(),
  /** When it does not: the first entry that fails, and why. */
  problem: Type.Optional(Type.Object({ position: Type.Integer(), message: Type.String() })),
  entries: Type.Array(AuditEntry),
  /** The cursor of the next page; null on the last. */
  next: Type.Union([Type.String(), Type.Null()]),
});

export type AuditQuery = Static<typeof AuditQuery>;
export type AuditEntry = Static<typeof AuditEntry>;
export type AuditTrail = Static<typeof AuditTrail>;
