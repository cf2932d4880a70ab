/**
 * The agent gateway: one socket per viewer. DOM frames reach it from the bus
 * and are forwarded as they are; a viewer that cannot keep up skips frames and
 * is resynced instead of growing the server's memory.
 */
import type { WebSocket } from 'ws';
import { FrameFlag, closeCodes, isJsonMessage, limits, readFrameHeader, validateAgentMessage, type AgentInfo, type AgentToServer } from '@tandem/protocol';
import { toAgents, toVisitor, type Bus } from '../bus/bus.js';
import { encodeJson, type LiveSession, type LiveSessions } from '../live/sessions.js';
import { closeRateLimited, forward, negotiate, parseControl, sendError, sendJson } from './connection.js';
import { TokenBucket } from '../token-bucket.js';
import { isEnded } from './connection.js';

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
    if (ready && sessions.agentDisconnected(session, agent.id) && sessions.get(session.id)) {
      void bus.publish(toVisitor(session.id), encodeJson({ t: 'agentLeft', agentId: agent.id }));
      void bus.publish(toAgents(session.id), encodeJson({ t: 'agentLeft', agentId: agent.id }));
    }
  });
}
