/**
 * Metadata at rest: agents, API keys, sessions. Never page content: sessions are
 * relayed, not recorded. SQLite is the embedded default; PostgreSQL comes behind
 * the same interface.
 */
import type { EndReason, Mode } from '@tandem/protocol';

export interface AgentRecord {
  id: string;
  email: string;
  name: string;
  role: 'admin' | 'agent';
  passwordHash: string;
  createdAt: string;
}

export interface ApiKeyRecord {
  id: string;
  name: string;
  hash: string;
  createdAt: string;
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

export interface Store {
  countAgents(): Promise<number>;
  createAgent(agent: AgentRecord): Promise<void>;
  findAgentByEmail(email: string): Promise<AgentRecord | undefined>;
  findAgentById(id: string): Promise<AgentRecord | undefined>;

  createApiKey(key: ApiKeyRecord): Promise<void>;
  findApiKeyByHash(hash: string): Promise<ApiKeyRecord | undefined>;

  createSession(session: SessionRecord): Promise<void>;
  endSession(id: string, endedAt: string, reason: EndReason): Promise<void>;
  /** Records that the visitor allowed more than before (the caller checks it is more). */
  raiseSessionMode(id: string, mode: Mode): Promise<void>;
  addSessionAgent(sessionId: string, agent: SessionAgentRecord): Promise<void>;
  getSession(id: string): Promise<(SessionRecord & { agents: SessionAgentRecord[] }) | undefined>;
  listSessions(options: { limit: number; active?: boolean }): Promise<SessionRecord[]>;
  /** Deletes sessions that ended before `before`; returns how many. */
  purgeSessions(before: string): Promise<number>;

  /** A value the server keeps between restarts (site settings, sealed identity secrets). */
  getSetting(key: string): Promise<string | undefined>;
  setSetting(key: string, value: string): Promise<void>;
  deleteSetting(key: string): Promise<void>;

  close(): Promise<void>;
}
