/**
 * Metadata at rest: agents, API keys, sessions. Never page content: sessions are
 * relayed, not recorded. SQLite is the embedded default; PostgreSQL (DATABASE_URL),
 * shared by every node of a cluster, is behind the same interface (store/open.ts).
 */
import type { EndReason, Mode } from '@tandem/protocol';
import type { LiveJournal } from '../live/registry.js';
import type { WebhookStore } from './webhook-store.js';
import type { AuditEntry, AuditFields } from '../audit/chain.js';

export interface AgentRecord {
  id: string;
  email: string;
  name: string;
  role: 'admin' | 'agent';
  passwordHash: string;
  createdAt: string;
  /** Set while the agent may not sign in (their sign-ins are revoked when it is set). */
  disabledAt: string | null;
}

export interface AgentPatch {
  name?: string;
  role?: 'admin' | 'agent';
  disabledAt?: string | null;
}

/** One agent cookie, by its jti: it counts only while this row exists and is not revoked. */
export interface SignInRecord {
  jti: string;
  agentId: string;
  createdAt: string;
  expiresAt: string;
  revokedAt: string | null;
}

export interface SiteRecord {
  key: string;
  name: string;
  createdAt: string;
}

export interface ApiKeyRecord {
  id: string;
  name: string;
  hash: string;
  createdAt: string;
  /** The site the key belongs to; null for an admin key. */
  siteKey: string | null;
  admin: boolean;
  /** When an admin revoked it: from then on it opens nothing (kept, so the list says what was). */
  revokedAt?: string | null;
}

export interface SessionRecord {
  id: string;
  siteKey: string;
  code: string;
  visitorName: string | null;
  visitorEmail: string | null;
  visitorUniqueId: string | null;
  startUrl: string | null;
  createdAt: string;
  endedAt: string | null;
  endReason: EndReason | null;
  /** The most the visitor allowed agents during the session (view, navigate, control). */
  maxMode: Mode | null;
}

export interface SessionAgentRecord {
  agentId: string;
  agentName: string;
  joinedAt: string;
}

/** An agent who joined a session, as the sessions list names them. */
export type SessionListAgent = Pick<SessionAgentRecord, 'agentId' | 'agentName'>;

/** Also the embedded registry's journal (live/registry.ts): live sessions outlive the process. */
export interface Store extends LiveJournal {
  countAgents(): Promise<number>;
  createAgent(agent: AgentRecord): Promise<void>;
  findAgentByEmail(email: string): Promise<AgentRecord | undefined>;
  findAgentById(id: string): Promise<AgentRecord | undefined>;
  listAgents(): Promise<AgentRecord[]>;
  updateAgent(id: string, patch: AgentPatch): Promise<void>;

  createSignIn(signIn: SignInRecord): Promise<void>;
  findSignIn(jti: string): Promise<SignInRecord | undefined>;
  /** Revokes one sign-in; inserts a revoked row when none exists (a cookie from before sign-ins were recorded). */
  revokeSignIn(jti: string, agentId: string, at: string, expiresAt: string): Promise<void>;
  revokeAgentSignIns(agentId: string, at: string): Promise<void>;
  /** Deletes sign-ins that expired before `before`. */
  purgeSignIns(before: string): Promise<void>;

  listSites(): Promise<SiteRecord[]>;
  createSite(site: SiteRecord): Promise<void>;

  createApiKey(key: ApiKeyRecord): Promise<void>;
  findApiKeyByHash(hash: string): Promise<ApiKeyRecord | undefined>;
  findApiKeyById(id: string): Promise<ApiKeyRecord | undefined>;
  listApiKeys(): Promise<ApiKeyRecord[]>;
  /** Revokes a key; false when there is no such key or it was revoked already. */
  revokeApiKey(id: string, at: string): Promise<boolean>;

  createSession(session: SessionRecord): Promise<void>;
  endSession(id: string, endedAt: string, reason: EndReason): Promise<void>;
  /** Records the mode as the most the visitor allowed, when it is more than before. */
  raiseSessionMode(id: string, mode: Mode): Promise<void>;
  /**
   * Ends the sessions the store still has open but that are not live (the
   * process that held them died): after a crash no row stays `ended_at: null`
   * for ever, out of the retention purge's reach. Returns how many.
   */
  endDangling(endedAt: string, reason: EndReason, isLive: (id: string) => Promise<boolean>): Promise<number>;
  addSessionAgent(sessionId: string, agent: SessionAgentRecord): Promise<void>;
  getSession(id: string): Promise<(SessionRecord & { agents: SessionAgentRecord[] }) | undefined>;
  /** Newest first, each with the agents who joined it: each agent once, named as at their first join. */
  listSessions(options: { limit: number; active?: boolean; siteKey?: string }): Promise<(SessionRecord & { agents: SessionListAgent[] })[]>;
  /** Which of these sessions the agent joined. */
  joinedSessions(agentId: string, sessionIds: string[]): Promise<Set<string>>;
  /** Deletes sessions that ended before `before`, with their audit trails; returns how many. */
  purgeSessions(before: string): Promise<number>;

  /** Appends to the session's audit chain, linked to its last entry as the store has it (audit/chain.ts). */
  appendAudit(fields: Omit<AuditFields, 'position'>): Promise<AuditEntry>;
  /** A session's audit entries in chain order, after the one at position `after`. */
  listAudit(sessionId: string, options: { after?: number; limit: number }): Promise<AuditEntry[]>;
  /** The sessions that have audit entries. */
  auditSessionIds(): Promise<string[]>;

  /** A value the server keeps between restarts (site settings, sealed identity secrets). */
  getSetting(key: string): Promise<string | undefined>;
  setSetting(key: string, value: string): Promise<void>;
  deleteSetting(key: string): Promise<void>;

  /** Webhook endpoints and their delivery queue. */
  readonly webhooks: WebhookStore;

  /**
   * Runs `work` while no other node sharing this database runs its own (the first-start work:
   * nodes starting together create one admin and agree on the server secret).
   */
  exclusively<T>(work: () => Promise<T>): Promise<T>;

  close(): Promise<void>;
}
