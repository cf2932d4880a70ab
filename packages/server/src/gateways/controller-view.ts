/**
 * What one controller socket sees of its session: the state when it joined,
 * then the session event stream turned into notifications, in order, none
 * lost and none repeated.
 *
 * Why none is lost or repeated: the socket follows the stream *before* it
 * reads the state, and reads the state together with the number of the
 * session's latest event (Registry.sessionWithSeq). Every room changes the
 * registry first and takes the event's number after, so an event numbered up
 * to that seq is already in the state (dropped here), and one numbered after
 * it arrives later (buffered until the state is read). One numbered after it
 * whose change the state already shows (the change landed between the two
 * reads) is dropped by comparing with the state: a controller never hears of
 * a change twice, or of a change to what it already has.
 *
 * Why in order: events of one session can be published by several nodes (the
 * visitor on one, an agent on another), so the bus may bring them out of
 * order. They are delivered by seq; a gap waits `gapMs` for the missing
 * number, then the stream goes on without it.
 */
import type { AgentInfo, Mode, ServerToController, SessionEvent } from '@tandem/protocol';
import type { LiveSession } from '../live/registry.js';

/** How long a gap in the numbers waits for the event that fills it. */
export const GAP_WAIT_MS = 500;
/** Events held past a gap, at most: beyond, the stream skips ahead (a flood cannot grow the server's memory). */
const MAX_HELD = 1000;

type Notification = Exclude<ServerToController, { t: 'welcome' | 'joined' | 'result' | 'error' | 'modeDeclined' }>;

export class ControllerView {
  /** Events that arrived before the state was read. */
  private early: SessionEvent[] | null = [];
  /** The number of the last event delivered (or covered by the state). */
  private last = 0;
  private readonly held = new Map<number, SessionEvent>();
  private gapTimer: ReturnType<typeof setTimeout> | undefined;
  private connected = false;
  private mode: Mode = 'view';
  private readonly agents = new Map<string, AgentInfo>();
  private ended = false;

  constructor(
    private readonly out: (msg: Notification) => void,
    private readonly gapMs = GAP_WAIT_MS,
  ) {}

  /** The state, read after following began, and the number of the latest event it reflects. */
  start(session: LiveSession, seq: number): void {
    this.connected = session.visitorSockets > 0;
    this.mode = session.mode;
    for (const { id, name } of session.agents) this.agents.set(id, { id, name });
    this.last = seq;
    const early = this.early ?? [];
    this.early = null;
    for (const e of early) this.push(e);
  }

  /** An event of this session, as the bus brought it. */
  push(e: SessionEvent): void {
    if (this.ended) return;
    if (this.early) {
      if (this.early.length < MAX_HELD) this.early.push(e);
      return;
    }
    if (e.seq <= this.last || this.held.has(e.seq)) return;
    if (this.held.size >= MAX_HELD) this.skipGap();
    this.held.set(e.seq, e);
    this.drain();
  }

  stop(): void {
    clearTimeout(this.gapTimer);
    this.gapTimer = undefined;
    this.held.clear();
    this.early = null;
    this.ended = true;
  }

  /** Delivers what follows the last number without a gap; waits a while for a missing one. */
  private drain(): void {
    for (let e = this.held.get(this.last + 1); e && !this.ended; e = this.held.get(this.last + 1)) {
      this.held.delete(e.seq);
      this.last = e.seq;
      this.deliver(e);
    }
    clearTimeout(this.gapTimer);
    this.gapTimer = undefined;
    if (this.held.size > 0 && !this.ended) {
      this.gapTimer = setTimeout(() => this.skipGap(), this.gapMs);
      this.gapTimer.unref?.();
    }
  }

  /** The missing number is not coming (or too much waits behind it): go on from the next one held. */
  private skipGap(): void {
    if (this.held.size === 0) return;
    this.last = Math.min(...this.held.keys()) - 1;
    this.drain();
  }

  private deliver(e: SessionEvent): void {
    switch (e.name) {
      case 'started':
      case 'visitorReconnected':
        if (this.connected) return;
        this.connected = true;
        return this.out({ t: 'activated', at: e.at });
      case 'visitorDisconnected':
        if (!this.connected) return;
        this.connected = false;
        return this.out({ t: 'deactivated', at: e.at });
      case 'modeChanged': {
        if (e.mode === this.mode) return;
        const previous = this.mode;
        this.mode = e.mode;
        return this.out({ t: 'modeChanged', mode: e.mode, previous, at: e.at });
      }
      case 'agentJoined':
        if (this.agents.has(e.agent.id)) return;
        this.agents.set(e.agent.id, e.agent);
        return this.out({ t: 'agentJoined', agent: e.agent, at: e.at });
      case 'agentLeft':
        if (!this.agents.delete(e.agent.id)) return;
        return this.out({ t: 'agentLeft', agent: e.agent, at: e.at });
      case 'ended':
        this.stop();
        return this.out({ t: 'ended', reason: e.reason, at: e.at });
      default:
        // requested, modeRequested, controlHandedOver, action, navigated: not a controller's business.
        return;
    }
  }
}
