/**
 * Presence across a cluster on Redis: a visitor's page is present through one node, an agent on the
 * other lists it, invites it, and the page, on the first node, gets the invite and answers; the page
 * goes, and the list on the other node forgets it. A settings change made on one node reaches the other.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TandemServer } from '@tandem/server';
import { startCluster, type TestCluster } from '../helpers/server.js';
import { connect, signIn } from '../helpers/clients.js';
import { api } from '../helpers/http.js';
import { redisUp } from '../helpers/services.js';

const up = await redisUp();
let cluster: TestCluster;
let a: TandemServer;
let b: TandemServer;

beforeAll(async () => {
  if (!up) return;
  cluster = await startCluster(2, {}, { redis: true });
  [a, b] = cluster.nodes as [TandemServer, TandemServer];
});
afterAll(() => cluster?.stop());

describe.runIf(up)('presence on a two-node cluster', () => {
  it('a page present through one node is listed, invited and answers through the other', async () => {
    const cookie = await signIn(b.url);
    // Turned on through node B: node A, which holds the page's socket, must know it at once.
    expect((await api(b.url, '/api/v1/sites/demo/settings', { method: 'PATCH', auth: cookie, body: { presence: true } })).status).toBe(200);
    const page = await connect(`${a.url.replace(/^http/, 'ws')}/ws/presence?site=demo`, a.url);
    page.sendJson({
      t: 'here',
      visitorId: 'browser-cluster-1',
      identity: { uniqueId: 'cust-7', name: 'Kim' },
      url: 'https://shop.example/cart?secret=1',
      title: 'Cart',
      platform: { browser: 'Chrome 131', os: 'Linux', viewport: '1280x800', language: 'en', timeZone: 'UTC' },
    });
    const { shortId } = await page.next((m) => m.t === 'listed');
    const listed = await api(b.url, '/api/v1/sites/demo/visitors', { auth: cookie });
    expect(listed.body.visitors).toEqual([
      expect.objectContaining({ shortId, identity: expect.objectContaining({ name: 'Kim' }), title: 'Cart' }),
    ]);

    const invite = await api(b.url, '/api/v1/sites/demo/invites', { auth: cookie, body: { shortId } });
    expect(invite.status).toBe(201);
    const got = await page.next((m) => m.t === 'invite');
    page.sendJson({ t: 'declineInvite', token: got.token });
    await expect.poll(async () => (await api(b.url, `/api/v1/invites/${invite.body.inviteId}`, { auth: cookie })).body.state).toBe('declined');

    page.ws.close();
    await expect.poll(async () => (await api(b.url, '/api/v1/sites/demo/visitors', { auth: cookie })).body.visitors).toEqual([]);
  });
});
