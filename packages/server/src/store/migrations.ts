/**
 * Schema migrations, one list for every SQL backend. Types are kept to what
 * SQLite and PostgreSQL share: text for ids and ISO timestamps.
 */
import { sql, type Kysely, type Migration } from 'kysely';

export const migrations: Record<string, Migration> = {
  '001_initial': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('agents')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('email', 'text', (c) => c.notNull().unique())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('role', 'text', (c) => c.notNull())
        .addColumn('password_hash', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('api_keys')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('hash', 'text', (c) => c.notNull().unique())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('sessions')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('site_key', 'text', (c) => c.notNull())
        .addColumn('code', 'text', (c) => c.notNull())
        .addColumn('visitor_name', 'text')
        .addColumn('visitor_email', 'text')
        .addColumn('visitor_unique_id', 'text')
        .addColumn('start_url', 'text')
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('ended_at', 'text')
        .addColumn('end_reason', 'text')
        .execute();
      await db.schema.createIndex('sessions_created_at').on('sessions').column('created_at').execute();
      await db.schema
        .createTable('session_agents')
        .addColumn('session_id', 'text', (c) => c.notNull().references('sessions.id').onDelete('cascade'))
        .addColumn('agent_id', 'text', (c) => c.notNull())
        .addColumn('agent_name', 'text', (c) => c.notNull())
        .addColumn('joined_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('settings')
        .addColumn('key', 'text', (c) => c.primaryKey())
        .addColumn('value', 'text', (c) => c.notNull())
        .execute();
    },
  },
  '002_session_mode': {
    async up(db: Kysely<unknown>) {
      // The most the visitor allowed agents during the session: what an audit asks first.
      await db.schema.alterTable('sessions').addColumn('max_mode', 'text').execute();
    },
  },
  '003_sign_ins': {
    async up(db: Kysely<unknown>) {
      await db.schema.alterTable('agents').addColumn('disabled_at', 'text').execute();
      // One row per agent cookie (its jti): logout and disabling revoke it before it expires.
      await db.schema
        .createTable('sign_ins')
        .addColumn('jti', 'text', (c) => c.primaryKey())
        .addColumn('agent_id', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('expires_at', 'text', (c) => c.notNull())
        .addColumn('revoked_at', 'text')
        .execute();
      await db.schema.createIndex('sign_ins_agent_id').on('sign_ins').column('agent_id').execute();
    },
  },
  '004_sites_and_key_scopes': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('sites')
        .addColumn('key', 'text', (c) => c.primaryKey())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .execute();
      // A key belongs to one site, or is an admin key (site_key null, admin 1).
      await db.schema.alterTable('api_keys').addColumn('site_key', 'text').execute();
      await db.schema
        .alterTable('api_keys')
        .addColumn('admin', 'integer', (c) => c.notNull().defaultTo(0))
        .execute();
      // Keys made before had every right: they stay admin keys until the operator replaces them.
      await sql`update api_keys set admin = 1`.execute(db);
    },
  },
  '005_live_sessions': {
    async up(db: Kysely<unknown>) {
      // What a live session needs to outlive the process (a crash, a restart): the embedded
      // registry's journal. Resume tokens only as hashes; no page content, as everywhere.
      await db.schema
        .createTable('live_sessions')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('site_key', 'text', (c) => c.notNull())
        .addColumn('code', 'text', (c) => c.notNull())
        .addColumn('visitor_name', 'text')
        .addColumn('mode', 'text', (c) => c.notNull())
        .addColumn('max_mode', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('resume_hashes', 'text', (c) => c.notNull())
        .addColumn('seq', 'integer', (c) => c.notNull())
        .execute();
    },
  },
  '006_audit': {
    async up(db: Kysely<unknown>) {
      // What agents did, as metadata, hash-chained per session (audit/chain.ts). No foreign key to
      // sessions: a session's first entry may be written beside its row, not after it; the retention
      // purge deletes a session's entries with it.
      await db.schema
        .createTable('audit_entries')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('session_id', 'text', (c) => c.notNull())
        .addColumn('site_key', 'text', (c) => c.notNull())
        .addColumn('position', 'integer', (c) => c.notNull())
        .addColumn('seq', 'integer', (c) => c.notNull())
        .addColumn('at', 'text', (c) => c.notNull())
        .addColumn('actor', 'text', (c) => c.notNull())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('detail', 'text', (c) => c.notNull())
        .addColumn('prev_hash', 'text', (c) => c.notNull())
        .addColumn('hash', 'text', (c) => c.notNull())
        .execute();
      // One entry per place in a chain: two nodes appending at once cannot both take the same place.
      await db.schema.createIndex('audit_entries_chain').on('audit_entries').columns(['session_id', 'position']).unique().execute();
    },
  },
  '007_webhooks': {
    async up(db: Kysely<unknown>) {
      // Each site's webhook endpoints; the signing secret only sealed (auth/secret-box.ts).
      await db.schema
        .createTable('webhook_endpoints')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('site_key', 'text', (c) => c.notNull())
        .addColumn('url', 'text', (c) => c.notNull())
        .addColumn('events', 'text', (c) => c.notNull())
        .addColumn('description', 'text')
        .addColumn('secret_sealed', 'text', (c) => c.notNull())
        .addColumn('enabled', 'integer', (c) => c.notNull().defaultTo(1))
        .addColumn('created_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('webhook_endpoints_site_key').on('webhook_endpoints').column('site_key').execute();
      // The durable queue: a row per (event, endpoint), claimed by one node at a time (locked_until, claim).
      await db.schema
        .createTable('webhook_deliveries')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('endpoint_id', 'text', (c) => c.notNull().references('webhook_endpoints.id').onDelete('cascade'))
        .addColumn('type', 'text', (c) => c.notNull())
        .addColumn('session_id', 'text')
        .addColumn('seq', 'integer')
        .addColumn('payload', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('last_status_code', 'integer')
        .addColumn('last_error', 'text')
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('last_attempt_at', 'text')
        .addColumn('next_attempt_at', 'text')
        .addColumn('delivered_at', 'text')
        .addColumn('locked_until', 'text')
        .addColumn('claim', 'text')
        .execute();
      await db.schema.createIndex('webhook_deliveries_due').on('webhook_deliveries').columns(['status', 'next_attempt_at']).execute();
      await db.schema.createIndex('webhook_deliveries_listed').on('webhook_deliveries').columns(['endpoint_id', 'created_at']).execute();
      await db.schema.createIndex('webhook_deliveries_order').on('webhook_deliveries').columns(['endpoint_id', 'session_id', 'seq']).execute();
    },
  },
  '008_api_key_revocation': {
    async up(db: Kysely<unknown>) {
      // A revoked key opens nothing; the row stays, so the list says which keys there were.
      await db.schema.alterTable('api_keys').addColumn('revoked_at', 'text').execute();
    },
  },
  '009_live_short_ids': {
    async up(db: Kysely<unknown>) {
      // A live session's visitor short id, so a watch URL asked for that visitor after a restart still joins it.
      await db.schema.alterTable('live_sessions').addColumn('short_id', 'text').execute();
    },
  },
  '010_session_agents_by_session': {
    async up(db: Kysely<unknown>) {
      // The sessions list names each session's agents: looked up by session, a page at a time.
      await db.schema.createIndex('session_agents_session_id').on('session_agents').column('session_id').execute();
    },
  },
};
