/** The webhooks' tables on any SQL database Kysely speaks to (portable SQL: text ids, ISO timestamps). */
import { sql, type Kysely, type Selectable } from 'kysely';
import type { DeliveryStatus, WebhookEventType } from '@tandem/protocol/schema';
import type { SqlEngine } from './sql-engine.js';
import type {
  AttemptOutcome,
  DueDelivery,
  WebhookDeliveryRecord,
  WebhookEndpointPatch,
  WebhookEndpointRecord,
  WebhookStore,
} from './webhook-store.js';

export interface WebhookTables {
  webhook_endpoints: {
    id: string;
    site_key: string;
    url: string;
    /** JSON array of event types. */
    events: string;
    description: string | null;
    secret_sealed: string;
    enabled: number;
    created_at: string;
  };
  webhook_deliveries: {
    id: string;
    endpoint_id: string;
    type: string;
    session_id: string | null;
    seq: number | null;
    payload: string;
    status: string;
    attempts: number;
    last_status_code: number | null;
    last_error: string | null;
    created_at: string;
    last_attempt_at: string | null;
    next_attempt_at: string | null;
    delivered_at: string | null;
    locked_until: string | null;
    claim: string | null;
  };
}

export class SqlWebhookStore implements WebhookStore {
  constructor(
    private readonly db: Kysely<WebhookTables>,
    private readonly engine: Pick<SqlEngine, 'takeTurn'>,
  ) {}

  async createEndpoint(e: WebhookEndpointRecord, max: number): Promise<boolean> {
    return this.db.transaction().execute(async (trx) => {
      // INSERT … SELECT … WHERE (count) < max: the check and the insert are one statement. That is enough
      // where writes take turns (SQLite); PostgreSQL's statements each count what was committed before they
      // began, so two at once could both take the last place: there they take the site's turn first.
      await this.engine.takeTurn(trx, 'site endpoints', e.siteKey);
      return insertUnderLimit(trx, e, max);
    });
  }

  async listEndpoints(siteKey: string): Promise<WebhookEndpointRecord[]> {
    const rows = await this.db.selectFrom('webhook_endpoints').selectAll().where('site_key', '=', siteKey).orderBy('created_at').execute();
    return rows.map(toEndpoint);
  }

  async getEndpoint(id: string): Promise<WebhookEndpointRecord | undefined> {
    const row = await this.db.selectFrom('webhook_endpoints').selectAll().where('id', '=', id).executeTakeFirst();
    return row && toEndpoint(row);
  }

  async updateEndpoint(id: string, patch: WebhookEndpointPatch): Promise<void> {
    const set: Partial<WebhookTables['webhook_endpoints']> = {};
    if (patch.url !== undefined) set.url = patch.url;
    if (patch.events !== undefined) set.events = JSON.stringify(patch.events);
    if (patch.description !== undefined) set.description = patch.description;
    if (patch.enabled !== undefined) set.enabled = patch.enabled ? 1 : 0;
    if (Object.keys(set).length > 0) await this.db.updateTable('webhook_endpoints').set(set).where('id', '=', id).execute();
  }

  async deleteEndpoint(id: string): Promise<void> {
    // Deliveries first: not every database is told to cascade.
    await this.db.deleteFrom('webhook_deliveries').where('endpoint_id', '=', id).execute();
    await this.db.deleteFrom('webhook_endpoints').where('id', '=', id).execute();
  }

  async enqueueDeliveries(deliveries: WebhookDeliveryRecord[]): Promise<void> {
    if (deliveries.length === 0) return;
    await this.db
      .insertInto('webhook_deliveries')
      .values(
        deliveries.map((d) => ({
          id: d.id,
          endpoint_id: d.endpointId,
          type: d.type,
          session_id: d.sessionId,
          seq: d.seq,
          payload: d.payload,
          status: d.status,
          attempts: d.attempts,
          last_status_code: d.lastStatusCode,
          last_error: d.lastError,
          created_at: d.createdAt,
          last_attempt_at: d.lastAttemptAt,
          next_attempt_at: d.nextAttemptAt,
          delivered_at: d.deliveredAt,
          locked_until: null,
          claim: null,
        })),
      )
      .execute();
  }

  async getDelivery(id: string): Promise<WebhookDeliveryRecord | undefined> {
    const row = await this.db.selectFrom('webhook_deliveries').selectAll().where('id', '=', id).executeTakeFirst();
    return row && toDelivery(row);
  }

  async listDeliveries(
    endpointId: string,
    options: { limit: number; before?: { createdAt: string; id: string }; status?: DeliveryStatus },
  ): Promise<WebhookDeliveryRecord[]> {
    let q = this.db
      .selectFrom('webhook_deliveries')
      .selectAll()
      .where('endpoint_id', '=', endpointId)
      .orderBy('created_at', 'desc')
      .orderBy('id', 'desc')
      .limit(options.limit);
    if (options.status) q = q.where('status', '=', options.status);
    const before = options.before;
    if (before) {
      q = q.where((eb) =>
        eb.or([eb('created_at', '<', before.createdAt), eb.and([eb('created_at', '=', before.createdAt), eb('id', '<', before.id)])]),
      );
    }
    return (await q.execute()).map(toDelivery);
  }

  async dueDeliveries(now: string, limit: number, skip: string[] = [], skipSites: string[] = []): Promise<DueDelivery[]> {
    let q = this.db
      .selectFrom('webhook_deliveries as d')
      .innerJoin('webhook_endpoints as e', 'e.id', 'd.endpoint_id')
      .selectAll('d')
      .select(['e.url as endpoint_url', 'e.secret_sealed as endpoint_secret', 'e.site_key as endpoint_site'])
      .where('d.status', '=', 'pending')
      .where('d.next_attempt_at', '<=', now)
      .where((eb) => eb.or([eb('d.locked_until', 'is', null), eb('d.locked_until', '<', now)]))
      .where('e.enabled', '=', 1)
      // A session's events go to an endpoint one at a time, in their order: not while an earlier one waits.
      .where((eb) =>
        eb.not(
          eb.exists(
            eb
              .selectFrom('webhook_deliveries as p')
              .select('p.id')
              .whereRef('p.endpoint_id', '=', 'd.endpoint_id')
              .whereRef('p.session_id', '=', 'd.session_id')
              .whereRef('p.seq', '<', 'd.seq')
              .where('p.status', '=', 'pending'),
          ),
        ),
      )
      .orderBy('d.next_attempt_at')
      .orderBy('d.created_at')
      .limit(limit);
    if (skip.length > 0) q = q.where('d.endpoint_id', 'not in', skip);
    if (skipSites.length > 0) q = q.where('e.site_key', 'not in', skipSites);
    const rows = await q.execute();
    return rows.map((r) => ({ delivery: toDelivery(r), url: r.endpoint_url, secretSealed: r.endpoint_secret, siteKey: r.endpoint_site }));
  }

  async nextDeliveryDue(now: string): Promise<string | undefined> {
    const row = await this.db
      .selectFrom('webhook_deliveries')
      .select((eb) => eb.fn.min('next_attempt_at').as('next'))
      .where('status', '=', 'pending')
      .where('next_attempt_at', '>', now)
      .executeTakeFirst();
    return row?.next ?? undefined;
  }

  async claimDelivery(id: string, claim: string, now: string, until: string): Promise<boolean> {
    // One statement, on both databases: SQLite runs one writer at a time; PostgreSQL makes a second UPDATE of
    // the row wait for the first and check this condition again on the row the first wrote (read committed).
    const result = await this.db
      .updateTable('webhook_deliveries')
      .set({ locked_until: until, claim })
      .where('id', '=', id)
      .where('status', '=', 'pending')
      .where((eb) => eb.or([eb('locked_until', 'is', null), eb('locked_until', '<', now)]))
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  async recordAttempt(id: string, claim: string, o: AttemptOutcome): Promise<void> {
    await this.db
      .updateTable('webhook_deliveries')
      .set((eb) => ({
        attempts: eb('attempts', '+', 1),
        status: o.status,
        last_status_code: o.statusCode,
        last_error: o.error,
        last_attempt_at: o.at,
        next_attempt_at: o.nextAttemptAt,
        delivered_at: o.status === 'delivered' ? o.at : null,
        locked_until: null,
        claim: null,
      }))
      .where('id', '=', id)
      .where('claim', '=', claim)
      .execute();
  }

  async releaseDelivery(id: string, claim: string): Promise<void> {
    await this.db
      .updateTable('webhook_deliveries')
      .set({ locked_until: null, claim: null })
      .where('id', '=', id)
      .where('claim', '=', claim)
      .execute();
  }

  async purgeDeliveries(before: string): Promise<number> {
    // Whatever their status: retries end within a day, so an older pending row waits on a disabled
    // endpoint, and its payload (a visitor's name and email) must not outlive the retention.
    const result = await this.db.deleteFrom('webhook_deliveries').where('created_at', '<', before).executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}

/** INSERT … SELECT … WHERE (the site's count) < max: true when the row went in. */
async function insertUnderLimit(db: Kysely<WebhookTables>, e: WebhookEndpointRecord, max: number): Promise<boolean> {
  const row = db.selectNoFrom((eb) => [
    eb.val(e.id).as('id'),
    eb.val(e.siteKey).as('site_key'),
    eb.val(e.url).as('url'),
    eb.val(JSON.stringify(e.events)).as('events'),
    eb.val(e.description).as('description'),
    eb.val(e.secretSealed).as('secret_sealed'),
    sql.lit(e.enabled ? 1 : 0).as('enabled'),
    eb.val(e.createdAt).as('created_at'),
  ]);
  const count = db
    .selectFrom('webhook_endpoints')
    .select((eb) => eb.fn.countAll().as('n'))
    .where('site_key', '=', e.siteKey);
  const result = await db
    .insertInto('webhook_endpoints')
    .columns(['id', 'site_key', 'url', 'events', 'description', 'secret_sealed', 'enabled', 'created_at'])
    .expression(row.where(count, '<', max))
    .executeTakeFirst();
  return Number(result.numInsertedOrUpdatedRows ?? 0) === 1;
}

function toEndpoint(r: Selectable<WebhookTables['webhook_endpoints']>): WebhookEndpointRecord {
  return {
    id: r.id,
    siteKey: r.site_key,
    url: r.url,
    events: JSON.parse(r.events) as WebhookEventType[],
    description: r.description,
    secretSealed: r.secret_sealed,
    enabled: Number(r.enabled) === 1,
    createdAt: r.created_at,
  };
}

function toDelivery(r: Selectable<WebhookTables['webhook_deliveries']>): WebhookDeliveryRecord {
  return {
    id: r.id,
    endpointId: r.endpoint_id,
    type: r.type,
    sessionId: r.session_id,
    seq: r.seq === null ? null : Number(r.seq),
    payload: r.payload,
    status: r.status as DeliveryStatus,
    attempts: Number(r.attempts),
    lastStatusCode: r.last_status_code === null ? null : Number(r.last_status_code),
    lastError: r.last_error,
    createdAt: r.created_at,
    lastAttemptAt: r.last_attempt_at,
    nextAttemptAt: r.next_attempt_at,
    deliveredAt: r.delivered_at,
  };
}
