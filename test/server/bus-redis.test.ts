/**
 * The Redis bus: messages numbered per topic and publisher, a skipped number or a dropped connection
 * handed on as `lost`; and what a room does with a loss: its viewers wait for a keyframe, which it asks
 * the visitor's page for, so pub/sub losing messages ends in a resync, never in a view with a hole.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FrameFlag, FrameType, closeCodes, encodeFrame, readFrameHeader } from '@tandem/protocol';
import { changeAgent, createAgent, type TandemServer } from '@tandem/server';
import { RedisBus } from '../../packages/server/src/bus/redis.js';
import { toAgents } from '../../packages/server/src/bus/bus.js';
import type { RedisRegistry } from '../../packages/server/src/live/redis-registry.js';
import { connectRedis, deletePrefix, type Redis } from '../../packages/server/src/redis/client.js';
import { REDIS_URL, redisPrefix, redisUp } from '../helpers/services.js';
import { startCluster, type TestCluster } from '../helpers/server.js';
import { joinAsAgent, signIn, startVisitorSession } from '../helpers/clients.js';

const up = await redisUp();
const later = (ms: number) => new Promise((r) => setTimeout(r, ms));
const report = (err: unknown) => console.error(err);
let admin: Redis;

beforeAll(async () => {
  if (up) admin = await connectRedis({ url: REDIS_URL, name: 'tandem-test-admin', report });
});
afterAll(() => admin?.quit());

/** Drops a connection of a node from Redis's side, as a restart or a cut network would. */
async function killConnection(name: string): Promise<void> {
  const line = (await admin.clientList()).find((c) => c.name === name);
  if (!line) throw new Error(`no Redis connection named ${name}`);
  await admin.clientKill({ filter: 'ID', id: Number(line.id) } as never);
}

describe.runIf(up)('the Redis bus', () => {
  it('delivers in order, unmarked; a skipped number or a dropped connection is handed on as lost', async () => {
    const prefix = redisPrefix();
    const late: { bus?: RedisBus } = {};
    const pub = await connectRedis({ url: REDIS_URL, name: 'tandem-test-pub', report });
    const sub = await connectRedis({ url: REDIS_URL, name: `tandem-test-sub-${prefix}`, report, onReconnect: () => late.bus?.reconnected() });
    const publisher = new RedisBus(pub, await connectRedis({ url: REDIS_URL, name: 'tandem-test-unused', report }), prefix, report);
    const subscriber = (late.bus = new RedisBus(pub, sub, prefix, report));
    const got: { text: string; lost: boolean }[] = [];
    const off = await subscriber.subscribe('topic', (m, lost) => got.push({ text: Buffer.from(m).toString(), lost }));
    for (const text of ['one', 'two', 'three']) await publisher.publish('topic', Buffer.from(text));
    await expect.poll(() => got.length).toBe(3);
    expect(got).toEqual(['one', 'two', 'three'].map((text) => ({ text, lost: false })));

    // A message that never arrived (pub/sub dropped it): the next one says so.
    (publisher as unknown as { counts: Map<string, { n: number }> }).counts.get('topic')!.n += 1;
    await publisher.publish('topic', Buffer.from('five'));
    await expect.poll(() => got.length).toBe(4);
    expect(got[3]).toEqual({ text: 'five', lost: true });
    await publisher.publish('topic', Buffer.from('six'));
    await expect.poll(() => got.length).toBe(5);
    expect(got[4]).toEqual({ text: 'six', lost: false });

    // The subscriber's connection drops and comes back: its handlers hear of it at once, and the next message is marked too.
    await killConnection(`tandem-test-sub-${prefix}`);
    await expect.poll(() => got.length, { timeout: 5000 }).toBe(6);
    expect(got[5]).toEqual({ text: '', lost: true });
    await later(200);
    await publisher.publish('topic', Buffer.from('after'));
    await expect.poll(() => got.length).toBe(7);
    expect(got[6]).toEqual({ text: 'after', lost: true });

    // Another publisher's count is its own; a topic nobody listens to any more is left.
    off();
    await publisher.publish('topic', Buffer.from('unheard'));
    await later(100);
    expect(got).toHaveLength(7);
    await Promise.all([publisher.close(), subscriber.close()]);
    await Promise.all([pub.quit(), sub.quit()]);
    await deletePrefix(admin, prefix);
  });
});

describe.runIf(up)('a room after a loss', () => {
  let cluster: TestCluster;
  beforeAll(async () => {
    cluster = await startCluster(2, {}, { redis: true });
  });
  afterAll(() => cluster?.stop());

  const frame = (seq: number, keyframe: boolean) =>
    Buffer.from(encodeFrame({ type: FrameType.Dom, flags: keyframe ? FrameFlag.Keyframe : 0, seq }, Buffer.from(JSON.stringify({ seq }))));

  it('the agent’s node lost frames: its viewer skips changes until a keyframe, which the visitor’s page is asked for', async () => {
    const [a, b] = cluster.nodes as [TandemServer, TandemServer];
    const s = await startVisitorSession(a.url, 'Lossy');
    const agent = await joinAsAgent(b.url, await signIn(b.url), s.code);
    await s.visitor.next((m) => m.t === 'resync');
    s.visitor.ws.send(frame(0, true));
    s.visitor.ws.send(frame(1, false));
    await expect.poll(() => agent.binary.length).toBe(2);

    // The agent's node's subscriber drops: what the visitor's node publishes meanwhile is lost to it.
    // Its connection comes back after 50 ms; on a loaded CI machine the publishes once came later than that,
    // and nothing was lost. So the drop is repeated (a keyframe in between, so the view is whole again)
    // until frames were lost, which this test needs to prove anything.
    const node = (b.context.registry as RedisRegistry).node;
    const seen = () => agent.binary.map((f) => readFrameHeader(f)!.seq);
    let seq = 2;
    let lost = false;
    for (let attempt = 0; attempt < 4 && !lost; attempt++) {
      if (attempt > 0) {
        const key = seq++;
        s.visitor.ws.send(frame(key, true));
        await expect.poll(() => seen().includes(key)).toBe(true);
      }
      await killConnection(`tandem-bus-${node}`);
      const during: number[] = [];
      for (let i = 0; i < 4; i++) {
        during.push(seq);
        await a.context.bus.publish(toAgents(s.sessionId), frame(seq++, false));
      }
      // Once its connection is back, the room asks the visitor's page for a snapshot.
      await s.visitor.next((m) => m.t === 'resync', 5000);
      await later(200);
      lost = during.some((n) => !seen().includes(n));
    }
    expect(lost).toBe(true);
    // Changes that arrive before the keyframe are not shown on a view with a hole in it.
    const early = seq++;
    s.visitor.ws.send(frame(early, false));
    await later(300);
    const key = seq++;
    s.visitor.ws.send(frame(key, true));
    s.visitor.ws.send(frame(seq, false));
    await expect.poll(() => seen().slice(-2)).toEqual([key, seq]);
    const got = agent.binary.map((f) => readFrameHeader(f)!);
    // After every hole the next frame is a keyframe.
    got.forEach((f, i) => {
      if (i > 0 && f.seq !== got[i - 1]!.seq + 1) expect(f.flags & FrameFlag.Keyframe).toBe(FrameFlag.Keyframe);
    });
    expect(seen()).not.toContain(early);
  });

  it('a revocation lost on the bus still closes the agent’s sockets on the node that missed it', async () => {
    const [a, b] = cluster.nodes as [TandemServer, TandemServer];
    const lee = await createAgent(cluster.store, { email: 'lee@example.test', password: 'lee password 123', name: 'Lee', role: 'agent' });
    const s = await startVisitorSession(a.url, 'Revoked');
    const leeCookie = (
      await fetch(`${b.url}/api/v1/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: 'lee@example.test', password: 'lee password 123' }),
      })
    ).headers
      .get('set-cookie')!
      .split(';')[0]!;
    const viewer = await joinAsAgent(b.url, leeCookie, s.code);
    // Lee is disabled (the store revokes the sign-in) and the revocation is published while Lee's node
    // cannot hear the bus: the message is lost to it, as pub/sub loses messages.
    await changeAgent(cluster.store, lee.id, { disabled: true });
    await killConnection(`tandem-bus-${(b.context.registry as RedisRegistry).node}`);
    await a.context.rooms.revokeAgent(lee.id);
    const closed = await Promise.race([viewer.closed, later(8000).then(() => null)]);
    expect(closed?.code).toBe(closeCodes.unauthorized);
    s.visitor.ws.close();
  });
});
