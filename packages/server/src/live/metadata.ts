/**
 * Session metadata at rest is written by one follower of the session event
 * stream: who, when, which visitor, which agents, the most the visitor
 * allowed, how it ended. Never page content. It follows this node's own
 * events, so in a cluster each event is written once, by the node that saw it.
 */
import type { SessionEvent } from '@tandem/protocol';
import type { Store } from '../store/store.js';
import type { SessionEvents } from './session-events.js';
import type { Registry } from './registry.js';

export function writeMetadata(events: SessionEvents, store: Store, registry: Registry): void {
  events.followLocal(async (e: SessionEvent) => {
    switch (e.name) {
      case 'requested':
        await store.createSession({
          id: e.sessionId,
          siteKey: e.siteKey,
          // Kept for the history ("the visitor read 123 456"), not in the event: a live code lets one join.
          code: (await registry.getSession(e.sessionId))?.code ?? '',
          visitorName: e.visitor.name,
          visitorEmail: e.visitor.email,
          visitorUniqueId: e.visitor.uniqueId,
          startUrl: e.startUrl,
          createdAt: e.at,
          endedAt: null,
          endReason: null,
          maxMode: e.mode,
        });
        break;
      case 'agentJoined':
        await store.addSessionAgent(e.sessionId, { agentId: e.agent.id, agentName: e.agent.name, joinedAt: e.at });
        break;
      case 'modeChanged':
        await store.raiseSessionMode(e.sessionId, e.mode);
        break;
      case 'ended':
        await store.endSession(e.sessionId, e.at, e.reason);
        break;
      default:
        break;
    }
  });
}
