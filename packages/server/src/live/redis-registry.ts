/**
 * The registry of a cluster: every node's live state in Redis (REDIS_URL), so any node serves any
 * client. Each session is one JSON document changed by compare-and-set (a Lua script swaps it only if
 * nobody changed it since it was read, and updates its indexes in the same step), with the same rules
 * as the in-memory registry (session-state.ts). Event numbers are a counter beside it.
 *
 * Nodes die without a word (SIGKILL, a lost machine): each node beats every second, and the sockets it
 * had open are counted per node in the documents; when a node has not beaten for DEAD_AFTER_MS, the
 * first node to notice takes its sockets and pages off, as if they had closed (`reapDeadNodes`).
 */
import { randomUUID } from 'node:crypto';
import { limits, type AgentInfo, type EndReason, type Mode, type PlatformInfo } from '@tandem/protocol';
import { RateLimiterMemory, RateLimiterRedis, type RateLimiterAbstract } from 'rate-limiter-flexible';
import { Script, type Redis } from '../redis/client.js';
import { hashToken, newToken } from './memory-registry.js';
import type { Invite, LiveSession, NewSession, PresentVisitor, RateLimit, ReapedSocket, Registry, SelectorReport } from './registry.js';
import {
  MAX_PENDING_HANDOFFS,
  addResumeHash,
  changeMode,
  changePlatform,
  connectAgent,
  connectVisitor,
  copySession,
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

/** How often a node says it is alive. */
export const BEAT_MS = 1000;
/** A node silent this long is dead: its sockets are taken off their sessions. */
export const DEAD_AFTER_MS = 10_000;
/** A compare-and-set that keeps losing to other writers gives up after this many tries (it never should). */
const MAX_TRIES = 100;

/** One node's sockets in a session: what to take off when that node dies. */
interface Owner {
  node: string;
  visitors: number;
  agents: { id: string; sockets: number }[];
}

interface Entry {
  session: LiveSession;
  resumeHashes: string[];
  handoffs: string[];
  colors: AgentColors;
  report?: SelectorReport;
  owners: Owner[];
}

type StoredPage = PresentVisitor & { node: string };

/** A command run in the same step as a compare-and-set (keys built here, never from a client). */
type Op = string[];

/**
 * KEYS[1]: the document; ARGV[1]: what it must hold now ('' = absent); ARGV[2]: what it will hold
 * ('' = deleted); ARGV[3]: a JSON list of further commands. Returns {1, their replies} or {0}.
 */
const CAS = new Script(`
local current = redis.call('GET', KEYS[1]) or ''
if current ~= ARGV[1] then return {0} end
if ARGV[2] == '' then redis.call('DEL', KEYS[1]) else redis.call('SET', KEYS[1], ARGV[2]) end
local replies = {1}
if ARGV[3] ~= '' then
  for _, op in ipairs(cjson.decode(ARGV[3])) do
    local reply = redis.call(unpack(op))
    if type(reply) == 'table' then reply = 0 end
    replies[#replies + 1] = reply
  end
end
return replies`);

/** KEYS[1]: the session; KEYS[2]: its counter. The next number, or nil once the session ended. */
const NEXT_SEQ = new Script(`
if redis.call('EXISTS', KEYS[1]) == 0 then return false end
return redis.call('INCR', KEYS[2])`);

export interface RedisRegistryOptions {
  /** Before every key. */
  prefix: string;
  /** This node, in the socket counts and the beats. */
  node?: string;
  /** How long a node may be silent before it counts as dead (DEAD_AFTER_MS; tests shorten it). */
  deadAfterMs?: number;
  /**
   * Other nodes took this one for dead (it could not beat for DEAD_AFTER_MS: a long pause, a cut
   * network) and its sockets were taken off: its clients must reconnect to be counted again.
   */
  onTakenForDead?: () => void;
  report: (err: unknown) => void;
}

/** Every key the registry writes, under the install's prefix. */
const redisKeys = (k: string) => ({
  session: (id: string) => `${k}s:${id}`,
  seq: (id: string) => `${k}seq:${id}`,
  code: (code: string) => `${k}code:${code}`,
  live: `${k}live`,
  siteSessions: (siteKey: string) => `${k}site:${siteKey}:sessions`,
  expiry: `${k}expiry`,
  handoff: (hash: string) => `${k}h:${hash}`,
  ticket: (id: string) => `${k}ticket:${id}`,
  nodes: `${k}nodes`,
  nodeSessions: (node: string) => `${k}node:${node}:sessions`,
  nodePages: (node: string) => `${k}node:${node}:pages`,
  visitor: (visitorId: string) => `${k}pv:${visitorId}`,
  sitePresent: (siteKey: string) => `${k}present:${siteKey}`,
  present: `${k}present`,
  invite: (id: string) => `${k}invite:${id}`,
  inviteToken: (token: string) => `${k}invite-token:${token}`,
});

export class RedisRegistry implements Registry {
  readonly node: string;
  private readonly key: ReturnType<typeof redisKeys>;
  private readonly k: string;
  private readonly beat: NodeJS.Timeout;
  /** Since when the connection has been up: a node just back from an outage reaps no one until the others had time to beat. */
  private upSince = Date.now();

  constructor(
    private readonly redis: Redis,
    private readonly options: RedisRegistryOptions,
  ) {
    this.k = options.prefix;
    this.key = redisKeys(options.prefix);
    this.node = options.node ?? randomUUID();
    this.beat = setInterval(() => void this.beatOnce(), BEAT_MS);
    this.beat.unref();
  }

  /** Beats once now; call before serving. */
  async start(): Promise<void> {
    await this.redis.zAdd(this.key.nodes, { score: Date.now(), value: this.node });
  }

  /** The connection came back (Redis restarted, or the network): count the outage as silence for nobody. */
  reconnected(): void {
    this.upSince = Date.now();
    void this.beatOnce();
  }

  private async beatOnce(): Promise<void> {
    // The connection was closed under a registry nobody closed: there is nothing left to beat for.
    if (!this.redis.isOpen) return clearInterval(this.beat);
    try {
      const added = await this.redis.zAdd(this.key.nodes, { score: Date.now(), value: this.node });
      // Added rather than updated: another node reaped this one (and ZADD put it back).
      if (added === 1 && this.started) this.options.onTakenForDead?.();
      this.started = true;
    } catch (err) {
      this.options.report(err);
    }
  }

  private started = false;

  // ---- the compare-and-set ---------------------------------------------------------

  private async cas(key: string, before: string, after: string, ops: Op[] = []): Promise<unknown[] | null> {
    const reply = (await CAS.run(this.redis, [key], [before, after, ops.length > 0 ? JSON.stringify(ops) : ''])) as unknown[];
    return reply[0] === 1 ? reply.slice(1) : null;
  }

  /**
   * Reads a session, lets `change` change it, and writes it back only if nobody wrote it meanwhile
   * (else reads again). `change` returns what to answer and whether anything changed; its ops run in
   * the same step. Null when the session is not live.
   */
  private async update<R>(
    id: string,
    change: (e: Entry) => { result: R; write: boolean; ops?: Op[] },
  ): Promise<{ result: R; replies: unknown[] } | null> {
    const key = this.key.session(id);
    for (let i = 0; i < MAX_TRIES; i++) {
      const raw = await this.redis.get(key);
      if (raw === null) return null;
      const e = JSON.parse(raw) as Entry;
      const expiresBefore = e.session.expiresAt;
      const { result, write, ops = [] } = change(e);
      if (!write) return { result, replies: [] };
      // The expiry index follows the document.
      if (e.session.expiresAt !== expiresBefore) {
        ops.push(e.session.expiresAt === null ? ['ZREM', this.key.expiry, id] : ['ZADD', this.key.expiry, String(e.session.expiresAt), id]);
      }
      const replies = await this.cas(key, raw, JSON.stringify(e), ops);
      if (replies) return { result, replies };
    }
    throw new Error(`The live session ${id} kept changing under this node: gave up after ${MAX_TRIES} tries.`);
  }

  private async entry(id: string): Promise<Entry | null> {
    const raw = await this.redis.get(this.key.session(id));
    return raw === null ? null : (JSON.parse(raw) as Entry);
  }

  private async entries(ids: string[]): Promise<Entry[]> {
    if (ids.length === 0) return [];
    const raws = await this.redis.mGet(ids.map((id) => this.key.session(id)));
    return raws.filter((r): r is string => r !== null).map((r) => JSON.parse(r) as Entry);
  }

  private owner(e: Entry, node = this.node): Owner {
    let o = e.owners.find((x) => x.node === node);
    if (!o) e.owners.push((o = { node, visitors: 0, agents: [] }));
    return o;
  }

  // ---- sessions ---------------------------------------------------------------------

  async createSession(input: NewSession): Promise<{ session: LiveSession; resumeToken: string }> {
    const id = randomUUID();
    let code = randomCode();
    while ((await this.redis.set(this.key.code(code), id, { NX: true })) !== 'OK') code = randomCode();
    const resumeToken = newToken();
    const session = newSession(id, code, input, Date.now());
    const entry: Entry = { session, resumeHashes: [hashToken(resumeToken)], handoffs: [], colors: [], owners: [] };
    await this.cas(this.key.session(id), '', JSON.stringify(entry), [
      ['SADD', this.key.live, id],
      ['SADD', this.key.siteSessions(input.siteKey), id],
      ['ZADD', this.key.expiry, String(session.expiresAt), id],
    ]);
    return { session: copySession(session), resumeToken };
  }

  async getSession(id: string): Promise<LiveSession | null> {
    return (await this.entry(id))?.session ?? null;
  }

  async findByCode(code: string): Promise<LiveSession | null> {
    const digits = code.replace(/\D/g, '');
    if (digits.length !== limits.codeLength) return null;
    const id = await this.redis.get(this.key.code(digits));
    return id === null ? null : this.getSession(id);
  }

  async listSessions(): Promise<LiveSession[]> {
    return (await this.entries(await this.redis.sMembers(this.key.live))).map((e) => e.session);
  }

  async sessionWithSeq(id: string): Promise<{ session: LiveSession; seq: number } | null> {
    const [raw, seq] = (await this.redis.multi().get(this.key.session(id)).get(this.key.seq(id)).exec()) as unknown as [
      string | null,
      string | null,
    ];
    return raw === null ? null : { session: (JSON.parse(raw) as Entry).session, seq: Number(seq ?? 0) };
  }

  async checkResume(id: string, resumeToken: string): Promise<LiveSession | null> {
    const e = await this.entry(id);
    return e && e.resumeHashes.includes(hashToken(resumeToken)) ? e.session : null;
  }

  async issueHandoff(id: string, origin: string): Promise<string | null> {
    const token = newToken();
    const hash = hashToken(token);
    const done = await this.update(id, (e) => {
      const ops: Op[] = [];
      while (e.handoffs.length >= MAX_PENDING_HANDOFFS) ops.push(['DEL', this.key.handoff(e.handoffs.shift()!)]);
      e.handoffs.push(hash);
      ops.push(['SET', this.key.handoff(hash), JSON.stringify({ sessionId: id, origin }), 'PX', String(limits.handoffTtlMs)]);
      return { result: token, write: true, ops };
    });
    return done?.result ?? null;
  }

  async redeemHandoff(
    token: string,
    from: string | null,
    consented: boolean,
  ): Promise<{ session: LiveSession; resumeToken: string } | 'consent' | null> {
    const hash = hashToken(token);
    const raw = await this.redis.get(this.key.handoff(hash));
    if (raw === null) return null;
    const h = JSON.parse(raw) as { sessionId: string; origin: string };
    const resumeToken = newToken();
    type Redeemed = { session: LiveSession; resumeToken: string } | 'consent' | null;
    const done = await this.update<Redeemed>(h.sessionId, (e) => {
      if (!e.handoffs.includes(hash)) return { result: null, write: false };
      if (from !== h.origin && !consented) return { result: 'consent' as const, write: false };
      e.handoffs = e.handoffs.filter((x) => x !== hash);
      addResumeHash(e.resumeHashes, hashToken(resumeToken));
      return { result: { session: copySession(e.session), resumeToken }, write: true, ops: [['DEL', this.key.handoff(hash)]] };
    });
    if (!done) await this.redis.del(this.key.handoff(hash));
    return done?.result ?? null;
  }

  async setMode(id: string, mode: Mode, onlyLower = false): Promise<{ previous: Mode; raised: boolean } | null> {
    const done = await this.update(id, (e) => {
      const changed = changeMode(e.session, mode, onlyLower);
      return { result: changed, write: changed !== null };
    });
    return done?.result ?? null;
  }

  async setVisitorName(id: string, name: string | null): Promise<boolean> {
    return !!(await this.update(id, (e) => {
      e.session.visitorName = name;
      return { result: true, write: true };
    }));
  }

  async setVisitorPlatform(id: string, platform: PlatformInfo): Promise<boolean> {
    const done = await this.update(id, (e) => {
      const changed = changePlatform(e.session, platform);
      return { result: changed, write: changed };
    });
    return done?.result ?? false;
  }

  async setSelectorReport(report: SelectorReport): Promise<boolean> {
    return !!(await this.update(report.sessionId, (e) => {
      e.report = report;
      return { result: true, write: true };
    }));
  }

  async selectorReports(siteKey: string, limit: number): Promise<SelectorReport[]> {
    return (await this.entries(await this.redis.sMembers(this.key.siteSessions(siteKey))))
      .filter((e) => e.session.siteKey === siteKey && e.report)
      .map((e) => e.report!)
      .sort((a, b) => b.at.localeCompare(a.at))
      .slice(0, limit);
  }

  async visitorConnected(id: string): Promise<{ first: boolean; started: boolean } | null> {
    const done = await this.update(id, (e) => {
      this.owner(e).visitors++;
      return { result: connectVisitor(e.session, Date.now()), write: true, ops: [['SADD', this.key.nodeSessions(this.node), id]] };
    });
    return done?.result ?? null;
  }

  async visitorDisconnected(id: string, graceMs: number, node = this.node): Promise<{ last: boolean } | null> {
    const done = await this.update(id, (e) => {
      const o = this.owner(e, node);
      // Already taken off (this node was reaped for dead meanwhile): counted once, not twice.
      if (o.visitors === 0) return { result: { last: false }, write: false };
      o.visitors--;
      return { result: disconnectVisitor(e.session, graceMs, Date.now()), write: true };
    });
    return done?.result ?? null;
  }

  async agentConnected(id: string, agent: AgentInfo): Promise<{ first: boolean; color: string } | null> {
    const done = await this.update(id, (e) => {
      const o = this.owner(e);
      const mine = o.agents.find((a) => a.id === agent.id);
      if (mine) mine.sockets++;
      else o.agents.push({ id: agent.id, sockets: 1 });
      return { result: connectAgent(e.session, e.colors, agent), write: true, ops: [['SADD', this.key.nodeSessions(this.node), id]] };
    });
    return done?.result ?? null;
  }

  async agentDisconnected(
    id: string,
    agentId: string,
    node = this.node,
  ): Promise<{ last: boolean; agent: AgentInfo; holder?: string | null } | null> {
    const done = await this.update(id, (e) => {
      const mine = this.owner(e, node).agents.find((a) => a.id === agentId);
      if (!mine || mine.sockets === 0) return { result: null, write: false };
      mine.sockets--;
      return { result: disconnectAgent(e.session, agentId), write: true };
    });
    return done?.result ?? null;
  }

  async handOver(id: string, from: string, to: string, force = false): Promise<boolean> {
    const done = await this.update(id, (e) => {
      const handed = handOverControls(e.session, from, to, force);
      return { result: handed, write: handed };
    });
    return done?.result ?? false;
  }

  async nextSeq(id: string): Promise<number | null> {
    const n = await NEXT_SEQ.run(this.redis, [this.key.session(id), this.key.seq(id)], []);
    return typeof n === 'number' ? n : null;
  }

  async endSession(id: string, _reason: EndReason): Promise<(LiveSession & { finalSeq: number }) | null> {
    const key = this.key.session(id);
    for (let i = 0; i < MAX_TRIES; i++) {
      const raw = await this.redis.get(key);
      if (raw === null) return null;
      const e = JSON.parse(raw) as Entry;
      const replies = await this.cas(key, raw, '', [
        ['INCR', this.key.seq(id)],
        ['DEL', this.key.seq(id)],
        ['DEL', this.key.code(e.session.code)],
        ['SREM', this.key.live, id],
        ['SREM', this.key.siteSessions(e.session.siteKey), id],
        ['ZREM', this.key.expiry, id],
        ...e.handoffs.map((hash) => ['DEL', this.key.handoff(hash)]),
        // Off every node's list too, or a long-lived node's list would hold every session it ever served.
        ...e.owners.map((o) => ['SREM', this.key.nodeSessions(o.node), id]),
      ]);
      if (replies) return { ...e.session, finalSeq: Number(replies[0]) };
    }
    throw new Error(`The live session ${id} kept changing while it was ended.`);
  }

  async claimExpired(now: number): Promise<string[]> {
    const due = await this.redis.zRangeByScore(this.key.expiry, 0, now, { LIMIT: { offset: 0, count: 500 } });
    const claimed: string[] = [];
    for (const id of due) {
      const done = await this.update(id, (e) => {
        const expired = e.session.expiresAt !== null && e.session.expiresAt <= now;
        if (expired) e.session.expiresAt = null;
        return { result: expired, write: expired };
      });
      if (!done) await this.redis.zRem(this.key.expiry, id);
      else if (done.result) claimed.push(id);
    }
    return claimed;
  }

  async reapDeadNodes(graceMs: number): Promise<ReapedSocket[]> {
    const now = Date.now();
    // Back from an outage: the other nodes have not had time to beat since; nobody is dead yet.
    const deadAfter = this.options.deadAfterMs ?? DEAD_AFTER_MS;
    if (now - this.upSince < deadAfter) return [];
    const reaped: ReapedSocket[] = [];
    for (const node of await this.redis.zRangeByScore(this.key.nodes, 0, now - deadAfter)) {
      // One node reaps each dead node: the one whose ZREM took it off.
      if (node === this.node || (await this.redis.zRem(this.key.nodes, node)) !== 1) continue;
      for (const id of await this.redis.sMembers(this.key.nodeSessions(node))) reaped.push(...(await this.reapSession(id, node, graceMs)));
      for (const page of await this.redis.sMembers(this.key.nodePages(node))) {
        const [visitorId = '', pageId = ''] = page.split('\n');
        await this.presenceGone(visitorId, pageId);
      }
      await this.redis.del([this.key.nodeSessions(node), this.key.nodePages(node)]);
    }
    return reaped;
  }

  /** Takes a dead node's sockets off one session, one close at a time, as they would have closed. */
  private async reapSession(id: string, node: string, graceMs: number): Promise<ReapedSocket[]> {
    const e = await this.entry(id);
    const o = e?.owners.find((x) => x.node === node);
    if (!e || !o) return [];
    const at = { sessionId: id, siteKey: e.session.siteKey };
    const out: ReapedSocket[] = [];
    for (let i = 0; i < o.visitors; i++) {
      const gone = await this.visitorDisconnected(id, graceMs, node);
      if (gone) out.push({ ...at, kind: 'visitor', last: gone.last });
    }
    for (const a of o.agents) {
      for (let i = 0; i < a.sockets; i++) {
        const left = await this.agentDisconnected(id, a.id, node);
        if (left) out.push({ ...at, kind: 'agent', ...left });
      }
    }
    await this.update(id, (x) => {
      x.owners = x.owners.filter((y) => y.node !== node);
      return { result: true, write: true };
    });
    return out;
  }

  // ---- presence -------------------------------------------------------------------

  async presenceHere(visitor: PresentVisitor, bounds: { total: number; perSite: number }): Promise<boolean> {
    const key = this.key.visitor(visitor.visitorId);
    for (let i = 0; i < MAX_TRIES; i++) {
      const raw = await this.redis.get(key);
      // A bound against floods, checked before the write: nodes racing may pass it by a few.
      if (raw === null) {
        const [total, ofSite] = await Promise.all([this.redis.zCard(this.key.present), this.redis.zCard(this.key.sitePresent(visitor.siteKey))]);
        if (total >= bounds.total || ofSite >= bounds.perSite) return false;
      }
      const pages: PresencePages<StoredPage> = raw === null ? { listed: null, older: [] } : (JSON.parse(raw) as PresencePages<StoredPage>);
      const replaced = pageHere(pages, { ...visitor, node: this.node });
      const since = String(Date.parse(visitor.since) || Date.now());
      const ops: Op[] = [
        ['SADD', this.key.nodePages(this.node), `${visitor.visitorId}\n${visitor.pageId}`],
        ['ZADD', this.key.sitePresent(visitor.siteKey), since, visitor.visitorId],
        ['ZADD', this.key.present, since, visitor.visitorId],
      ];
      if (replaced && replaced.siteKey !== visitor.siteKey) ops.push(['ZREM', this.key.sitePresent(replaced.siteKey), visitor.visitorId]);
      if (await this.cas(key, raw ?? '', JSON.stringify(pages), ops)) return true;
    }
    return false;
  }

  async presenceGone(visitorId: string, pageId: string): Promise<void> {
    const key = this.key.visitor(visitorId);
    for (let i = 0; i < MAX_TRIES; i++) {
      const raw = await this.redis.get(key);
      if (raw === null) return;
      const pages = JSON.parse(raw) as PresencePages<StoredPage>;
      const page = [pages.listed, ...pages.older].find((p) => p?.pageId === pageId);
      const gone = pageGone(pages, pageId);
      const ops: Op[] = page ? [['SREM', this.key.nodePages(page.node), `${visitorId}\n${pageId}`]] : [];
      if (gone) {
        ops.push(['ZREM', this.key.sitePresent(gone.unlisted.siteKey), visitorId]);
        if (gone.listed) {
          const since = String(Date.parse(gone.listed.since) || Date.now());
          ops.push(['ZADD', this.key.sitePresent(gone.listed.siteKey), since, visitorId], ['ZADD', this.key.present, since, visitorId]);
        } else ops.push(['ZREM', this.key.present, visitorId]);
      }
      if (await this.cas(key, raw, pages.listed ? JSON.stringify(pages) : '', ops)) return;
    }
  }

  /** The listed page of each of these visitors, in the order given. */
  private async listed(visitorIds: string[]): Promise<PresentVisitor[]> {
    if (visitorIds.length === 0) return [];
    const raws = await this.redis.mGet(visitorIds.map((v) => this.key.visitor(v)));
    const out: PresentVisitor[] = [];
    for (const raw of raws) {
      const listed = raw === null ? null : (JSON.parse(raw) as PresencePages<StoredPage>).listed;
      if (!listed) continue;
      const { node: _node, ...visitor } = listed;
      out.push(visitor);
    }
    return out;
  }

  async presenceList(siteKey: string, query: string, limit: number): Promise<PresentVisitor[]> {
    const q = query.trim().toLowerCase();
    const matches = (v: PresentVisitor) =>
      !q || [v.identity.name, v.identity.email, v.identity.uniqueId, v.visitorId].some((f) => f?.toLowerCase().includes(q));
    const ids = await this.redis.zRange(this.key.sitePresent(siteKey), 0, -1, { REV: true });
    return (await this.listed(ids)).filter((v) => v.siteKey === siteKey && matches(v)).slice(0, limit);
  }

  async presenceFind(siteKey: string | null, who: { visitorId?: string; shortId?: string; uniqueId?: string }): Promise<PresentVisitor | null> {
    const ofSite = (v: PresentVisitor | undefined) => (v && (siteKey === null || v.siteKey === siteKey) ? v : null);
    if (who.visitorId) return ofSite((await this.listed([who.visitorId]))[0]);
    if (!who.shortId && !who.uniqueId) return null;
    const all = await this.listed(await this.redis.zRange(siteKey === null ? this.key.present : this.key.sitePresent(siteKey), 0, -1));
    const found = (test: (v: PresentVisitor) => boolean) => all.find((v) => ofSite(v) && test(v)) ?? null;
    if (who.shortId) return found((v) => v.shortId === who.shortId);
    return found((v) => v.identity.uniqueId === who.uniqueId);
  }

  async createInvite(visitor: PresentVisitor, agentName: string, ttlMs: number): Promise<Invite> {
    const invite = newInvite(visitor, agentName, ttlMs, Date.now());
    // Kept a while past its expiry, so the agent polling it reads "expired" rather than nothing.
    const keep = inviteKeptFor(ttlMs);
    await this.redis
      .multi()
      .set(this.key.invite(invite.id), JSON.stringify(invite), { PX: keep })
      .set(this.key.inviteToken(invite.token), invite.id, { PX: keep })
      .exec();
    return invite;
  }

  async getInvite(id: string): Promise<Invite | null> {
    const raw = await this.redis.get(this.key.invite(id));
    if (raw === null) return null;
    return inviteAsRead(JSON.parse(raw) as Invite, Date.now());
  }

  async inviteByToken(token: string): Promise<Invite | null> {
    const id = await this.redis.get(this.key.inviteToken(token));
    return id === null ? null : this.getInvite(id);
  }

  async answerInvite(token: string, answer: { accepted: false } | { accepted: true; sessionId: string; code: string }): Promise<boolean> {
    const id = await this.redis.get(this.key.inviteToken(token));
    if (id === null) return false;
    const key = this.key.invite(id);
    for (let i = 0; i < MAX_TRIES; i++) {
      const raw = await this.redis.get(key);
      if (raw === null) return false;
      const invite = JSON.parse(raw) as Invite;
      if (!inviteOpen(invite, Date.now())) return false;
      if (answer.accepted) Object.assign(invite, { state: 'accepted', sessionId: answer.sessionId, code: answer.code });
      else invite.state = 'declined';
      const ttl = await this.redis.pTTL(key);
      if (await this.cas(key, raw, JSON.stringify(invite), ttl > 0 ? [['PEXPIRE', key, String(ttl)]] : [])) return true;
    }
    return false;
  }

  async spendTicket(id: string, ttlMs: number): Promise<boolean> {
    return (await this.redis.set(this.key.ticket(id), '1', { NX: true, PX: ttlMs })) === 'OK';
  }

  /** One limiter per key prefix; while Redis is away, each node counts on its own rather than letting everything through. */
  private readonly limiters = new Map<string, RateLimiterAbstract>();

  rateLimiter(limit: RateLimit): RateLimiterAbstract {
    let limiter = this.limiters.get(limit.keyPrefix);
    if (!limiter) {
      const opts = { keyPrefix: limit.keyPrefix, points: limit.points, duration: limit.duration, blockDuration: limit.blockDuration ?? 0 };
      limiter = new RateLimiterRedis({
        ...opts,
        keyPrefix: `${this.k}rl:${limit.keyPrefix}`,
        storeClient: this.redis,
        useRedisPackage: true,
        rejectIfRedisNotReady: true,
        insuranceLimiter: new RateLimiterMemory(opts),
      });
      this.limiters.set(limit.keyPrefix, limiter);
    }
    return limiter;
  }

  /**
   * This node stops beating, and says it is gone at once (a beat of 0): the app drained its sockets
   * first, and whatever a drain cut short is reaped by the next node that looks. The connection is the caller's.
   */
  async close(): Promise<void> {
    clearInterval(this.beat);
    try {
      await this.redis.zAdd(this.key.nodes, { score: 0, value: this.node });
    } catch (err) {
      this.options.report(err);
    }
  }
}
