/**
 * The agent gateway: one socket per viewer. What the viewer sends is
 * validated against the protocol and handed to the room; DOM frames reach the
 * viewer from the room, which skips frames for a viewer that cannot keep up.
 */
import type { WebSocket } from 'ws';
import { closeCodes, limits, type AgentInfo } from '@tandem/protocol';
import { validateAgentMessage } from '@tandem/protocol/schema';
import type { Room } from '../live/room.js';
import { END_REFUSED } from '../live/controls.js';
import { closeFull, negotiate, onMessages, parseControl, requireHello, sendError } from './connection.js';

export function acceptAgent(ws: WebSocket, room: Room, agent: AgentInfo, report: (err: unknown) => void): void {
  const a = room.addAgent(ws, agent);
  if (!a) return closeFull(ws);
  requireHello(ws, () => a.ready);

  onMessages(
    ws,
    limits.agentMessagesPerSecond,
    undefined,
    async (data, isBinary) => {
      if (isBinary) return sendError(ws, 'TDM_BAD_MESSAGE', 'Agents send JSON messages only.');
      const parsed = parseControl(ws, data, validateAgentMessage);
      if (!parsed.ok) return;
      const msg = parsed.msg;
      if (msg.t === 'hello') {
        if (a.ready) return;
        const version = negotiate(ws, msg.versions);
        if (version !== null) await room.agentHello(a, version);
        return;
      }
      if (!a.ready) return sendError(ws, 'TDM_NOT_READY');
      switch (msg.t) {
        case 'pointer':
          await room.pointer(a, msg.x, msg.y);
          break;
        case 'pointerLeave':
          await room.pointer(a, -1, -1);
          break;
        case 'resync':
          await room.requestResync(a);
          break;
        case 'action':
          await room.action(a, msg.id, msg.a);
          break;
        case 'ink':
          await room.ink(a, msg.a);
          break;
        case 'selection':
          await room.agentSelection(a, msg.range);
          break;
        case 'requestMode':
          await room.requestMode(a, msg.mode);
          break;
        case 'handOver':
          await room.handOver(a, msg.to);
          break;
        case 'askControl':
          await room.askControl(a);
          break;
        case 'leave':
          if (!msg.end) ws.close(closeCodes.normal, 'left');
          else if (await room.mayEnd(a)) await room.end('agent');
          else sendError(ws, 'TDM_FORBIDDEN', END_REFUSED);
          break;
      }
    },
    room.agentCloser(a),
    report,
  );
}
