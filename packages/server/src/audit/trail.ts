/**
 * The audit trail: what agents did in a session, as metadata, written by a
 * follower of this node's own session events (so a cluster writes each event
 * once, by the node that saw it) into a hash chain per session. Who joined and
 * left, which mode was asked and granted, each action's kind and where it
 * landed (the element's path, an address without its query), how the page
 * answered; never text typed, keys pressed, values chosen or page content.
 * The session events carry none of those; the detail below is built field by
 * field, so nothing an event may carry later slips in unnoticed.
 */
import { randomUUID } from 'node:crypto';
import type { EndReason, SessionEvent } from '@tandem/protocol';
import type { Store } from '../store/store.js';
import type { SessionEvents } from '../live/session-events.js';
import { ChainVerifier, type AuditFields, type ChainCheck } from './chain.js';

/** Entries read at a time while a chain is verified. */
const VERIFY_BATCH = 1000;

export function writeAuditTrail(events: SessionEvents, store: Store): void {
  events.followLocal(async (e) => {
    const entry = auditEntryOf(e);
    if (entry)
      await store.appendAudit({ id: randomUUID(), sessionId: e.sessionId, siteKey: e.siteKey, seq: e.seq, at: e.at, kind: e.name, ...entry });
  });
}

type Said = Pick<AuditFields, 'actor' | 'detail'>;

/** What the audit keeps of an event, or null for events it does not record (the visitor's page coming and going). */
export function auditEntryOf(e: SessionEvent): Said | null {
  switch (e.name) {
    case 'requested':
      return { actor: 'visitor', detail: { mode: e.mode, startUrl: e.startUrl } };
    case 'started':
      return { actor: 'visitor', detail: {} };
    case 'agentJoined':
    case 'agentLeft':
      return { actor: e.agent.id, detail: { agent: e.agent } };
    case 'modeRequested':
      return { actor: e.agent.id, detail: { agent: e.agent, mode: e.mode } };
    case 'controlHandedOver':
      // Who drove the page when: the one who gave (or took) them, or the server when the holder left.
      return { actor: e.by?.id ?? 'server', detail: { agent: e.agent, ...(e.by ? { by: e.by } : {}) } };
    case 'modeChanged':
      // The visitor, unless an integration lowered it (the controller channel's setMode).
      return { actor: e.by ?? 'visitor', detail: { mode: e.mode, previous: e.previous } };
    case 'action':
      return {
        actor: e.agent.id,
        detail: {
          agent: e.agent,
          id: e.id,
          action: e.kind,
          ...(e.node !== undefined ? { node: e.node } : {}),
          ...(e.url !== undefined ? { url: e.url } : {}),
        },
      };
    case 'actionResult':
      return {
        actor: e.agent.id,
        detail: {
          agent: e.agent,
          id: e.id,
          action: e.kind,
          ok: e.ok,
          ...(e.reason ? { reason: e.reason } : {}),
          ...(e.path ? { path: e.path } : {}),
        },
      };
    case 'navigated':
      return { actor: 'visitor', detail: { url: e.url } };
    case 'ended':
      return { actor: endedBy[e.reason], detail: { reason: e.reason } };
    case 'visitorDisconnected':
    case 'visitorReconnected':
      return null;
  }
}

/** Who ended a session, as far as the event says (an agent's `end` does not name the agent). */
const endedBy: Record<EndReason, string> = {
  visitor: 'visitor',
  left: 'visitor',
  agent: 'agent',
  api: 'api',
  timeout: 'server',
  server: 'server',
};

/** Verifies one session's whole chain, reading it in batches. */
export async function verifyAuditChain(store: Store, sessionId: string): Promise<ChainCheck> {
  const verifier = new ChainVerifier(sessionId);
  let after: number | undefined;
  for (;;) {
    const batch = await store.listAudit(sessionId, { after, limit: VERIFY_BATCH });
    if (!verifier.push(batch) || batch.length < VERIFY_BATCH) return verifier.result();
    after = batch[batch.length - 1]!.position;
  }
}
