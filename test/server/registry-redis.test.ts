/** The registry contract on Redis (the real server, a key prefix of its own per registry), and what only a cluster has: nodes that die. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectRedis, deletePrefix, type Redis } from '../../packages/server/src/redis/client.js';
import { RedisRegistry } from '../../packages/server/src/live/redis-registry.js';
import { registryContract } from './registry-contract.js';
import { REDIS_URL, redisPrefix, redisUp } from '../helpers/services.js';

const up = await redisUp();
let redis: Redis;
const prefixes: string[] = [];
const made: RedisRegistry[] = [];
/** What the registries report: nothing is expected, and a test that finds something fails on it. */
const reported: unknown[] = [];
const report = (err: unknown) => void reported.push(err);

beforeAll(async () => {
  if (up) redis = await connectRedis({ url: REDIS_URL, name: 'tandem-test', report: console.error });
});
afterAll(async () => {
  if (!up) return;
  for (const r of made) await r.close();
  expect(reported).toEqual([]);
  for (const p of prefixes) await deletePrefix(redis, p);
  await redis.quit();
});

const make = async (prefix = redisPrefix(), node?: string) => {
  prefixes.push(prefix);
  const r = new RedisRegistry(redis, { prefix, node, report });
  made.push(r);
  await r.start();
  return r;
};

describe.runIf(up)('on Redis', () => {
  registryContract('Redis', () => make());
});

const agentA = { id: 'agent-a', name: 'Ada' };
const agentB = { id: 'agent-b', name: 'Bo' };
const later = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.runIf(up)('two nodes on one Redis', () => {
  it('share every session: what one node changes, the other reads; concurrent changes from both are all kept', async () => {
    const prefix = redisPrefix();
    const [a, b] = [await make(prefix, 'node-a'), await make(prefix, 'node-b')];
    const { session } = await a.createSession({ siteKey: 'demo', identity: { name: 'V' }, mode: 'view', graceMs: 60_000 });
    expect(await b.findByCode(session.code)).toMatchObject({ id: session.id });
    // 40 sockets opened at once, half through each node: the compare-and-set loses none.
    await Promise.all(Array.from({ length: 40 }, (_, i) => (i % 2 ? a : b).agentConnected(session.id, i % 4 < 2 ? agentA : agentB)));
    await Promise.all(Array.from({ length: 10 }, (_, i) => (i % 2 ? a : b).visitorConnected(session.id)));
    const s = (await a.getSession(session.id))!;
    expect(s.visitorSockets).toBe(10);
    expect(s.agents.map((x) => [x.id, x.sockets]).sort()).toEqual([
      ['agent-a', 20],
      ['agent-b', 20],
    ]);
    const seqs = await Promise.all(Array.from({ length: 30 }, (_, i) => (i % 2 ? a : b).nextSeq(session.id)));
    expect([...seqs].sort((x, y) => x! - y!)).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
    expect(await redis.sMembers(`${prefix}node:node-a:sessions`)).toEqual([session.id]);
    const ends = await Promise.all([a.endSession(session.id, 'agent'), b.endSession(session.id, 'agent')]);
    expect(ends.filter(Boolean)).toHaveLength(1);
    // Nothing of it is left in Redis: not on the nodes' lists, not its counter, not its code.
    expect(
      await redis.exists([
        `${prefix}node:node-a:sessions`,
        `${prefix}node:node-b:sessions`,
        `${prefix}seq:${session.id}`,
        `${prefix}code:${session.code}`,
      ]),
    ).toBe(0);
    expect(await b.getSession(session.id)).toBeNull();
    expect(await a.findByCode(session.code)).toBeNull();
  });

  it('takes the sockets of a node that stopped beating off its sessions, once, as if they had closed', async () => {
    const prefix = redisPrefix();
    const opts = { prefix, report, deadAfterMs: 300 };
    prefixes.push(prefix);
    const live = new RedisRegistry(redis, { ...opts, node: 'live' });
    const dying = new RedisRegistry(redis, { ...opts, node: 'dying' });
    const other = new RedisRegistry(redis, { ...opts, node: 'other' });
    await Promise.all([live.start(), dying.start(), other.start()]);
    const { session } = await live.createSession({ siteKey: 'demo', identity: {}, mode: 'view', graceMs: 60_000 });
    // The visitor's page is on the dying node, and Ada's viewer; Bo is on the live node with a second socket of Ada's.
    await dying.visitorConnected(session.id);
    await dying.agentConnected(session.id, agentA);
    await live.agentConnected(session.id, agentB);
    await live.agentConnected(session.id, agentA);
    await dying.presenceHere(
      {
        visitorId: 'v-1',
        shortId: 'AAAA',
        siteKey: 'demo',
        identity: {},
        verified: false,
        url: 'https://shop.example/',
        title: 'Shop',
        platform: { browser: 'Chrome', os: 'Linux', screen: '1x1', language: 'en', timeZone: 'UTC' } as never,
        since: new Date().toISOString(),
        pageId: 'p-1',
      },
      { total: 10, perSite: 10 },
    );
    // SIGKILL: it stops beating, nothing closes.
    await (dying as unknown as { close(): Promise<void> }).close();
    await later(350);
    await live.start();
    await other.start();
    const [r1, r2] = await Promise.all([live.reapDeadNodes(5000), other.reapDeadNodes(5000)]);
    const reaped = [...r1, ...r2];
    expect(reaped.map((x) => x.kind).sort()).toEqual(['agent', 'visitor']);
    expect(reaped.find((x) => x.kind === 'visitor')).toMatchObject({ sessionId: session.id, last: true });
    // Ada still has a socket on the live node: not gone.
    expect(reaped.find((x) => x.kind === 'agent')).toMatchObject({ last: false, agent: agentA });
    const s = (await live.getSession(session.id))!;
    expect(s.visitorSockets).toBe(0);
    expect(s.expiresAt).toBeGreaterThan(Date.now());
    expect(s.agents.map((x) => [x.id, x.sockets])).toEqual([
      ['agent-a', 1],
      ['agent-b', 1],
    ]);
    expect(await live.presenceList('demo', '', 10)).toEqual([]);
    // Reaped once: nothing more to take off.
    expect(await live.reapDeadNodes(5000)).toEqual([]);
    // The live node's own sockets close as usual afterwards.
    expect(await live.agentDisconnected(session.id, agentA.id)).toMatchObject({ last: true });
    await Promise.all([live.close(), other.close()]);
  });

  it('tells a node that was taken for dead (it could not beat) so its clients reconnect and are counted again', async () => {
    const prefix = redisPrefix();
    prefixes.push(prefix);
    let told = 0;
    const paused = new RedisRegistry(redis, { prefix, report, node: 'paused', onTakenForDead: () => told++ });
    await paused.start();
    await later(1100);
    expect(told).toBe(0);
    await redis.zRem(`${prefix}nodes`, 'paused');
    await later(1100);
    expect(told).toBe(1);
    await paused.close();
  });
});
