/**
 * Who may call the server, and how often: client addresses behind (or without)
 * a proxy, sign-in throttling that an attacker cannot turn against the admin,
 * sign-ins that end on logout or when an admin disables the agent, and the
 * headers every API answer carries.
 */
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAgent } from '@tandem/server';
import { ADMIN, startTestServer, type TestServer } from '../helpers/server.js';
import { agentCookie, api, login } from '../helpers/http.js';

const servers: TestServer[] = [];
async function server(env: Record<string, string> = {}): Promise<TestServer> {
  const s = await startTestServer(env);
  servers.push(s);
  return s;
}
afterAll(async () => {
  await Promise.all(servers.map((s) => s.stop()));
}, 180_000);

const startFrom = (s: TestServer, forwardedFor: string) =>
  fetch(`${s.url}/api/v1/visitor/sessions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: s.url, 'x-forwarded-for': forwardedFor },
    body: JSON.stringify({ siteKey: 'demo' }),
  });

/** Opens a presence socket claiming to come from `forwardedFor`; resolves with the HTTP status (101 once open). */
function presenceFrom(s: TestServer, forwardedFor: string): Promise<{ status: number; ws?: WebSocket }> {
  const ws = new WebSocket(`${s.url.replace('http', 'ws')}/ws/presence?site=demo`, {
    origin: s.url,
    headers: { 'x-forwarded-for': forwardedFor },
  });
  return new Promise((resolve) => {
    ws.once('unexpected-response', (_req, res) => resolve({ status: res.statusCode ?? 0 }));
    ws.once('open', () => resolve({ status: 101, ws }));
    ws.once('error', () => resolve({ status: 0 }));
  });
}

describe('client addresses', () => {
  it('a made-up X-Forwarded-For does not walk past the session-start limit when no proxy is trusted', async () => {
    const s = await server();
    const statuses: number[] = [];
    for (let i = 0; i < 30; i++) statuses.push((await startFrom(s, `198.51.100.${i}`)).status);
    // The bucket refills a third of a start per second: a slow machine sees a few more 201s, never all.
    expect(statuses.slice(0, 20).every((x) => x === 201)).toBe(true);
    expect(statuses.filter((x) => x === 429).length).toBeGreaterThanOrEqual(5);
  });

  it('with TANDEM_TRUST_PROXY naming the proxy, each forwarded client has its own limit', async () => {
    const s = await server({ TANDEM_TRUST_PROXY: '127.0.0.1' });
    for (let i = 0; i < 25; i++) expect((await startFrom(s, `198.51.100.${i}`)).status).toBe(201);
    // A hop count works too: one proxy in front.
    const hops = await server({ TANDEM_TRUST_PROXY: '1' });
    for (let i = 0; i < 22; i++) expect((await startFrom(hops, `203.0.113.${i}`)).status).toBe(201);
  });

  it('presence sockets per address count the real peer, not a forged header', async () => {
    const s = await server();
    const admin = await agentCookie(s.url, ADMIN.email, ADMIN.password);
    expect((await api(s.url, '/api/v1/sites/demo/settings', { method: 'PATCH', auth: admin, body: { presence: true } })).status).toBe(200);
    const open: WebSocket[] = [];
    try {
      for (let i = 0; i < 50; i++) {
        const r = await presenceFrom(s, `192.0.2.${i}`);
        expect(r.status).toBe(101);
        open.push(r.ws!);
      }
      expect((await presenceFrom(s, '192.0.2.200')).status).toBe(429);
    } finally {
      for (const ws of open) ws.close();
    }
  });
});

describe('sign-in throttling', () => {
  it('an address over its limit counts nothing more: its refused requests neither use up an account nor make counters for made-up emails', async () => {
    const t = await server({ TANDEM_TRUST_PROXY: '127.0.0.1' });
    const from = (address: string) => ({ 'x-forwarded-for': address });
    // One address spends its 30 attempts on made-up emails, then names the admin's.
    for (let i = 0; i < 30; i++) expect((await login(t.url, `nobody${i}@example.test`, 'guess', from('198.51.100.7'))).status).toBe(401);
    for (let i = 0; i < 20; i++) expect((await login(t.url, ADMIN.email, 'guess', from('198.51.100.7'))).status).toBe(429);
    // The admin's account still has its whole budget: nine wrong guesses from elsewhere, then the right password.
    for (let i = 0; i < 9; i++) expect((await login(t.url, ADMIN.email, 'wrong', from('203.0.113.9'))).status).toBe(401);
    expect((await login(t.url, ADMIN.email, ADMIN.password, from('203.0.113.9'))).status).toBe(200);
  });

  let s: TestServer;
  const victim = { email: 'victim@example.test', password: 'the victim password' };
  beforeAll(async () => {
    s = await server();
    await createAgent(s.context.store, { ...victim, name: 'Victim', role: 'admin' });
  });

  it('locks out guessing on an account for a while, with Retry-After, but not the browser that signed in before', async () => {
    const before = await login(s.url, victim.email, victim.password);
    expect(before.status).toBe(200);
    const device = before.cookies.tandem_device!;
    expect(device).toBeDefined();
    expect(before.headers.getSetCookie().find((c) => c.startsWith('tandem_device='))).toMatch(/HttpOnly/i);

    const statuses: number[] = [];
    for (let i = 0; i < 11; i++) statuses.push((await login(s.url, victim.email, 'wrong guess ' + i)).status);
    expect(statuses.slice(0, 10).every((x) => x === 401)).toBe(true);
    const limited = await login(s.url, victim.email, victim.password);
    expect(limited.status).toBe(429);
    expect(limited.body.code).toBe('TDM_RATE_LIMITED');
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);

    // The victim's own browser is known by its device cookie: the attack does not lock it out.
    const own = await login(s.url, victim.email, victim.password, { cookie: device });
    expect(own.status).toBe(200);
    // A device cookie is not a pass for another account.
    const other = await login(s.url, victim.email, victim.password, { cookie: device.replace(/=.*/, '=forged.device.cookie') });
    expect(other.status).toBe(429);
  });

  it('limits failed sign-ins per client address, whatever the email', async () => {
    const t = await server();
    const statuses: number[] = [];
    for (let i = 0; i < 31; i++) statuses.push((await login(t.url, `nobody${i}@example.test`, 'wrong password')).status);
    expect(statuses.slice(0, 30).every((x) => x === 401)).toBe(true);
    expect(statuses[30]).toBe(429);
  });
});

describe('sign-ins end', () => {
  let s: TestServer;
  let admin: string;
  beforeAll(async () => {
    s = await server();
    admin = await agentCookie(s.url, ADMIN.email, ADMIN.password);
  });

  it('logout revokes the token, not just the cookie', async () => {
    const cookie = await agentCookie(s.url, ADMIN.email, ADMIN.password);
    expect((await api(s.url, '/api/v1/auth/me', { auth: cookie })).status).toBe(200);
    expect((await api(s.url, '/api/v1/auth/logout', { method: 'POST', auth: cookie })).status).toBe(204);
    const after = await api(s.url, '/api/v1/auth/me', { auth: cookie });
    expect(after.status).toBe(401);
    expect(after.body.code).toBe('TDM_UNAUTHORIZED');
  });

  it('an admin creates and disables agents; a disabled agent is out at once and cannot sign in again', async () => {
    const created = await api(s.url, '/api/v1/agents', {
      auth: admin,
      body: { email: 'Kim@Example.test', password: 'kim password', name: 'Kim' },
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ email: 'kim@example.test', name: 'Kim', role: 'agent', disabled: false });
    const kim = await agentCookie(s.url, 'kim@example.test', 'kim password');
    expect((await api(s.url, '/api/v1/agents', { auth: kim })).status).toBe(403);

    const revoked: string[] = [];
    await s.context.bus.subscribe('agents:revoked', (m) => void revoked.push(Buffer.from(m).toString('utf8')));
    const patched = await api(s.url, `/api/v1/agents/${created.body.id}`, { method: 'PATCH', auth: admin, body: { disabled: true } });
    expect(patched.status).toBe(200);
    expect(patched.body.disabled).toBe(true);
    expect(revoked).toEqual([created.body.id]);

    expect((await api(s.url, '/api/v1/auth/me', { auth: kim })).status).toBe(401);
    const again = await login(s.url, 'kim@example.test', 'kim password');
    expect(again.status).toBe(403);
    expect(again.body.code).toBe('TDM_ACCOUNT_DISABLED');
    const listed = await api(s.url, '/api/v1/agents', { auth: admin });
    expect(listed.body.agents.find((a: any) => a.id === created.body.id)).toMatchObject({ disabled: true });
  });

  it('a demoted admin loses admin rights at once; the last admin cannot be demoted', async () => {
    const created = await api(s.url, '/api/v1/agents', {
      auth: admin,
      body: { email: 'lee@example.test', password: 'lee password', role: 'admin' },
    });
    const lee = await agentCookie(s.url, 'lee@example.test', 'lee password');
    expect((await api(s.url, '/api/v1/sites/demo/settings', { method: 'PATCH', auth: lee, body: { presence: false } })).status).toBe(200);
    await api(s.url, `/api/v1/agents/${created.body.id}`, { method: 'PATCH', auth: admin, body: { role: 'agent' } });
    const refused = await api(s.url, '/api/v1/sites/demo/settings', { method: 'PATCH', auth: lee, body: { presence: false } });
    expect(refused.status).toBe(403);
    expect((await api(s.url, '/api/v1/auth/me', { auth: lee })).body.role).toBe('agent');

    const me = (await api(s.url, '/api/v1/auth/me', { auth: admin })).body;
    const last = await api(s.url, `/api/v1/agents/${me.id}`, { method: 'PATCH', auth: admin, body: { disabled: true } });
    expect(last.status).toBe(409);
  });
});

describe('headers', () => {
  it('API answers are nosniff and no-store; the SDK bundles are nosniff and keep their short public cache', async () => {
    const s = await server();
    for (const path of ['/api/v1/sessions', '/api/v1/openapi.json', '/api/v1/nothing-here']) {
      const res = await fetch(`${s.url}${path}`);
      await res.arrayBuffer();
      expect(res.headers.get('x-content-type-options'), path).toBe('nosniff');
      expect(res.headers.get('cache-control'), path).toBe('no-store');
    }
    for (const path of ['/tandem.js', '/tandem-session.js', '/tandem-compress.js']) {
      const res = await fetch(`${s.url}${path}`, { headers: { origin: 'https://shop.example.com' } });
      await res.arrayBuffer();
      expect(res.status).toBe(200);
      expect(res.headers.get('x-content-type-options'), path).toBe('nosniff');
      expect(res.headers.get('cache-control'), path).toBe('public, max-age=300');
      // The session bundle fetches the worker's script from the visitor's page, on another origin.
      expect(res.headers.get('access-control-allow-origin'), path).toBe('*');
    }
  });
});
