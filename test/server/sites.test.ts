/**
 * Site settings across the nodes of a cluster: two servers share a bus and a
 * store (as Redis and PostgreSQL are shared); a change made through one is what
 * the other serves at once, though it had the settings cached.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAgent, type TandemServer } from '@tandem/server';
import { startCluster, type TestCluster } from '../helpers/server.js';
import { signIn } from '../helpers/clients.js';

let cluster: TestCluster;
let a: TandemServer;
let b: TandemServer;

beforeAll(async () => {
  cluster = await startCluster();
  [a, b] = cluster.nodes as [TandemServer, TandemServer];
  // After the first start, which creates the admin only on an empty store.
  await createAgent(cluster.store, { email: 'plain@example.test', password: 'plain agent pw', name: 'Plain', role: 'agent' });
});

afterAll(() => cluster?.stop());

describe('site settings in a cluster', () => {
  it('a change through one node is served by the other at once', async () => {
    const cookieA = await signIn(a.url);
    const cookieB = await signIn(b.url);
    const get = async (server: TandemServer, cookie: string) =>
      await (await fetch(`${server.url}/api/v1/sites/demo/settings`, { headers: { cookie } })).json();
    expect((await get(b, cookieB)).masking.selectors).toEqual([]); // cached on b now
    const res = await fetch(`${a.url}/api/v1/sites/demo/settings`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json', cookie: cookieA },
      body: JSON.stringify({ defaultMode: 'navigate', masking: { selectors: ['.iban'] } }),
    });
    expect(res.status).toBe(200);
    expect(await get(b, cookieB)).toMatchObject({ defaultMode: 'navigate', masking: { selectors: ['.iban'], blockSelectors: [] } });
  });

  it('refuses bad settings with a clear error, and agents who are not admins', async () => {
    const cookie = await signIn(a.url);
    const bad = await fetch(`${a.url}/api/v1/sites/demo/settings`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json', cookie },
      body: JSON.stringify({ masking: { selectors: ['x'.repeat(501)] } }),
    });
    expect(bad.status).toBe(400);
    const unknown = await fetch(`${a.url}/api/v1/sites/nope/settings`, { headers: { cookie } });
    expect(unknown.status).toBe(404);
    expect((await unknown.json()).code).toBe('TDM_UNKNOWN_SITE');

    const login = await fetch(`${a.url}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'plain@example.test', password: 'plain agent pw' }),
    });
    const plain = login.headers.get('set-cookie')!.split(';')[0]!;
    const forbidden = await fetch(`${a.url}/api/v1/sites/demo/settings`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json', cookie: plain },
      body: JSON.stringify({ presence: true }),
    });
    expect(forbidden.status).toBe(403);
  });
});
