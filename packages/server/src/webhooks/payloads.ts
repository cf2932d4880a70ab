/**
 * Which session events become webhooks, and what they say: the event's
 * metadata, in the shape `webhookPayloads` declares (the protocol package).
 * Everything else on the stream (actions, page changes, mode requests) is not
 * sent: an integrator learns who did what with the audit trail, not a webhook.
 */
import type { SessionEvent, SessionEventName } from '@tandem/protocol';
import type { WebhookEventType, WebhookPayload } from '@tandem/protocol/schema';

const typeOf = new Map<SessionEventName, WebhookEventType>([
  ['requested', 'session.requested'],
  ['started', 'session.started'],
  ['agentJoined', 'agent.joined'],
  ['agentLeft', 'agent.left'],
  ['modeChanged', 'mode.changed'],
  ['ended', 'session.ended'],
]);

export const webhookTypeOf = (e: SessionEvent): WebhookEventType | undefined => typeOf.get(e.name);

/** The body of a delivery of this event, with the delivery's id; field order as declared. */
export function eventPayload(id: string, e: SessionEvent): WebhookPayload | undefined {
  const base = { id, createdAt: e.at, siteKey: e.siteKey, sessionId: e.sessionId, seq: e.seq };
  switch (e.name) {
    case 'requested':
      return {
        ...ordered(base, 'session.requested'),
        data: {
          mode: e.mode,
          visitor: { name: e.visitor.name, email: e.visitor.email, uniqueId: e.visitor.uniqueId, verified: e.visitor.verified },
          startUrl: e.startUrl,
        },
      };
    case 'started':
      return { ...ordered(base, 'session.started'), data: {} };
    case 'agentJoined':
      return { ...ordered(base, 'agent.joined'), data: { agent: { id: e.agent.id, name: e.agent.name } } };
    case 'agentLeft':
      return { ...ordered(base, 'agent.left'), data: { agent: { id: e.agent.id, name: e.agent.name } } };
    case 'modeChanged':
      return { ...ordered(base, 'mode.changed'), data: { mode: e.mode, previous: e.previous } };
    case 'ended':
      return { ...ordered(base, 'session.ended'), data: { reason: e.reason } };
    default:
      return undefined;
  }
}

const ordered = <T extends WebhookEventType>(
  b: { id: string; createdAt: string; siteKey: string; sessionId: string; seq: number },
  type: T,
) => ({ id: b.id, type, createdAt: b.createdAt, siteKey: b.siteKey, sessionId: b.sessionId, seq: b.seq });

export function testPayload(id: string, siteKey: string, at: string): WebhookPayload {
  return { id, type: 'webhook.test', createdAt: at, siteKey, sessionId: null, seq: null, data: {} };
}
