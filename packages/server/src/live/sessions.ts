/**
 * Sessions that are live now: their codes, who is connected, and the timers
 * that end a session whose visitor does not come back. In memory for the
 * embedded default; a cluster keeps this registry in Redis behind the same calls.
 */
import { createHash, randomBytes, randomInt, randomUUID } from 'node:crypto';
import { limits, modeRank, type AgentInfo, type EndReason, type Identity, type Mode } from '@tandem/protocol';
import { toAgents, toVisitor, type Bus } from '../bus/bus.js';
import type { Store } from '../store/store.js';

export interface LiveSession {
  id: string;
  code: string;
  siteKey: string;
  visitorName: string | null;
  /**
   * Hashes of the resume tokens the visitor holds: one per origin of the site
   * the session went through (each keeps its own in sessionStorage).
   */
  resumeHashes: Set<string>;
  /** Hashes of this session's hand-off tokens not spent yet. */
  handoffs: string[];
  visitorConnected: boolean;
  /** Visitor sockets open now: briefly two while a page hands over to the next. */
  visitorSockets: number;
  /** What agents may do now; the visitor sets it, the server checks each action's floor against it. */
  mode: Mode;
  /** The most the visitor has allowed so far (kept in the session's metadata). */
  maxMode: Mode;
  /** Agents connected now, with how many sockets each has open. */
  agents: Map<string, AgentInfo & { sockets: number }>;
  graceTimer?: NodeJS.Timeout;
}

export const encodeJson = (msg: object): Uint8Array => Buffer.from(JSON.stringify(msg));

/** Hand-off tokens a session may have pending (a visitor clicks one link at a time). */
const MAX_PENDING_HANDOFFS = 5;
/** Resume tokens a session keeps: one per origin it passed through, the oldest dropped first. */
const MAX_RESUME_TOKENS = 16;

const hashToken = (token: string) => createHash('sha256').update(token).digest('hex');

export class LiveSessions {
  private readonly byId = new Map<string, LiveSession>();
  private readonly byCode = new Map<string, string>();

  constructor(
    private readonly store: Store,
    private readonly bus: Bus,
    private readonly resumeGraceMs: number,
    /** Where failures of the store are reported: a live session goes on without its metadata. */
    private readonly report: (err: unknown) => void,
  ) {}

  async create(
    siteKey: string,
    identity: Identity,
    startUrl: string | null,
    mode: Mode,
  ): Promise<{ session: LiveSession; resumeToken: string }> {
    const resumeToken = randomBytes(24).toString('base64url');
    const session: LiveSession = {
      id: randomUUID(),
      code: this.freeCode(),
      siteKey,
      visitorName: identity.name ?? null,
      resumeHashes: new Set([hashToken(resumeToken)]),
      handoffs: [],
      visitorConnected: false,
      visitorSockets: 0,
      mode,
      maxMode: mode,
      agents: new Map(),
    };
    await this.store.createSession({
      id: session.id,
      siteKey,
      code: session.code,
      visitorName: identity.name ?? null,
      visitorEmail: identity.email ?? null,
      visitorUniqueId: identity.uniqueId ?? null,
      startUrl,
      createdAt: new Date().toISOString(),
      endedAt: null,
      endReason: null,
      maxMode: mode,
    });
    this.byId.set(session.id, session);
    this.byCode.set(session.code, session.id);
    // A visitor who consented but never connects must not hold a code forever.
    this.startGrace(session);
    return { session, resumeToken };
  }

  get(id: string): LiveSession | undefined {
    return this.byId.get(id);
  }

  findByCode(code: string): LiveSession | undefined {
    const id = this.byCode.get(code.replace(/\D/g, ''));
    return id === undefined ? undefined : this.byId.get(id);
  }

  /** The resume token proves the caller is the visitor who consented. */
  checkResume(id: string, token: string): LiveSession | undefined {
    const s = this.byId.get(id);
    return s && s.resumeHashes.has(hashToken(token)) ? s : undefined;
  }

  /**
   * A one-time token that carries the session to another of the site's
   * domains in a URL: short-lived and spent on first use, so the URL (history,
   * logs) never holds anything that resumes the session later. It remembers
   * the origin that asked for it: the next page must come from there, or ask
   * the visitor again (a link with a token sent from elsewhere must not pull a
   * stranger's tab into a session).
   */
  issueHandoff(s: LiveSession, origin: string): string {
    const token = randomBytes(24).toString('base64url');
    const hash = hashToken(token);
    // A few pending at a time per session: the oldest goes first.
    while (s.handoffs.length >= MAX_PENDING_HANDOFFS) this.handoffs.delete(s.handoffs.shift()!);
    s.handoffs.push(hash);
    this.handoffs.set(hash, { sessionId: s.id, origin, expires: Date.now() + limits.handoffTtlMs });
    return token;
  }

  /**
   * Spends a hand-off token: the session and a resume token of its own for the
   * new origin. `from` is the origin the visitor came from; when it is not the
   * one that asked for the token, the token is kept (unspent) until the
   * visitor has agreed again (`consented`).
   */
  redeemHandoff(token: string, from: string | null, consented: boolean): { session: LiveSession; resumeToken: string } | 'consent' | undefined {
    const hash = hashToken(token);
    const h = this.handoffs.get(hash);
    const s = h && h.expires >= Date.now() ? this.byId.get(h.sessionId) : undefined;
    if (!s) {
      this.handoffs.delete(hash);
      return undefined;
    }
    if (from !== h!.origin && !consented) return 'consent';
    this.handoffs.delete(hash);
    s.handoffs = s.handoffs.filter((x) => x !== hash);
    const resumeToken = randomBytes(24).toString('base64url');
    const resumeHash = hashToken(resumeToken);
    // One resume token per origin the session went through; a bounded few.
    if (s.resumeHashes.size >= MAX_RESUME_TOKENS) s.resumeHashes.delete(s.resumeHashes.values().next().value!);
    s.resumeHashes.add(resumeHash);
    return { session: s, resumeToken };
  }

  private readonly handoffs = new Map<string, { sessionId: string; origin: string; expires: number }>();

  list(): LiveSession[] {
    return [...this.byId.values()];
  }

  visitorConnected(s: LiveSession): void {
    clearTimeout(s.graceTimer);
    s.visitorSockets++;
    if (s.visitorConnected) return;
    s.visitorConnected = true;
    void this.bus.publish(toAgents(s.id), encodeJson({ t: 'visitorStatus', connected: true }));
  }

  visitorDisconnected(s: LiveSession): void {
    if (!this.byId.has(s.id)) return;
    if (--s.visitorSockets > 0) return;
    s.visitorConnected = false;
    void this.bus.publish(toAgents(s.id), encodeJson({ t: 'visitorStatus', connected: false }));
    this.startGrace(s);
  }

  setMode(s: LiveSession, mode: Mode): void {
    if (s.mode === mode) return;
    if (modeRank[mode] > modeRank[s.maxMode]) {
      s.maxMode = mode;
      this.store.raiseSessionMode(s.id, mode).catch(this.report);
    }
    s.mode = mode;
    void this.bus.publish(toAgents(s.id), encodeJson({ t: 'mode', mode }));
  }

  setVisitorName(s: LiveSession, name: string | null): void {
    s.visitorName = name;
    void this.bus.publish(toAgents(s.id), encodeJson({ t: 'visitorIdentity', name }));
  }

  /** Returns true when this is the agent's first socket in the session (they just joined). */
  agentConnected(s: LiveSession, agent: AgentInfo): boolean {
    const known = s.agents.get(agent.id);
    if (known) {
      known.sockets++;
      return false;
    }
    s.agents.set(agent.id, { ...agent, sockets: 1 });
    this.store
      .addSessionAgent(s.id, { agentId: agent.id, agentName: agent.name, joinedAt: new Date().toISOString() })
      .catch(this.report);
    return true;
  }

  /** Returns true when this was the agent's last socket in the session. */
  agentDisconnected(s: LiveSession, agentId: string): boolean {
    const known = s.agents.get(agentId);
    if (!known) return false;
    if (--known.sockets > 0) return false;
    s.agents.delete(agentId);
    return true;
  }

  /** Ends a session for everyone; the gateways close their sockets when they hear it. */
  async end(id: string, reason: EndReason): Promise<boolean> {
    const s = this.byId.get(id);
    if (!s) return false;
    clearTimeout(s.graceTimer);
    this.byId.delete(id);
    this.byCode.delete(s.code);
    for (const hash of s.handoffs) this.handoffs.delete(hash);
    await this.store.endSession(id, new Date().toISOString(), reason).catch(this.report);
    const ended = encodeJson({ t: 'ended', reason });
    await this.bus.publish(toAgents(id), ended);
    await this.bus.publish(toVisitor(id), ended);
    return true;
  }

  async endAll(reason: EndReason): Promise<void> {
    await Promise.all([...this.byId.keys()].map((id) => this.end(id, reason)));
  }

  private startGrace(s: LiveSession): void {
    clearTimeout(s.graceTimer);
    s.graceTimer = setTimeout(() => void this.end(s.id, 'timeout'), this.resumeGraceMs);
    s.graceTimer.unref();
  }

  private freeCode(): string {
    const max = 10 ** limits.codeLength;
    for (;;) {
      // No leading zero, so the code never loses a digit when someone types it as a number.
      const code = String(randomInt(max / 10, max));
      if (!this.byCode.has(code)) return code;
    }
  }
}
