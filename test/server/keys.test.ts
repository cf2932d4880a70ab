/**
 * API keys over REST: only admins list, create and revoke them; a key is shown
 * once; a revoked key opens nothing, nor do the watch URLs it asked for.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAgent, createApiKey } from '@tandem/server';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { signIn, startVisitorSession } from '../helpers/clients.js';
import { agentCookie, api } from '../helpers/http.js';

let server: TestServer;
let admin: string;
let adminKey: string;
let siteKey: string;
let plain: string;

beforeAll(async () => {
  server = await startTestServer({ TANDEM_SITE_KEYS: 'demo,other' });
  admin = await signIn(server.url);
  adminKey = 'Bearer ' + (await createApiKey(server.context.store, 'ops', { admin: true }));
  siteKey = 'Bearer ' + (await createApiKey(server.context.store, 'crm', { siteKey: 'demo' }));
  await createAgent(server.context.store, { email: 'plain@example.test', name: 'Plain', password: 'a long enough password', role: 'agent' });
  plain = await agentCookie(server.url, 'plain@example.test', 'a long enough password');
});

afterAll(() => server.stop());

describe('API keys over REST', () => {
  it('only admins manage them; the body is checked', async () => {
    for (const auth of [siteKey, plain]) {
      expect((await api(server.url, '/api/v1/keys', { auth })).status).toBe(403);
      expect((await api(server.url, '/api/v1/keys', { auth, body: { name: 'x', site: 'demo' } })).status).toBe(403);
    }
    expect((await api(server.url, '/api/v1/keys')).status).toBe(401);
    const both = await api(server.url, '/api/v1/keys', { auth: admin, body: { name: 'x', site: 'demo', admin: true } });
    expect(both.status).toBe(400);
    expect(both.body.errors[0].field).toBe('/body/site');
    expect((await api(server.url, '/api/v1/keys', { auth: admin, body: { name: 'x' } })).status).toBe(400);
    expect((await api(server.url, '/api/v1/keys', { auth: admin, body: { name: 'x', site: 'nope' } })).body.code).toBe('TDM_UNKNOWN_SITE');
  });

  it('a key is shown once, works for its site, and once revoked opens nothing, nor do its watch URLs', async () => {
    const made = await api(server.url, '/api/v1/keys', { auth: adminKey, body: { name: 'helpdesk', site: 'demo' } });
    expect(made.status).toBe(201);
    expect(made.body).toMatchObject({ name: 'helpdesk', site: 'demo', admin: false, revokedAt: null });
    const key = `Bearer ${made.body.key}`;
    const listed = await api(server.url, '/api/v1/keys', { auth: admin });
    expect(JSON.stringify(listed.body)).not.toContain(made.body.key);
    expect(listed.body.keys.find((k: { id: string }) => k.id === made.body.id)).toMatchObject({ name: 'helpdesk', revokedAt: null });

    expect((await api(server.url, '/api/v1/sessions', { auth: key })).status).toBe(200);
    const { sessionId } = await startVisitorSession(server.url, 'Kim');
    const link = await api(server.url, `/api/v1/sessions/${sessionId}/watch_url`, {
      auth: key,
      body: { agent: { id: 'a1', name: 'Robin' } },
    });
    const token = new URL(link.body.watch_url).hash.replace('#token=', '');

    expect((await api(server.url, `/api/v1/keys/${made.body.id}`, { method: 'DELETE', auth: admin })).status).toBe(204);
    expect((await api(server.url, `/api/v1/keys/${made.body.id}`, { method: 'DELETE', auth: admin })).status).toBe(404);
    expect((await api(server.url, '/api/v1/sessions', { auth: key })).status).toBe(401);
    expect((await api(server.url, '/api/v1/watch/redeem', { body: { token } })).body.code).toBe('TDM_UNAUTHORIZED');
    expect(
      (await api(server.url, '/api/v1/keys', { auth: admin })).body.keys.find((k: { id: string }) => k.id === made.body.id).revokedAt,
    ).toEqual(expect.any(String));
  });
});
