/**
 * The live seam: everything live that another node of a cluster must see —
 * sessions and their codes, who is connected, the mode, hand-off and resume
 * tokens, expiry, presence and invites, rate-limit counters — behind one async
 * interface. In memory by default (memory-registry.ts); Redis implements the
 * same calls and passes the same contract suite (test/server/registry-contract.ts).
 *
 * The registry holds state; it sends nothing. Rooms (room.ts) own the sockets
 * and publish; gateways and routes call the registry and the rooms, never each other.
 */
import type { AgentInfo, EndReason, Identity, Mode, PlatformInfo } from '@tandem/protocol';
import type { RateLimiterAbstract } from 'rate-limiter-flexible';

/** A live session as every node sees it: plain data, so it can live in Redis. */
export interface LiveSession {
  id: string;
  code: string;
  siteKey: string;
  visitorName: string | null;
  /** The visitor's short id (sites with presence on), so a watch URL asked for it finds this session. */
  shortId: string | null;
  /** What agents may do now; the visitor sets it, the server checks each action's floor against it. */
  mode: Mode;
  /** The most the visitor has allowed so far (kept in the session's metadata). */
  maxMode: Mode;
  createdAt: string;
  /** Visitor sockets open now, on any node: briefly two while a page hands over to the next. */
  visitorSockets: number;
  /** A visitor socket has been open at least once (the first one starts the session). */
  started: boolean;
  /** Since when a visitor socket has been open without a break (ISO time); null while none is. */
  activeSince: string | null;
  /** Agents connected now, in join order, with their colour and how many sockets each has open (on any node). */
  agents: (AgentInfo & { color: string; sockets: number })[];
  /**
   * The agent who holds the controls: only its clicks, typing, scrolls and addresses reach the page
   * (every agent points, highlights and draws). The first agent to join; handed over by the holder;
   * the next agent in join order when the holder leaves; null while no agent is there.
   */
  controlBy: string | null;
  /** When the session ends unless a visitor socket opens first (ms since the epoch); null while one is open. */
  expiresAt: number | null;
  /** The visitor's browser as their page last said it; absent until it has (never journaled: each page says it again). */
  visitorPlatform?: PlatformInfo;
}

/** One of the site's rules and how many elements it matched on the page (null: not a selector there). */
export interface RuleCount {
  selector: string;
  count: number | null;
}

/** What a live page last said the site's rules match there: metadata, never content (and not journaled). */
export interface SelectorReport {
  sessionId: string;
  /** The page, without query or fragment. */
  url: string;
  /** When the page said it (ISO time). */
  at: string;
  selectors: RuleCount[];
  blockSelectors: RuleCount[];
}

/** What of a live session outlives the process that held it: enough to resume it (who is connected does not). */
export type JournaledSession = Pick<LiveSession, 'id' | 'code' | 'siteKey' | 'visitorName' | 'shortId' | 'mode' | 'maxMode' | 'createdAt'> & {
  /** Hashes of the resume tokens the visitor holds (never the tokens). */
  resumeHashes: string[];
  /** The event stream's number when it was written; the stream goes on past it after a restart. */
  seq: number;
};

/**
 * Where the embedded registry writes live sessions as they change, so that a
 * restart on the same data directory (after a crash too) resumes them: the
 * visitor's page and the agent's viewer come back with their tokens and go on
 * under the same code. The SQLite store is one; a cluster's registry (Redis)
 * needs none.
 */
export interface LiveJournal {
  saveLive(session: JournaledSession): Promise<void>;
  removeLive(id: string): Promise<void>;
  loadLive(): Promise<JournaledSession[]>;
}

export interface NewSession {
  siteKey: string;
  identity: Identity;
  mode: Mode;
  shortId?: string | null;
  /** How long the visitor has to connect (and, later, to come back after each page). */
  graceMs: number;
}

export type InviteState = 'pending' | 'accepted' | 'declined' | 'expired';

export interface Invite {
  /** What the agent polls with. */
  id: string;
  /** What only the invited page receives, and answers with. */
  token: string;
  visitorId: string;
  siteKey: string;
  agentName: string;
  state: InviteState;
  sessionId?: string;
  code?: string;
  expires: number;
}

export interface PresentVisitor {
  visitorId: string;
  /** Derived from the visitor id (short-ids.ts): what the visitor reads out, and watch URLs are asked for. */
  shortId: string;
  siteKey: string;
  identity: Omit<Identity, 'signature'>;
  /** The unique id carries the site's signature (see Sites.checkIdentity). */
  verified: boolean;
  url: string;
  title: string;
  platform: PlatformInfo;
  /** When this visitor's current page said it was here. */
  since: string;
  /** The page's socket, server-chosen: invites go to the visitor's latest page, through the bus. */
  pageId: string;
}

export interface RateLimit {
  /** Counters of different limits never mix. */
  keyPrefix: string;
  points: number;
  /** Window in seconds. */
  duration: number;
  /** Once over, refuse for this long (seconds). */
  blockDuration?: number;
}

/**
 * A socket of a node that stopped without closing it (SIGKILL, a lost machine), taken off its session
 * by the node that noticed: as if it had closed, so the session's roster, controls and grace go on.
 */
export type ReapedSocket = { sessionId: string; siteKey: string } & (
  { kind: 'visitor'; last: boolean } | { kind: 'agent'; last: boolean; agent: AgentInfo; holder?: string | null }
);

export interface Registry {
  // ---- sessions ----
  /** A new session with a code no live session has. */
  createSession(input: NewSession): Promise<{ session: LiveSession; resumeToken: string }>;
  getSession(id: string): Promise<LiveSession | null>;
  /** Digits only count: "123 456" finds 123456. */
  findByCode(code: string): Promise<LiveSession | null>;
  listSessions(): Promise<LiveSession[]>;
  /**
   * The session and the number of its latest event, read together: every event numbered up to
   * `seq` is reflected in the session, so a follower of the stream that reads this after
   * subscribing drops what it buffered up to `seq` and misses nothing after it.
   */
  sessionWithSeq(id: string): Promise<{ session: LiveSession; seq: number } | null>;
  /** The session, when this resume token is one the visitor was given for it. */
  checkResume(id: string, resumeToken: string): Promise<LiveSession | null>;
  /** A one-time token carrying the session to another origin of the site; remembers the origin that asked. */
  issueHandoff(id: string, origin: string): Promise<string | null>;
  /**
   * Spends a hand-off token: the session and a new resume token for the new
   * origin. `'consent'` when the visitor came from elsewhere than the origin
   * that asked and has not agreed again (the token stays unspent).
   */
  redeemHandoff(
    token: string,
    from: string | null,
    consented: boolean,
  ): Promise<{ session: LiveSession; resumeToken: string } | 'consent' | null>;
  /**
   * Null when the session is gone or already in that mode, or (`onlyLower`) when `mode` is not
   * below the current one: checked and set at once, so a lowering cannot turn into a raise.
   */
  setMode(id: string, mode: Mode, onlyLower?: boolean): Promise<{ previous: Mode; raised: boolean } | null>;
  setVisitorName(id: string, name: string | null): Promise<boolean>;
  /** True when the platform differs from what the session had (agents are told only then). */
  setVisitorPlatform(id: string, platform: PlatformInfo): Promise<boolean>;
  /** Keeps a page's latest report on the site's rules; false when the session is gone. */
  setSelectorReport(report: SelectorReport): Promise<boolean>;
  /** The latest reports of the site's live sessions, the most recent first, at most `limit`. */
  selectorReports(siteKey: string, limit: number): Promise<SelectorReport[]>;
  /** A visitor socket opened: `first` when none was open, `started` when it is the very first. */
  visitorConnected(id: string): Promise<{ first: boolean; started: boolean } | null>;
  /** A visitor socket closed: `last` when none is left; the session then expires after `graceMs`. */
  visitorDisconnected(id: string, graceMs: number): Promise<{ last: boolean } | null>;
  /**
   * `first` when this is the agent's first socket in the session (they just joined); `color`
   * is the agent's in this session (AGENT_COLORS in join order), the same if it leaves and comes back.
   */
  agentConnected(id: string, agent: AgentInfo): Promise<{ first: boolean; color: string } | null>;
  /** `last` when this was the agent's last socket in the session; `holder` the new holder of the controls when it changed. */
  agentDisconnected(id: string, agentId: string): Promise<{ last: boolean; agent: AgentInfo; holder?: string | null } | null>;
  /**
   * Gives the controls to `to` (an agent in the session), checked and set at once: only when `from`
   * holds them or nobody does, or (`force`: an admin takes them) whoever holds them. False otherwise
   * (`from` lost them meanwhile, `to` is not there).
   */
  handOver(id: string, from: string, to: string, force?: boolean): Promise<boolean>;
  /** The next number of the session's event stream, from 1; null once it ended (nothing follows `ended`). */
  nextSeq(id: string): Promise<number | null>;
  /**
   * Ends the session: the session as it was, with the number of its last event (`ended`), for
   * exactly one caller (null for every other).
   */
  endSession(id: string, reason: EndReason): Promise<(LiveSession & { finalSeq: number }) | null>;
  /** Sessions whose time ran out; each id is returned to one caller only. */
  claimExpired(now: number): Promise<string[]>;
  /**
   * The sockets (and present pages) of nodes that stopped beating, each taken off the registry by
   * one caller only. A registry that lives in one process has no other node, and returns none.
   */
  reapDeadNodes(graceMs: number): Promise<ReapedSocket[]>;

  // ---- presence ----
  /** Records a page; a visitor with several tabs counts once, on their latest page. False when over a bound. */
  presenceHere(visitor: PresentVisitor, limits: { total: number; perSite: number }): Promise<boolean>;
  /** That page went: removed unless a newer page of the visitor replaced it. */
  presenceGone(visitorId: string, pageId: string): Promise<void>;
  /** Visitors of a site, newest first; `query` matches name, email, unique id or visitor id. */
  presenceList(siteKey: string, query: string, limit: number): Promise<PresentVisitor[]>;
  /**
   * The present visitor with this visitor id, short id or, failing those, this unique id of the
   * site (`siteKey` null: of any site, for an admin).
   */
  presenceFind(siteKey: string | null, who: { visitorId?: string; shortId?: string; uniqueId?: string }): Promise<PresentVisitor | null>;
  createInvite(visitor: PresentVisitor, agentName: string, ttlMs: number): Promise<Invite>;
  getInvite(id: string): Promise<Invite | null>;
  inviteByToken(token: string): Promise<Invite | null>;
  /** Only a pending invite changes; false otherwise. */
  answerInvite(token: string, answer: { accepted: false } | { accepted: true; sessionId: string; code: string }): Promise<boolean>;

  // ---- tickets ----
  /** True the first time a ticket's id is spent (it opens one socket); false ever after, until `ttlMs` passes. */
  spendTicket(id: string, ttlMs: number): Promise<boolean>;

  // ---- rate limits ----
  /** A limiter whose counters every node shares (rate-limiter-flexible: memory here, Redis in a cluster). */
  rateLimiter(limit: RateLimit): RateLimiterAbstract;

  close(): Promise<void>;
}
