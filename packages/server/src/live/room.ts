/**
 * Rooms: the sockets a session has on this node, and the one place that
 * publishes on the bus for a session (with the session event stream). The
 * gateways validate what clients send and call a room; a room asks the
 * registry what is true across the cluster, tells the other nodes through the
 * bus, and delivers what the bus brings to its own sockets. This is
 * socket.io's adapter seam applied to our state.
 */
import { randomUUID } from 'node:crypto';
import type { WebSocket } from 'ws';
import {
  FrameFlag,
  actionFloor,
  closeCodes,
  isMode,
  modeRank,
  readFrameHeader,
  refusals,
  type AgentAction,
  type AgentInfo,
  type EndReason,
  type Identity,
  type Ink,
  type Mode,
  type PlatformInfo,
  type Refusal,
  type ServerToAgent,
  type ServerToPresence,
  type ServerToVisitor,
  type TextRange,
} from '@tandem/protocol';
import { AGENTS_REVOKED, toAgent, toAgents, toPresencePage, toSite, toVisitor, type Bus } from '../bus/bus.js';
import type { Sites } from '../sites.js';
import type { LiveSession, Registry, RuleCount } from './registry.js';
import type { SessionEvents } from './session-events.js';
import { encode, peekType } from './wire.js';
import { withoutQuery } from './urls.js';
import { DeliveredActions } from './delivered-actions.js';
import { mayEndForEveryone } from './controls.js';
import { AGENT_OUTBOX, Outbox, VISITOR_OUTBOX, type Outcome } from './outbox.js';

/** Messages about one agent that its own sockets do not get back. */
const NOT_ECHOED = new Set(['agentPointer', 'ink', 'agentSelection']);
/** An agent asks the holder for the controls at most this often. */
const ASK_INTERVAL_MS = 10_000;
/** A viewer asks for a snapshot at most this often. */
const RESYNC_INTERVAL_MS = 1000;
/** Visitor sockets a session may have on a node at once: a page and the next while it hands over, a few tabs. */
export const MAX_VISITOR_SOCKETS = 4;
/** Agent sockets a session may have on a node at once (several agents, each with a console and a watch page). */
export const MAX_AGENT_SOCKETS = 20;

export interface RoomDeps {
  bus: Bus;
  registry: Registry;
  events: SessionEvents;
  sites: Sites;
  /** How long a visitor who changes page (or loses the network) has to come back. */
  graceMs: number;
  /**
   * Whether an agent is an enabled admin now (read when it matters, so a demoted admin loses it on its
   * open sockets too); false for a guest of an integration, which has no account.
   */
  isAdmin: (agentId: string) => Promise<boolean>;
  report: (err: unknown) => void;
}

export interface VisitorSocket {
  ws: WebSocket;
  /** Tells this socket from a newer one of the same session (the `replaced` notice). */
  id: string;
  ready: boolean;
}

export interface AgentSocket {
  ws: WebSocket;
  agent: AgentInfo;
  /** The agent's colour in the session, known once it said hello. */
  color: string;
  ready: boolean;
  /** Frames were skipped for this viewer; it needs a keyframe before anything else. */
  behind: boolean;
  lastResync: number;
}

/** Through the socket's outbox, which bounds what it may have queued (outbox.ts). */
const send = (ws: WebSocket, bytes: Uint8Array): Outcome => {
  const outbox = Outbox.of(ws);
  if (outbox) return outbox.send(bytes);
  if (ws.readyState !== ws.OPEN) return 'closed';
  ws.send(bytes, { binary: bytes[0] !== 0x7b });
  return 'sent';
};

/**
 * Sockets of a room that have not closed. One that closed stays in the room until its last messages and
 * its close are handled (a busy node takes a while): it must not hold a place from the page that replaces it.
 */
function stillOpen(sockets: Iterable<{ ws: WebSocket }>): number {
  let n = 0;
  for (const { ws } of sockets) if (ws.readyState === ws.OPEN || ws.readyState === ws.CONNECTING) n++;
  return n;
}

export class Rooms {
  private readonly rooms = new Map<string, Promise<Room>>();
  private readonly sweeper: NodeJS.Timeout;

  constructor(private readonly deps: RoomDeps) {
    // Sessions whose visitor did not come back are ended by whichever node claims them first.
    this.sweeper = setInterval(() => void this.sweep(), Math.max(50, Math.min(1000, deps.graceMs / 4)));
    this.sweeper.unref();
  }

  /** Listens for agents disabled or signed out on any node: their viewers here close. */
  async start(): Promise<void> {
    this.unsubscribe = await this.deps.bus.subscribe(AGENTS_REVOKED, (message, lost) => {
      // A revocation may be among what was lost: every agent socket here is checked again.
      if (lost) void this.revocationsLost().catch(this.deps.report);
      if (message.length === 0) return;
      const agentId = Buffer.from(message).toString('utf8');
      void this.each((room) => room.closeAgent(agentId, closeCodes.unauthorized, 'signed out'));
    });
  }

  private unsubscribe: () => void = () => {};

  /** Checks every agent socket of this node against the store (set by the gateways, which know each socket's sign-in). */
  revocationsLost: () => Promise<void> = async () => {};

  /** An agent's sign-ins were revoked: every node closes that agent's sockets. */
  async revokeAgent(agentId: string): Promise<void> {
    await this.deps.bus.publish(AGENTS_REVOKED, Buffer.from(agentId, 'utf8'));
  }

  private async each(fn: (room: Room) => void): Promise<void> {
    for (const room of await Promise.allSettled(this.rooms.values())) if (room.status === 'fulfilled') fn(room.value);
  }

  /**
   * Puts a socket in the room of a live session on this node, opening the room
   * (subscribing to the bus) on first use. `add` runs in the same turn as the
   * check that the room is still open, so a room that just emptied never takes a socket.
   */
  async enter<T>(session: LiveSession, add: (room: Room) => T): Promise<{ room: Room; added: T }> {
    for (;;) {
      const room = await this.open(session);
      if (!room.released) return { room, added: add(room) };
    }
  }

  private open(session: LiveSession): Promise<Room> {
    let room = this.rooms.get(session.id);
    if (!room) {
      room = Room.open(session, this.deps, this);
      this.rooms.set(session.id, room);
      room.catch(() => this.rooms.delete(session.id));
    }
    return room;
  }

  /** The visitor consented: the session exists, with its code. */
  async requested(session: LiveSession, identity: Identity & { verified: boolean }, startUrl: string | null): Promise<void> {
    await this.deps.events.publish(session, {
      name: 'requested',
      mode: session.mode,
      visitor: { name: identity.name ?? null, email: identity.email ?? null, uniqueId: identity.uniqueId ?? null, verified: identity.verified },
      startUrl: startUrl === null ? null : withoutQuery(startUrl),
    });
  }

  /** Ends a session for everyone, from any node; false when it was not live. */
  async end(id: string, reason: EndReason): Promise<boolean> {
    const session = await this.deps.registry.endSession(id, reason);
    if (!session) return false;
    await this.deps.bus.publish(toAgents(id), encode.agent({ t: 'ended', reason }));
    await this.deps.bus.publish(toVisitor(id), encode.visitor({ t: 'ended', reason }));
    await this.deps.events.publish(session, { name: 'ended', reason }, session.finalSeq);
    return true;
  }

  /**
   * An integration lowers the mode, from any node: applied at once, the visitor's page told to
   * follow, the agents told. False when it is not lower than the mode now (or the session is gone).
   */
  async lowerMode(session: { id: string; siteKey: string }, mode: Mode): Promise<boolean> {
    const changed = await this.deps.registry.setMode(session.id, mode, true);
    if (!changed) return false;
    await this.deps.events.publish(session, { name: 'modeChanged', mode, previous: changed.previous, by: 'api' });
    await this.deps.bus.publish(toVisitor(session.id), encode.visitor({ t: 'setMode', mode }));
    await this.deps.bus.publish(toAgents(session.id), encode.agent({ t: 'mode', mode }));
    return true;
  }

  /**
   * Someone other than an agent's viewer (an integration) asks the visitor for a mode; the visitor
   * answers as they answer agents: with `mode`, or `modeDeclined` to `requester.id`'s topic.
   */
  async askMode(session: { id: string; siteKey: string }, requester: AgentInfo, mode: Mode): Promise<void> {
    await this.deps.bus.publish(toVisitor(session.id), encode.visitor({ t: 'modeRequest', agentId: requester.id, name: requester.name, mode }));
    await this.deps.events.publish(session, { name: 'modeRequested', agent: requester, mode });
  }

  /** An invite (or another message) to one page of a present visitor, wherever its socket is. */
  async toPresencePage(pageId: string, msg: ServerToPresence): Promise<void> {
    await this.deps.bus.publish(toPresencePage(pageId), encode.presence(msg));
  }

  /** Socket closes whose registry updates have not finished yet. */
  private closing = 0;

  /**
   * A socket closed: counted from that moment (its registry updates run after the messages it
   * sent before) until `work` is done; see drain.
   */
  trackClose(ws: WebSocket, work: () => Promise<void>): () => Promise<void> {
    let counted = false;
    ws.once('close', () => {
      counted = true;
      this.closing++;
    });
    return async () => {
      try {
        await work();
      } finally {
        if (counted) this.closing--;
      }
    };
  }

  /**
   * Waits (at most `ms`) until every closed socket has been taken off the registry: a node that
   * stops while a shared registry still counts its sockets would keep those sessions alive for ever.
   */
  async drain(ms: number): Promise<void> {
    const deadline = Date.now() + ms;
    while (this.closing > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  }

  /** A room that emptied leaves the map; the next socket of its session opens a new one. */
  forget(id: string): void {
    this.rooms.delete(id);
  }

  async sweep(): Promise<void> {
    try {
      for (const id of await this.deps.registry.claimExpired(Date.now())) await this.end(id, 'timeout');
      // A node of the cluster died with sockets open: they are closed as far as everyone else can tell.
      for (const r of await this.deps.registry.reapDeadNodes(this.deps.graceMs)) {
        const session = { id: r.sessionId, siteKey: r.siteKey };
        if (r.kind === 'visitor' && r.last) await this.visitorGone(session);
        if (r.kind === 'agent' && r.last) await this.agentGone(session, r);
      }
    } catch (err) {
      this.deps.report(err);
    }
  }

  /** The visitor's last socket closed (on this node, or on one that died): the agents and the stream hear of it. */
  async visitorGone(session: { id: string; siteKey: string }): Promise<void> {
    await this.deps.bus.publish(toAgents(session.id), encode.agent({ t: 'visitorStatus', connected: false }));
    await this.deps.events.publish(session, { name: 'visitorDisconnected' });
  }

  /** An agent's last socket closed: everyone hears of it, and of who holds the controls now if they held them. */
  async agentGone(session: { id: string; siteKey: string }, left: { agent: AgentInfo; holder?: string | null }): Promise<void> {
    const { bus, events } = this.deps;
    await bus.publish(toVisitor(session.id), encode.visitor({ t: 'agentLeft', agentId: left.agent.id }));
    await bus.publish(toAgents(session.id), encode.agent({ t: 'agentLeft', agentId: left.agent.id }));
    if (left.holder !== undefined) {
      await bus.publish(toAgents(session.id), encode.agent({ t: 'controlHolder', agentId: left.holder }));
      if (left.holder !== null) await this.controlsWent(session, left.holder, null);
    }
    await events.publish(session, { name: 'agentLeft', agent: left.agent });
  }

  /** The controls went to `to`, for the audit and the stream: who drove the page when. */
  async controlsWent(session: { id: string; siteKey: string }, to: string, by: AgentInfo | null): Promise<void> {
    const holder = (await this.deps.registry.getSession(session.id))?.agents.find((x) => x.id === to);
    if (holder) await this.deps.events.publish(session, { name: 'controlHandedOver', agent: { id: holder.id, name: holder.name }, by });
  }

  stop(): void {
    clearInterval(this.sweeper);
    this.unsubscribe();
  }
}

export class Room {
  readonly id: string;
  readonly siteKey: string;
  /** The mode as this node last heard it: actions are checked against it without a round trip. */
  mode: Mode;
  /** Who holds the controls as this node last heard it (null: nobody, or not heard yet). */
  controlBy: string | null;
  private readonly visitors = new Set<VisitorSocket>();
  private readonly agents = new Set<AgentSocket>();
  private readonly agentTopics = new Map<string, () => void>();
  private unsubscribe: (() => void)[] = [];
  /** The last socket left: the room is off the bus and takes no more sockets. */
  released = false;
  /** Actions delivered to the visitor's sockets here, awaiting their result. */
  private readonly delivered = new DeliveredActions();

  private constructor(
    session: LiveSession,
    private readonly deps: RoomDeps,
    private readonly owner: Rooms,
  ) {
    this.id = session.id;
    this.siteKey = session.siteKey;
    this.mode = session.mode;
    this.controlBy = session.controlBy;
  }

  static async open(session: LiveSession, deps: RoomDeps, owner: Rooms): Promise<Room> {
    const room = new Room(session, deps, owner);
    const { bus } = deps;
    room.unsubscribe = await Promise.all([
      bus.subscribe(toVisitor(session.id), (m, lost) => room.fromVisitorTopic(m, lost)),
      bus.subscribe(toAgents(session.id), (m, lost) => room.fromAgentsTopic(m, lost)),
      // The site's settings changed (new masking rules): its pages apply them at once.
      bus.subscribe(toSite(session.siteKey), (m) => m.length > 0 && room.toVisitorSockets(m)),
    ]);
    return room;
  }

  /** Ends the session for everyone (the visitor stopped, an agent ended it). */
  end(reason: EndReason): Promise<boolean> {
    return this.owner.end(this.id, reason);
  }

  // ---- the visitor's sockets -------------------------------------------------

  /** Null when the session has as many visitor sockets here as it may. */
  addVisitor(ws: WebSocket): VisitorSocket | null {
    if (stillOpen(this.visitors) >= MAX_VISITOR_SOCKETS) return null;
    const v: VisitorSocket = { ws, id: randomUUID(), ready: false };
    Outbox.attach(ws, VISITOR_OUTBOX);
    this.visitors.add(v);
    return v;
  }

  async visitorHello(v: VisitorSocket, version: number): Promise<void> {
    const { registry, bus, events, sites } = this.deps;
    const connected = await registry.visitorConnected(this.id);
    if (!connected) return this.closeEnded(v.ws);
    // Counted: from here the close takes the count back, whatever fails next.
    v.ready = true;
    const session = await registry.getSession(this.id);
    if (!session) return this.closeEnded(v.ws);
    // A session lives in one page at a time: the newest socket takes it, older ones (another tab, a page that is going) move.
    await bus.publish(toVisitor(this.id), encode.bus({ t: 'replaced', by: v.id }));
    this.sendVisitor(v.ws, {
      t: 'welcome',
      v: version,
      sessionId: session.id,
      code: session.code,
      agents: session.agents.map(({ id, name, color }) => ({ id, name, color })),
      mode: session.mode,
      masking: (await sites.settings(session.siteKey)).masking,
    });
    // A new page of a session that agents are watching: they need its snapshot now.
    if (session.agents.length > 0) this.sendVisitor(v.ws, { t: 'resync' });
    if (connected.first) await bus.publish(toAgents(this.id), encode.agent({ t: 'visitorStatus', connected: true }));
    if (connected.started) await events.publish(session, { name: 'started' });
    else if (connected.first) await events.publish(session, { name: 'visitorReconnected' });
  }

  /** What the gateway runs once the visitor socket closed and its messages were handled. */
  visitorCloser(v: VisitorSocket): () => Promise<void> {
    return this.owner.trackClose(v.ws, () => this.visitorClosed(v));
  }

  private async visitorClosed(v: VisitorSocket): Promise<void> {
    this.visitors.delete(v);
    try {
      if (!v.ready) return;
      const gone = await this.deps.registry.visitorDisconnected(this.id, this.deps.graceMs);
      if (gone?.last) await this.owner.visitorGone(this);
    } finally {
      this.releaseIfEmpty();
    }
  }

  /** A DOM frame, checked by the gateway: to every agent, untouched. */
  frame(bytes: Uint8Array): Promise<void> {
    return this.deps.bus.publish(toAgents(this.id), bytes);
  }

  async setMode(mode: Mode): Promise<void> {
    const changed = await this.deps.registry.setMode(this.id, mode);
    if (!changed) return;
    // Numbered before the agents hear of it: what they do in the new mode (on any node) comes after it in the stream.
    await this.deps.events.publish(this, { name: 'modeChanged', mode, previous: changed.previous });
    await this.deps.bus.publish(toAgents(this.id), encode.agent({ t: 'mode', mode }));
  }

  declineMode(agentId: string, mode: Mode): Promise<void> {
    return this.deps.bus.publish(toAgent(this.id, agentId), encode.agent({ t: 'modeDeclined', mode }));
  }

  /**
   * The visitor's page ran or refused an action. Its result goes to the agent; and to the event stream
   * when it answers an action this node delivered (so a page cannot fill the audit with results of
   * actions no agent sent), with the kind the agent sent, not one the page claims.
   */
  async actionResult(agentId: string, id: number, ok: boolean, reason?: Refusal, path?: string): Promise<void> {
    const msg: ServerToAgent = reason ? { t: 'actionResult', id, ok, reason, message: refusals[reason] } : { t: 'actionResult', id, ok };
    await this.deps.bus.publish(toAgent(this.id, agentId), encode.agent(msg));
    const sent = this.delivered.take(agentId, id);
    if (!sent) return;
    await this.deps.events.publish(this, {
      name: 'actionResult',
      agent: sent.agent,
      id,
      kind: sent.kind,
      ok,
      ...(reason ? { reason } : {}),
      ...(path ? { path } : {}),
    });
  }

  async setVisitorName(name: string | null): Promise<void> {
    if (await this.deps.registry.setVisitorName(this.id, name)) {
      await this.deps.bus.publish(toAgents(this.id), encode.agent({ t: 'visitorIdentity', name }));
    }
  }

  navigated(url: string): Promise<void> {
    return this.deps.events.publish(this, { name: 'navigated', url: withoutQuery(url) });
  }

  /** The visitor's browser as their page says it: agents hear of it when it changed. Kept while the session lives, never journaled. */
  async setPlatform(platform: PlatformInfo): Promise<void> {
    if (await this.deps.registry.setVisitorPlatform(this.id, platform)) {
      await this.deps.bus.publish(toAgents(this.id), encode.agent({ t: 'visitorPlatform', platform }));
    }
  }

  /**
   * A page's counts of the site's rules, kept (with the page and the time) for the site's admins.
   * Each count goes with the rule it was counted for, so counts must come one per rule the site
   * has now: a page still on the rules before a change is refused, and counts again once its
   * `masking` arrives. Returns the problem to answer, or null. The page may lie: it is a hint.
   */
  async selectorCounts(url: string | null, selectors: (number | null)[], blockSelectors: (number | null)[]): Promise<string | null> {
    if (url === null) return 'Send page before selectorCounts.';
    const rules = (await this.deps.sites.settings(this.siteKey)).masking;
    if (selectors.length !== rules.selectors.length || blockSelectors.length !== rules.blockSelectors.length) {
      return `The site has ${rules.selectors.length} masking and ${rules.blockSelectors.length} blocking rules; count those of the last welcome or masking.`;
    }
    const zip = (list: string[], counts: (number | null)[]): RuleCount[] => list.map((selector, i) => ({ selector, count: counts[i] ?? null }));
    await this.deps.registry.setSelectorReport({
      sessionId: this.id,
      url: withoutQuery(url),
      at: new Date().toISOString(),
      selectors: zip(rules.selectors, selectors),
      blockSelectors: zip(rules.blockSelectors, blockSelectors),
    });
    return null;
  }

  // ---- agents' sockets -------------------------------------------------------

  /** Null when the session has as many agent sockets here as it may. */
  addAgent(ws: WebSocket, agent: AgentInfo): AgentSocket | null {
    if (stillOpen(this.agents) >= MAX_AGENT_SOCKETS) return null;
    const a: AgentSocket = { ws, agent, color: '', ready: false, behind: false, lastResync: 0 };
    // A viewer that skipped frames gets a fresh snapshot once it reads again, not while it cannot take one.
    Outbox.attach(ws, AGENT_OUTBOX, () => {
      if (a.behind) void this.requestResync(a, true).catch(this.deps.report);
    });
    this.agents.add(a);
    return a;
  }

  async agentHello(a: AgentSocket, version: number): Promise<void> {
    const { registry, bus, events } = this.deps;
    const joined = await registry.agentConnected(this.id, a.agent);
    if (!joined) return this.closeEnded(a.ws);
    a.ready = true;
    a.color = joined.color;
    const session = await registry.getSession(this.id);
    if (!session) return this.closeEnded(a.ws);
    this.mode = session.mode;
    this.controlBy = session.controlBy;
    // Answers meant for this agent alone (results of its actions, a declined request), on all its sockets here.
    if (!this.agentTopics.has(a.agent.id)) {
      this.agentTopics.set(a.agent.id, () => {});
      const off = await bus.subscribe(toAgent(this.id, a.agent.id), (m) => {
        if (m.length === 0) return;
        for (const s of this.agents) if (s.ready && s.agent.id === a.agent.id) send(s.ws, m);
      });
      if (this.agentTopics.has(a.agent.id)) this.agentTopics.set(a.agent.id, off);
      else off();
    }
    this.sendAgent(a.ws, {
      t: 'welcome',
      v: version,
      sessionId: session.id,
      you: { ...a.agent, color: a.color },
      agents: session.agents.map(({ id, name, color }) => ({ id, name, color })),
      visitor: { name: session.visitorName, connected: session.visitorSockets > 0, platform: session.visitorPlatform ?? null },
      mode: session.mode,
      controlBy: session.controlBy,
    });
    if (joined.first) {
      const agent = { ...a.agent, color: a.color };
      await bus.publish(toVisitor(this.id), encode.visitor({ t: 'agentJoined', agent }));
      await bus.publish(toAgents(this.id), encode.agent({ t: 'agentJoined', agent }));
      await events.publish(session, { name: 'agentJoined', agent: a.agent });
    }
    // Joining a running session: a fresh view at once, without the visitor doing anything.
    await this.requestResync(a, true);
  }

  /** What the gateway runs once the agent socket closed and its messages were handled. */
  agentCloser(a: AgentSocket): () => Promise<void> {
    return this.owner.trackClose(a.ws, () => this.agentClosed(a));
  }

  private async agentClosed(a: AgentSocket): Promise<void> {
    this.agents.delete(a);
    if (![...this.agents].some((s) => s.agent.id === a.agent.id)) {
      this.agentTopics.get(a.agent.id)?.();
      this.agentTopics.delete(a.agent.id);
      this.asked.delete(a.agent.id);
    }
    try {
      if (!a.ready) return;
      const left = await this.deps.registry.agentDisconnected(this.id, a.agent.id);
      if (left?.last) await this.owner.agentGone(this, left);
    } finally {
      this.releaseIfEmpty();
    }
  }

  /** The visitor and the other agents see it (bounded by the agent gateway's message rate); never echoed to its sender. */
  async pointer(a: AgentSocket, x: number, y: number): Promise<void> {
    const pointer = { t: 'agentPointer', agentId: a.agent.id, name: a.agent.name, color: a.color, x, y } as const;
    await this.deps.bus.publish(toVisitor(this.id), encode.visitor(pointer));
    await this.deps.bus.publish(toAgents(this.id), encode.agent(pointer));
  }

  /** Ink an agent drew: the visitor and the other agents draw it in its colour. Nothing of it is kept. */
  async ink(a: AgentSocket, ink: Ink): Promise<void> {
    const { id: agentId, name } = a.agent;
    await this.deps.bus.publish(toVisitor(this.id), encode.visitor({ t: 'ink', agentId, color: a.color, a: ink }));
    await this.deps.bus.publish(toAgents(this.id), encode.agent({ t: 'ink', agentId, name, color: a.color, a: ink }));
  }

  /** An agent's text selection (positions only), or null: to the visitor and the other agents. */
  async agentSelection(a: AgentSocket, range: TextRange | null): Promise<void> {
    const { id: agentId, name } = a.agent;
    await this.deps.bus.publish(toVisitor(this.id), encode.visitor({ t: 'agentSelection', agentId, color: a.color, range }));
    await this.deps.bus.publish(toAgents(this.id), encode.agent({ t: 'agentSelection', agentId, name, color: a.color, range }));
  }

  /** The visitor's text selection (positions only), or null: to the agents. */
  visitorSelection(range: TextRange | null): Promise<void> {
    return this.deps.bus.publish(toAgents(this.id), encode.agent({ t: 'visitorSelection', range }));
  }

  /** Asks the visitor's page for a fresh snapshot; a viewer may ask once a second. */
  async requestResync(a: AgentSocket, now = false): Promise<void> {
    const at = Date.now();
    if (!now && at - a.lastResync < RESYNC_INTERVAL_MS) return;
    a.lastResync = at;
    await this.deps.bus.publish(toVisitor(this.id), encode.visitor({ t: 'resync' }));
  }

  /**
   * An agent's action. The server knows the mode, not the page: it stops what
   * the mode rules out whatever the element; the visitor's page decides the rest.
   */
  async action(a: AgentSocket, id: number, action: AgentAction): Promise<void> {
    if (modeRank[this.mode] < modeRank[actionFloor[action.k]]) {
      return this.sendAgent(a.ws, { t: 'actionResult', id, ok: false, reason: 'mode', message: refusals.mode });
    }
    // One agent at a time drives the page; everyone points and highlights.
    if (action.k !== 'highlight' && this.controlBy !== null && this.controlBy !== a.agent.id) {
      // What this node heard may be behind a hand-over on another node: the registry has the last word.
      const holder = (await this.deps.registry.getSession(this.id))?.controlBy ?? null;
      if (holder !== null && holder !== a.agent.id) {
        return this.sendAgent(a.ws, { t: 'actionResult', id, ok: false, reason: 'holder', message: refusals.holder });
      }
    }
    // Its kind and target for the stream, never what was typed or which key. Published (and written by
    // the local followers, the audit among them) before the visitor has it: its result comes after it.
    await this.deps.events.publish(this, {
      name: 'action',
      agent: a.agent,
      id,
      kind: action.k,
      ...('node' in action ? { node: action.node } : { url: withoutQuery(action.url) }),
    });
    await this.deps.bus.publish(toVisitor(this.id), encode.visitor({ t: 'action', agentId: a.agent.id, name: a.agent.name, id, a: action }));
    // The other agents see where it pointed, in its colour (its own viewer drew it already).
    if (action.k === 'highlight') {
      await this.deps.bus.publish(
        toAgents(this.id),
        encode.agent({ t: 'ink', agentId: a.agent.id, name: a.agent.name, color: a.color, a: action }),
      );
    }
  }

  /**
   * The holder of the controls gives them to another agent of the session (anyone may while nobody holds
   * them); an admin may take them from whoever holds them (a holder who walked away would block everyone).
   */
  async handOver(a: AgentSocket, to: string): Promise<void> {
    const takes = to === a.agent.id && (await this.deps.isAdmin(a.agent.id));
    if (!(await this.deps.registry.handOver(this.id, a.agent.id, to, takes))) {
      const there = (await this.deps.registry.getSession(this.id))?.agents.some((x) => x.id === to);
      const why = there ? 'Only the agent with the controls hands them over.' : 'That agent is not in the session any more.';
      return this.sendAgent(a.ws, { t: 'error', code: 'TDM_FORBIDDEN', message: why });
    }
    await this.deps.bus.publish(toAgents(this.id), encode.agent({ t: 'controlHolder', agentId: to }));
    await this.owner.controlsWent(this, to, a.agent);
  }

  /** When each agent last asked for the controls: a request every ASK_INTERVAL_MS at most. */
  private readonly asked = new Map<string, number>();

  /** Asks the holder of the controls to hand them over: its viewers see who asks (once in a while, not in a flood). */
  async askControl(a: AgentSocket): Promise<void> {
    const now = Date.now();
    if (now - (this.asked.get(a.agent.id) ?? 0) < ASK_INTERVAL_MS) return;
    this.asked.set(a.agent.id, now);
    const holder = (await this.deps.registry.getSession(this.id))?.controlBy;
    if (!holder || holder === a.agent.id) return;
    await this.deps.bus.publish(toAgent(this.id, holder), encode.agent({ t: 'controlAsked', agentId: a.agent.id, name: a.agent.name }));
  }

  /** Ends for everyone: an admin, the agent with the controls, or an agent alone in the session (controls.ts). */
  async mayEnd(a: AgentSocket): Promise<boolean> {
    const session = await this.deps.registry.getSession(this.id);
    return !session || mayEndForEveryone(session, a.agent.id, await this.deps.isAdmin(a.agent.id));
  }

  async requestMode(a: AgentSocket, mode: Mode): Promise<void> {
    if (mode === this.mode) return this.sendAgent(a.ws, { t: 'mode', mode });
    await this.deps.bus.publish(toVisitor(this.id), encode.visitor({ t: 'modeRequest', agentId: a.agent.id, name: a.agent.name, mode }));
    await this.deps.events.publish(this, { name: 'modeRequested', agent: a.agent, mode });
  }

  // ---- what the bus brings -----------------------------------------------------

  private fromVisitorTopic(message: Uint8Array, lost: boolean): void {
    if (lost) void this.afterLoss().catch(this.deps.report);
    if (message.length === 0) return;
    const peek = peekType(message);
    if (peek?.t === 'replaced') {
      for (const v of this.visitors) if (v.ready && v.id !== peek.value.by) v.ws.close(closeCodes.moved, 'sharing moved to another tab');
      return;
    }
    if (peek?.t === 'action' && this.visitors.size > 0) this.delivered.add(peek.value);
    this.toVisitorSockets(message);
    if (peek?.t === 'ended') for (const v of this.visitors) v.ws.close(closeCodes.sessionEnded, 'session ended');
  }

  private toVisitorSockets(message: Uint8Array): void {
    const outcomes = new Set<Outcome>();
    for (const v of this.visitors) if (v.ready) outcomes.add(send(v.ws, message));
    if (outcomes.has('refused') && !outcomes.has('sent')) void this.undeliverable(message).catch(this.deps.report);
  }

  /** An action the visitor's socket was too far behind to take: its agent is told, never left waiting. */
  private async undeliverable(message: Uint8Array): Promise<void> {
    const { agentId, id } = peekType(message)?.value ?? {};
    if (typeof agentId === 'string' && typeof id === 'number' && Number.isInteger(id)) await this.actionResult(agentId, id, false, 'slow');
  }

  private fromAgentsTopic(message: Uint8Array, lost: boolean): void {
    if (lost) {
      // Frames went missing: every viewer here waits for a keyframe, asked for now.
      for (const a of this.agents) if (a.ready) a.behind = true;
      void this.afterLoss(true).catch(this.deps.report);
    }
    if (message.length === 0) return;
    if (message[0] === 0x7b) {
      const peek = peekType(message);
      if (peek?.t === 'mode' && isMode(peek.value.mode)) this.mode = peek.value.mode;
      if (peek?.t === 'controlHolder') this.controlBy = typeof peek.value.agentId === 'string' ? peek.value.agentId : null;
      // An agent's pointer, ink and selection go to the others only: its own viewer draws them already.
      const from = peek && NOT_ECHOED.has(peek.t) ? peek.value.agentId : undefined;
      for (const a of this.agents) if (a.ready && a.agent.id !== from) send(a.ws, message);
      if (peek?.t === 'ended') for (const a of this.agents) a.ws.close(closeCodes.sessionEnded, 'session ended');
      return;
    }
    const keyframe = ((readFrameHeader(message)?.flags ?? 0) & FrameFlag.Keyframe) !== 0;
    for (const a of this.agents) {
      if (!a.ready) continue;
      if (a.behind && !keyframe) {
        // Waiting for a keyframe. A viewer that reads asks again (once a second at most): the first request may
        // have been lost on a cluster's bus. One that lags is asked once it reads again (outbox.ts).
        if (!Outbox.of(a.ws)?.lagging) void this.requestResync(a).catch(this.deps.report);
        continue;
      }
      // A viewer that cannot keep up skips frames (outbox.ts), instead of growing the server's memory,
      // and is resynced when it reads again.
      a.behind = send(a.ws, message) !== 'sent';
    }
  }

  /**
   * Messages for this session were lost on the way (a cluster's bus): what they would have said is
   * read from the registry instead. An ended session closes its sockets; a mode or a holder of the
   * controls that changed is told to the viewers here; `resync`: the viewers get a fresh snapshot.
   */
  private async afterLoss(resync = false): Promise<void> {
    const session = await this.deps.registry.getSession(this.id);
    if (!session) {
      for (const s of [...this.visitors, ...this.agents]) s.ws.close(closeCodes.sessionEnded, 'session ended');
      return;
    }
    const ready = [...this.agents].filter((a) => a.ready);
    if (session.mode !== this.mode) {
      this.mode = session.mode;
      for (const a of ready) this.sendAgent(a.ws, { t: 'mode', mode: session.mode });
    }
    if (session.controlBy !== this.controlBy) {
      this.controlBy = session.controlBy;
      for (const a of ready) this.sendAgent(a.ws, { t: 'controlHolder', agentId: session.controlBy });
    }
    if (resync && ready.length > 0) {
      const now = Date.now();
      for (const a of ready) a.lastResync = now;
      await this.deps.bus.publish(toVisitor(this.id), encode.visitor({ t: 'resync' }));
    }
  }

  // ---- helpers -----------------------------------------------------------------

  sendVisitor(ws: WebSocket, msg: ServerToVisitor): void {
    send(ws, encode.visitor(msg));
  }

  sendAgent(ws: WebSocket, msg: ServerToAgent): void {
    send(ws, encode.agent(msg));
  }

  /** The session ended before this socket said hello. */
  private closeEnded(ws: WebSocket): void {
    ws.close(closeCodes.sessionEnded, 'session ended');
  }

  closeAgent(agentId: string, code: number, reason: string): void {
    for (const a of this.agents) if (a.agent.id === agentId) a.ws.close(code, reason);
  }

  /** Leaves the bus once no socket is left here. */
  releaseIfEmpty(): void {
    if (this.released || this.visitors.size > 0 || this.agents.size > 0) return;
    this.released = true;
    this.owner.forget(this.id);
    for (const off of [...this.unsubscribe, ...this.agentTopics.values()]) off();
    this.unsubscribe = [];
    this.agentTopics.clear();
  }
}
