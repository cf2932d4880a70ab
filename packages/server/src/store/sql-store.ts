/** The Store on any SQL database Kysely speaks to; the dialect decides which, and its engine (sql-engine.ts) what differs. */
import { Kysely, Migrator, type Dialect, type Selectable } from 'kysely';
import { MODES, isMode, type EndReason, type Mode } from '@tandem/protocol';
import type { JournaledSession } from '../live/registry.js';
import { migrations } from './migrations.js';
import { SqlWebhookStore, type WebhookTables } from './sql-webhook-store.js';
import { appendAudit, auditSessionIds, listAudit, type AuditTables } from './audit-sql.js';
import { sqliteEngine, type SqlEngine } from './sql-engine.js';
import type { AuditEntry, AuditFields } from '../audit/chain.js';
import type {
  AgentPatch,
  AgentRecord,
  ApiKeyRecord,
  SessionAgentRecord,
  SessionListAgent,
  SessionRecord,
  SignInRecord,
  SiteRecord,
  Store,
} from './store.js';

interface Database extends WebhookTables, AuditTables {
  agents: { id: string; email: string; name: string; role: string; password_hash: string; created_at: string; disabled_at: string | null };
  api_keys: { id: string; name: string; hash: string; created_at: string; site_key: string | null; admin: number; revoked_at: string | null };
  sign_ins: { jti: string; agent_id: string; created_at: string; expires_at: string; revoked_at: string | null };
  sites: { key: string; name: string; created_at: string };
  sessions: {
    id: string;
    site_key: string;
    code: string;
    visitor_name: string | null;
    visitor_email: string | null;
    visitor_unique_id: string | null;
    start_url: string | null;
    created_at: string;
    ended_at: string | null;
    end_reason: string | null;
    max_mode: string | null;
  };
  session_agents: { session_id: string; agent_id: string; agent_name: string; joined_at: string };
  settings: { key: string; value: string };
  live_sessions: {
    id: string;
    site_key: string;
    code: string;
    visitor_name: string | null;
    mode: string;
    max_mode: string;
    created_at: string;
    resume_hashes: string;
    seq: number;
    short_id: string | null;
  };
}

export class SqlStore implements Store {
  readonly webhooks: SqlWebhookStore;

  private constructor(
    private readonly db: Kysely<Database>,
    private readonly engine: SqlEngine,
  ) {
    // The same database, seen through the webhook tables only (Kysely's table map is invariant).
    this.webhooks = new SqlWebhookStore(db as unknown as Kysely<WebhookTables>, engine);
  }

  static async open(dialect: Dialect, engine: SqlEngine = sqliteEngine()): Promise<SqlStore> {
    const db = new Kysely<Database>({ dialect, plugins: engine.plugins });
    try {
      const migrationTableSchema = await engine.migrationSchema(db);
      const migrator = new Migrator({ db, migrationTableSchema, provider: { getMigrations: async () => migrations } });
      // Nodes starting together on an empty database: one migrates, the others find it done.
      const { error } = await engine.exclusively(() => migrator.migrateToLatest());
      if (error) throw error instanceof Error ? error : new Error(`The database could not be migrated: ${JSON.stringify(error)}`);
    } catch (err) {
      await db.destroy().catch(() => {});
      throw err;
    }
    return new SqlStore(db, engine);
  }

  exclusively<T>(work: () => Promise<T>): Promise<T> {
    return this.engine.exclusively(work);
  }

  async countAgents(): Promise<number> {
    const row = await this.db
      .selectFrom('agents')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  async createAgent(a: AgentRecord): Promise<void> {
    await this.db
      .insertInto('agents')
      .values({
        id: a.id,
        email: a.email,
        name: a.name,
        role: a.role,
        password_hash: a.passwordHash,
        created_at: a.createdAt,
        disabled_at: a.disabledAt,
      })
      .execute();
  }

  async findAgentByEmail(email: string): Promise<AgentRecord | undefined> {
    const row = await this.db.selectFrom('agents').selectAll().where('email', '=', email.toLowerCase()).executeTakeFirst();
    return row && toAgent(row);
  }

  async findAgentById(id: string): Promise<AgentRecord | undefined> {
    const row = await this.db.selectFrom('agents').selectAll().where('id', '=', id).executeTakeFirst();
    return row && toAgent(row);
  }

  async listAgents(): Promise<AgentRecord[]> {
    return (await this.db.selectFrom('agents').selectAll().orderBy('created_at').execute()).map(toAgent);
  }

  async updateAgent(id: string, patch: AgentPatch): Promise<void> {
    const set: { name?: string; role?: string; disabled_at?: string | null } = {};
    if (patch.name !== undefined) set.name = patch.name;
    if (patch.role !== undefined) set.role = patch.role;
    if (patch.disabledAt !== undefined) set.disabled_at = patch.disabledAt;
    if (Object.keys(set).length > 0) await this.db.updateTable('agents').set(set).where('id', '=', id).execute();
  }

  async createSignIn(r: SignInRecord): Promise<void> {
    await this.db
      .insertInto('sign_ins')
      .values({ jti: r.jti, agent_id: r.agentId, created_at: r.createdAt, expires_at: r.expiresAt, revoked_at: r.revokedAt })
      .execute();
  }

  async findSignIn(jti: string): Promise<SignInRecord | undefined> {
    const row = await this.db.selectFrom('sign_ins').selectAll().where('jti', '=', jti).executeTakeFirst();
    return row && { jti: row.jti, agentId: row.agent_id, createdAt: row.created_at, expiresAt: row.expires_at, revokedAt: row.revoked_at };
  }

  async revokeSignIn(jti: string, agentId: string, at: string, expiresAt: string): Promise<void> {
    await this.db
      .insertInto('sign_ins')
      .values({ jti, agent_id: agentId, created_at: at, expires_at: expiresAt, revoked_at: at })
      .onConflict((oc) => oc.column('jti').doUpdateSet({ revoked_at: at }))
      .execute();
  }

  async revokeAgentSignIns(agentId: string, at: string): Promise<void> {
    await this.db.updateTable('sign_ins').set({ revoked_at: at }).where('agent_id', '=', agentId).where('revoked_at', 'is', null).execute();
  }

  async purgeSignIns(before: string): Promise<void> {
    await this.db.deleteFrom('sign_ins').where('expires_at', '<', before).execute();
  }

  async listSites(): Promise<SiteRecord[]> {
    const rows = await this.db.selectFrom('sites').selectAll().orderBy('key').execute();
    return rows.map((r) => ({ key: r.key, name: r.name, createdAt: r.created_at }));
  }

  async createSite(site: SiteRecord): Promise<void> {
    await this.db.insertInto('sites').values({ key: site.key, name: site.name, created_at: site.createdAt }).execute();
  }

  async createApiKey(k: ApiKeyRecord): Promise<void> {
    await this.db
      .insertInto('api_keys')
      .values({ id: k.id, name: k.name, hash: k.hash, created_at: k.createdAt, site_key: k.siteKey, admin: k.admin ? 1 : 0 })
      .execute();
  }

  async findApiKeyByHash(hash: string): Promise<ApiKeyRecord | undefined> {
    const row = await this.db.selectFrom('api_keys').selectAll().where('hash', '=', hash).executeTakeFirst();
    return row && toApiKey(row);
  }

  async findApiKeyById(id: string): Promise<ApiKeyRecord | undefined> {
    const row = await this.db.selectFrom('api_keys').selectAll().where('id', '=', id).executeTakeFirst();
    return row && toApiKey(row);
  }

  async listApiKeys(): Promise<ApiKeyRecord[]> {
    return (await this.db.selectFrom('api_keys').selectAll().orderBy('created_at', 'desc').execute()).map(toApiKey);
  }

  async revokeApiKey(id: string, at: string): Promise<boolean> {
    const result = await this.db
      .updateTable('api_keys')
      .set({ revoked_at: at })
      .where('id', '=', id)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  async createSession(s: SessionRecord): Promise<void> {
    await this.db
      .insertInto('sessions')
      .values({
        id: s.id,
        site_key: s.siteKey,
        code: s.code,
        visitor_name: s.visitorName,
        visitor_email: s.visitorEmail,
        visitor_unique_id: s.visitorUniqueId,
        start_url: s.startUrl,
        created_at: s.createdAt,
        ended_at: s.endedAt,
        end_reason: s.endReason,
        max_mode: s.maxMode,
      })
      .execute();
  }

  async endSession(id: string, endedAt: string, reason: EndReason): Promise<void> {
    await this.db
      .updateTable('sessions')
      .set({ ended_at: endedAt, end_reason: reason })
      .where('id', '=', id)
      .where('ended_at', 'is', null)
      .execute();
  }

  async raiseSessionMode(id: string, mode: Mode): Promise<void> {
    const lower = MODES.slice(0, MODES.indexOf(mode));
    if (lower.length === 0) return;
    await this.db
      .updateTable('sessions')
      .set({ max_mode: mode })
      .where('id', '=', id)
      .where((eb) => eb.or([eb('max_mode', 'is', null), eb('max_mode', 'in', lower)]))
      .execute();
  }

  async endDangling(endedAt: string, reason: EndReason, isLive: (id: string) => Promise<boolean>): Promise<number> {
    const open = await this.db.selectFrom('sessions').select('id').where('ended_at', 'is', null).execute();
    let ended = 0;
    for (const { id } of open) {
      if (await isLive(id)) continue;
      await this.endSession(id, endedAt, reason);
      ended++;
    }
    return ended;
  }

  async addSessionAgent(sessionId: string, a: SessionAgentRecord): Promise<void> {
    await this.db
      .insertInto('session_agents')
      .values({ session_id: sessionId, agent_id: a.agentId, agent_name: a.agentName, joined_at: a.joinedAt })
      .execute();
  }

  async getSession(id: string) {
    const row = await this.db.selectFrom('sessions').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row) return undefined;
    const agents = await this.db.selectFrom('session_agents').selectAll().where('session_id', '=', id).orderBy('joined_at').execute();
    return {
      ...toSession(row),
      agents: agents.map((a) => ({ agentId: a.agent_id, agentName: a.agent_name, joinedAt: a.joined_at })),
    };
  }

  async listSessions(options: { limit: number; active?: boolean; siteKey?: string }) {
    let q = this.db.selectFrom('sessions').selectAll().orderBy('created_at', 'desc').limit(options.limit);
    if (options.active !== undefined) q = q.where('ended_at', options.active ? 'is' : 'is not', null);
    if (options.siteKey !== undefined) q = q.where('site_key', '=', options.siteKey);
    const rows = await q.execute();
    // One query for the whole page (session_agents_session_id): a rejoin is a row, so each agent is kept once.
    const joins =
      rows.length === 0
        ? []
        : await this.db
            .selectFrom('session_agents')
            .select(['session_id', 'agent_id', 'agent_name'])
            .where(
              'session_id',
              'in',
              rows.map((r) => r.id),
            )
            .orderBy('joined_at')
            .execute();
    const agents = new Map<string, SessionListAgent[]>();
    for (const j of joins) {
      const list = agents.get(j.session_id) ?? [];
      if (!list.some((a) => a.agentId === j.agent_id)) list.push({ agentId: j.agent_id, agentName: j.agent_name });
      agents.set(j.session_id, list);
    }
    return rows.map((r) => ({ ...toSession(r), agents: agents.get(r.id) ?? [] }));
  }

  async joinedSessions(agentId: string, sessionIds: string[]): Promise<Set<string>> {
    if (sessionIds.length === 0) return new Set();
    const rows = await this.db
      .selectFrom('session_agents')
      .select('session_id')
      .where('agent_id', '=', agentId)
      .where('session_id', 'in', sessionIds)
      .execute();
    return new Set(rows.map((r) => r.session_id));
  }

  async purgeSessions(before: string): Promise<number> {
    // A session's audit trail goes with it, whole: what is left of a chain still verifies.
    await this.db
      .deleteFrom('audit_entries')
      .where('session_id', 'in', (eb) => eb.selectFrom('sessions').select('id').where('ended_at', '<', before))
      .execute();
    const result = await this.db.deleteFrom('sessions').where('ended_at', '<', before).executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  /** The same database, seen as the audit trail's tables only (Kysely's types are not covariant). */
  private get audit(): Kysely<AuditTables> {
    return this.db as unknown as Kysely<AuditTables>;
  }

  /**
   * A session's appends from this node, in the order they were asked for (the order its events were
   * published in): with a pool of connections a later append could otherwise take the chain first.
   */
  private readonly auditTails = new Map<string, Promise<unknown>>();

  appendAudit(fields: Omit<AuditFields, 'position'>): Promise<AuditEntry> {
    const id = fields.sessionId;
    const append = () => appendAudit(this.audit, fields, (trx) => this.engine.takeTurn(trx, 'audit chain', id));
    const run = (this.auditTails.get(id) ?? Promise.resolve()).then(append, append);
    const tail = run.catch(() => {});
    this.auditTails.set(id, tail);
    void tail.then(() => {
      if (this.auditTails.get(id) === tail) this.auditTails.delete(id);
    });
    return run;
  }

  listAudit(sessionId: string, options: { after?: number; limit: number }): Promise<AuditEntry[]> {
    return listAudit(this.audit, sessionId, options);
  }

  auditSessionIds(): Promise<string[]> {
    return auditSessionIds(this.audit);
  }

  async getSetting(key: string): Promise<string | undefined> {
    return (await this.db.selectFrom('settings').select('value').where('key', '=', key).executeTakeFirst())?.value;
  }

  async setSetting(key: string, value: string): Promise<void> {
    await this.db
      .insertInto('settings')
      .values({ key, value })
      .onConflict((oc) => oc.column('key').doUpdateSet({ value }))
      .execute();
  }

  async deleteSetting(key: string): Promise<void> {
    await this.db.deleteFrom('settings').where('key', '=', key).execute();
  }

  async saveLive(s: JournaledSession): Promise<void> {
    const row = {
      site_key: s.siteKey,
      code: s.code,
      visitor_name: s.visitorName,
      mode: s.mode,
      max_mode: s.maxMode,
      created_at: s.createdAt,
      resume_hashes: JSON.stringify(s.resumeHashes),
      seq: s.seq,
      short_id: s.shortId,
    };
    await this.db
      .insertInto('live_sessions')
      .values({ id: s.id, ...row })
      .onConflict((oc) => oc.column('id').doUpdateSet(row))
      .execute();
  }

  async removeLive(id: string): Promise<void> {
    await this.db.deleteFrom('live_sessions').where('id', '=', id).execute();
  }

  async loadLive(): Promise<JournaledSession[]> {
    const rows = await this.db.selectFrom('live_sessions').selectAll().execute();
    return rows.map((r) => ({
      id: r.id,
      siteKey: r.site_key,
      code: r.code,
      visitorName: r.visitor_name,
      mode: isMode(r.mode) ? r.mode : 'view',
      maxMode: isMode(r.max_mode) ? r.max_mode : 'view',
      createdAt: r.created_at,
      resumeHashes: (JSON.parse(r.resume_hashes) as unknown[]).filter((h): h is string => typeof h === 'string'),
      seq: Number(r.seq),
      shortId: r.short_id,
    }));
  }

  async close(): Promise<void> {
    await this.db.destroy();
  }
}

function toAgent(row: Selectable<Database['agents']>): AgentRecord {
  return {
    id: row.id,
    email: row.email,
    name: row.name,
    role: row.role === 'admin' ? 'admin' : 'agent',
    passwordHash: row.password_hash,
    createdAt: row.created_at,
    disabledAt: row.disabled_at,
  };
}

function toSession(row: Selectable<Database['sessions']>): SessionRecord {
  return {
    id: row.id,
    siteKey: row.site_key,
    code: row.code,
    visitorName: row.visitor_name,
    visitorEmail: row.visitor_email,
    visitorUniqueId: row.visitor_unique_id,
    startUrl: row.start_url,
    createdAt: row.created_at,
    endedAt: row.ended_at,
    endReason: row.end_reason as EndReason | null,
    maxMode: row.max_mode as Mode | null,
  };
}

function toApiKey(row: Selectable<Database['api_keys']>): ApiKeyRecord {
  return {
    id: row.id,
    name: row.name,
    hash: row.hash,
    createdAt: row.created_at,
    siteKey: row.site_key,
    admin: row.admin === 1,
    revokedAt: row.revoked_at,
  };
}
