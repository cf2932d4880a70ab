/**
 * The visitor gateway: one socket per visitor page. DOM frames are checked
 * (header, size, sequence) and published to the session's agents untouched;
 * control messages are validated; what agents send comes back from the bus.
 */
import type { WebSocket } from 'ws';
import {
  FrameFlag,
  closeCodes,
  limits,
  readFrameHeader,
  refusals,
  validateVisitorMessage,
  type VisitorToServer,
} from '@tandem/protocol';
import { randomUUID } from 'node:crypto';
import { toAgent, toAgents, toVisitor, type Bus } from '../bus/bus.js';
import { encodeJson, type LiveSession, type LiveSessions } from '../live/sessions.js';
import { toSite, type Sites } from '../sites.js';
import { closeRateLimited, forward, isEnded, negotiate, parseControl, sendError, sendJson } from './connection.js';
import { TokenBucket } from '../token-bucket.js';

export async function acceptVisitor(
  ws: WebSocket,
  session: LiveSession,
  sessions: LiveSessions,
  bus: Bus,
  sites: Sites,
): Promise<void> {
  const bucket = new TokenBucket(limits.visitorMessagesPerSecond);
  let ready = false;
  /** The sequence number the next non-key frame must carry; null until a keyframe. */
  let expectedSeq: number | null = null;

  // A session lives in one page at a time: the newest visitor socket takes it,
  // and an older one (another tab, or a page that is going) is told it moved.
  const socketId = randomUUID();
  const replaced = encodeJson({ t: 'replaced', by: socketId });
  const unsubscribe = await bus.subscribe(toVisitor(session.id), (message) => {
    if (isReplaced(message)) {
      if (!Buffer.from(replaced).equals(message)) ws.close(closeCodes.moved, 'sharing moved to another tab');
      return;
    }
    forward(ws, message);
    if (isEnded(message)) ws.close(closeCodes.sessionEnded, 'session ended');
  });

  // The site's settings changed (new masking rules): the page applies them at once.
  const unsubscribeSite = await bus.subscribe(toSite(session.siteKey), (message) => {
    if (ready) forward(ws, message);
  });

  // ws reports protocol violations (an oversized frame, bad UTF-8) here and
  // closes the socket itself with the matching code; unheard, it would end the process.
  ws.on('error', () => ws.terminate());

  ws.on('message', (data: Buffer, isBinary: boolean) => {
    if (!bucket.take()) return closeRateLimited(ws);
    if (isBinary) return onFrame(data);
    const parsed = parseControl<VisitorToServer>(ws, data, validateVisitorMessage);
    if (!parsed.ok) return;
    const msg = parsed.msg;
    if (msg.t === 'hello') {
      // Once per socket: a second hello would count the visitor twice and keep the session alive forever.
      if (ready) return;
      const v = negotiate(ws, msg.versions);
      if (v === null) return;
      ready = true;
      void bus.publish(toVisitor(session.id), replaced);
      sendJson(ws, { t: 'welcome', v, sessionId: session.id, code: session.code, agents: agentList(session), mode: session.mode, masking: sites.current(session.siteKey).masking });
      sessions.visitorConnected(session);
      // A new page of a session that agents are watching: they need its snapshot now.
      if (session.agents.size > 0) sendJson(ws, { t: 'resync' });
      return;
    }
    if (!ready) return sendError(ws, 'TDM_NOT_READY');
    switch (msg.t) {
      case 'end':
        void sessions.end(session.id, msg.left ? 'left' : 'visitor');
        break;
      case 'mode':
        sessions.setMode(session, msg.mode);
        break;
      case 'modeDeclined':
        void bus.publish(toAgent(session.id, msg.agentId), encodeJson({ t: 'modeDeclined', mode: msg.mode }));
        break;
      case 'actionResult': {
        const { id, ok, reason } = msg;
        const result = reason ? { t: 'actionResult', id, ok, reason, message: refusals[reason] } : { t: 'actionResult', id, ok };
        void bus.publish(toAgent(session.id, msg.agentId), encodeJson(result));
        break;
      }
      case 'identity':
        sessions.setVisitorName(session, msg.identity.name ?? null);
        break;
    }
  });

  function onFrame(data: Buffer): void {
    if (!ready) return sendError(ws, 'TDM_NOT_READY');
    const header = readFrameHeader(data);
    if (!header) return sendError(ws, 'TDM_BAD_MESSAGE', 'Binary messages must be DOM frames.');
    if (header.flags & FrameFlag.Keyframe) {
      expectedSeq = header.seq + 1;
    } else if (header.seq !== expectedSeq) {
      // Agents would build a wrong view from this; ask for a fresh snapshot instead.
      sendError(ws, 'TDM_SEQ_GAP', `Expected ${expectedSeq ?? 'a keyframe'}, got ${header.seq}.`);
      sendJson(ws, { t: 'resync' });
      expectedSeq = null;
      return;
    } else {
      expectedSeq = header.seq + 1;
    }
    void bus.publish(toAgents(session.id), data);
  }

  ws.on('close', () => {
    unsubscribe();
    unsubscribeSite();
    if (ready && sessions.get(session.id) === session) sessions.visitorDisconnected(session);
  });
}

function isReplaced(message: Uint8Array): boolean {
  return message.length < 100 && message[0] === 0x7b && Buffer.from(message).toString().startsWith('{"t":"replaced"');
}

function agentList(s: LiveSession) {
  return [...s.agents.values()].map(({ id, name }) => ({ id, name }));
}
