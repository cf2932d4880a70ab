/**
 * The REST contract, against a real server: the OpenAPI document at
 * /api/v1/openapi.json is what the server does.
 *
 * - Every documented operation exists and every route the server has (but the
 *   hidden pages and bundles) is documented, and declared with `describe()`.
 * - Each operation is called with a valid request and an invalid one (`table`
 *   below: one entry per operation); each answer's status must be documented,
 *   and its content type and body must fit that status's schema in the document.
 * - A wrong API key answers 401, another site's resource through a site's key
 *   404, a body that does not fit 400 naming the field — all as problems.
 *
 * A new route needs one entry in `table`; a documented operation without one fails.
 */
import Ajv, { type ValidateFunction } from 'ajv';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAgent, createApiKey } from '@tandem/server';
import { ERROR_CODES } from '@tandem/protocol';
import { ADMIN, startTestServer, type TestServer } from '../helpers/server.js';
import { agentCookie } from '../helpers/http.js';

// ---- requests and answers ---------------------------------------------------------

interface Req {
  method: string;
  path: string;
  body?: unknown;
  /** Bytes sent as they are, with their content type (bad JSON, another type). */
  raw?: { body: string; type: string };
  /** The agent cookie, or `Bearer <api key>`. */
  auth?: string;
  headers?: Record<string, string>;
}

interface Answer {
  status: number;
  /** The media type, without parameters. */
  type: string | null;
  text: string;
  json: any;
}

async function send(req: Req): Promise<Answer> {
  const headers: Record<string, string> = { ...req.headers };
  if (req.auth?.startsWith('Bearer ')) headers.authorization = req.auth;
  else if (req.auth) headers.cookie = req.auth;
  let body: string | undefined;
  if (req.raw) [body, headers['content-type']] = [req.raw.body, req.raw.type];
  else if (req.body !== undefined) [body, headers['content-type']] = [JSON.stringify(req.body), 'application/json'];
  const res = await fetch(`${s.url}${req.path}`, { method: req.method, headers, body });
  const text = await res.text();
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return { status: res.status, type: res.headers.get('content-type')?.split(';')[0]!.trim() ?? null, text, json };
}

// ---- the server and what the requests need ------------------------------------------

let s: TestServer;
let doc: { paths: Record<string, Record<string, any>>; components: Record<string, unknown> };
let admin: string;
let plainId: string;
let demoKey: string;
let shopKey: string;
/** Sessions on the demo and shop sites, live for the whole file. */
let demo: Started;
let shop: Started;
let presence: WebSocket;
let demoInvite: string;
let made = 0;

interface Started {
  sessionId: string;
  code: string;
  resumeToken: string;
}

const unique = () => `${Date.now().toString(36)}${++made}`;
/** The visitor routes want a page of an allowed origin; each start seems to come from its own address, so none is rate limited. */
const fromPage = (req: Req): Req => ({ ...req, headers: { origin: s.url, 'x-forwarded-for': `198.51.100.${made++ % 250}`, ...req.headers } });

async function startSession(siteKey = 'demo'): Promise<Started> {
  const res = await send(fromPage({ method: 'POST', path: '/api/v1/visitor/sessions', body: { siteKey } }));
  if (res.status !== 201) throw new Error(`start answered ${res.status} ${res.text}`);
  return res.json as Started;
}

async function issueHandoff(started: Started): Promise<string> {
  const res = await send(
    fromPage({ method: 'POST', path: `/api/v1/visitor/sessions/${started.sessionId}/handoff`, body: { resumeToken: started.resumeToken } }),
  );
  if (res.status !== 200) throw new Error(`handoff answered ${res.status} ${res.text}`);
  return res.json.handoff as string;
}

/** A visitor present on the demo site, as the SDK's presence socket says it. */
function beHere(visitorId: string): Promise<WebSocket> {
  const ws = new WebSocket(`${s.url.replace('http', 'ws')}/ws/presence?site=demo`, { origin: s.url });
  return new Promise((resolve, reject) => {
    ws.once('error', reject);
    ws.once('open', () => {
      ws.send(
        JSON.stringify({
          t: 'here',
          visitorId,
          identity: { name: 'Ann' },
          url: 'https://shop.example/cart',
          title: 'Cart',
          platform: { browser: 'Firefox 130', os: 'Linux', viewport: '1280x800', language: 'en', timeZone: 'UTC' },
        }),
      );
      resolve(ws);
    });
  });
}

beforeAll(async () => {
  s = await startTestServer({ TANDEM_SITE_KEYS: 'demo,shop', TANDEM_TRUST_PROXY: '127.0.0.1' });
  doc = (await send({ method: 'GET', path: '/api/v1/openapi.json' })).json;
  admin = await agentCookie(s.url, ADMIN.email, ADMIN.password);
  plainId = (await createAgent(s.context.store, { email: 'plain@example.test', password: 'plain password', name: 'Plain' })).id;
  demoKey = 'Bearer ' + (await createApiKey(s.context.store, 'crm', { siteKey: 'demo' }));
  shopKey = 'Bearer ' + (await createApiKey(s.context.store, 'shop crm', { siteKey: 'shop' }));
  demo = await startSession('demo');
  shop = await startSession('shop');
  expect((await send({ method: 'PATCH', path: '/api/v1/sites/demo/settings', auth: admin, body: { presence: true } })).status).toBe(200);
  presence = await beHere('contract-visitor-1');
  for (let i = 0; (await send({ method: 'GET', path: '/api/v1/sites/demo/visitors', auth: demoKey })).json.visitors.length === 0; i++) {
    if (i > 100) throw new Error('the present visitor is never listed');
    await new Promise((r) => setTimeout(r, 50));
  }
  const invited = await send({ method: 'POST', path: '/api/v1/sites/demo/invites', auth: demoKey, body: { shortId: shortId() } });
  expect(invited.status).toBe(201);
  demoInvite = invited.json.inviteId;
});

afterAll(async () => {
  presence?.close();
  await s?.stop();
});

// ---- one entry per documented operation: a valid request and an invalid one ------------

interface Entry {
  valid: () => Req | Promise<Req>;
  invalid: () => Req | Promise<Req>;
}

const table: Record<string, Entry> = {
  'POST /api/v1/visitor/sessions': {
    valid: () => fromPage({ method: 'POST', path: '/api/v1/visitor/sessions', body: { siteKey: 'demo', identity: { name: 'Bo' } } }),
    invalid: () => fromPage({ method: 'POST', path: '/api/v1/visitor/sessions', body: { siteKey: 'demo', mode: 'fly' } }),
  },
  'POST /api/v1/visitor/sessions/{id}/handoff': {
    valid: () =>
      fromPage({ method: 'POST', path: `/api/v1/visitor/sessions/${demo.sessionId}/handoff`, body: { resumeToken: demo.resumeToken } }),
    invalid: () => fromPage({ method: 'POST', path: `/api/v1/visitor/sessions/${demo.sessionId}/handoff`, body: { resumeToken: 'wrong' } }),
  },
  'POST /api/v1/visitor/handoff': {
    valid: async () =>
      fromPage({ method: 'POST', path: '/api/v1/visitor/handoff', body: { handoff: await issueHandoff(demo), consented: true } }),
    invalid: () => fromPage({ method: 'POST', path: '/api/v1/visitor/handoff', body: { handoff: 'spent-or-made-up' } }),
  },
  'POST /api/v1/visitor/sessions/{id}/end': {
    valid: async () => {
      const started = await startSession();
      return fromPage({ method: 'POST', path: `/api/v1/visitor/sessions/${started.sessionId}/end`, body: { resumeToken: started.resumeToken } });
    },
    invalid: () => fromPage({ method: 'POST', path: `/api/v1/visitor/sessions/${demo.sessionId}/end`, body: {} }),
  },
  'POST /api/v1/visitor/sessions/{id}/resume': {
    valid: () =>
      fromPage({ method: 'POST', path: `/api/v1/visitor/sessions/${demo.sessionId}/resume`, body: { resumeToken: demo.resumeToken } }),
    invalid: () =>
      fromPage({
        method: 'POST',
        path: `/api/v1/visitor/sessions/${demo.sessionId}/resume`,
        body: { resumeToken: demo.resumeToken },
        headers: { origin: 'https://evil.example' },
      }),
  },
  'POST /api/v1/auth/login': {
    valid: () => ({ method: 'POST', path: '/api/v1/auth/login', body: { email: 'plain@example.test', password: 'plain password' } }),
    invalid: () => ({ method: 'POST', path: '/api/v1/auth/login', raw: { body: '{"email":', type: 'application/json' } }),
  },
  'POST /api/v1/auth/logout': {
    valid: async () => ({ method: 'POST', path: '/api/v1/auth/logout', auth: await agentCookie(s.url, 'plain@example.test', 'plain password') }),
    invalid: () => ({ method: 'POST', path: '/api/v1/auth/logout', raw: { body: '<logout/>', type: 'application/xml' } }),
  },
  'GET /api/v1/auth/me': {
    valid: () => ({ method: 'GET', path: '/api/v1/auth/me', auth: admin }),
    invalid: () => ({ method: 'GET', path: '/api/v1/auth/me', auth: 'tandem_agent=forged' }),
  },
  'GET /api/v1/agents': {
    valid: () => ({ method: 'GET', path: '/api/v1/agents', auth: admin }),
    invalid: () => ({ method: 'GET', path: '/api/v1/agents', auth: demoKey }),
  },
  'POST /api/v1/agents': {
    valid: () => ({
      method: 'POST',
      path: '/api/v1/agents',
      auth: admin,
      body: { email: `new-${unique()}@example.test`, password: 'long enough' },
    }),
    invalid: () => ({ method: 'POST', path: '/api/v1/agents', auth: admin, body: { email: 'short@example.test', password: 'short' } }),
  },
  'PATCH /api/v1/agents/{id}': {
    valid: () => ({ method: 'PATCH', path: `/api/v1/agents/${plainId}`, auth: admin, body: { name: 'Plain Again' } }),
    invalid: () => ({ method: 'PATCH', path: `/api/v1/agents/${plainId}`, auth: admin, body: { role: 'king' } }),
  },
  'POST /api/v1/sessions/join': {
    valid: () => ({ method: 'POST', path: '/api/v1/sessions/join', auth: admin, body: { code: demo.code } }),
    invalid: () => ({ method: 'POST', path: '/api/v1/sessions/join', auth: admin, body: { code: '' } }),
  },
  'POST /api/v1/sessions/{id}/ticket': {
    valid: () => ({ method: 'POST', path: `/api/v1/sessions/${demo.sessionId}/ticket`, auth: admin }),
    invalid: () => ({ method: 'POST', path: `/api/v1/sessions/${'x'.repeat(65)}/ticket`, auth: admin }),
  },
  'GET /api/v1/sessions': {
    valid: () => ({ method: 'GET', path: '/api/v1/sessions?limit=10&active=true', auth: demoKey }),
    invalid: () => ({ method: 'GET', path: '/api/v1/sessions?limit=0', auth: demoKey }),
  },
  'GET /api/v1/sessions/{id}': {
    valid: () => ({ method: 'GET', path: `/api/v1/sessions/${demo.sessionId}`, auth: demoKey }),
    invalid: () => ({ method: 'GET', path: `/api/v1/sessions/${shop.sessionId}`, auth: demoKey }),
  },
  'POST /api/v1/sessions/{id}/end': {
    valid: async () => ({ method: 'POST', path: `/api/v1/sessions/${(await startSession()).sessionId}/end`, auth: demoKey }),
    invalid: () => ({ method: 'POST', path: `/api/v1/sessions/${shop.sessionId}/end`, auth: demoKey }),
  },
  'GET /api/v1/sites': {
    valid: () => ({ method: 'GET', path: '/api/v1/sites', auth: demoKey }),
    invalid: () => ({ method: 'GET', path: '/api/v1/sites' }),
  },
  'POST /api/v1/sites': {
    valid: () => ({ method: 'POST', path: '/api/v1/sites', auth: admin, body: { key: `site-${unique()}`, name: 'Another' } }),
    invalid: () => ({ method: 'POST', path: '/api/v1/sites', auth: admin, body: { key: 'not a key!' } }),
  },
  'GET /api/v1/sites/{key}/settings': {
    valid: () => ({ method: 'GET', path: '/api/v1/sites/demo/settings', auth: demoKey }),
    invalid: () => ({ method: 'GET', path: '/api/v1/sites/shop/settings', auth: demoKey }),
  },
  'PATCH /api/v1/sites/{key}/settings': {
    valid: () => ({ method: 'PATCH', path: '/api/v1/sites/demo/settings', auth: demoKey, body: { masking: { selectors: ['.card-number'] } } }),
    invalid: () => ({ method: 'PATCH', path: '/api/v1/sites/demo/settings', auth: demoKey, body: { defaultmode: 'view' } }),
  },
  'POST /api/v1/sites/{key}/identity-secret': {
    valid: () => ({ method: 'POST', path: '/api/v1/sites/shop/identity-secret', auth: shopKey }),
    invalid: () => ({ method: 'POST', path: '/api/v1/sites/demo/identity-secret', auth: shopKey }),
  },
  'GET /api/v1/sites/{key}/selector-counts': {
    valid: () => ({ method: 'GET', path: '/api/v1/sites/demo/selector-counts', auth: demoKey }),
    invalid: () => ({ method: 'GET', path: '/api/v1/sites/demo/selector-counts', auth: shopKey }),
  },
  'GET /api/v1/sites/{key}/visitors': {
    valid: () => ({ method: 'GET', path: '/api/v1/sites/demo/visitors?q=Ann', auth: demoKey }),
    invalid: () => ({ method: 'GET', path: `/api/v1/sites/demo/visitors?q=${'a'.repeat(201)}`, auth: demoKey }),
  },
  'POST /api/v1/sites/{key}/invites': {
    valid: () => ({ method: 'POST', path: '/api/v1/sites/demo/invites', auth: admin, body: { shortId: shortId() } }),
    invalid: () => ({ method: 'POST', path: '/api/v1/sites/demo/invites', auth: admin, body: {} }),
  },
  'GET /api/v1/invites/{id}': {
    valid: () => ({ method: 'GET', path: `/api/v1/invites/${demoInvite}`, auth: demoKey }),
    invalid: () => ({ method: 'GET', path: `/api/v1/invites/${demoInvite}`, auth: shopKey }),
  },
  'GET /api/v1/sessions/{id}/audit': {
    valid: () => ({ method: 'GET', path: `/api/v1/sessions/${demo.sessionId}/audit?limit=10`, auth: demoKey }),
    invalid: () => ({ method: 'GET', path: `/api/v1/sessions/${shop.sessionId}/audit`, auth: demoKey }),
  },
  'GET /api/v1/keys': {
    valid: () => ({ method: 'GET', path: '/api/v1/keys', auth: admin }),
    invalid: () => ({ method: 'GET', path: '/api/v1/keys', auth: demoKey }),
  },
  'POST /api/v1/keys': {
    valid: () => ({ method: 'POST', path: '/api/v1/keys', auth: admin, body: { name: `key ${unique()}`, site: 'demo' } }),
    invalid: () => ({ method: 'POST', path: '/api/v1/keys', auth: admin, body: { name: 'both', site: 'demo', admin: true } }),
  },
  'DELETE /api/v1/keys/{id}': {
    valid: async () => {
      const made = await send({ method: 'POST', path: '/api/v1/keys', auth: admin, body: { name: `gone ${unique()}`, site: 'shop' } });
      return { method: 'DELETE', path: `/api/v1/keys/${made.json.id}`, auth: admin };
    },
    invalid: () => ({ method: 'DELETE', path: '/api/v1/keys/no-such-key', auth: admin }),
  },
  'GET /api/v1/visitors': {
    valid: () => ({ method: 'GET', path: '/api/v1/visitors?q=Ann&limit=5', auth: demoKey }),
    invalid: () => ({ method: 'GET', path: '/api/v1/visitors?limit=0', auth: demoKey }),
  },
  'POST /api/v1/visitors/{shortId}/watch_url': {
    valid: () => ({ method: 'POST', path: `/api/v1/visitors/${shortId()}/watch_url`, auth: demoKey, body: watchBody }),
    invalid: () => ({ method: 'POST', path: `/api/v1/visitors/${shortId()}/watch_url`, auth: demoKey, body: { agent: { id: 'a b' } } }),
  },
  'POST /api/v1/sessions/{id}/watch_url': {
    valid: () => ({ method: 'POST', path: `/api/v1/sessions/${demo.sessionId}/watch_url`, auth: demoKey, body: watchBody }),
    invalid: () => ({ method: 'POST', path: `/api/v1/sessions/${shop.sessionId}/watch_url`, auth: demoKey, body: watchBody }),
  },
  'POST /api/v1/watch/redeem': {
    valid: async () => ({ method: 'POST', path: '/api/v1/watch/redeem', body: { token: await watchToken() } }),
    invalid: () => ({ method: 'POST', path: '/api/v1/watch/redeem', body: { token: 'not-a-link' } }),
  },
  'POST /api/v1/watch/state': {
    valid: async () => ({ method: 'POST', path: '/api/v1/watch/state', auth: `Bearer ${await watchGrant()}` }),
    invalid: () => ({ method: 'POST', path: '/api/v1/watch/state', auth: 'Bearer not-a-grant' }),
  },
  'POST /api/v1/watch/ticket': {
    valid: async () => ({ method: 'POST', path: '/api/v1/watch/ticket', auth: `Bearer ${await watchGrant()}` }),
    invalid: () => ({ method: 'POST', path: '/api/v1/watch/ticket' }),
  },
  'POST /api/v1/sites/{key}/webhooks': {
    valid: () => ({ method: 'POST', path: '/api/v1/sites/demo/webhooks', auth: demoKey, body: { url: HOOK_URL, events: ['session.ended'] } }),
    invalid: () => ({ method: 'POST', path: '/api/v1/sites/demo/webhooks', auth: demoKey, body: { url: 'ftp://hooks.example.invalid/' } }),
  },
  'GET /api/v1/sites/{key}/webhooks': {
    valid: () => ({ method: 'GET', path: '/api/v1/sites/demo/webhooks', auth: demoKey }),
    invalid: () => ({ method: 'GET', path: '/api/v1/sites/demo/webhooks', auth: shopKey }),
  },
  'PATCH /api/v1/webhooks/{id}': {
    valid: async () => ({ method: 'PATCH', path: `/api/v1/webhooks/${await hook()}`, auth: demoKey, body: { enabled: false } }),
    invalid: async () => ({ method: 'PATCH', path: `/api/v1/webhooks/${await hook()}`, auth: shopKey, body: { enabled: false } }),
  },
  'DELETE /api/v1/webhooks/{id}': {
    valid: async () => ({ method: 'DELETE', path: `/api/v1/webhooks/${await hook()}`, auth: demoKey }),
    invalid: async () => ({ method: 'DELETE', path: `/api/v1/webhooks/${await hook()}`, auth: shopKey }),
  },
  'POST /api/v1/webhooks/{id}/test': {
    valid: async () => ({ method: 'POST', path: `/api/v1/webhooks/${await hook()}/test`, auth: demoKey }),
    invalid: async () => ({ method: 'POST', path: `/api/v1/webhooks/${await hook()}/test`, auth: shopKey }),
  },
  'GET /api/v1/webhooks/{id}/deliveries': {
    valid: async () => ({ method: 'GET', path: `/api/v1/webhooks/${await hook()}/deliveries?limit=5`, auth: demoKey }),
    invalid: async () => ({ method: 'GET', path: `/api/v1/webhooks/${await hook()}/deliveries?limit=0`, auth: demoKey }),
  },
};

const watchBody = { agent: { id: 'crm-1', name: 'Robin' }, branding: { naked: true } };
/** An address that never resolves: deliveries to it fail at once and harm no one. */
const HOOK_URL = 'https://hooks.example.invalid/tandem';
const shortId = () => s.context.shortIds.of('demo', 'contract-visitor-1');

async function watchToken(): Promise<string> {
  const res = await send({ method: 'POST', path: `/api/v1/sessions/${demo.sessionId}/watch_url`, auth: demoKey, body: watchBody });
  return new URL(res.json.watch_url).hash.replace('#token=', '');
}

async function watchGrant(): Promise<string> {
  return (await send({ method: 'POST', path: '/api/v1/watch/redeem', body: { token: await watchToken() } })).json.grant;
}

/** A webhook endpoint of the demo site. */
async function hook(): Promise<string> {
  const res = await send({ method: 'POST', path: '/api/v1/sites/demo/webhooks', auth: demoKey, body: { url: HOOK_URL } });
  if (res.status !== 201) throw new Error(`webhook create answered ${res.status} ${res.text}`);
  return res.json.id;
}

// ---- checking an answer against the document -------------------------------------------

const ajv = new Ajv({ strict: false, allErrors: true });
const compiled = new Map<unknown, ValidateFunction>();
/** A schema of the document, with the document's components beside it so its $refs resolve. */
function validator(schema: object): ValidateFunction {
  let v = compiled.get(schema);
  if (!v) compiled.set(schema, (v = ajv.compile({ ...schema, components: doc.components })));
  return v;
}

function operation(key: string): any {
  const [method, path] = key.split(' ') as [string, string];
  return doc.paths[path]?.[method.toLowerCase()];
}

/** Whether a concrete path is an instance of the document's path template. */
const fits = (template: string, path: string) => new RegExp(`^${template.replace(/\{\w+\}/g, '[^/]+')}$`).test(path.split('?')[0]!);

/** The answer's status is documented for the operation, and its content type and body fit what is documented for it. */
function expectDocumented(key: string, answer: Answer, why: string): void {
  const documented = operation(key)?.responses?.[String(answer.status)];
  const said = `${why}: ${answer.status} ${answer.type} ${answer.text.slice(0, 300)}`;
  expect(documented, `${said}\n— status ${answer.status} is not in the document for ${key}`).toBeDefined();
  if (!documented.content) {
    expect(answer.text, `${said}\n— documented without a body`).toBe('');
    return;
  }
  expect(Object.keys(documented.content), `${said}\n— content type`).toContain(answer.type);
  const validate = validator(documented.content[answer.type!].schema);
  expect(validate(answer.json) ? null : ajv.errorsText(validate.errors), `${said}\n— body against the document`).toBeNull();
  if (answer.status >= 400) expectProblem(answer);
}

/** RFC 9457 and our members agree with each other: the type names the code, the status is the answer's. */
function expectProblem(answer: Answer): void {
  expect(answer.type).toBe('application/problem+json');
  expect(answer.json.status).toBe(answer.status);
  expect(answer.json.type).toBe(`/api/docs#${answer.json.code}`);
  expect(ERROR_CODES).toContain(answer.json.code);
  expect(answer.json.message.startsWith(answer.json.title)).toBe(true);
}

const operations = () =>
  Object.entries(doc.paths).flatMap(([path, methods]) => Object.keys(methods).map((method) => `${method.toUpperCase()} ${path}`));

// ---- the tests -------------------------------------------------------------------------

describe('the document and the server agree on the routes', () => {
  it('every documented operation has an entry in this file’s table, and every entry is documented', () => {
    expect(
      operations().filter((op) => !table[op]),
      'documented operations without an entry in `table` (contract.test.ts): add one, a valid and an invalid request',
    ).toEqual([]);
    expect(
      Object.keys(table).filter((key) => !operation(key)),
      'entries for operations the document does not have',
    ).toEqual([]);
  });

  it('every documented operation is a route of the server, and every route of the server is documented', () => {
    const served = s.routes.map((r) => `${r.method} ${r.url.replace(/:(\w+)/g, '{$1}')}`);
    expect(operations().filter((op) => !served.includes(op))).toEqual([]);
    const gets = new Set(s.routes.filter((r) => r.method === 'GET').map((r) => r.url));
    const shown = s.routes.filter((r) => !r.hidden && !(r.method === 'HEAD' && gets.has(r.url)));
    expect(
      shown.map((r) => `${r.method} ${r.url.replace(/:(\w+)/g, '{$1}')}`).filter((route) => !operations().includes(route)),
      'routes the document lacks (give them a schema, or `hide: true` for a page)',
    ).toEqual([]);
    expect(
      shown.filter((r) => !r.described).map((r) => `${r.method} ${r.url}`),
      'routes whose schema is not wrapped in describe() (packages/server/src/routes/openapi.ts)',
    ).toEqual([]);
  });

  it('every operation declares who may call it and answers errors as problems', () => {
    for (const op of operations()) {
      const o = operation(op);
      expect(Array.isArray(o.security), `${op}: security`).toBe(true);
      for (const status of ['400', '500'])
        expect(Object.keys(o.responses[status]?.content ?? {}), `${op} ${status}`).toEqual(['application/problem+json']);
    }
  });
});

describe.each(Object.keys(table))('%s', (key) => {
  it('answers a valid request with a documented success, and an invalid one with a documented problem', async () => {
    const [method, template] = key.split(' ') as [string, string];
    const valid = await table[key]!.valid();
    expect([valid.method, fits(template, valid.path)], `the valid request is for ${key}`).toEqual([method, true]);
    const ok = await send(valid);
    expect(ok.status, `${key} valid: ${ok.text.slice(0, 300)}`).toBeGreaterThanOrEqual(200);
    expect(ok.status, `${key} valid: ${ok.text.slice(0, 300)}`).toBeLessThan(300);
    expectDocumented(key, ok, `${key} valid`);

    const invalid = await table[key]!.invalid();
    expect([invalid.method, fits(template, invalid.path)], `the invalid request is for ${key}`).toEqual([method, true]);
    const refused = await send(invalid);
    expect(refused.status, `${key} invalid: ${refused.text.slice(0, 300)}`).toBeGreaterThanOrEqual(400);
    expect(refused.status, `${key} invalid: ${refused.text.slice(0, 300)}`).toBeLessThan(500);
    expectDocumented(key, refused, `${key} invalid`);
  });
});

describe('what integrators rely on', () => {
  it('a wrong API key is a 401 problem on every route that takes a key', async () => {
    // (An operation without an entry in `table` fails the first test.)
    const keyed = operations().filter((op) => table[op] && (operation(op).security as Record<string, unknown>[]).some((alt) => 'apiKey' in alt));
    expect(keyed.length).toBeGreaterThan(10);
    for (const op of keyed) {
      const req = await table[op]!.valid();
      const answer = await send({ ...req, auth: `Bearer tdm_${'0'.repeat(43)}` });
      expect(answer.status, `${op}: ${answer.text}`).toBe(401);
      expect(answer.json.code).toBe('TDM_UNAUTHORIZED');
      expectDocumented(op, answer, `${op} with a wrong key`);
    }
  });

  it('another site’s session, invite and settings answer 404 through a site’s key, as if they did not exist', async () => {
    const shopInvite = await send({ method: 'GET', path: `/api/v1/invites/${demoInvite}`, auth: shopKey });
    const cases: [string, Req][] = [
      ['GET /api/v1/sessions/{id}', { method: 'GET', path: `/api/v1/sessions/${shop.sessionId}`, auth: demoKey }],
      ['POST /api/v1/sessions/{id}/end', { method: 'POST', path: `/api/v1/sessions/${shop.sessionId}/end`, auth: demoKey }],
      ['GET /api/v1/sites/{key}/settings', { method: 'GET', path: '/api/v1/sites/shop/settings', auth: demoKey }],
      ['PATCH /api/v1/sites/{key}/settings', { method: 'PATCH', path: '/api/v1/sites/shop/settings', auth: demoKey, body: { presence: true } }],
      ['POST /api/v1/sites/{key}/identity-secret', { method: 'POST', path: '/api/v1/sites/shop/identity-secret', auth: demoKey }],
      ['GET /api/v1/sites/{key}/visitors', { method: 'GET', path: '/api/v1/sites/shop/visitors', auth: demoKey }],
      ['GET /api/v1/sites/{key}/selector-counts', { method: 'GET', path: '/api/v1/sites/shop/selector-counts', auth: demoKey }],
      ['POST /api/v1/sites/{key}/invites', { method: 'POST', path: '/api/v1/sites/shop/invites', auth: demoKey, body: { shortId: 'K7QM2XRP' } }],
    ];
    expect(shopInvite.status).toBe(404);
    expectDocumented('GET /api/v1/invites/{id}', shopInvite, 'the demo site’s invite through the shop’s key');
    for (const [op, req] of cases) {
      const answer = await send(req);
      expect(answer.status, `${op}: ${answer.text}`).toBe(404);
      expectDocumented(op, answer, `${op} through another site’s key`);
    }
    // And nothing happened to them.
    expect(await s.context.registry.getSession(shop.sessionId)).not.toBeNull();
    expect((await send({ method: 'GET', path: '/api/v1/sites/shop/settings', auth: shopKey })).json.presence).toBe(false);
  });

  it('a request that does not fit the schema is a 400 problem naming each field at fault', async () => {
    const cases: [string, Req, { field: string; problem: RegExp }][] = [
      [
        'PATCH /api/v1/sites/{key}/settings',
        { method: 'PATCH', path: '/api/v1/sites/demo/settings', auth: demoKey, body: { masking: { selectors: ['.ok', { '.x': 1 }] } } },
        { field: '/body/masking/selectors/1', problem: /must be string/ },
      ],
      [
        'PATCH /api/v1/sites/{key}/settings',
        { method: 'PATCH', path: '/api/v1/sites/demo/settings', auth: demoKey, body: { defaultmode: 'view' } },
        { field: '/body/defaultmode', problem: /not allowed/ },
      ],
      [
        'POST /api/v1/agents',
        { method: 'POST', path: '/api/v1/agents', auth: admin, body: { email: 'someone@example.test' } },
        { field: '/body/password', problem: /required/ },
      ],
      [
        'GET /api/v1/sessions',
        { method: 'GET', path: '/api/v1/sessions?limit=501', auth: demoKey },
        { field: '/query/limit', problem: /<= 500/ },
      ],
      // ajv turns "1e999" into Infinity and lets it past `maximum`: refused once validation is done.
      [
        'GET /api/v1/sessions',
        { method: 'GET', path: '/api/v1/sessions?limit=1e999', auth: demoKey },
        { field: '/query/limit', problem: /finite/ },
      ],
      [
        'POST /api/v1/visitor/sessions',
        fromPage({ method: 'POST', path: '/api/v1/visitor/sessions', body: { siteKey: 'demo', identity: { name: 'x'.repeat(201) } } }),
        { field: '/body/identity/name', problem: /must NOT have more than 200 characters/ },
      ],
      [
        'GET /api/v1/sessions/{id}',
        { method: 'GET', path: `/api/v1/sessions/${'x'.repeat(65)}`, auth: demoKey },
        { field: '/path/id', problem: /must NOT have more than 64 characters/ },
      ],
      // Beyond the schema: a route's own check names its field too.
      [
        'POST /api/v1/sites/{key}/invites',
        { method: 'POST', path: '/api/v1/sites/demo/invites', auth: demoKey, body: {} },
        { field: '/body/shortId', problem: /uniqueId/ },
      ],
    ];
    const before = (await send({ method: 'GET', path: '/api/v1/sites/demo/settings', auth: demoKey })).json;
    for (const [op, req, fault] of cases) {
      const answer = await send(req);
      expect(answer.status, `${op}: ${answer.text}`).toBe(400);
      expectDocumented(op, answer, `${op} with a bad input`);
      expect(answer.json.code).toBe('TDM_BAD_MESSAGE');
      expect(answer.json.errors, `${op}: ${answer.text}`).toContainEqual({ field: fault.field, problem: expect.stringMatching(fault.problem) });
    }
    // The detail says it in a sentence too.
    const limit = await send({ method: 'GET', path: '/api/v1/sessions?limit=501', auth: demoKey });
    expect(limit.json.detail).toBe('/query/limit must be <= 500.');
    // The settings above were refused whole: nothing changed.
    expect((await send({ method: 'GET', path: '/api/v1/sites/demo/settings', auth: demoKey })).json).toEqual(before);
  });

  it('errors fastify or Node answer before any route are problems too: an unknown path, an unparsable request', async () => {
    const unknown = await send({ method: 'GET', path: '/api/v1/no-such-thing' });
    expect([unknown.status, unknown.json.code, unknown.json.instance]).toEqual([404, 'TDM_NOT_FOUND', '/api/v1/no-such-thing']);
    expectProblem(unknown);
    const badAddress = await send({ method: 'GET', path: '/api/v1/sessions/%E0%A4%A', auth: admin });
    expect([badAddress.status, badAddress.json.code]).toEqual([400, 'TDM_BAD_MESSAGE']);
    expectDocumented('GET /api/v1/sessions/{id}', badAddress, 'a malformed address');
    const huge = await send({ method: 'GET', path: '/api/v1/sessions', auth: admin, headers: { 'x-padding': 'x'.repeat(20_000) } });
    expect([huge.status, huge.json.code]).toEqual([431, 'TDM_HEADERS_TOO_LARGE']);
    expectDocumented('GET /api/v1/sessions', huge, 'headers over the limit');
  });
});

describe('/api/docs', () => {
  it('renders every operation, its authentication and every error code, with no script and a policy that allows none', async () => {
    const res = await fetch(`${s.url}/api/docs`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    const csp = res.headers.get('content-security-policy')!;
    expect(csp).toMatch(/default-src 'none'/);
    expect(csp).not.toMatch(/script-src/);
    const html = await res.text();
    expect(html).not.toMatch(/<script/i);
    for (const op of operations()) {
      const [method, path] = op.split(' ') as [string, string];
      const id = `op-${method.toLowerCase()}-${path.replace(/[^A-Za-z0-9]+/g, '-').replace(/^-|-$/g, '')}`;
      expect(html, op).toContain(`id="${id}"`);
    }
    // A problem's `type` resolves to its code's entry on this page.
    for (const code of ERROR_CODES) expect(html, code).toContain(`id="${code}"`);
    expect(html).toContain('agentCookie');
    expect(html).toContain('apiKey');
  });
});
