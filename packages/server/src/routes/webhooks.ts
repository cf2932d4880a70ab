/**
 * A site's webhook endpoints over REST, for its operators (an admin agent, an
 * admin key, or the site's own key). Another site's endpoint answers 404; the
 * signing secret is shown once, when the endpoint is created.
 */
import { describe, NoContent } from './openapi.js';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import {
  CreateWebhookBody,
  IdParams,
  MAX_WEBHOOK_URL_CHARS,
  MAX_WEBHOOKS_PER_SITE,
  SiteParams,
  Webhook,
  WebhookCreated,
  WebhookDeliveryList,
  WebhookDeliveryQuery,
  WebhookList,
  WebhookPatch,
  WebhookTestQueued,
  type WebhookDelivery,
} from '@tandem/protocol/schema';
import type { Context } from '../context.js';
import { requirePrincipal, requireSiteOperator, seesSite } from '../auth/principal.js';
import { fail } from '../http-errors.js';
import type { WebhookDeliveryRecord, WebhookEndpointRecord } from '../store/webhook-store.js';
import { refuseUrl } from '../webhooks/address-guard.js';
import type { Webhooks } from '../webhooks/index.js';

const OPERATOR_ONLY = 'Only an admin, or the site’s own key, manages its webhooks.';

/** Test deliveries one endpoint may queue a minute. */
const TESTS_PER_MINUTE = 10;

export async function webhookRoutes(app: FastifyInstance, ctx: Context, webhooks: Webhooks): Promise<void> {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  const store = ctx.store.webhooks;

  /** The endpoint, if the caller's site (or admin rights) reaches it: otherwise as if it did not exist. */
  async function endpointFor(req: FastifyRequest, id: string): Promise<WebhookEndpointRecord> {
    const who = await requirePrincipal(ctx, req);
    const endpoint = await store.getEndpoint(id);
    if (!endpoint || !seesSite(who, endpoint.siteKey)) return fail('TDM_NOT_FOUND');
    requireSiteOperator(who, endpoint.siteKey, OPERATOR_ONLY);
    return endpoint;
  }

  const testLimit = ctx.registry.rateLimiter({ keyPrefix: 'webhook-tests', points: TESTS_PER_MINUTE, duration: 60 });

  function checkUrl(url: string): string {
    const refused = refuseUrl(url, webhooks.config);
    if (refused) fail('TDM_BAD_MESSAGE', refused);
    const href = new URL(url).href;
    if (href.length > MAX_WEBHOOK_URL_CHARS) fail('TDM_BAD_MESSAGE', `url: longer than ${MAX_WEBHOOK_URL_CHARS} characters.`);
    return href;
  }

  api.post(
    '/api/v1/sites/:key/webhooks',
    {
      schema: describe(
        { auth: ['agentCookie', 'apiKey'], errors: ['TDM_FORBIDDEN', 'TDM_UNKNOWN_SITE', 'TDM_CONFLICT'] },
        {
          tags: ['webhooks'],
          summary: `Add a webhook endpoint to a site (at most ${MAX_WEBHOOKS_PER_SITE}); its signing secret is in this answer only`,
          params: SiteParams,
          body: CreateWebhookBody,
          response: { 201: WebhookCreated },
        },
      ),
    },
    async (req, reply) => {
      const who = await requirePrincipal(ctx, req);
      requireSiteOperator(who, req.params.key, OPERATOR_ONLY);
      if (!ctx.sites.known(req.params.key)) fail('TDM_UNKNOWN_SITE');
      const url = checkUrl(req.body.url);
      const created = await webhooks.create(req.params.key, { ...req.body, url }, MAX_WEBHOOKS_PER_SITE);
      if (!created) return fail('TDM_CONFLICT', `A site has at most ${MAX_WEBHOOKS_PER_SITE} webhook endpoints; delete one first.`);
      return reply.code(201).send({ ...present(created.endpoint), secret: created.secret });
    },
  );

  api.get(
    '/api/v1/sites/:key/webhooks',
    {
      schema: describe(
        { auth: ['agentCookie', 'apiKey'], errors: ['TDM_FORBIDDEN', 'TDM_UNKNOWN_SITE'] },
        {
          tags: ['webhooks'],
          summary: 'A site’s webhook endpoints (never their secrets)',
          params: SiteParams,
          response: { 200: WebhookList },
        },
      ),
    },
    async (req) => {
      requireSiteOperator(await requirePrincipal(ctx, req), req.params.key, OPERATOR_ONLY);
      if (!ctx.sites.known(req.params.key)) fail('TDM_UNKNOWN_SITE');
      return { webhooks: (await store.listEndpoints(req.params.key)).map(present) };
    },
  );

  api.patch(
    '/api/v1/webhooks/:id',
    {
      schema: describe(
        { auth: ['agentCookie', 'apiKey'], errors: ['TDM_FORBIDDEN', 'TDM_UNKNOWN_SITE', 'TDM_NOT_FOUND'] },
        {
          tags: ['webhooks'],
          summary: 'Change an endpoint’s address, events, description, or enable or disable it',
          params: IdParams,
          body: WebhookPatch,
          response: { 200: Webhook },
        },
      ),
    },
    async (req) => {
      const endpoint = await endpointFor(req, req.params.id);
      const url = req.body.url === undefined ? undefined : checkUrl(req.body.url);
      await store.updateEndpoint(endpoint.id, { ...req.body, url });
      if (req.body.enabled) webhooks.kick();
      return present((await store.getEndpoint(endpoint.id)) ?? fail('TDM_NOT_FOUND'));
    },
  );

  api.delete(
    '/api/v1/webhooks/:id',
    {
      schema: describe(
        { auth: ['agentCookie', 'apiKey'], errors: ['TDM_FORBIDDEN', 'TDM_UNKNOWN_SITE', 'TDM_NOT_FOUND'] },
        {
          tags: ['webhooks'],
          summary: 'Delete an endpoint and its deliveries',
          params: IdParams,
          response: { 204: NoContent },
        },
      ),
    },
    async (req, reply) => {
      const endpoint = await endpointFor(req, req.params.id);
      await store.deleteEndpoint(endpoint.id);
      return reply.code(204).send();
    },
  );

  api.post(
    '/api/v1/webhooks/:id/test',
    {
      schema: describe(
        { auth: ['agentCookie', 'apiKey'], errors: ['TDM_FORBIDDEN', 'TDM_UNKNOWN_SITE', 'TDM_NOT_FOUND', 'TDM_RATE_LIMITED'] },
        {
          tags: ['webhooks'],
          summary: 'Queue a signed `webhook.test` delivery to the endpoint (a few a minute)',
          params: IdParams,
          response: { 202: WebhookTestQueued },
        },
      ),
    },
    async (req, reply) => {
      const endpoint = await endpointFor(req, req.params.id);
      // Each test is a stored row and a send: bounded, so a key cannot fill the queue with them.
      await testLimit
        .consume(endpoint.id)
        .catch(() => fail('TDM_RATE_LIMITED', `At most ${TESTS_PER_MINUTE} test deliveries a minute per endpoint.`));
      return reply.code(202).send({ delivery: presentDelivery(await webhooks.queueTest(endpoint)) });
    },
  );

  api.get(
    '/api/v1/webhooks/:id/deliveries',
    {
      schema: describe(
        { auth: ['agentCookie', 'apiKey'], errors: ['TDM_FORBIDDEN', 'TDM_UNKNOWN_SITE', 'TDM_NOT_FOUND'] },
        {
          tags: ['webhooks'],
          summary: 'An endpoint’s deliveries, newest first: status, attempts, the last answer or error',
          params: IdParams,
          querystring: WebhookDeliveryQuery,
          response: { 200: WebhookDeliveryList },
        },
      ),
    },
    async (req) => {
      const endpoint = await endpointFor(req, req.params.id);
      const limit = req.query.limit ?? 20;
      const before = req.query.cursor === undefined ? undefined : readCursor(req.query.cursor);
      // One more than asked: whether a next page exists, without counting.
      const rows = await store.listDeliveries(endpoint.id, { limit: limit + 1, before, status: req.query.status });
      const page = rows.slice(0, limit);
      const last = page[page.length - 1];
      return { deliveries: page.map(presentDelivery), nextCursor: rows.length > limit && last ? writeCursor(last) : null };
    },
  );
}

function present(e: WebhookEndpointRecord) {
  return { id: e.id, siteKey: e.siteKey, url: e.url, events: e.events, description: e.description, enabled: e.enabled, createdAt: e.createdAt };
}

function presentDelivery(d: WebhookDeliveryRecord): WebhookDelivery {
  return {
    id: d.id,
    webhookId: d.endpointId,
    type: d.type,
    sessionId: d.sessionId,
    seq: d.seq,
    status: d.status,
    attempts: d.attempts,
    lastStatusCode: d.lastStatusCode,
    lastError: d.lastError,
    createdAt: d.createdAt,
    lastAttemptAt: d.lastAttemptAt,
    nextAttemptAt: d.nextAttemptAt,
    deliveredAt: d.deliveredAt,
  };
}

/** The position after a row: its time and id, opaque to clients. */
const writeCursor = (d: WebhookDeliveryRecord) => Buffer.from(`${d.createdAt}|${d.id}`, 'utf8').toString('base64url');

function readCursor(cursor: string): { createdAt: string; id: string } {
  const [createdAt, id, ...rest] = Buffer.from(cursor, 'base64url').toString('utf8').split('|');
  const ok = rest.length === 0 && !!createdAt && !!id && /^\d{4}-\d\d-\d\dT[\d:.]+Z$/.test(createdAt) && id.length <= 64;
  return ok ? { createdAt, id } : fail('TDM_BAD_MESSAGE', 'cursor: not one this server gave.');
}
