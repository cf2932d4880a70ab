/**
 * What each caller may see and change: an API key belongs to one site (or is
 * an explicit admin key); an agent who is not an admin sees live codes and
 * gets tickets only for sessions they joined. Another site's things answer
 * as if they did not exist.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAgent, createApiKey } from '@tandem/server';
import { ADMIN, startTestServer, type TestServer } from '../helpers/server.js';
import { joinAsAgent } from '../helpers/clients.js';
import { agentCookie, api } from '../helpers/http.js';

let s: TestServer;
let admin: string;
let plain: string;
let demoKey: string;
let adminKey: string;
let demo: { sessionId: string; code: string };
let shop: { sessionId: string; code: string };

const start = async (siteKey: string) => {
  const res = await api(s.url, '/api/v1/visitor/sessions', { body: { siteKey }, headers: { origin: s.url } });
  expect(res.status).toBe(201);
  return res.body as { sessionId: string; code: string };
};

beforeAll(async () => {
  s = await startTestServer({ TANDEM_SITE_KEYS: 'demo,shop' });
  await createAgent(s.context.store, { email: 'plain@example.test', password: 'plain password', name: 'Plain' });
  admin = await agentCookie(s.url, ADMIN.email, ADMIN.password);
  plain = await agentCookie(s.url, 'plain@example.test', 'plain password');
  demoKey = 'Bearer ' + (await createApiKey(s.context.store, 'crm', { siteKey: 'demo' }));
  adminKey = 'Bearer ' + (await createApiKey(s.context.store, 'ops', { admin: true }));
  demo = await start('demo');
  shop = await start('shop');
});

afterAll(() => s?.stop());

describe('a site’s API key', () => {
  it('lists and reads only its own site’s sessions', async () => {
    const listed = await api(s.url, '/api/v1/sessions', { auth: demoKey });
    expect(listed.status).toBe(200);
    expect(listed.body.sessions.map((x: any) => x.siteKey)).toEqual(['demo']);
    expect((await api(s.url, `/api/v1/sessions/${demo.sessionId}`, { auth: demoKey })).status).toBe(200);
    const other = await api(s.url, `/api/v1/sessions/${shop.sessionId}`, { auth: demoKey });
    expect(other.status).toBe(404);
    expect(other.body.code).toBe('TDM_NOT_FOUND');
  });

  it('cannot end another site’s session', async () => {
    const ended = await api(s.url, `/api/v1/sessions/${shop.sessionId}/end`, { method: 'POST', auth: demoKey });
    expect(ended.status).toBe(404);
    expect(ended.body.code).toBe('TDM_NOT_FOUND');
    expect(await s.context.registry.getSession(shop.sessionId)).not.toBeNull();
  });

  it('sees and changes only its own site’s settings, visitors and invites', async () => {
    expect((await api(s.url, '/api/v1/sites', { auth: demoKey })).body.sites.map((x: any) => x.key)).toEqual(['demo']);
    for (const [method, path, body] of [
      ['GET', '/api/v1/sites/shop/settings', undefined],
      ['PATCH', '/api/v1/sites/shop/settings', { presence: true }],
      ['POST', '/api/v1/sites/shop/identity-secret', {}],
      ['GET', '/api/v1/sites/shop/visitors', undefined],
      ['POST', '/api/v1/sites/shop/invites', { shortId: 'K7QM2XRP' }],
    ] as const) {
      const res = await api(s.url, path, { method, body, auth: demoKey });
      expect(res.status, `${method} ${path}`).toBe(404);
      expect(res.body.code).toBe('TDM_UNKNOWN_SITE');
    }
    expect((await api(s.url, '/api/v1/sites/demo/settings', { method: 'PATCH', auth: demoKey, body: { defaultMode: 'view' } })).status).toBe(
      200,
    );
    expect((await api(s.url, '/api/v1/sites', { method: 'POST', auth: demoKey, body: { key: 'mine' } })).status).toBe(403);
  });

  it('an admin key sees every site', async () => {
    const listed = await api(s.url, '/api/v1/sessions', { auth: adminKey });
    expect(listed.body.sessions.map((x: any) => x.siteKey).sort()).toEqual(['demo', 'shop']);
    expect((await api(s.url, '/api/v1/sites/shop/settings', { auth: adminKey })).status).toBe(200);
  });
});

describe('an agent who is not an admin', () => {
  it('sees sessions without their codes, and gets no ticket by id for a session they never joined', async () => {
    const listed = await api(s.url, '/api/v1/sessions', { auth: plain });
    expect(listed.status).toBe(200);
    expect(listed.body.sessions.length).toBeGreaterThan(0);
    for (const x of listed.body.sessions) expect(x.code).toBeUndefined();
    expect((await api(s.url, `/api/v1/sessions/${shop.sessionId}`, { auth: plain })).body.code).toBeUndefined();
    const ticket = await api(s.url, `/api/v1/sessions/${shop.sessionId}/ticket`, { method: 'POST', auth: plain });
    expect(ticket.status).toBe(403);
    expect(ticket.body.code).toBe('TDM_FORBIDDEN');
    // Admins see codes.
    expect((await api(s.url, '/api/v1/sessions', { auth: admin })).body.sessions.every((x: any) => /^\d+$/.test(x.code))).toBe(true);
  });

  it('once joined with the code, sees it and rejoins by id', async () => {
    const agent = await joinAsAgent(s.url, plain, shop.code);
    await expect.poll(async () => (await api(s.url, `/api/v1/sessions/${shop.sessionId}`, { auth: plain })).body.code).toBe(shop.code);
    const listed = await api(s.url, '/api/v1/sessions', { auth: plain });
    expect(listed.body.sessions.find((x: any) => x.id === shop.sessionId).code).toBe(shop.code);
    expect(listed.body.sessions.find((x: any) => x.id === demo.sessionId).code).toBeUndefined();
    expect((await api(s.url, `/api/v1/sessions/${shop.sessionId}/ticket`, { method: 'POST', auth: plain })).status).toBe(200);
    agent.ws.close();
  });
});

describe('sites in the store', () => {
  it('an admin adds a site; visitors may start sessions on it at once', async () => {
    expect((await api(s.url, '/api/v1/visitor/sessions', { body: { siteKey: 'blog' }, headers: { origin: s.url } })).status).toBe(404);
    expect((await api(s.url, '/api/v1/sites', { auth: plain, body: { key: 'blog' } })).status).toBe(403);
    const created = await api(s.url, '/api/v1/sites', { auth: admin, body: { key: 'blog', name: 'The blog' } });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ key: 'blog', name: 'The blog' });
    expect((await api(s.url, '/api/v1/sites', { auth: admin, body: { key: 'blog' } })).status).toBe(409);
    expect((await api(s.url, '/api/v1/visitor/sessions', { body: { siteKey: 'blog' }, headers: { origin: s.url } })).status).toBe(201);
    expect((await api(s.url, '/api/v1/sites', { auth: admin })).body.sites.map((x: any) => x.key)).toEqual(['blog', 'demo', 'shop']);
  });
});
