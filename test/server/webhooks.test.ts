/**
 * Signed webhooks against real servers and real HTTP receivers on 127.0.0.1:
 * endpoints over REST and who may touch them; every delivery's signature
 * checked with the README's verification, a session's events in order (a
 * failed one holds back the rest of its session); a receiver that fails is
 * retried with back-off and gets the delivery after the server restarted on
 * the same data directory; two nodes never both send a delivery; the address
 * guard refuses private targets, by name at connect time too.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAgent, createApiKey, loadConfig, openSqliteStore, startServer, type TandemServer } from '@tandem/server';
import { SecretBox } from '../../packages/server/src/auth/secret-box.js';
import { DeliveryWorker, retryDelay } from '../../packages/server/src/webhooks/worker.js';
import { MAX_WEBHOOKS_PER_SITE, WEBHOOK_EVENT_TYPES, WebhookPayload, schemaChecker, type WebhookEventType } from '@tandem/protocol/schema';
import type { WebhookDeliveryRecord, WebhookStore } from '../../packages/server/src/store/webhook-store.js';
import { ADMIN, serverEnv, startCluster, startTestServer, type TestServer } from '../helpers/server.js';
import { joinAsAgent, signIn, startVisitorSession } from '../helpers/clients.js';
import { agentCookie, api } from '../helpers/http.js';
import { storeBackends } from '../helpers/stores.js';

// ---- the README's verification, as a receiver would paste it -----------------------------

function verifyTandemSignature(secret: string, header: string, rawBody: string, toleranceSec = 300): boolean {
  const fields = new Map(
    String(header)
      .split(',')
      .map((kv) => [kv.slice(0, kv.indexOf('=')).trim(), kv.slice(kv.indexOf('=') + 1).trim()]),
  );
  const t = Number(fields.get('t'));
  const given = Buffer.from(fields.get('v1') ?? '', 'hex');
  if (!Number.isInteger(t) || Math.abs(Date.now() / 1000 - t) > toleranceSec) return false;
  const expected = createHmac('sha256', secret).update(`${t}.${rawBody}`).digest();
  return given.length === expected.length && timingSafeEqual(given, expected);
}

// ---- a receiver ---------------------------------------------------------------------------

interface Received {
  at: number;
  headers: IncomingHttpHeaders;
  body: string;
  json: any;
  /** What the receiver answered. */
  status: number;
}

interface Receiver {
  url: string;
  port: number;
  got: Received[];
  /** The answer to each request, by what it is (default 200). */
  answer: (r: Omit<Received, 'status'>) => number;
  /** How long it takes to answer. */
  delayMs: number;
  listen(port?: number): Promise<void>;
  close(): Promise<void>;
}

function receiver(path = '/hook'): Receiver {
  let server: Server | undefined;
  const r: Receiver = {
    url: '',
    port: 0,
    got: [],
    answer: () => 200,
    delayMs: 0,
    async listen(port = 0) {
      server = createServer((req, res) => {
        const chunks: Buffer[] = [];
        req.on('data', (c: Buffer) => chunks.push(c));
        req.on('end', () => {
          const body = Buffer.concat(chunks).toString('utf8');
          const seen = { at: Date.now(), headers: req.headers, body, json: JSON.parse(body) };
          const status = r.answer(seen);
          r.got.push({ ...seen, status });
          setTimeout(() => res.writeHead(status).end(status === 200 ? 'ok' : 'no'), r.delayMs);
        });
      });
      await new Promise<void>((resolve) => server!.listen(port, '127.0.0.1', resolve));
      r.port = (server.address() as AddressInfo).port;
      r.url = `http://127.0.0.1:${r.port}${path}`;
    },
    async close() {
      const s = server;
      server = undefined;
      if (!s) return;
      s.closeAllConnections();
      await new Promise<void>((resolve) => s.close(() => resolve()));
    },
  };
  return r;
}

const checkPayload = schemaChecker(WebhookPayload);

/** A test delivery as the store queues it, due at once (its body is what a receiver gets). */
const queuedTest = (id: string, endpointId: string, at: string): WebhookDeliveryRecord => ({
  id,
  endpointId,
  type: 'webhook.test',
  sessionId: null,
  seq: null,
  payload: JSON.stringify({ id, type: 'webhook.test', createdAt: at, siteKey: 'demo', sessionId: null, seq: null, data: {} }),
  status: 'pending',
  attempts: 0,
  lastStatusCode: null,
  lastError: null,
  createdAt: at,
  lastAttemptAt: null,
  nextAttemptAt: at,
  deliveredAt: null,
});
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const ENV = {
  TANDEM_SITE_KEYS: 'demo,shop,crowd',
  TANDEM_WEBHOOK_ALLOW_PRIVATE: '1',
  TANDEM_WEBHOOK_HTTP_HOSTS: '127.0.0.1',
  TANDEM_WEBHOOK_RETRY_BASE_MS: '200',
};

let s: TestServer;
let admin: string;
let plain: string;
let demoKey: string;
let shopKey: string;
let adminKey: string;
const receivers: Receiver[] = [];

async function newReceiver(): Promise<Receiver> {
  const r = receiver();
  await r.listen();
  receivers.push(r);
  return r;
}

beforeAll(async () => {
  s = await startTestServer(ENV);
  await createAgent(s.context.store, { email: 'plain@example.test', password: 'plain password', name: 'Plain' });
  admin = await agentCookie(s.url, ADMIN.email, ADMIN.password);
  plain = await agentCookie(s.url, 'plain@example.test', 'plain password');
  demoKey = 'Bearer ' + (await createApiKey(s.context.store, 'crm', { siteKey: 'demo' }));
  shopKey = 'Bearer ' + (await createApiKey(s.context.store, 'shop crm', { siteKey: 'shop' }));
  adminKey = 'Bearer ' + (await createApiKey(s.context.store, 'ops', { admin: true }));
});

const backends = await storeBackends();

afterAll(async () => {
  await s?.stop();
  for (const r of receivers) await r.close();
  await backends.drop();
});

describe('webhook endpoints over REST', () => {
  it('are created with a secret shown once, listed without it, changed and deleted', async () => {
    const r = await newReceiver();
    const created = await api(s.url, '/api/v1/sites/demo/webhooks', { auth: demoKey, body: { url: r.url, description: 'CRM' } });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ siteKey: 'demo', url: r.url, description: 'CRM', enabled: true, events: [...WEBHOOK_EVENT_TYPES] });
    const { id, secret } = created.body as { id: string; secret: string };
    expect(secret).toMatch(/^whsec_[A-Za-z0-9_-]{43}$/);
    // At rest only sealed, and nowhere in what the API gives back later.
    const stored = await s.context.store.webhooks.getEndpoint(id);
    expect(JSON.stringify(stored)).not.toContain(secret.slice(6));
    const listed = await api(s.url, '/api/v1/sites/demo/webhooks', { auth: admin });
    expect(listed.status).toBe(200);
    expect(listed.body.webhooks.map((w: any) => w.id)).toContain(id);
    expect(JSON.stringify(listed.body)).not.toContain('whsec_');

    const changed = await api(s.url, `/api/v1/webhooks/${id}`, {
      method: 'PATCH',
      auth: demoKey,
      body: { events: ['session.ended', 'agent.joined'], enabled: false, description: null },
    });
    expect(changed.status).toBe(200);
    expect(changed.body).toMatchObject({ id, events: ['session.ended', 'agent.joined'], enabled: false, description: null });
    expect(JSON.stringify(changed.body)).not.toContain('whsec_');

    expect((await api(s.url, `/api/v1/webhooks/${id}`, { method: 'DELETE', auth: demoKey })).status).toBe(204);
    expect((await api(s.url, `/api/v1/webhooks/${id}/deliveries`, { auth: demoKey })).status).toBe(404);
    expect((await api(s.url, '/api/v1/sites/demo/webhooks', { auth: demoKey })).body.webhooks.map((w: any) => w.id)).not.toContain(id);
  });

  it('answer another site’s key 404, an agent who is not an admin 403, no credentials 401, a bad body 400', async () => {
    const r = await newReceiver();
    const { id } = (await api(s.url, '/api/v1/sites/demo/webhooks', { auth: demoKey, body: { url: r.url } })).body as { id: string };

    for (const [method, path, body] of [
      ['GET', '/api/v1/sites/demo/webhooks', undefined],
      ['POST', '/api/v1/sites/demo/webhooks', { url: r.url }],
    ] as const) {
      const res = await api(s.url, path, { method, body, auth: shopKey });
      expect(res.status, `${method} ${path}`).toBe(404);
      expect(res.body.code).toBe('TDM_UNKNOWN_SITE');
    }
    for (const [method, path, body] of [
      ['PATCH', `/api/v1/webhooks/${id}`, { enabled: false }],
      ['DELETE', `/api/v1/webhooks/${id}`, undefined],
      ['POST', `/api/v1/webhooks/${id}/test`, {}],
      ['GET', `/api/v1/webhooks/${id}/deliveries`, undefined],
    ] as const) {
      const other = await api(s.url, path, { method, body, auth: shopKey });
      expect(other.status, `${method} ${path} with another site's key`).toBe(404);
      expect(other.body.code).toBe('TDM_NOT_FOUND');
      const agent = await api(s.url, path, { method, body, auth: plain });
      expect(agent.status, `${method} ${path} as an agent`).toBe(403);
      expect(agent.body.code).toBe('TDM_FORBIDDEN');
      expect((await api(s.url, path, { method, body })).status, `${method} ${path} without credentials`).toBe(401);
    }
    expect((await api(s.url, '/api/v1/sites/demo/webhooks', { auth: plain })).status).toBe(403);
    expect((await api(s.url, '/api/v1/sites/demo/webhooks', { auth: plain, body: { url: r.url } })).status).toBe(403);
    expect((await api(s.url, '/api/v1/webhooks/no-such-id', { method: 'PATCH', auth: adminKey, body: {} })).status).toBe(404);
    expect((await api(s.url, '/api/v1/sites/nowhere/webhooks', { auth: adminKey, body: { url: r.url } })).status).toBe(404);
    // Still there, unchanged, after all that.
    expect((await s.context.store.webhooks.getEndpoint(id))?.enabled).toBe(true);

    for (const [body, field] of [
      [{}, 'url'],
      [{ url: 'ftp://127.0.0.1/x' }, 'url'],
      [{ url: 'not a url' }, 'url'],
      [{ url: `http://127.0.0.1/${'x'.repeat(1000)}` }, 'url'],
      [{ url: 'http://user:pw@127.0.0.1/' }, 'url'],
      [{ url: r.url, events: ['session.exploded'] }, 'events'],
      [{ url: r.url, events: [] }, 'events'],
      [{ url: r.url, events: ['agent.left', 'agent.left'] }, 'events'],
      [{ url: r.url, description: 'x'.repeat(201) }, 'description'],
    ] as const) {
      const res = await api(s.url, '/api/v1/sites/demo/webhooks', { auth: demoKey, body });
      expect(res.status, JSON.stringify(body).slice(0, 80)).toBe(400);
      expect(res.body.code).toBe('TDM_BAD_MESSAGE');
      expect(res.body.message, JSON.stringify(body).slice(0, 80)).toContain(field);
    }
    const badPatch = await api(s.url, `/api/v1/webhooks/${id}`, { method: 'PATCH', auth: demoKey, body: { enabled: 'yes' } });
    expect(badPatch.status).toBe(400);
    expect(badPatch.body.message).toContain('enabled');
    const badCursor = await api(s.url, `/api/v1/webhooks/${id}/deliveries?cursor=bm9wZQ`, { auth: demoKey });
    expect(badCursor.status).toBe(400);
    expect(badCursor.body.message).toContain('cursor');
  });

  it(`are at most ${MAX_WEBHOOKS_PER_SITE} per site, also when requests race`, async () => {
    const r = await newReceiver();
    const answers = await Promise.all(
      Array.from({ length: MAX_WEBHOOKS_PER_SITE + 5 }, (_, i) =>
        api(s.url, '/api/v1/sites/crowd/webhooks', { auth: adminKey, body: { url: `${r.url}?n=${i}` } }),
      ),
    );
    expect(answers.filter((a) => a.status === 201)).toHaveLength(MAX_WEBHOOKS_PER_SITE);
    const refused = answers.filter((a) => a.status !== 201);
    expect(refused.map((a) => a.status)).toEqual(Array(5).fill(409));
    expect(refused[0]!.body.code).toBe('TDM_CONFLICT');
    expect((await api(s.url, '/api/v1/sites/crowd/webhooks', { auth: adminKey })).body.webhooks).toHaveLength(MAX_WEBHOOKS_PER_SITE);
  });
});

describe('deliveries', () => {
  it('are signed, and a session’s events arrive in order: one that fails holds back the rest of its session', async () => {
    const r = await newReceiver();
    const created = await api(s.url, '/api/v1/sites/demo/webhooks', { auth: demoKey, body: { url: r.url } });
    const { id: webhookId, secret } = created.body as { id: string; secret: string };
    // The first try of session.started fails: nothing after it may arrive before its retry succeeded.
    let failedOnce = false;
    r.answer = (got) => (got.json.type === 'session.started' && !failedOnce ? ((failedOnce = true), 503) : 200);

    const session = await startVisitorSession(s.url, 'Ada');
    const agent = await joinAsAgent(s.url, await signIn(s.url), session.code);
    agent.sendJson({ t: 'requestMode', mode: 'control' });
    await session.visitor.next((m) => m.t === 'modeRequest');
    session.visitor.sendJson({ t: 'mode', mode: 'control' });
    await agent.next((m) => m.t === 'mode' && m.mode === 'control');
    agent.ws.close();
    await session.visitor.next((m) => m.t === 'agentLeft');
    session.visitor.sendJson({ t: 'end' });
    await session.visitor.next((m) => m.t === 'ended');

    const ofSession = () => r.got.filter((g) => g.json.sessionId === session.sessionId);
    await expect.poll(() => ofSession().filter((g) => g.status === 200).length, { timeout: 15_000 }).toBe(6);
    await sleep(300);
    const got = ofSession();
    // Every request, failed ones too, in the order they arrived.
    expect(got.map((g) => `${g.json.type}:${g.status}`)).toEqual([
      'session.requested:200',
      'session.started:503',
      'session.started:200',
      'agent.joined:200',
      'mode.changed:200',
      'agent.left:200',
      'session.ended:200',
    ]);
    const seqs = got.filter((g) => g.status === 200).map((g) => g.json.seq as number);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    for (const g of got) {
      expect(verifyTandemSignature(secret, String(g.headers['tandem-signature']), g.body), g.json.type).toBe(true);
      // Signed with this endpoint's secret, over this body: a changed body or another secret fails.
      expect(verifyTandemSignature(secret, String(g.headers['tandem-signature']), g.body.replace('"demo"', '"shop"'))).toBe(false);
      expect(verifyTandemSignature(`${secret}x`, String(g.headers['tandem-signature']), g.body)).toBe(false);
      expect(g.headers['tandem-event']).toBe(g.json.type);
      expect(g.headers['tandem-webhook-id']).toBe(g.json.id);
      expect(g.headers['content-type']).toBe('application/json');
      expect(checkPayload(g.json), g.body).toBeNull();
      expect(g.json).toMatchObject({ siteKey: 'demo', sessionId: session.sessionId });
    }
    // The retry is the same delivery: same id, same body.
    expect(got[1]!.json.id).toBe(got[2]!.json.id);
    expect(got[1]!.body).toBe(got[2]!.body);
    const byType = Object.fromEntries(got.map((g) => [g.json.type, g.json]));
    expect(byType['session.requested'].data).toMatchObject({ mode: 'view', visitor: { name: 'Ada', verified: false } });
    expect(byType['agent.joined'].data).toEqual({ agent: { id: expect.any(String), name: ADMIN.name } });
    expect(byType['mode.changed'].data).toEqual({ mode: 'control', previous: 'view' });
    expect(byType['session.ended'].data).toEqual({ reason: 'visitor' });
    // The code lets anyone join while the session runs: it is in no webhook.
    expect(got.map((g) => g.body).join('')).not.toContain(`"${session.code}"`);

    const listed = await api(s.url, `/api/v1/webhooks/${webhookId}/deliveries`, { auth: demoKey });
    expect(listed.status).toBe(200);
    const rows = listed.body.deliveries as any[];
    // Newest first.
    expect(rows.map((d) => d.type)).toEqual([
      'session.ended',
      'agent.left',
      'mode.changed',
      'agent.joined',
      'session.started',
      'session.requested',
    ]);
    expect(rows.every((d) => d.status === 'delivered' && d.lastStatusCode === 200 && d.deliveredAt)).toBe(true);
    expect(rows.find((d) => d.type === 'session.started')).toMatchObject({ attempts: 2, lastError: null });
    expect(rows.filter((d) => d.type !== 'session.started').every((d) => d.attempts === 1)).toBe(true);
    expect(JSON.stringify(listed.body)).not.toContain('whsec_');
  });

  it('a test delivery reaches an endpoint whatever it subscribed to; deliveries page by cursor', async () => {
    const r = await newReceiver();
    const created = await api(s.url, '/api/v1/sites/shop/webhooks', { auth: shopKey, body: { url: r.url, events: ['session.ended'] } });
    const { id, secret } = created.body as { id: string; secret: string };
    const ids: string[] = [];
    for (let i = 0; i < 7; i++) {
      const queued = await api(s.url, `/api/v1/webhooks/${id}/test`, { method: 'POST', auth: shopKey, body: {} });
      expect(queued.status).toBe(202);
      expect(queued.body.delivery).toMatchObject({ webhookId: id, type: 'webhook.test', status: 'pending', attempts: 0, sessionId: null });
      ids.push(queued.body.delivery.id);
    }
    await expect.poll(() => r.got.length, { timeout: 10_000 }).toBe(7);
    for (const g of r.got) {
      expect(verifyTandemSignature(secret, String(g.headers['tandem-signature']), g.body)).toBe(true);
      expect(g.json).toMatchObject({ type: 'webhook.test', siteKey: 'shop', sessionId: null, seq: null, data: {} });
      expect(checkPayload(g.json)).toBeNull();
    }
    expect(r.got.map((g) => g.json.id).sort()).toEqual([...ids].sort());

    // Three pages of three: newest first, each delivery once.
    await expect
      .poll(async () => (await api(s.url, `/api/v1/webhooks/${id}/deliveries?status=delivered`, { auth: shopKey })).body.deliveries.length)
      .toBe(7);
    const pages: any[][] = [];
    let cursor: string | null = '';
    while (cursor !== null) {
      const page = await api(s.url, `/api/v1/webhooks/${id}/deliveries?limit=3${cursor ? `&cursor=${cursor}` : ''}`, { auth: shopKey });
      expect(page.status).toBe(200);
      pages.push(page.body.deliveries);
      cursor = page.body.nextCursor;
    }
    expect(pages.map((p) => p.length)).toEqual([3, 3, 1]);
    const listed = pages.flat();
    expect(new Set(listed.map((d) => d.id))).toEqual(new Set(ids));
    const times = listed.map((d) => d.createdAt as string);
    expect(times).toEqual([...times].sort().reverse());
    expect((await api(s.url, `/api/v1/webhooks/${id}/deliveries?status=pending`, { auth: shopKey })).body.deliveries).toEqual([]);
  });
});

describe('retries and restarts', () => {
  it('a receiver that answers 500, then is down, is retried with back-off and gets the delivery after the server restarted', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'tandem-webhooks-'));
    const config = loadConfig(serverEnv(dataDir, ENV));
    let server: TandemServer | undefined = await startServer(config, { print: () => {}, logger: false });
    const r = receiver();
    try {
      await r.listen();
      // Two 500s, then the receiver goes away (its port refuses connections).
      r.answer = () => {
        if (r.got.length === 1) setImmediate(() => void r.close());
        return 500;
      };
      const key = 'Bearer ' + (await createApiKey(server.context.store, 'crm', { siteKey: 'demo' }));
      const created = await api(server.url, '/api/v1/sites/demo/webhooks', { auth: key, body: { url: r.url, events: ['session.requested'] } });
      const { id, secret } = created.body as { id: string; secret: string };
      const session = await startVisitorSession(server.url, 'Grace');

      const delivery = async (url: string) => (await api(url, `/api/v1/webhooks/${id}/deliveries`, { auth: key })).body.deliveries[0];
      await expect.poll(async () => (await delivery(server!.url))?.attempts ?? 0, { timeout: 15_000 }).toBeGreaterThanOrEqual(4);
      const failing = await delivery(server.url);
      expect(failing).toMatchObject({ status: 'pending', type: 'session.requested', sessionId: session.sessionId, lastStatusCode: null });
      expect(failing.lastError).toMatch(/ECONNREFUSED/);
      expect(failing.lastError).not.toMatch(/127\.0\.0\.1/);
      expect(Date.parse(failing.nextAttemptAt)).toBeGreaterThan(Date.parse(failing.lastAttemptAt));
      expect(r.got.map((g) => g.status)).toEqual([500, 500]);
      // Back-off: the second try came at least half the base (200 ms) after the first.
      expect(r.got[1]!.at - r.got[0]!.at).toBeGreaterThanOrEqual(100);

      await server.close();
      server = undefined;
      // While the server is down nothing is sent; the receiver comes back on the same address.
      r.answer = () => 200;
      await r.listen(r.port);
      await sleep(1_000);
      expect(r.got).toHaveLength(2);

      server = await startServer(config, { print: () => {}, logger: false });
      await expect.poll(() => r.got.length, { timeout: 20_000 }).toBe(3);
      const last = r.got[2]!;
      expect(last.status).toBe(200);
      expect(last.json.id).toBe(r.got[0]!.json.id);
      expect(last.body).toBe(r.got[0]!.body);
      expect(verifyTandemSignature(secret, String(last.headers['tandem-signature']), last.body)).toBe(true);
      await expect.poll(async () => (await delivery(server!.url)).status).toBe('delivered');
      const delivered = await delivery(server.url);
      expect(delivered.attempts).toBeGreaterThanOrEqual(5);
      expect(delivered).toMatchObject({ lastStatusCode: 200, lastError: null, nextAttemptAt: null });
      await sleep(500);
      expect(r.got).toHaveLength(3);
    } finally {
      await server?.close();
      await r.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('gives a delivery up after the last attempt', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'tandem-webhooks-'));
    const server = await startServer(
      loadConfig(serverEnv(dataDir, { ...ENV, TANDEM_WEBHOOK_MAX_ATTEMPTS: '3', TANDEM_WEBHOOK_RETRY_BASE_MS: '50' })),
      {
        print: () => {},
        logger: false,
      },
    );
    const r = await newReceiver();
    r.answer = () => 502;
    try {
      const key = 'Bearer ' + (await createApiKey(server.context.store, 'crm', { siteKey: 'demo' }));
      const { id } = (await api(server.url, '/api/v1/sites/demo/webhooks', { auth: key, body: { url: r.url } })).body as { id: string };
      await api(server.url, `/api/v1/webhooks/${id}/test`, { method: 'POST', auth: key, body: {} });
      const first = async () => (await api(server.url, `/api/v1/webhooks/${id}/deliveries`, { auth: key })).body.deliveries[0];
      await expect.poll(async () => (await first()).status, { timeout: 10_000 }).toBe('failed');
      expect(await first()).toMatchObject({ attempts: 3, lastStatusCode: 502, lastError: 'HTTP 502', nextAttemptAt: null, deliveredAt: null });
      await sleep(500);
      expect(r.got).toHaveLength(3);
    } finally {
      await server.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe('what one attempt may cost', () => {
  it('a receiver that never answers times out; one that answers without end is read up to a cap, not to the timeout', async () => {
    const hanging = createServer(() => {});
    const endless = createServer((_req, res) => {
      res.writeHead(200);
      const chunk = Buffer.alloc(16 * 1024, 'x');
      const pump = () => {
        while (!res.destroyed && res.write(chunk));
        if (!res.destroyed) res.once('drain', pump);
      };
      pump();
    });
    for (const srv of [hanging, endless]) await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
    const url = (srv: Server) => `http://127.0.0.1:${(srv.address() as AddressInfo).port}/hook`;
    const dataDir = mkdtempSync(join(tmpdir(), 'tandem-webhooks-'));
    const server = await startServer(
      loadConfig(serverEnv(dataDir, { ...ENV, TANDEM_WEBHOOK_TIMEOUT_MS: '1500', TANDEM_WEBHOOK_RETRY_BASE_MS: '60000' })),
      {
        print: () => {},
        logger: false,
      },
    );
    try {
      const key = 'Bearer ' + (await createApiKey(server.context.store, 'crm', { siteKey: 'demo' }));
      const latest = async (id: string) => (await api(server.url, `/api/v1/webhooks/${id}/deliveries`, { auth: key })).body.deliveries[0];
      const ids: string[] = [];
      for (const srv of [hanging, endless]) {
        const { id } = (await api(server.url, '/api/v1/sites/demo/webhooks', { auth: key, body: { url: url(srv) } })).body as { id: string };
        await api(server.url, `/api/v1/webhooks/${id}/test`, { method: 'POST', auth: key, body: {} });
        ids.push(id);
      }
      const t0 = Date.now();
      await expect.poll(async () => (await latest(ids[1]!)).status, { timeout: 5_000 }).toBe('delivered');
      expect(Date.now() - t0).toBeLessThan(1_500);
      await expect.poll(async () => (await latest(ids[0]!)).attempts, { timeout: 5_000 }).toBe(1);
      expect(await latest(ids[0]!)).toMatchObject({ status: 'pending', lastStatusCode: null, lastError: 'No answer within 1500 ms.' });
    } finally {
      await server.close();
      for (const srv of [hanging, endless]) {
        srv.closeAllConnections();
        srv.close();
      }
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('waits base·2^(n−1) after the n-th failure, half of it random, at most 6 hours', () => {
    expect([1, 2, 3, 4].map((n) => retryDelay(n, 1_000, 0))).toEqual([500, 1_000, 2_000, 4_000]);
    expect([1, 2, 3, 4].map((n) => retryDelay(n, 1_000, 1))).toEqual([1_000, 2_000, 4_000, 8_000]);
    expect(retryDelay(40, 30_000, 1)).toBe(6 * 3_600_000);
  });
});

describe('a cluster', () => {
  it('two nodes sharing the store send each delivery once', async () => {
    const cluster = await startCluster(2, ENV);
    const r = await newReceiver();
    r.answer = () => 200;
    try {
      const [a, b] = cluster.nodes as [TandemServer, TandemServer];
      const key = 'Bearer ' + (await createApiKey(cluster.store, 'crm', { siteKey: 'demo' }));
      const store = cluster.store.webhooks;
      const { id } = (await api(a.url, '/api/v1/sites/demo/webhooks', { auth: key, body: { url: r.url } })).body as { id: string };
      // Forty deliveries wait while the endpoint is disabled; enabling it wakes both nodes' workers at once, and both race for every one.
      await api(a.url, `/api/v1/webhooks/${id}`, { method: 'PATCH', auth: key, body: { enabled: false } });
      const now = new Date().toISOString();
      await store.enqueueDeliveries(Array.from({ length: 40 }, (_, i) => queuedTest(`race-${i}`, id, now)));
      await Promise.all([a, b].map((node) => api(node.url, `/api/v1/webhooks/${id}`, { method: 'PATCH', auth: key, body: { enabled: true } })));
      await expect.poll(() => r.got.length, { timeout: 15_000 }).toBeGreaterThanOrEqual(40);
      await sleep(2_500);
      const ids = r.got.map((g) => g.json.id as string);
      expect(ids).toHaveLength(40);
      expect(new Set(ids).size).toBe(40);

      // The claim itself, on a delivery no worker touches (its endpoint is disabled): of many claimants at once, one wins.
      const paused = (await api(a.url, '/api/v1/sites/demo/webhooks', { auth: key, body: { url: r.url } })).body as { id: string };
      await api(a.url, `/api/v1/webhooks/${paused.id}`, { method: 'PATCH', auth: key, body: { enabled: false } });
      const t0 = Date.now();
      const at = (ms: number) => new Date(t0 + ms).toISOString();
      await store.enqueueDeliveries([queuedTest('claim-me', paused.id, at(0))]);
      const wins = await Promise.all(Array.from({ length: 10 }, (_, i) => store.claimDelivery('claim-me', `claim ${i}`, at(0), at(60_000))));
      expect(wins.filter(Boolean)).toHaveLength(1);
      const winner = `claim ${wins.indexOf(true)}`;
      // Once the claim expired (its node died mid-send), another node takes it; the old claimant's result is not recorded.
      expect(await store.claimDelivery('claim-me', 'late', at(30_000), at(90_000))).toBe(false);
      expect(await store.claimDelivery('claim-me', 'next node', at(61_000), at(121_000))).toBe(true);
      await store.recordAttempt('claim-me', winner, { status: 'delivered', at: at(61_500), statusCode: 200, error: null, nextAttemptAt: null });
      expect(await store.getDelivery('claim-me')).toMatchObject({ status: 'pending', attempts: 0 });
      await store.recordAttempt('claim-me', 'next node', {
        status: 'delivered',
        at: at(62_000),
        statusCode: 200,
        error: null,
        nextAttemptAt: null,
      });
      expect(await store.getDelivery('claim-me')).toMatchObject({ status: 'delivered', attempts: 1, lastStatusCode: 200 });
      expect(await store.claimDelivery('claim-me', 'again', at(200_000), at(260_000))).toBe(false);
    } finally {
      await cluster.stop();
    }
  });
});

/** An endpoint straight into a store, for the worker tests (no server, no REST). */
function addEndpoint(
  store: { webhooks: WebhookStore },
  e: { id: string; url: string; siteKey?: string; secretSealed: string; enabled?: boolean; events?: WebhookEventType[] },
): Promise<boolean> {
  return store.webhooks.createEndpoint(
    {
      siteKey: 'demo',
      events: ['session.ended'],
      description: null,
      enabled: true,
      createdAt: new Date().toISOString(),
      ...e,
    },
    MAX_WEBHOOKS_PER_SITE,
  );
}

describe('retention', () => {
  it('deletes old deliveries whatever their state (a disabled endpoint’s pending ones too), never for longer than the sessions’ retention', async () => {
    expect(loadConfig(serverEnv('/tmp/x', { TANDEM_RETENTION_DAYS: '7' })).webhooks.retentionDays).toBe(7);
    expect(loadConfig(serverEnv('/tmp/x', { TANDEM_RETENTION_DAYS: '90', TANDEM_WEBHOOK_RETENTION_DAYS: '30' })).webhooks.retentionDays).toBe(
      30,
    );
    const dataDir = mkdtempSync(join(tmpdir(), 'tandem-webhooks-'));
    const store = await openSqliteStore(dataDir);
    try {
      await addEndpoint(store, {
        id: 'off',
        url: 'https://hooks.example.invalid/',
        events: ['session.requested'],
        secretSealed: 'x',
        enabled: false,
      });
      const old = new Date(Date.now() - 40 * 86_400_000).toISOString();
      await store.webhooks.enqueueDeliveries([
        queuedTest('old-pending', 'off', old),
        queuedTest('new-pending', 'off', new Date().toISOString()),
      ]);
      expect(await store.webhooks.purgeDeliveries(new Date(Date.now() - 30 * 86_400_000).toISOString())).toBe(1);
      expect(await store.webhooks.getDelivery('old-pending')).toBeUndefined();
      expect(await store.webhooks.getDelivery('new-pending')).toBeDefined();
    } finally {
      await store.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe.each(backends.list)('two workers on one database, on $name', (backend) => {
  it('woken at the same moment, they race for every delivery and send each once', async () => {
    const place = await backend.place();
    // On PostgreSQL each worker has a store (a connection pool) of its own, as two nodes have.
    const store = await place.open();
    const other = backend.name === 'PostgreSQL' ? await place.open() : store;
    const r = await newReceiver();
    const config = loadConfig(serverEnv(place.dataDir, ENV)).webhooks;
    const box = new SecretBox(randomBytes(32), 'webhook secrets');
    const errors: unknown[] = [];
    const workers = [store, other].map((st) => new DeliveryWorker({ store: st.webhooks, config, box, report: (e) => errors.push(e) }));
    try {
      const endpointId = 'raced';
      const secret = 'whsec_race';
      await addEndpoint(store, { id: endpointId, url: r.url, secretSealed: box.seal(secret, endpointId) });
      const now = new Date().toISOString();
      await store.webhooks.enqueueDeliveries(Array.from({ length: 40 }, (_, i) => queuedTest(`race-${i}`, endpointId, now)));
      // Both look at the queue before either has claimed anything.
      for (const w of workers) w.kick();
      await expect.poll(() => r.got.length, { timeout: 15_000 }).toBeGreaterThanOrEqual(40);
      await sleep(500);
      expect(r.got.map((g) => g.json.id).sort()).toEqual(Array.from({ length: 40 }, (_, i) => `race-${i}`).sort());
      expect(r.got.every((g) => verifyTandemSignature(secret, String(g.headers['tandem-signature']), g.body))).toBe(true);
      expect(errors).toEqual([]);
    } finally {
      for (const w of workers) await w.stop();
      await store.close();
      if (other !== store) await other.close();
    }
  });
});

describe('two workers on one store', () => {
  it('a slow endpoint with a long queue does not hold up another endpoint', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'tandem-webhooks-'));
    const store = await openSqliteStore(dataDir);
    const slow = await newReceiver();
    const quick = await newReceiver();
    // The slow receiver answers after 1.5 s: its 30 deliveries take over 20 s at two at a time.
    slow.delayMs = 1_500;
    const box = new SecretBox(randomBytes(32), 'webhook secrets');
    const worker = new DeliveryWorker({ store: store.webhooks, config: loadConfig(serverEnv(dataDir, ENV)).webhooks, box, report: () => {} });
    try {
      for (const [id, url] of [
        ['slow', slow.url],
        ['quick', quick.url],
      ] as const) {
        await addEndpoint(store, { id, url, secretSealed: box.seal('whsec_x', id) });
      }
      const older = new Date(Date.now() - 1_000).toISOString();
      await store.webhooks.enqueueDeliveries(Array.from({ length: 30 }, (_, i) => queuedTest(`slow-${i}`, 'slow', older)));
      await store.webhooks.enqueueDeliveries([queuedTest('quick-1', 'quick', new Date().toISOString())]);
      const t0 = Date.now();
      worker.kick();
      await expect.poll(() => quick.got.length, { timeout: 5_000 }).toBe(1);
      expect(Date.now() - t0).toBeLessThan(slow.delayMs);
      expect(slow.got.length).toBeLessThanOrEqual(2);
    } finally {
      await worker.stop();
      await slow.close();
      await store.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('one site’s slow receivers never take every place from another site', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'tandem-webhooks-'));
    const store = await openSqliteStore(dataDir);
    const slow = await newReceiver();
    const quick = await newReceiver();
    slow.delayMs = 1_500;
    const box = new SecretBox(randomBytes(32), 'webhook secrets');
    const worker = new DeliveryWorker({ store: store.webhooks, config: loadConfig(serverEnv(dataDir, ENV)).webhooks, box, report: () => {} });
    try {
      // Four endpoints of one site, two sends each, would fill all eight places of the node.
      const endpoints: [string, string, string][] = [0, 1, 2, 3].map((i) => [`greedy-${i}`, 'demo', slow.url]);
      endpoints.push(['other-1', 'other', quick.url]);
      for (const [id, siteKey, url] of endpoints) {
        await addEndpoint(store, { id, siteKey, url, secretSealed: box.seal('whsec_x', id) });
      }
      const older = new Date(Date.now() - 1_000).toISOString();
      for (let i = 0; i < 4; i++)
        await store.webhooks.enqueueDeliveries(Array.from({ length: 5 }, (_, j) => queuedTest(`greedy-${i}-${j}`, `greedy-${i}`, older)));
      await store.webhooks.enqueueDeliveries([queuedTest('other-1', 'other-1', new Date().toISOString())]);
      const t0 = Date.now();
      worker.kick();
      await expect.poll(() => quick.got.length, { timeout: 5_000 }).toBe(1);
      expect(Date.now() - t0).toBeLessThan(slow.delayMs);
      // At most four of the greedy site's were in flight when the other's went.
      expect(slow.got.length).toBeLessThanOrEqual(4);
    } finally {
      await worker.stop();
      await slow.close();
      await quick.close();
      await store.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe('the address guard', () => {
  let guarded: TestServer;
  let key: string;

  beforeAll(async () => {
    guarded = await startTestServer({
      TANDEM_WEBHOOK_HTTP_HOSTS: '127.0.0.1,localhost',
      TANDEM_WEBHOOK_RETRY_BASE_MS: '50',
      TANDEM_WEBHOOK_MAX_ATTEMPTS: '2',
    });
    key = 'Bearer ' + (await createApiKey(guarded.context.store, 'crm', { siteKey: 'demo' }));
  });

  afterAll(() => guarded?.stop());

  it('refuses private, loopback and link-local addresses, and plain http to hosts not allowed', async () => {
    for (const url of [
      'http://127.0.0.1:9/hook',
      'https://10.1.2.3/hook',
      'https://192.168.1.1/hook',
      'https://169.254.169.254/latest/meta-data',
      'https://[::1]/hook',
      'https://[fe80::1]/hook',
      'https://[::ffff:127.0.0.1]/hook',
      'https://0.0.0.0/hook',
      'http://example.com/hook',
    ]) {
      const res = await api(guarded.url, '/api/v1/sites/demo/webhooks', { auth: key, body: { url } });
      expect(res.status, url).toBe(400);
      expect(res.body.message, url).toMatch(/url: /);
    }
  });

  it('checks the address a name resolves to when it connects: localhost is refused, the receiver never hears of it', async () => {
    const r = await newReceiver();
    const url = `http://localhost:${r.port}/hook`;
    const created = await api(guarded.url, '/api/v1/sites/demo/webhooks', { auth: key, body: { url } });
    expect(created.status).toBe(201);
    const { id } = created.body as { id: string };
    await api(guarded.url, `/api/v1/webhooks/${id}/test`, { method: 'POST', auth: key, body: {} });
    const first = async () => (await api(guarded.url, `/api/v1/webhooks/${id}/deliveries`, { auth: key })).body.deliveries[0];
    await expect.poll(async () => (await first()).status, { timeout: 10_000 }).toBe('failed');
    const failed = await first();
    expect(failed).toMatchObject({ attempts: 2, lastStatusCode: null });
    expect(failed.lastError).toMatch(/localhost resolves to .*private address/);
    // The record never names the address: a site's key must not read the server's network back from it.
    expect(failed.lastError).not.toMatch(/127\.0\.0\.1|::1/);
    expect(r.got).toEqual([]);
  });
});
