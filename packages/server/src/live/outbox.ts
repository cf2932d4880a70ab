/**
 * Everything the server sends to an agent or visitor socket goes through its
 * outbox, which keeps what the socket has queued (ws's bufferedAmount: bytes
 * written that the network has not taken yet) bounded, whatever its peer does.
 *
 * - Over the soft bound the socket is lagging, and stays so until it has read
 *   back under half of it (so a reader at the edge does not flap): meanwhile
 *   traffic that something later makes good is dropped. Of what is superseded
 *   by the next of its kind (a pointer, a selection, a resync request) the
 *   newest is kept and sent when the socket catches up; what makes sense only
 *   now (a piece of ink, a DOM frame: the room asks for a keyframe) is lost;
 *   an action is refused, for the room to answer its agent. State (welcome,
 *   mode, roster, controls, results, ended, errors) is always queued.
 * - Past the hard bound nothing is queued: the socket is closed with tooSlow
 *   and its client reconnects, resuming from a fresh snapshot.
 *
 * The socket catches up when a write's callback finds the queue short again:
 * the socket reads again. Every queued write has such a callback, so the last
 * one before a stall always reports it.
 */
import type { WebSocket } from 'ws';
import { closeCodes, limits } from '@tandem/protocol';
import { peekType } from './wire.js';

/** What happens to a message while its socket lags (no entry: state, always queued). */
type Treatment = 'latest' | 'transient' | 'refused';

export interface OutboxKind {
  /** Over this many queued bytes the socket lags. */
  soft: number;
  /** Nothing is queued past this: the socket is closed. */
  hard: number;
  /** Treatment by message type; binary messages (DOM frames) by `frame`. */
  messages: Record<string, Treatment>;
  frame?: Treatment;
}

/**
 * To an agent's viewer. Frames are lost (the room then passes nothing but a keyframe and asks for
 * one when the viewer catches up). Pointers and selections: only the newest of each agent counts.
 * Ink comes in pieces of a stroke that fades by itself, finished or not: a lost piece is a gap.
 */
export const AGENT_OUTBOX: OutboxKind = {
  soft: limits.maxAgentBufferedBytes,
  hard: limits.closeAgentBufferedBytes,
  messages: { agentPointer: 'latest', agentSelection: 'latest', visitorSelection: 'latest', ink: 'transient' },
  frame: 'transient',
};

/**
 * To a visitor's page: the same for the agents' pointers, selections and ink; one resync request
 * stands for many; an action must not vanish, so it is refused (its agent is told, and may retry).
 */
export const VISITOR_OUTBOX: OutboxKind = {
  soft: limits.maxVisitorBufferedBytes,
  hard: limits.closeVisitorBufferedBytes,
  messages: { agentPointer: 'latest', agentSelection: 'latest', resync: 'latest', ink: 'transient', action: 'refused' },
};

/** Superseded messages kept for a lagging socket: a couple per agent of the session is plenty. */
const MAX_OWED = 64;

export type Outcome = 'sent' | 'dropped' | 'refused' | 'closed';

const outboxes = new WeakMap<WebSocket, Outbox>();

export class Outbox {
  /** Every message to this socket then goes through its outbox (caughtUp: see the constructor). */
  static attach(ws: WebSocket, kind: OutboxKind, caughtUp?: () => void): Outbox {
    const outbox = new Outbox(ws, kind, caughtUp);
    outboxes.set(ws, outbox);
    return outbox;
  }

  /** The outbox of a socket, if it has one (agent and visitor sockets do, from the moment they join a room). */
  static of(ws: WebSocket): Outbox | undefined {
    return outboxes.get(ws);
  }

  private lags = false;

  /** Over the soft bound and not yet back under half of it. */
  get lagging(): boolean {
    return this.lags;
  }
  private readonly owed = new Map<string, Uint8Array>();

  private constructor(
    private readonly ws: WebSocket,
    private readonly kind: OutboxKind,
    /** The socket caught up after a lag (the room resyncs a viewer that skipped frames). */
    private readonly caughtUp: () => void = () => {},
  ) {}

  send(bytes: Uint8Array): Outcome {
    const { ws } = this;
    if (ws.readyState !== ws.OPEN) return 'closed';
    const json = bytes[0] === 0x7b;
    const type = json ? typeOf(bytes) : null;
    // An own property only: no `Object.prototype` name is a message type.
    const treatment = json ? (type !== null && Object.hasOwn(this.kind.messages, type) ? this.kind.messages[type] : undefined) : this.kind.frame;
    if (!this.lags && ws.bufferedAmount > this.kind.soft) this.lags = treatment !== undefined;
    if (this.lags && treatment !== undefined) return this.drop(bytes, type, treatment);
    if (this.lags && type === 'agentLeft') this.forget(bytes);
    if (ws.bufferedAmount + bytes.length > this.kind.hard) {
      ws.close(closeCodes.tooSlow, 'too slow');
      return 'closed';
    }
    this.batch();
    ws.send(bytes, { binary: !json }, this.written);
    return 'sent';
  }

  private corked = false;

  /**
   * What is sent to this socket in one turn of the event loop goes out in one write: a node that was
   * descheduled wakes to many frames for the same viewer, and one system call per message is what
   * its CPU went to (bench:load's profile). Released in the same turn, so an idle node adds no delay.
   */
  private batch(): void {
    const socket = (this.ws as unknown as { _socket?: { cork(): void; uncork(): void; destroyed: boolean } })._socket;
    if (this.corked || !socket || socket.destroyed) return;
    this.corked = true;
    socket.cork();
    setImmediate(() => {
      this.corked = false;
      socket.uncork();
    });
  }

  private drop(bytes: Uint8Array, type: string | null, treatment: Treatment): Outcome {
    if (treatment === 'refused') return 'refused';
    if (treatment === 'latest' && type !== null) {
      const key = `${type} ${agentOf(bytes) ?? ''}`;
      this.owed.delete(key);
      if (this.owed.size < MAX_OWED) this.owed.set(key, bytes);
    }
    return 'dropped';
  }

  /** An agent left: its pointer or selection must not come back after the news. */
  private forget(bytes: Uint8Array): void {
    const agentId = agentOf(bytes);
    if (agentId) for (const key of this.owed.keys()) if (key.endsWith(` ${agentId}`)) this.owed.delete(key);
  }

  /** A write's callback: the network took the socket's queue up to there. */
  private readonly written = (err?: Error): void => {
    if (err || !this.lags || this.ws.bufferedAmount > this.kind.soft / 2) return;
    this.lags = false;
    const owed = [...this.owed.values()];
    this.owed.clear();
    for (const bytes of owed) this.send(bytes);
    this.caughtUp();
  };
}

/**
 * The `t` of a JSON message. The server writes `t` first, so the prefix tells it without parsing
 * (a pointer flood costs no JSON.parse); anything else is parsed. Unknown is state: never dropped.
 */
function typeOf(bytes: Uint8Array): string | null {
  const prefix = '{"t":"';
  let i = 0;
  for (; i < prefix.length; i++) if (bytes[i] !== prefix.charCodeAt(i)) return peekType(bytes)?.t ?? null;
  const end = bytes.indexOf(0x22, i);
  return end > i && end - i <= 32 ? Buffer.from(bytes.buffer, bytes.byteOffset + i, end - i).toString('latin1') : null;
}

function agentOf(bytes: Uint8Array): string | null {
  const agentId = peekType(bytes)?.value.agentId;
  return typeof agentId === 'string' ? agentId : null;
}
