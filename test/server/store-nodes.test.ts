/**
 * Nodes sharing one store, as a cluster shares PostgreSQL: nodes starting
 * together on an empty database agree on one schema, one admin and one server
 * secret; a node with another secret refuses to start; appends to one audit
 * chain from several nodes at once make one valid chain; a site's last webhook
 * place is taken once; a webhook delivery is claimed by one node. Each node is a store of its own (its own connection
 * pool) on PostgreSQL; on SQLite, whose file one process serves, the "nodes"
 * share the one store, as the in-process test cluster does.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { forgetSecretFingerprint, loadConfig, startServer, verifyAuditChain, type Store, type TandemServer } from '@tandem/server';
import { migrations } from '../../packages/server/src/store/migrations.js';
import { ADMIN, serverEnv } from '../helpers/server.js';
import { agentCookie, api } from '../helpers/http.js';
import { storeBackends, type StoreBackend, type StorePlace } from '../helpers/stores.js';

const backends = await storeBackends();
const dirs: string[] = [];
const servers: TandemServer[] = [];
afterAll(async () => {
  for (const s of servers) await s.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  await backends.drop();
});

const newSecret = () => randomBytes(32).toString('base64url');
const postgres = backends.list.find((b) => b.name === 'PostgreSQL');

/** A node of its own: its own data directory (so no secret file shared by accident), the store's database. */
function nodeConfig(place: StorePlace, env: Record<string, string>) {
  const dataDir = mkdtempSync(join(tmpdir(), 'tandem-node-'));
  dirs.push(dataDir);
  const databaseUrl = place.env.DATABASE_URL;
  return loadConfig(serverEnv(databaseUrl ? dataDir : place.dataDir, { ...env, ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}) }));
}

/** The stores the nodes use: one each on PostgreSQL, the same one on SQLite. */
async function nodeStores(backend: StoreBackend, place: StorePlace, count: number): Promise<Store[]> {
  if (backend.name === 'SQLite') {
    const store = await place.open();
    return Array.from({ length: count }, () => store);
  }
  return Promise.all(Array.from({ length: count }, () => place.open()));
}
const closeAll = async (stores: Store[]) => {
  for (const s of new Set(stores)) await s.close();
};

describe.skipIf(!postgres)('nodes starting together on an empty PostgreSQL', () => {
  it('agree on one schema, one admin and one secret, and all start', async () => {
    const place = await postgres!.place();
    const secret = newSecret();
    const printed: string[] = [];
    const configs = [0, 1, 2].map(() => {
      const config = nodeConfig(place, { TANDEM_SECRET: secret });
      // A generated password, printed by the one node that creates the admin.
      config.adminPassword = undefined;
      return config;
    });
    const nodes = await Promise.all(configs.map((c) => startServer(c, { logger: false, print: (line) => printed.push(line) })));
    servers.push(...nodes);

    const created = printed.filter((l) => l.startsWith('Created the admin agent'));
    expect(created).toHaveLength(1);
    const password = /with the password (\S+)/.exec(created[0]!)![1]!;
    const store = nodes[0]!.context.store;
    expect((await store.listAgents()).map((a) => [a.email, a.role])).toEqual([[ADMIN.email, 'admin']]);
    expect((await store.listSites()).map((s) => s.key)).toEqual(['demo']);
    const db = new pg.Client({ connectionString: place.env.DATABASE_URL });
    await db.connect();
    try {
      const { rows } = await db.query<{ name: string }>('select name from kysely_migration order by name');
      expect(rows.map((r) => r.name)).toEqual(Object.keys(migrations).sort());
    } finally {
      await db.end();
    }
    // One secret: a sign-in on one node is good on the others.
    const cookie = await agentCookie(nodes[0]!.url, ADMIN.email, password);
    for (const node of nodes) expect((await api(node.url, '/api/v1/auth/me', { auth: cookie })).status).toBe(200);
  });
});

describe.each(backends.list)('a node with another server secret, on $name', (backend) => {
  it('refuses to start, saying every node must have the same TANDEM_SECRET; `tandem secret replace` lets a new one in', async () => {
    const place = await backend.place();
    const first = await startServer(nodeConfig(place, { TANDEM_SECRET: newSecret() }), { logger: false, print: () => {} });
    // On SQLite the file is one process's: the first node stops before the other tries.
    if (backend.name === 'SQLite') await first.close();
    else servers.push(first);

    const other = newSecret();
    const refused = /not the one this database was first started with.*Every node sharing a database must have the same TANDEM_SECRET/s;
    await expect(startServer(nodeConfig(place, { TANDEM_SECRET: other }), { logger: false, print: () => {} })).rejects.toThrow(refused);
    // Its own secret file is no better.
    await expect(startServer(nodeConfig(place, {}), { logger: false, print: () => {} })).rejects.toThrow(/secret\.key.*not the one/s);

    if (backend.name === 'PostgreSQL') await first.close();
    servers.splice(servers.indexOf(first), 1);
    const store = await place.open();
    expect(await forgetSecretFingerprint(store)).toBe(true);
    await store.close();
    const replaced = await startServer(nodeConfig(place, { TANDEM_SECRET: other }), { logger: false, print: () => {} });
    servers.push(replaced);
    expect((await api(replaced.url, '/api/v1/auth/me', { auth: await agentCookie(replaced.url, ADMIN.email, ADMIN.password) })).status).toBe(
      200,
    );
  });
});

describe.each(backends.list)('two nodes at once, on $name', (backend) => {
  it('appending 2×200 entries to one session’s audit chain at once: one valid chain, no entry lost', async () => {
    const place = await backend.place();
    const stores = await nodeStores(backend, place, 2);
    try {
      const sessionId = randomUUID();
      const ids = stores.map((_, n) => Array.from({ length: 200 }, (_, i) => `node${n}-${i}`));
      // Every append of both nodes in flight together (each pool's ten connections busy).
      await Promise.all(
        stores.flatMap((store, n) =>
          ids[n]!.map((id, i) =>
            store.appendAudit({
              id,
              sessionId,
              siteKey: 'demo',
              seq: i,
              at: new Date().toISOString(),
              actor: `node${n}`,
              kind: 'action',
              detail: { i },
            }),
          ),
        ),
      );
      for (const store of stores) expect(await verifyAuditChain(store, sessionId)).toMatchObject({ ok: true, entries: 400 });
      const entries = await stores[1]!.listAudit(sessionId, { limit: 1000 });
      expect(entries.map((e) => e.position)).toEqual(Array.from({ length: 400 }, (_, i) => i));
      expect(new Set(entries.map((e) => e.id))).toEqual(new Set(ids.flat()));
    } finally {
      await closeAll(stores);
    }
  });

  it('adding endpoints to one site at once (2×15, at most 20): exactly 20 go in', async () => {
    const place = await backend.place();
    const stores = await nodeStores(backend, place, 2);
    try {
      const results = await Promise.all(
        stores.flatMap((store, n) =>
          Array.from({ length: 15 }, (_, i) =>
            store.webhooks.createEndpoint(
              {
                id: `node${n}-${i}`,
                siteKey: 'demo',
                url: 'https://hooks.example/',
                events: ['session.ended'],
                description: null,
                secretSealed: 's',
                enabled: true,
                createdAt: new Date().toISOString(),
              },
              20,
            ),
          ),
        ),
      );
      expect(results.filter(Boolean)).toHaveLength(20);
      expect(await stores[1]!.webhooks.listEndpoints('demo')).toHaveLength(20);
    } finally {
      await closeAll(stores);
    }
  });

  it('claiming webhook deliveries at once: each is claimed by one node', async () => {
    const place = await backend.place();
    const stores = await nodeStores(backend, place, 2);
    try {
      const hooks = stores[0]!.webhooks;
      for (const id of ['e1', 'e2']) {
        await hooks.createEndpoint(
          {
            id,
            siteKey: 'demo',
            url: 'https://hooks.example/',
            events: ['session.ended'],
            description: null,
            secretSealed: 's',
            enabled: true,
            createdAt: 't',
          },
          20,
        );
      }
      const now = new Date().toISOString();
      const until = new Date(Date.now() + 60_000).toISOString();
      const queued = Array.from({ length: 120 }, (_, i) => ({
        id: `d${i}`,
        endpointId: i % 2 ? 'e1' : 'e2',
        type: 'webhook.test',
        sessionId: null,
        seq: null,
        payload: '{}',
        status: 'pending' as const,
        attempts: 0,
        lastStatusCode: null,
        lastError: null,
        createdAt: now,
        lastAttemptAt: null,
        nextAttemptAt: now,
        deliveredAt: null,
      }));
      await hooks.enqueueDeliveries(queued);
      const claimedBy = new Map<string, string[]>();
      // Each node as its worker does: read what is due, claim each (all at once), again until nothing is due.
      await Promise.all(
        stores.map(async (store, n) => {
          for (let round = 0; round < 50; round++) {
            const due = await store.webhooks.dueDeliveries(now, 16);
            if (due.length === 0) return;
            await Promise.all(
              due.map(async (d) => {
                if (await store.webhooks.claimDelivery(d.delivery.id, `node${n}-${randomUUID()}`, now, until)) {
                  claimedBy.set(d.delivery.id, [...(claimedBy.get(d.delivery.id) ?? []), `node${n}`]);
                }
              }),
            );
          }
        }),
      );
      expect([...claimedBy.keys()].sort()).toEqual(queued.map((d) => d.id).sort());
      expect([...claimedBy.values()].filter((by) => by.length !== 1)).toEqual([]);
    } finally {
      await closeAll(stores);
    }
  });
});
