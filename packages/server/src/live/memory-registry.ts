/**
 * The registry of the embedded default: one process, plain maps. Every method
 * is async like the cluster's, and returns copies, so code written against it
 * cannot come to rely on shared objects that Redis would not give it.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { limits, type AgentInfo, type EndReason, type Mode, type PlatformInfo } from '@tandem/protocol';
import { RateLimiterMemory, type RateLimiterAbstract } from 'rate-limiter-flexible';
import type {
  Invite,
  LiveJournal,
  LiveSession,
  NewSession,
  PresentVisitor,
  RateLimit,
  ReapedSocket,
  Registry,
  SelectorReport,
} from './registry.js';
import {
  MAX_PENDING_HANDOFFS,
  MAX_RESUME_TOKENS,
  addResumeHash,
  changeMode,
  changePlatform,
  connectAgent,
  connectVisitor,
  copySession as copy,
  disconnectAgent,
  disconnectVisitor,
  handOverControls,
  newInvite,
  inviteAsRead,
  inviteKeptFor,
  inviteOpen,
  newSession,
  pageGone,
  randomCode,
  pageHere,
  type AgentColors,
  type PresencePages,
} from './session-state.js';

export { MAX_PENDING_HANDOFFS, MAX_RESUME_TOKENS };
/** Spent tickets remembered at most (each for a minute): beyond, the oldest go. */
const MAX_SPENT_TICKETS = 200_000;
/** Invites kept at most, answered or not. */
const MAX_INVITES = 10_000;
/**
 * After a restart the event stream jumps this far ahead of its last written
 * number: events published since that write were not journaled, and their
 * numbers must never be given twice. Followers see the gap, which is the truth.
 */
const RESTORED_SEQ_GAP = 1_000_000;

export const hashToken = (token: string) => createHash('sha256').update(token).digest('hex');
export const newToken = () => randomBytes(24).toString('base64url');

interface Entry {
  session: LiveSession;
  resumeHashes: string[];
  handoffs: string[];
  seq: number;
  colors: AgentColors;
  /** The visitor's page's latest counts of the site's rules. */
  report?: SelectorReport;
}

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
      this.sessions.set(j.id, {
        session,
        resumeHashes: j.resumeHashes.slice(-MAX_RESUME_TOKENS),
        handoffs: [],
        seq: j.seq + RESTORED_SEQ_GAP,
        colors: [],
      });
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
  /** The page each present visitor is listed on. */
  private readonly present = new Map<string, PresentVisitor>();
  /** Each present visitor's pages: the listed one and the others still open. */
  private readonly pages = new Map<string, PresencePages<PresentVisitor>>();
  private readonly perSite = new Map<string, number>();
  /** Each invite, and until when (Date.now()) it is kept: by its own time, since invites may differ in time. */
  private readonly invites = new Map<string, { invite: Invite; keptUntil: number }>();
  private readonly inviteTokens = new Map<string, string>();

  async createSession(input: NewSession): Promise<{ session: LiveSession; resumeToken: string }> {
    const resumeToken = newToken();
    const session = newSession(randomUUID(), this.freeCode(), input, Date.now());
    const entry: Entry = { session, resumeHashes: [hashToken(resumeToken)], handoffs: [], seq: 0, colors: [] };
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
    addResumeHash(e.resumeHashes, hashToken(resumeToken));
    await this.write(e);
    return { session: copy(e.session), resumeToken };
  }

  async setMode(id: string, mode: Mode, onlyLower = false): Promise<{ previous: Mode; raised: boolean } | null> {
    const e = this.sessions.get(id);
    const changed = e ? changeMode(e.session, mode, onlyLower) : null;
    if (e && changed) await this.write(e);
    return changed;
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
    return !!s && changePlatform(s, platform);
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
    return s ? connectVisitor(s, Date.now()) : null;
  }

  async visitorDisconnected(id: string, graceMs: number): Promise<{ last: boolean } | null> {
    const s = this.sessions.get(id)?.session;
    return s ? disconnectVisitor(s, graceMs, Date.now()) : null;
  }

  async agentConnected(id: string, agent: AgentInfo): Promise<{ first: boolean; color: string } | null> {
    const e = this.sessions.get(id);
    return e ? connectAgent(e.session, e.colors, agent) : null;
  }

  async agentDisconnected(id: string, agentId: string): Promise<{ last: boolean; agent: AgentInfo; holder?: string | null } | null> {
    const s = this.sessions.get(id)?.session;
    return s ? disconnectAgent(s, agentId) : null;
  }

  async handOver(id: string, from: string, to: string, force = false): Promise<boolean> {
    const s = this.sessions.get(id)?.session;
    return !!s && handOverControls(s, from, to, force);
  }

  /** One process: no other node can die under it. */
  async reapDeadNodes(): Promise<ReapedSocket[]> {
    return [];
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
    const pages = this.pages.get(visitor.visitorId);
    if (!pages && (this.present.size >= bounds.total || (this.perSite.get(visitor.siteKey) ?? 0) >= bounds.perSite)) return false;
    const replaced = pageHere(pages ?? this.newPages(visitor.visitorId), structuredClone(visitor));
    if (replaced) this.count(replaced.siteKey, -1);
    this.present.set(visitor.visitorId, structuredClone(visitor));
    this.count(visitor.siteKey, 1);
    return true;
  }

  private newPages(visitorId: string): PresencePages<PresentVisitor> {
    const pages: PresencePages<PresentVisitor> = { listed: null, older: [] };
    this.pages.set(visitorId, pages);
    return pages;
  }

  async presenceGone(visitorId: string, pageId: string): Promise<void> {
    const pages = this.pages.get(visitorId);
    if (!pages) return;
    const gone = pageGone(pages, pageId);
    if (gone) {
      this.count(gone.unlisted.siteKey, -1);
      if (gone.listed) {
        this.present.set(visitorId, gone.listed);
        this.count(gone.listed.siteKey, 1);
      } else this.present.delete(visitorId);
    }
    if (!pages.listed) this.pages.delete(visitorId);
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
    this.pruneInvites();
    const now = Date.now();
    const invite = newInvite(visitor, agentName, ttlMs, now);
    this.invites.set(invite.id, { invite, keptUntil: now + inviteKeptFor(ttlMs) });
    this.inviteTokens.set(invite.token, invite.id);
    return { ...invite };
  }

  async getInvite(id: string): Promise<Invite | null> {
    const invite = this.invites.get(id)?.invite;
    if (!invite) return null;
    return { ...inviteAsRead(invite, Date.now()) };
  }

  async inviteByToken(token: string): Promise<Invite | null> {
    const id = this.inviteTokens.get(token);
    return id === undefined ? null : this.getInvite(id);
  }

  async answerInvite(token: string, answer: { accepted: false } | { accepted: true; sessionId: string; code: string }): Promise<boolean> {
    const id = this.inviteTokens.get(token);
    const invite = id === undefined ? undefined : this.invites.get(id)?.invite;
    if (!invite || !inviteOpen(invite, Date.now())) return false;
    if (answer.accepted) Object.assign(invite, { state: 'accepted', sessionId: answer.sessionId, code: answer.code });
    else invite.state = 'declined';
    return true;
  }

  /** Drops the invites kept long enough, and the oldest while there are too many (a Map iterates in insertion order). */
  private pruneInvites(): void {
    const now = Date.now();
    for (const [id, { invite, keptUntil }] of this.invites) {
      if (keptUntil < now || this.invites.size > MAX_INVITES) {
        this.invites.delete(id);
        this.inviteTokens.delete(invite.token);
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
    this.pages.clear();
    this.invites.clear();
  }

  private freeCode(): string {
    for (;;) {
      const code = randomCode();
      if (!this.byCode.has(code)) return code;
    }
  }
}
