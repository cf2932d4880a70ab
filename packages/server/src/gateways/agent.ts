/**
 * The agent gateway: one socket per viewer. DOM frames reach it from the bus
 * and are forwarded as they are; a viewer that cannot keep up skips frames and
 * is resynced instead of growing the server's memory.
 */
import type { WebSocket } from 'ws';
import {
  FrameFlag,
  actionFloor,
  closeCodes,
  isJsonMessage,
  limits,
  modeRank,
  readFrameHeader,
  refusals,
  validateAgentMessage,
  type AgentInfo,
  type AgentToServer,
} from '@tandem/protocol';
import { toAgent, toAgents, toVisitor, type Bus } from '../bus/bus.js';
import { encodeJson, type LiveSession, type LiveSessions } from '../live/sessions.js';
import { closeRateLimited, forward, isEnded, negotiate, parseControl, sendError, sendJson } from './connection.js';
import { TokenBucket } from '../token-bucket.js';

/** A viewer asks for a snapshot at most this often. */
const RESYNC_INTERVAL_MS = 1000;

export async function acceptAgent(
  ws: WebSocket,
  session: LiveSession,
  agent: AgentInfo,
  sessions: LiveSessions,
  bus: Bus,
): Promise<void> {
  const bucket = new TokenBucket(limits.agentMessagesPerSecond);
  let ready = false;
  let lastResync = 0;
  /** Frames were skipped for this viewer; it needs a keyframe before anything else. */
  let behind = false;

  const requestResync = () => {
    const now = Date.now();
    if (now - lastResync < RESYNC_INTERVAL_MS) return;
    lastResync = now;
    void bus.publish(toVisitor(session.id), encodeJson({ t: 'resync' }));
  };

  // Answers meant for this agent alone (results of its actions, a declined request).
  const unsubscribeOwn = await bus.subscribe(toAgent(session.id, agent.id), (message) => {
    if (ready) forward(ws, message);
  });
  const unsubscribe = await bus.subscribe(toAgents(session.id), (message) => {
    if (!ready) return;
    if (isJsonMessage(message)) {
      forward(ws, message);
      if (isEnded(message)) ws.close(closeCodes.sessionEnded, 'session ended');
      return;
    }
    const keyframe = (readFrameHeader(message)!.flags & FrameFlag.Keyframe) !== 0;
    if (behind && !keyframe) return;
    if (ws.bufferedAmount > limits.maxAgentBufferedBytes) {
      behind = true;
      requestResync();
      return;
    }
    behind = false;
    forward(ws, message);
  });

  // ws reports protocol violations (an oversized frame, bad UTF-8) here and
  // closes the socket itself with the matching code; unheard, it would end the process.
  ws.on('error', () => ws.terminate());

  ws.on('message', (data: Buffer, isBinary: boolean) => {
    if (!bucket.take()) return closeRateLimited(ws);
    if (isBinary) return sendError(ws, 'TDM_BAD_MESSAGE', 'Agents send JSON messages only.');
    const parsed = parseControl<AgentToServer>(ws, data, validateAgentMessage);
    if (!parsed.ok) return;
    const msg = parsed.msg;
    if (msg.t === 'hello') return onHello(msg.versions);
    if (!ready) return sendError(ws, 'TDM_NOT_READY');
    switch (msg.t) {
      case 'pointer':
        void bus.publish(
          toVisitor(session.id),
          encodeJson({ t: 'agentPointer', agentId: agent.id, name: agent.name, x: msg.x, y: msg.y }),
        );
        break;
      case 'pointerLeave':
        void bus.publish(toVisitor(session.id), encodeJson({ t: 'agentPointer', agentId: agent.id, name: agent.name, x: -1, y: -1 }));
        break;
      case 'resync':
        requestResync();
        break;
      case 'action':
        // The server knows the mode, not the page: it stops what the mode rules out
        // whatever the element; the visitor's page decides the rest.
        if (modeRank[session.mode] < modeRank[actionFloor[msg.a.k]]) {
          sendJson(ws, { t: 'actionResult', id: msg.id, ok: false, reason: 'mode', message: refusals.mode });
        } else {
          void bus.publish(toVisitor(session.id), encodeJson({ t: 'action', agentId: agent.id, name: agent.name, id: msg.id, a: msg.a }));
        }
        break;
      case 'requestMode':
        if (msg.mode === session.mode) sendJson(ws, { t: 'mode', mode: session.mode });
        else void bus.publish(toVisitor(session.id), encodeJson({ t: 'modeRequest', agentId: agent.id, name: agent.name, mode: msg.mode }));
        break;
      case 'leave':
        if (msg.end) void sessions.end(session.id, 'agent');
        else ws.close(closeCodes.normal, 'left');
        break;
    }
  });

  function onHello(versions: number[]): void {
    if (ready) return;
    const v = negotiate(ws, versions);
    if (v === null) return;
    ready = true;
    sendJson(ws, {
      t: 'welcome',
      v,
      sessionId: session.id,
      you: agent,
      visitor: { name: session.visitorName, connected: session.visitorConnected },
      mode: session.mode,
    });
    if (sessions.agentConnected(session, agent)) {
      void bus.publish(toVisitor(session.id), encodeJson({ t: 'agentJoined', agent }));
      void bus.publish(toAgents(session.id), encodeJson({ t: 'agentJoined', agent }));
    }
    // Joining a running session: a fresh view at once, without the visitor doing anything.
    lastResync = 0;
    requestResync();
  }

  ws.on('close', () => {
    unsubscribe();
    unsubscribeOwn();
    if (ready && sessions.agentDisconnected(session, agent.id) && sessions.get(session.id)) {
      void bus.publish(toVisitor(session.id), encodeJson({ t: 'agentLeft', agentId: agent.id }));
      void bus.publish(toAgents(session.id), encodeJson({ t: 'agentLeft', agentId: agent.id }));
    }
  });
}
