/**
 * Every query of the store, once on each backend (SQLite, PostgreSQL): the same
 * migrations and the same Kysely must mean the same answers, booleans, counts,
 * upserts, conditional updates and orders included.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { MAX_WEBHOOKS_PER_SITE } from '@tandem/protocol/schema';
import type { WebhookDeliveryRecord } from '../../packages/server/src/store/webhook-store.js';
import { openStore } from '@tandem/server';
import { storeBackends } from '../helpers/stores.js';
import { POSTGRES_URL } from '../helpers/services.js';

const backends = await storeBackends();
afterAll(() => backends.drop());

const session = (id: string, createdAt: string, siteKey = 'demo') => ({
  id,
  siteKey,
  code: '123456',
  visitorName: 'Ann',
  visitorEmail: null,
  visitorUniqueId: null,
  startUrl: 'https://shop.example/',
  createdAt,
  endedAt: null,
  endReason: null,
  maxMode: null,
});

const delivery = (id: string, endpointId: string, at: string, more: Partial<WebhookDeliveryRecord> = {}): WebhookDeliveryRecord => ({
  id,
  endpointId,
  type: 'session.ended',
  sessionId: null,
  seq: null,
  payload: `{"id":"${id}"}`,
  status: 'pending',
  attempts: 0,
  lastStatusCode: null,
  lastError: null,
  createdAt: at,
  lastAttemptAt: null,
  nextAttemptAt: at,
  deliveredAt: null,
  ...more,
});

describe.each(backends.list)('the store on $name', (backend) => {
  it('agents, sign-ins, sites and API keys', async () => {
    const store = await (await backend.place()).open();
    try {
      expect(await store.countAgents()).toBe(0);
      const agent = { email: 'sam@example.test', name: 'Sam', role: 'agent' as const, passwordHash: 'h', disabledAt: null };
      await store.createAgent({ id: 'a1', createdAt: '2026-01-01T00:00:01.000Z', ...agent });
      await store.createAgent({ id: 'a2', createdAt: '2026-01-01T00:00:00.000Z', ...agent, email: 'kim@example.test' });
      await expect(store.createAgent({ id: 'a3', createdAt: '2026-01-01T00:00:02.000Z', ...agent })).rejects.toThrow();
      expect(await store.countAgents()).toBe(2);
      expect((await store.findAgentByEmail('SAM@example.test'))?.id).toBe('a1');
      expect((await store.listAgents()).map((a) => a.id)).toEqual(['a2', 'a1']);
      await store.updateAgent('a1', { role: 'admin', disabledAt: '2026-01-02T00:00:00.000Z' });
      expect(await store.findAgentById('a1')).toMatchObject({ role: 'admin', name: 'Sam', disabledAt: '2026-01-02T00:00:00.000Z' });

      await store.createSignIn({ jti: 'j1', agentId: 'a1', createdAt: 't0', expiresAt: '2026-01-01T12:00:00.000Z', revokedAt: null });
      await store.createSignIn({ jti: 'j2', agentId: 'a1', createdAt: 't0', expiresAt: '2026-01-03T12:00:00.000Z', revokedAt: null });
      await store.revokeSignIn('j1', 'a1', 't1', 'x');
      await store.revokeSignIn('j9', 'a1', 't1', '2026-01-03T00:00:00.000Z');
      expect(await store.findSignIn('j1')).toMatchObject({ revokedAt: 't1', expiresAt: '2026-01-01T12:00:00.000Z' });
      expect(await store.findSignIn('j9')).toMatchObject({ revokedAt: 't1', agentId: 'a1' });
      await store.revokeAgentSignIns('a1', 't2');
      expect(await store.findSignIn('j2')).toMatchObject({ revokedAt: 't2' });
      expect(await store.findSignIn('j1')).toMatchObject({ revokedAt: 't1' });
      await store.purgeSignIns('2026-01-02T00:00:00.000Z');
      expect(await store.findSignIn('j1')).toBeUndefined();
      expect(await store.findSignIn('j2')).toBeDefined();

      await store.createSite({ key: 'shop', name: 'Shop', createdAt: 't' });
      await store.createSite({ key: 'demo', name: 'Demo', createdAt: 't' });
      await expect(store.createSite({ key: 'shop', name: 'Again', createdAt: 't' })).rejects.toThrow();
      expect((await store.listSites()).map((s) => s.key)).toEqual(['demo', 'shop']);

      await store.createApiKey({ id: 'k1', name: 'crm', hash: 'h1', createdAt: '2026-01-01T00:00:00.000Z', siteKey: 'demo', admin: false });
      await store.createApiKey({ id: 'k2', name: 'ops', hash: 'h2', createdAt: '2026-01-02T00:00:00.000Z', siteKey: null, admin: true });
      expect(await store.findApiKeyByHash('h1')).toMatchObject({ id: 'k1', siteKey: 'demo', admin: false, revokedAt: null });
      expect(await store.findApiKeyById('k2')).toMatchObject({ siteKey: null, admin: true });
      expect((await store.listApiKeys()).map((k) => k.id)).toEqual(['k2', 'k1']);
      expect(await store.revokeApiKey('k1', 't')).toBe(true);
      expect(await store.revokeApiKey('k1', 't')).toBe(false);
      expect(await store.revokeApiKey('nope', 't')).toBe(false);
    } finally {
      await store.close();
    }
  });

  it('sessions, their agents, the audit trail, settings and the live journal', async () => {
    const store = await (await backend.place()).open();
    try {
      await store.createSession(session('s1', '2026-01-01T10:00:00.000Z'));
      await store.createSession(session('s2', '2026-01-01T11:00:00.000Z', 'shop'));
      await store.createSession(session('s3', '2026-01-01T12:00:00.000Z'));
      await store.raiseSessionMode('s1', 'navigate');
      await store.raiseSessionMode('s1', 'view');
      expect((await store.getSession('s1'))?.maxMode).toBe('navigate');
      await store.raiseSessionMode('s1', 'control');
      expect((await store.getSession('s1'))?.maxMode).toBe('control');
      await store.addSessionAgent('s1', { agentId: 'a1', agentName: 'Sam', joinedAt: '2026-01-01T10:01:00.000Z' });
      expect(await store.joinedSessions('a1', ['s1', 's2'])).toEqual(new Set(['s1']));
      expect(await store.joinedSessions('a1', [])).toEqual(new Set());
      await store.endSession('s1', '2026-01-01T10:30:00.000Z', 'agent');
      await store.endSession('s1', '2026-01-01T10:40:00.000Z', 'visitor');
      expect(await store.getSession('s1')).toMatchObject({ endedAt: '2026-01-01T10:30:00.000Z', endReason: 'agent' });
      expect((await store.listSessions({ limit: 10, active: true })).map((s) => s.id)).toEqual(['s3', 's2']);
      expect((await store.listSessions({ limit: 10, active: false })).map((s) => s.id)).toEqual(['s1']);
      expect((await store.listSessions({ limit: 1, siteKey: 'demo' })).map((s) => s.id)).toEqual(['s3']);
      expect(await store.endDangling('2026-01-02T00:00:00.000Z', 'server', async (id) => id === 's3')).toBe(1);
      expect((await store.getSession('s2'))?.endReason).toBe('server');

      const audit = (id: string, sessionId: string, seq: number) =>
        store.appendAudit({
          id,
          sessionId,
          siteKey: 'demo',
          seq,
          at: 't',
          actor: 'visitor',
          kind: 'requested',
          detail: { b: 1, a: [true, null] },
        });
      expect((await audit('e1', 's1', 1)).position).toBe(0);
      const second = await audit('e2', 's1', 2);
      expect(second.position).toBe(1);
      await audit('e3', 's2', 1);
      expect((await store.listAudit('s1', { limit: 10 })).map((e) => [e.id, e.position, e.detail])).toEqual([
        ['e1', 0, { a: [true, null], b: 1 }],
        ['e2', 1, { a: [true, null], b: 1 }],
      ]);
      expect((await store.listAudit('s1', { after: 0, limit: 10 }))[0]).toEqual(second);
      expect(await store.auditSessionIds()).toEqual(['s1', 's2']);
      // s1 and s2 ended before the cut: they go, with their agents and audit trails; s3 is live.
      expect(await store.purgeSessions('2026-01-03T00:00:00.000Z')).toBe(2);
      expect(await store.getSession('s1')).toBeUndefined();
      expect(await store.auditSessionIds()).toEqual([]);
      expect((await store.listSessions({ limit: 10 })).map((s) => s.id)).toEqual(['s3']);

      expect(await store.getSetting('k')).toBeUndefined();
      await store.setSetting('k', 'one');
      await store.setSetting('k', 'two');
      expect(await store.getSetting('k')).toBe('two');
      await store.deleteSetting('k');
      expect(await store.getSetting('k')).toBeUndefined();

      const live = {
        id: 'l1',
        siteKey: 'demo',
        code: '654321',
        visitorName: null,
        shortId: 'v-1',
        mode: 'view' as const,
        maxMode: 'view' as const,
        createdAt: 't',
        resumeHashes: ['h1'],
        seq: 3,
      };
      await store.saveLive(live);
      await store.saveLive({ ...live, mode: 'control', maxMode: 'control', seq: 9, resumeHashes: ['h1', 'h2'] });
      expect(await store.loadLive()).toEqual([{ ...live, mode: 'control', maxMode: 'control', seq: 9, resumeHashes: ['h1', 'h2'] }]);
      await store.removeLive('l1');
      expect(await store.loadLive()).toEqual([]);
    } finally {
      await store.close();
    }
  });

  it('a session’s audit entries asked for at once go into the chain in the order they were asked for', async () => {
    const store = await (await backend.place()).open();
    try {
      // As a node's events do: published one after another, their appends not awaited in between.
      await Promise.all(
        Array.from({ length: 60 }, (_, seq) =>
          store.appendAudit({ id: `e${seq}`, sessionId: 's', siteKey: 'demo', seq, at: 't', actor: 'visitor', kind: 'navigated', detail: {} }),
        ),
      );
      expect((await store.listAudit('s', { limit: 100 })).map((e) => e.seq)).toEqual(Array.from({ length: 60 }, (_, i) => i));
    } finally {
      await store.close();
    }
  });

  it('a string holding U+0000 (a hostile visitor’s name, an id in a URL) is stored and looked up, never an error', async () => {
    const store = await (await backend.place()).open();
    try {
      await store.createSession({ ...session('s\u0000', '2026-01-01T10:00:00.000Z'), visitorName: 'A\u0000B' });
      // PostgreSQL's text cannot hold it: there it becomes U+FFFD, as an undecodable byte would.
      const stored = backend.name === 'PostgreSQL' ? 'A\uFFFDB' : 'A\u0000B';
      expect((await store.listSessions({ limit: 1 }))[0]?.visitorName).toBe(stored);
      expect(await store.getSession('no\u0000such')).toBeUndefined();
      expect(await store.findAgentByEmail('a\u0000@b')).toBeUndefined();
      expect(await store.webhooks.getDelivery('\u0000')).toBeUndefined();
      await store.setSetting('k', 'v\u0000');
      expect(await store.getSetting('k\u0000')).toBeUndefined();
    } finally {
      await store.close();
    }
  });

  it('webhook endpoints and the delivery queue', async () => {
    const store = await (await backend.place()).open();
    const hooks = store.webhooks;
    const endpoint = (id: string, siteKey = 'demo') => ({
      id,
      siteKey,
      url: `https://hooks.example/${id}`,
      events: ['session.ended' as const],
      description: null,
      secretSealed: 'sealed',
      enabled: true,
      createdAt: `2026-01-01T00:00:0${id.length % 10}.000Z`,
    });
    try {
      expect(await hooks.createEndpoint(endpoint('e1'), 2)).toBe(true);
      expect(await hooks.createEndpoint(endpoint('e22'), 2)).toBe(true);
      expect(await hooks.createEndpoint(endpoint('e333'), 2)).toBe(false);
      expect(await hooks.createEndpoint(endpoint('e333', 'shop'), MAX_WEBHOOKS_PER_SITE)).toBe(true);
      expect((await hooks.listEndpoints('demo')).map((e) => e.id)).toEqual(['e1', 'e22']);
      await hooks.updateEndpoint('e22', { enabled: false, description: 'off', events: ['session.requested'] });
      expect(await hooks.getEndpoint('e22')).toMatchObject({ enabled: false, description: 'off', events: ['session.requested'] });
      expect(await hooks.getEndpoint('e1')).toMatchObject({ enabled: true, events: ['session.ended'] });

      const t = (s: number) => `2026-01-01T00:00:${String(s).padStart(2, '0')}.000Z`;
      await hooks.enqueueDeliveries([
        delivery('d1', 'e1', t(1), { sessionId: 'sa', seq: 1 }),
        delivery('d2', 'e1', t(2), { sessionId: 'sa', seq: 2 }),
        delivery('d3', 'e1', t(3)),
        delivery('d4', 'e22', t(1)),
        delivery('d5', 'e333', t(4), { nextAttemptAt: t(30) }),
      ]);
      // d2 waits behind d1 (same session and endpoint), d4's endpoint is off, d5 is not due.
      const due = await hooks.dueDeliveries(t(10), 10);
      expect(due.map((d) => d.delivery.id)).toEqual(['d1', 'd3']);
      expect(due[0]).toMatchObject({ url: 'https://hooks.example/e1', secretSealed: 'sealed', siteKey: 'demo' });
      expect((await hooks.dueDeliveries(t(40), 10, ['e1'])).map((d) => d.delivery.id)).toEqual(['d5']);
      expect((await hooks.dueDeliveries(t(40), 10, [], ['shop'])).map((d) => d.delivery.id)).toEqual(['d1', 'd3']);
      expect(await hooks.nextDeliveryDue(t(10))).toBe(t(30));

      expect(await hooks.claimDelivery('d1', 'c1', t(10), t(20))).toBe(true);
      expect(await hooks.claimDelivery('d1', 'c2', t(11), t(21))).toBe(false);
      expect((await hooks.dueDeliveries(t(12), 10)).map((d) => d.delivery.id)).toEqual(['d3']);
      await hooks.recordAttempt('d1', 'c2', { status: 'delivered', at: t(12), statusCode: 200, error: null, nextAttemptAt: null });
      expect(await hooks.getDelivery('d1')).toMatchObject({ status: 'pending', attempts: 0 });
      await hooks.recordAttempt('d1', 'c1', { status: 'delivered', at: t(12), statusCode: 204, error: null, nextAttemptAt: null });
      expect(await hooks.getDelivery('d1')).toMatchObject({ status: 'delivered', attempts: 1, lastStatusCode: 204, deliveredAt: t(12) });
      expect((await hooks.dueDeliveries(t(12), 10)).map((d) => d.delivery.id)).toEqual(['d2', 'd3']);
      expect(await hooks.claimDelivery('d3', 'c3', t(12), t(22))).toBe(true);
      await hooks.releaseDelivery('d3', 'c3');
      expect(await hooks.claimDelivery('d3', 'c4', t(12), t(22))).toBe(true);

      const page1 = await hooks.listDeliveries('e1', { limit: 2 });
      expect(page1.map((d) => d.id)).toEqual(['d3', 'd2']);
      const last = page1[1]!;
      expect((await hooks.listDeliveries('e1', { limit: 2, before: { createdAt: last.createdAt, id: last.id } })).map((d) => d.id)).toEqual([
        'd1',
      ]);
      expect((await hooks.listDeliveries('e1', { limit: 5, status: 'delivered' })).map((d) => d.id)).toEqual(['d1']);

      expect(await hooks.purgeDeliveries(t(2))).toBe(2);
      await hooks.deleteEndpoint('e1');
      expect(await hooks.getEndpoint('e1')).toBeUndefined();
      expect(await hooks.getDelivery('d3')).toBeUndefined();
      expect(await hooks.getDelivery('d5')).toBeDefined();
    } finally {
      await store.close();
    }
  });
});

describe.skipIf(!backends.list.some((b) => b.name === 'PostgreSQL'))('a PostgreSQL that cannot be used', () => {
  it('is named with what to do, never with the password DATABASE_URL holds', async () => {
    const url = new URL(POSTGRES_URL);
    url.password = 'hunter2-secret';
    const open = (change: (u: URL) => void) => {
      const u = new URL(url);
      change(u);
      return openStore({ dataDir: '/nonexistent', databaseUrl: u.toString() }).then(
        () => 'opened',
        (err: Error) => err.message,
      );
    };
    const unreachable = await open((u) => (u.port = '1'));
    expect(unreachable).toMatch(/^Cannot reach the PostgreSQL database .* at .*:1 \(DATABASE_URL\).*running/);
    const missing = await open((u) => (u.pathname = '/tandem_no_such_db'));
    expect(missing).toMatch(/^The PostgreSQL database tandem_no_such_db .*does not exist/);
    const noSchema = await open((u) => u.searchParams.set('options', '-c search_path=tandem_no_such_schema'));
    expect(noSchema).toMatch(/search_path names no schema/);
    for (const message of [unreachable, missing, noSchema]) expect(message).not.toContain('hunter2');
  });
});
