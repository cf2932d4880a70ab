/**
 * The registry of the embedded default: one process, plain maps. Every method
 * is async like the cluster's, and returns copies, so code written against it
 * cannot come to rely on shared objects that Redis would not give it.
 */
import { createHash, randomBytes, randomInt, randomUUID } from 'node:crypto';
import { AGENT_COLORS, limits, modeRank, type AgentInfo, type EndReason, type Mode, type PlatformInfo } from '@tandem/protocol';
import { RateLimiterMemory, type RateLimiterAbstract } from 'rate-limiter-flexible';
import type { Invite, LiveJournal, LiveSession, NewSession, PresentVisitor, RateLimit, Registry, SelectorReport } from './registry.js';

/** Hand-off tokens a session may have pending (a visitor clicks one link at a time). */
export const MAX_PENDING_HANDOFFS = 5;
/** Resume tokens a session keeps: one per origin it passed through, the oldest dropped first. */
export const MAX_RESUME_TOKENS = 16;
/** Spent tickets remembered at most (each for a minute): beyond, the oldest go. */
const MAX_SPENT_TICKETS = 200_000;
/** Open pages remembered per visitor (tabs): beyond this the oldest is forgotten. */
const MAX_PAGES_PER_VISITOR = 20;
/** Invites kept at most, answered or not. */
const MAX_INVITES = 10_000;
/**
 * After a restart the event stream jumps this far ahead of its last written
 * number: events published since that write were not journaled, and their
 * numbers must never be given twice. Followers see the gap, which is the truth.
 */
const RESTORED_SEQ_GAP = 1_000_000;

const hashToken = (token: string) => createHash('sha256').update(token).digest('hex');
const newToken = () => randomBytes(24).toString('base64url');

interface Entry {
  session: LiveSession;
  resumeHashes: string[];
  handoffs: string[];
  seq: number;
  /** Every agent that joined the session, with its colour: one who leaves and comes back keeps it. */
  colors?: Map<string, string>;
  /** The visitor's page's latest counts of the site's rules. */
  report?: SelectorReport;
}

const copy = (s: LiveSession): LiveSession => ({
  ...s,
  agents: s.agents.map((a) => ({ ...a })),
  ...(s.visitorPlatform ? { visitorPlatform: { ...s.visitorPlatform } } : {}),
});

export class MemoryRegistry implements Registry {
  /**
   * `journal`: where live sessions are written as they change (the SQLite store
   * on the embedded default), so `restore` can bring them back after a restart.
   */
  constructor(private readonly journal?: LiveJournal) {}

  /** Brings back the journal's sessions: nobody is connected, and each ends unless its visitor returns within the grace. */
  async restore(graceMs: number): Promise<LiveSession[]> {
    if (!this.journal) return [];
    const restored: LiveSession[] = [];
    for (const j of await this.journal.loadLive()) {
      if (this.sessions.has(j.id) || this.byCode.has(j.code)) continue;
      const session: LiveSession = {
        id: j.id,
        code: j.code,
        siteKey: j.siteKey,
        visitorName: j.visitorName,
        shortId: j.shortId,
        mode: j.mode,
        maxMode: j.maxMode,
        createdAt: j.createdAt,
        visitorSockets: 0,
        started: true,
        activeSince: null,
        agents: [],
        controlBy: null,
        expiresAt: Date.now() + graceMs,
      };
      this.sessions.set(j.id, { session, resumeHashes: j.resumeHashes.slice(-MAX_RESUME_TOKENS), handoffs: [], seq: j.seq + RESTORED_SEQ_GAP });
      this.byCode.set(j.code, j.id);
      restored.push(copy(session));
    }
    return restored;
  }

  /** Writes what a restart needs of the session (called after each change to it). */
  private async write(e: Entry): Promise<void> {
    const s = e.session;
    await this.journal?.saveLive({
      id: s.id,
      code: s.code,
      siteKey: s.siteKey,
      visitorName: s.visitorName,
      shortId: s.shortId,
      mode: s.mode,
      maxMode: s.maxMode,
      createdAt: s.createdAt,
      resumeHashes: e.resumeHashes,
      seq: e.seq,
    });
  }

  private readonly sessions = new Map<string, Entry>();
  private readonly byCode = new Map<string, string>();
  private readonly handoffs = new Map<string, { sessionId: string; origin: string; expires: number }>();
  private readonly present = new Map<string, PresentVisitor>();
  /** A visitor's other open pages, oldest first, besides the one listed. */
  private readonly olderPages = new Map<string, PresentVisitor[]>();
  private readonly perSite = new Map<string, number>();
  private readonly invites = new Map<string, Invite>();
  private readonly inviteTokens = new Map<string, string>();

  async createSession(input: NewSession): Promise<{ session: LiveSession; resumeToken: string }> {
    const resumeToken = newToken();
    const session: LiveSession = {
      id: randomUUID(),
      code: this.freeCode(),
      siteKey: input.siteKey,
      visitorName: input.identity.name ?? null,
      shortId: input.shortId ?? null,
      mode: input.mode,
      maxMode: input.mode,
      createdAt: new Date().toISOString(),
      visitorSockets: 0,
      started: false,
      activeSince: null,
      agents: [],
      controlBy: null,
      // A visitor who consented but never connects must not hold a code forever.
      expiresAt: Date.now() + input.graceMs,
    };
    const entry: Entry = { session, resumeHashes: [hashToken(resumeToken)], handoffs: [], seq: 0 };
    this.sessions.set(session.id, entry);
    this.byCode.set(session.code, session.id);
    await this.write(entry);
    return { session: copy(session), resumeToken };
  }

  async getSession(id: string): Promise<LiveSession | null> {
    const e = this.sessions.get(id);
    return e ? copy(e.session) : null;
  }

  async findByCode(code: string): Promise<LiveSession | null> {
    const id = this.byCode.get(code.replace(/\D/g, ''));
    return id === undefined ? null : this.getSession(id);
  }

  async listSessions(): Promise<LiveSession[]> {
    return [...this.sessions.values()].map((e) => copy(e.session));
  }

  async sessionWithSeq(id: string): Promise<{ session: LiveSession; seq: number } | null> {
    const e = this.sessions.get(id);
    return e ? { session: copy(e.session), seq: e.seq } : null;
  }

  async checkResume(id: string, resumeToken: string): Promise<LiveSession | null> {
    const e = this.sessions.get(id);
    return e && e.resumeHashes.includes(hashToken(resumeToken)) ? copy(e.session) : null;
  }

  async issueHandoff(id: string, origin: string): Promise<string | null> {
    const e = this.sessions.get(id);
    if (!e) return null;
    const token = newToken();
    const hash = hashToken(token);
    while (e.handoffs.length >= MAX_PENDING_HANDOFFS) this.handoffs.delete(e.handoffs.shift()!);
    e.handoffs.push(hash);
    this.handoffs.set(hash, { sessionId: id, origin, expires: Date.now() + limits.handoffTtlMs });
    return token;
  }

  async redeemHandoff(token: string, from: string | null, consented: boolean) {
    const hash = hashToken(token);
    const h = this.handoffs.get(hash);
    const e = h && h.expires >= Date.now() ? this.sessions.get(h.sessionId) : undefined;
    if (!h || !e) {
      this.handoffs.delete(hash);
      return null;
    }
    if (from !== h.origin && !consented) return 'consent' as const;
    this.handoffs.delete(hash);
    e.handoffs = e.handoffs.filter((x) => x !== hash);
    const resumeToken = newToken();
    if (e.resumeHashes.length >= MAX_RESUME_TOKENS) e.resumeHashes.shift();
    e.resumeHashes.push(hashToken(resumeToken));
    await this.write(e);
    return { session: copy(e.session), resumeToken };
  }

  async setMode(id: string, mode: Mode, onlyLower = false): Promise<{ previous: Mode; raised: boolean } | null> {
    const e = this.sessions.get(id);
    const s = e?.session;
    if (!e || !s || s.mode === mode || (onlyLower && modeRank[mode] > modeRank[s.mode])) return null;
    const previous = s.mode;
    const raised = modeRank[mode] > modeRank[s.maxMode];
    if (raised) s.maxMode = mode;
    s.mode = mode;
    await this.write(e);
    return { previous, raised };
  }

  async setVisitorName(id: string, name: string | null): Promise<boolean> {
    const e = this.sessions.get(id);
    if (!e) return false;
    e.session.visitorName = name;
    await this.write(e);
    return true;
  }

  async setVisitorPlatform(id: string, platform: PlatformInfo): Promise<boolean> {
    const s = this.sessions.get(id)?.session;
    if (!s || JSON.stringify(s.visitorPlatform) === JSON.stringify(platform)) return false;
    s.visitorPlatform = { ...platform };
    return true;
  }

  async setSelectorReport(report: SelectorReport): Promise<boolean> {
    const e = this.sessions.get(report.sessionId);
    if (!e) return false;
    e.report = structuredClone(report);
    return true;
  }

  async selectorReports(siteKey: string, limit: number): Promise<SelectorReport[]> {
    return [...this.sessions.values()]
      .filter((e) => e.session.siteKey === siteKey && e.report)
      .map((e) => e.report!)
      .sort((a, b) => b.at.localeCompare(a.at))
      .slice(0, limit)
      .map((r) => structuredClone(r));
  }

  async visitorConnected(id: string): Promise<{ first: boolean; started: boolean } | null> {
    const s = this.sessions.get(id)?.session;
    if (!s) return null;
    s.expiresAt = null;
    const first = s.visitorSockets++ === 0;
    if (first) s.activeSince = new Date().toISOString();
    const started = !s.started;
    s.started = true;
    return { first, started };
  }

  async visitorDisconnected(id: string, graceMs: number): Promise<{ last: boolean } | null> {
    const s = this.sessions.get(id)?.session;
    if (!s) return null;
    s.visitorSockets = Math.max(0, s.visitorSockets - 1);
    const last = s.visitorSockets === 0;
    if (last) {
      s.expiresAt = Date.now() + graceMs;
      s.activeSince = null;
    }
    return { last };
  }

  async agentConnected(id: string, agent: AgentInfo): Promise<{ first: boolean; color: string } | null> {
    const e = this.sessions.get(id);
    if (!e) return null;
    const s = e.session;
    const known = s.agents.find((a) => a.id === agent.id);
    if (known) {
      known.sockets++;
      return { first: false, color: known.color };
    }
    // In join order, then round again; bounded by the agents there are (each needs a sign-in).
    const colors = (e.colors ??= new Map<string, string>());
    const color = colors.get(agent.id) ?? AGENT_COLORS[colors.size % AGENT_COLORS.length] ?? AGENT_COLORS[0];
    colors.set(agent.id, color);
    s.agents.push({ id: agent.id, name: agent.name, color, sockets: 1 });
    s.controlBy ??= agent.id;
    return { first: true, color };
  }

  async agentDisconnected(id: string, agentId: string): Promise<{ last: boolean; agent: AgentInfo; holder?: string | null } | null> {
    const s = this.sessions.get(id)?.session;
    const known = s?.agents.find((a) => a.id === agentId);
    if (!s || !known) return null;
    const agent = { id: known.id, name: known.name };
    if (--known.sockets > 0) return { last: false, agent };
    s.agents = s.agents.filter((a) => a !== known);
    if (s.controlBy !== agentId) return { last: true, agent };
    // The holder went: the controls pass to the agent who has been there longest.
    s.controlBy = s.agents[0]?.id ?? null;
    return { last: true, agent, holder: s.controlBy };
  }

  async handOver(id: string, from: string, to: string, force = false): Promise<boolean> {
    const s = this.sessions.get(id)?.session;
    if (!s || (!force && s.controlBy !== from && s.controlBy !== null) || !s.agents.some((a) => a.id === to)) return false;
    s.controlBy = to;
    return true;
  }

  async nextSeq(id: string): Promise<number | null> {
    const e = this.sessions.get(id);
    return e ? ++e.seq : null;
  }

  async endSession(id: string, _reason: EndReason): Promise<(LiveSession & { finalSeq: number }) | null> {
    const e = this.sessions.get(id);
    if (!e) return null;
    this.sessions.delete(id);
    this.byCode.delete(e.session.code);
    for (const hash of e.handoffs) this.handoffs.delete(hash);
    await this.journal?.removeLive(id);
    return { ...copy(e.session), finalSeq: e.seq + 1 };
  }

  async claimExpired(now: number): Promise<string[]> {
    const ids: string[] = [];
    for (const { session } of this.sessions.values()) {
      if (session.expiresAt !== null && session.expiresAt <= now) {
        session.expiresAt = null;
        ids.push(session.id);
      }
    }
    return ids;
  }

  async presenceHere(visitor: PresentVisitor, bounds: { total: number; perSite: number }): Promise<boolean> {
    const before = this.present.get(visitor.visitorId);
    if (!before && (this.present.size >= bounds.total || (this.perSite.get(visitor.siteKey) ?? 0) >= bounds.perSite)) return false;
    if (before) {
      this.count(before.siteKey, -1);
      // Still open in another tab: listed again on it should the newer page go first.
      if (before.pageId !== visitor.pageId) {
        const older = (this.olderPages.get(visitor.visitorId) ?? []).filter((p) => p.pageId !== visitor.pageId);
        this.olderPages.set(visitor.visitorId, [...older, before].slice(-MAX_PAGES_PER_VISITOR));
      }
    }
    this.present.set(visitor.visitorId, structuredClone(visitor));
    this.count(visitor.siteKey, 1);
    return true;
  }

  async presenceGone(visitorId: string, pageId: string): Promise<void> {
    const v = this.present.get(visitorId);
    const older = this.olderPages.get(visitorId) ?? [];
    if (!v || v.pageId !== pageId) {
      const rest = older.filter((p) => p.pageId !== pageId);
      if (rest.length > 0) this.olderPages.set(visitorId, rest);
      else this.olderPages.delete(visitorId);
      return;
    }
    this.count(v.siteKey, -1);
    const previous = older.pop();
    if (!previous) {
      this.present.delete(visitorId);
      this.olderPages.delete(visitorId);
      return;
    }
    // The visitor's newest page closed; they are still on an older one, listed there now.
    this.present.set(visitorId, previous);
    this.count(previous.siteKey, 1);
    if (older.length === 0) this.olderPages.delete(visitorId);
  }

  private count(siteKey: string, delta: 1 | -1): void {
    const n = (this.perSite.get(siteKey) ?? 0) + delta;
    if (n > 0) this.perSite.set(siteKey, n);
    else this.perSite.delete(siteKey);
  }

  async presenceList(siteKey: string, query: string, limit: number): Promise<PresentVisitor[]> {
    const q = query.trim().toLowerCase();
    const matches = (v: PresentVisitor) =>
      !q || [v.identity.name, v.identity.email, v.identity.uniqueId, v.visitorId].some((f) => f?.toLowerCase().includes(q));
    return [...this.present.values()]
      .filter((v) => v.siteKey === siteKey && matches(v))
      .sort((a, b) => b.since.localeCompare(a.since))
      .slice(0, limit)
      .map((v) => structuredClone(v));
  }

  async presenceFind(siteKey: string | null, who: { visitorId?: string; shortId?: string; uniqueId?: string }): Promise<PresentVisitor | null> {
    const ofSite = (v: PresentVisitor | undefined) => (v && (siteKey === null || v.siteKey === siteKey) ? structuredClone(v) : null);
    if (who.visitorId) return ofSite(this.present.get(who.visitorId));
    const found = (test: (v: PresentVisitor) => boolean) => {
      for (const v of this.present.values()) if ((siteKey === null || v.siteKey === siteKey) && test(v)) return structuredClone(v);
      return null;
    };
    if (who.shortId) return found((v) => v.shortId === who.shortId);
    if (!who.uniqueId) return null;
    return found((v) => v.identity.uniqueId === who.uniqueId);
  }

  async createInvite(visitor: PresentVisitor, agentName: string, ttlMs: number): Promise<Invite> {
    this.pruneInvites(ttlMs);
    const invite: Invite = {
      id: randomUUID(),
      token: randomUUID(),
      visitorId: visitor.visitorId,
      siteKey: visitor.siteKey,
      agentName,
      state: 'pending',
      expires: Date.now() + ttlMs,
    };
    this.invites.set(invite.id, invite);
    this.inviteTokens.set(invite.token, invite.id);
    return { ...invite };
  }

  async getInvite(id: string): Promise<Invite | null> {
    const invite = this.invites.get(id);
    if (!invite) return null;
    if (invite.state === 'pending' && invite.expires < Date.now()) invite.state = 'expired';
    return { ...invite };
  }

  async inviteByToken(token: string): Promise<Invite | null> {
    const id = this.inviteTokens.get(token);
    return id === undefined ? null : this.getInvite(id);
  }

  async answerInvite(token: string, answer: { accepted: false } | { accepted: true; sessionId: string; code: string }): Promise<boolean> {
    const id = this.inviteTokens.get(token);
    const invite = id === undefined ? undefined : this.invites.get(id);
    if (!invite || invite.state !== 'pending' || invite.expires < Date.now()) return false;
    if (answer.accepted) Object.assign(invite, { state: 'accepted', sessionId: answer.sessionId, code: answer.code });
    else invite.state = 'declined';
    return true;
  }

  private pruneInvites(ttlMs: number): void {
    const now = Date.now();
    for (const [id, i] of this.invites) {
      if (i.expires + ttlMs < now || this.invites.size > MAX_INVITES) {
        this.invites.delete(id);
        this.inviteTokens.delete(i.token);
      }
    }
  }

  /** Spent tickets until they expire; a bounded few, the oldest dropped first (they expire in a minute anyway). */
  private readonly spent = new Map<string, number>();

  async spendTicket(id: string, ttlMs: number): Promise<boolean> {
    const now = Date.now();
    // Watch links have their own book, which a flood of socket tickets cannot push them out of:
    // a link forgotten early could be used twice.
    const link = id.startsWith('watch:');
    const spent = link ? this.spentLinks : this.spent;
    const until = spent.get(id);
    if (until !== undefined && until > now) return false;
    // Ordered by insertion: expired ones are at the front.
    for (const [key, expires] of spent) {
      if (expires > now) break;
      spent.delete(key);
    }
    if (spent.size >= MAX_SPENT_TICKETS) {
      // Full of unexpired ones: a link is refused (it can be asked for again) rather than risk a second use;
      // a socket ticket pushes out the oldest (at worst one ticket opens a second socket).
      if (link) return false;
      spent.delete(spent.keys().next().value!);
    }
    spent.delete(id);
    spent.set(id, now + ttlMs);
    return true;
  }

  private readonly spentLinks = new Map<string, number>();

  /** One limiter per key prefix: two callers naming the same prefix count on the same counters, as in Redis. */
  private readonly limiters = new Map<string, RateLimiterAbstract>();

  rateLimiter(limit: RateLimit): RateLimiterAbstract {
    let limiter = this.limiters.get(limit.keyPrefix);
    if (!limiter) {
      limiter = new RateLimiterMemory({
        keyPrefix: limit.keyPrefix,
        points: limit.points,
        duration: limit.duration,
        blockDuration: limit.blockDuration ?? 0,
      });
      this.limiters.set(limit.keyPrefix, limiter);
    }
    return limiter;
  }

  async close(): Promise<void> {
    this.sessions.clear();
    this.byCode.clear();
    this.handoffs.clear();
    this.present.clear();
    this.olderPages.clear();
    this.invites.clear();
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
