/**
 * The visitor gateway: one socket per visitor page. DOM frames are checked
 * (header, sequence) and handed to the room untouched; control messages are
 * validated against the protocol; everything else is the room's.
 */
import type { WebSocket } from 'ws';
import { FrameFlag, limits, readFrameHeader } from '@tandem/protocol';
import { validateVisitorMessage } from '@tandem/protocol/schema';
import type { Room } from '../live/room.js';
import { closeFull, negotiate, onMessages, parseControl, requireHello, sendError } from './connection.js';

export function acceptVisitor(ws: WebSocket, room: Room, report: (err: unknown) => void): void {
  const added = room.addVisitor(ws);
  if (!added) return closeFull(ws);
  const v = added;
  requireHello(ws, () => v.ready);
  /** The sequence number the next non-key frame must carry; null until a keyframe. */
  let expectedSeq: number | null = null;
  /** This page's address as it said it (`page`): where its selector counts were made. */
  let page: string | null = null;

  onMessages(
    ws,
    limits.visitorMessagesPerSecond,
    undefined,
    async (data, isBinary) => {
      if (isBinary) return onFrame(data);
      const parsed = parseControl(ws, data, validateVisitorMessage);
      if (!parsed.ok) return;
      const msg = parsed.msg;
      if (msg.t === 'hello') {
        // Once per socket: a second hello would count the visitor twice and keep the session alive for ever.
        if (v.ready) return;
        const version = negotiate(ws, msg.versions);
        if (version !== null) await room.visitorHello(v, version);
        return;
      }
      if (!v.ready) return sendError(ws, 'TDM_NOT_READY');
      switch (msg.t) {
        case 'end':
          await room.end(msg.left ? 'left' : 'visitor');
          break;
        case 'mode':
          await room.setMode(msg.mode);
          break;
        case 'modeDeclined':
          await room.declineMode(msg.agentId, msg.mode);
          break;
        case 'actionResult':
          await room.actionResult(msg.agentId, msg.id, msg.ok, msg.reason, msg.path);
          break;
        case 'identity':
          await room.setVisitorName(msg.identity.name ?? null);
          break;
        case 'page':
          page = msg.url;
          await room.navigated(msg.url);
          break;
        case 'selection':
          await room.visitorSelection(msg.range);
          break;
        case 'platform':
          await room.setPlatform(msg.platform);
          break;
        case 'selectorCounts': {
          const problem = await room.selectorCounts(page, msg.selectors, msg.blockSelectors);
          if (problem) sendError(ws, 'TDM_BAD_MESSAGE', problem);
          break;
        }
      }
    },
    room.visitorCloser(v),
    report,
  );

  async function onFrame(data: Buffer): Promise<void> {
    if (!v.ready) return sendError(ws, 'TDM_NOT_READY');
    const header = readFrameHeader(data);
    if (!header) return sendError(ws, 'TDM_BAD_MESSAGE', 'Binary messages must be DOM frames.');
    if (header.flags & FrameFlag.Keyframe) {
      expectedSeq = header.seq + 1;
    } else if (header.seq !== expectedSeq) {
      // Agents would build a wrong view from this; ask for a fresh snapshot instead.
      sendError(ws, 'TDM_SEQ_GAP', `Expected ${expectedSeq ?? 'a keyframe'}, got ${header.seq}.`);
      room.sendVisitor(ws, { t: 'resync' });
      expectedSeq = null;
      return;
    } else {
      expectedSeq = header.seq + 1;
    }
    await room.frame(data);
  }
}
