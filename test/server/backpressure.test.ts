/**
 * A client that reads too slowly cannot grow the server's memory: what the
 * server queues for one socket stays under its bounds (sampled on the
 * server's own sockets) while a flood goes through, the laggard gets a fresh
 * snapshot when it reads again, an action it cannot take is refused to its
 * agent, past the hard bound it is closed with 4014 and comes back, and the
 * session beside it sees every frame in order.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type WebSocket from 'ws';
import { FrameFlag, FrameType, PROTOCOL_VERSION, closeCodes, encodeFrame, limits, readFrameHeader } from '@tandem/protocol';
import { toAgents, toVisitor } from '../../packages/server/src/bus/bus.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { connect, joinAsAgent, resumeTicket, signIn, startVisitorSession, type Client } from '../helpers/clients.js';

const MB = 1024 * 1024;
/** What the slow agent's visitor sends while the agent does not read. */
const FLOOD_BYTES = 64 * MB;
const FLOOD_FRAME_BYTES = 256 * 1024;

// Garbage is collected before each reading of the process's memory, so the reading is of what is held.
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
/** The process's memory once garbage is gone (buffers' memory is given back a moment after a collection). */
async function held(): Promise<NodeJS.MemoryUsage> {
  gc();
  await sleep(30);
  gc();
  return process.memoryUsage();
}

let server: TestServer;
let cookie: string;

beforeAll(async () => {
  server = await startTestServer();
  cookie = await signIn(server.url);
});

afterAll(async () => {
  await server?.stop();
});

const frame = (seq: number, payload: Uint8Array, keyframe = false) =>
  Buffer.from(encodeFrame({ type: FrameType.Dom, flags: keyframe ? FrameFlag.Keyframe : 0, seq }, payload));
const seqOf = (bytes: Buffer) => readFrameHeader(bytes)!.seq;
const isKeyframe = (bytes: Buffer) => (readFrameHeader(bytes)!.flags & FrameFlag.Keyframe) !== 0;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The server's sockets of a session on this node, read from its room (private: this test looks inside). */
async function serverSockets(sessionId: string): Promise<{ visitors: WebSocket[]; agents: WebSocket[] }> {
  const room = (await (server.context.rooms as any).rooms.get(sessionId)) as {
    visitors: Set<{ ws: WebSocket }>;
    agents: Set<{ ws: WebSocket }>;
  };
  return { visitors: [...room.visitors].map((v) => v.ws), agents: [...room.agents].map((a) => a.ws) };
}

/** The most each socket has had queued, sampled every few ms until stopped. */
function sampleQueued(sockets: WebSocket[]): { max: () => number; stop: () => void } {
  let max = 0;
  const timer = setInterval(() => {
    for (const ws of sockets) max = Math.max(max, ws.bufferedAmount);
  }, 2);
  return { max: () => max, stop: () => clearInterval(timer) };
}

/** Sends while the client's own queue is short and under the gateway's message rate. */
async function paced(ws: WebSocket, bytes: Buffer): Promise<void> {
  while (ws.bufferedAmount > 2 * MB) await sleep(2);
  ws.send(bytes);
  await sleep(7);
}

describe('a slow reader', () => {
  it('an agent that stops reading through a 64 MB flood: its queue stays bounded, it is resynced when it reads again, and another session loses nothing', async () => {
    const slow = await startVisitorSession(server.url, 'Flooding');
    const agent = await joinAsAgent(server.url, cookie, slow.code);
    const calm = await startVisitorSession(server.url, 'Calm');
    const calmAgent = await joinAsAgent(server.url, cookie, calm.code);
    await slow.visitor.next((m) => m.t === 'resync');
    await calm.visitor.next((m) => m.t === 'resync');

    slow.visitor.ws.send(frame(0, Buffer.from('[]'), true));
    calm.visitor.ws.send(frame(0, Buffer.from('[]'), true));
    await expect.poll(() => agent.binary.length + calmAgent.binary.length).toBe(2);
    const [serverAgent] = (await serverSockets(slow.sessionId)).agents;
    const { agents: calmServerAgents } = await serverSockets(calm.sessionId);

    const payload = Buffer.alloc(FLOOD_FRAME_BYTES, 0x61);
    // The agent's network stops carrying anything to it (its TCP window closes); the session goes on.
    agent.ws.pause();
    slow.visitor.json.length = 0;
    const queued = sampleQueued([serverAgent!]);
    const calmQueued = sampleQueued(calmServerAgents);
    const before = await held();
    /** The process's memory (RSS, and what buffers hold) as the flood goes on, once the agent's queue is full. */
    const readings: { flooded: number; rss: number; buffers: number }[] = [];
    const flooded = FLOOD_BYTES / FLOOD_FRAME_BYTES;
    const calmFrames: Buffer[] = [frame(0, Buffer.from('[]'), true)];
    for (let seq = 1; seq <= flooded; seq++) {
      const calmFrame = frame(seq, Buffer.from(JSON.stringify([[2, seq, `typed ${seq}`]])));
      calmFrames.push(calmFrame);
      calm.visitor.ws.send(calmFrame);
      await paced(slow.visitor.ws, frame(seq, payload));
      if (seq % 32 === 0) {
        const m = await held();
        if (serverAgent!.bufferedAmount >= limits.maxAgentBufferedBytes)
          readings.push({ flooded: seq * FLOOD_FRAME_BYTES, rss: m.rss, buffers: m.arrayBuffers });
      }
    }
    await sleep(300);
    queued.stop();
    calmQueued.stop();
    const after = await held();
    const [full, last] = [readings[0]!, readings.at(-1)!];
    const rssGrowth = Math.max(after.rss, ...readings.map((r) => r.rss)) - before.rss;
    const heldGrowth = Math.max(after.arrayBuffers, ...readings.map((r) => r.buffers)) - before.arrayBuffers;
    console.log(
      `flood of ${FLOOD_BYTES / MB} MB: the slow agent's queue at most ${(queued.max() / MB).toFixed(2)} MB; buffers held grew at most ` +
        `${(heldGrowth / MB).toFixed(1)} MB; RSS grew ${(rssGrowth / MB).toFixed(1)} MB in all, ${((last.rss - full.rss) / MB).toFixed(1)} MB ` +
        `over the ${((last.flooded - full.flooded) / MB).toFixed(0)} MB flooded after the queue was full; the calm agent's queue at most ${(calmQueued.max() / 1024).toFixed(0)} KB`,
    );
    expect(queued.max()).toBeGreaterThanOrEqual(limits.maxAgentBufferedBytes);
    expect(queued.max()).toBeLessThanOrEqual(limits.maxAgentBufferedBytes + limits.maxDomFrameBytes);
    expect(queued.max()).toBeLessThanOrEqual(limits.closeAgentBufferedBytes);
    // What the process holds is the queue; once it is full, more flood adds nothing.
    expect(heldGrowth).toBeLessThan(limits.maxAgentBufferedBytes + limits.maxDomFrameBytes);
    expect(last.flooded - full.flooded).toBeGreaterThan(FLOOD_BYTES / 2);
    expect(last.rss - full.rss).toBeLessThan((last.flooded - full.flooded) / 4);
    // In all, the queue and what the allocator keeps around the buffers it pins (20-37 MB measured);
    // without a bound the queue alone would be the whole flood but what the kernel holds.
    expect(rssGrowth).toBeLessThan((FLOOD_BYTES * 3) / 4);
    // Nobody asks the page for a snapshot the agent could not take yet.
    expect(slow.visitor.json.filter((m) => m.t === 'resync')).toEqual([]);
    expect(serverAgent!.readyState).toBe(serverAgent!.OPEN);

    // The other session got every frame, in order, and never needed a snapshot.
    await expect.poll(() => calmAgent.binary.length).toBe(calmFrames.length);
    expect(calmAgent.binary).toEqual(calmFrames);
    expect(calm.visitor.json.filter((m) => m.t === 'resync')).toEqual([]);

    // The agent reads again: what was queued before it fell behind, then a request for a snapshot
    // goes to the page, and the snapshot is the next frame it sees.
    agent.ws.resume();
    await slow.visitor.next((m) => m.t === 'resync', 10_000);
    const keyframeSeq = flooded + 1;
    slow.visitor.ws.send(frame(keyframeSeq, Buffer.from('[]'), true));
    slow.visitor.ws.send(frame(keyframeSeq + 1, Buffer.from('[]')));
    await expect.poll(() => agent.binary.at(-1) && seqOf(agent.binary.at(-1)!), { timeout: 10_000 }).toBe(keyframeSeq + 1);
    const seqs = agent.binary.map(seqOf);
    const resumedAt = seqs.indexOf(keyframeSeq);
    expect(isKeyframe(agent.binary[resumedAt]!)).toBe(true);
    expect(seqs.slice(0, resumedAt)).toEqual([...Array(resumedAt).keys()]);
    expect(resumedAt).toBeLessThan(flooded);
    expect(seqs.slice(resumedAt)).toEqual([keyframeSeq, keyframeSeq + 1]);
    console.log(`the slow agent got frames 0-${resumedAt - 1} of ${flooded}, then the keyframe`);

    // Past the hard bound (state messages, which are never dropped: other nodes' roster news here) it is closed with 4014.
    agent.ws.pause();
    const news = Buffer.from(JSON.stringify({ t: 'visitorIdentity', name: 'x'.repeat(MB) }));
    const hard = sampleQueued([serverAgent!]);
    for (let i = 0; i < 40 && serverAgent!.readyState === serverAgent!.OPEN; i++) {
      await server.context.bus.publish(toAgents(slow.sessionId), news);
      await sleep(5);
    }
    await sleep(20);
    hard.stop();
    expect(serverAgent!.readyState).toBe(serverAgent!.CLOSING);
    expect(hard.max()).toBeLessThanOrEqual(limits.closeAgentBufferedBytes);
    agent.ws.resume();
    expect((await agent.closed).code).toBe(closeCodes.tooSlow);
    // The session goes on: the viewer joins again.
    const again = await joinAsAgent(server.url, cookie, slow.code);
    expect(again.ws.readyState).toBe(again.ws.OPEN);
  });

  it('a visitor page that stops reading while agents flood pointers and ink: bounded, an action is refused, past the hard bound it is closed and resumes', async () => {
    const s = await startVisitorSession(server.url, 'Stalled');
    const agents: Client[] = [];
    for (let i = 0; i < 5; i++) agents.push(await joinAsAgent(server.url, cookie, s.code));
    const [serverVisitor] = (await serverSockets(s.sessionId)).visitors;
    s.visitor.ws.pause();
    const queued = sampleQueued([serverVisitor!]);

    // As fast as the agent gateway lets each agent: ink strokes of 64 points, and pointer moves.
    const pts = Array.from({ length: 64 }, (_, i) => [123456.78901234 + i, 654321.98765432 + i]);
    let stroke = 0;
    const flood = setInterval(() => {
      for (const a of agents) {
        a.sendJson({ t: 'ink', a: { k: 'stroke', id: stroke, pts } });
        a.sendJson({ t: 'pointer', x: stroke % 500, y: 10 });
        // What they hear of each other is not this test's business.
        a.json.length = 0;
      }
      stroke++;
    }, 18);
    const deadline = Date.now() + 30_000;
    while (queued.max() <= limits.maxVisitorBufferedBytes && Date.now() < deadline) await sleep(20);
    // Over the bound for a while: everything it could not take is dropped.
    await sleep(500);
    clearInterval(flood);
    await sleep(100);
    console.log(`${stroke} rounds of ink from ${agents.length} agents: the page's queue at most ${(queued.max() / 1024).toFixed(0)} KB`);
    expect(queued.max()).toBeGreaterThan(limits.maxVisitorBufferedBytes);
    expect(queued.max()).toBeLessThanOrEqual(limits.maxVisitorBufferedBytes + limits.maxControlBytes);
    expect(serverVisitor!.readyState).toBe(serverVisitor!.OPEN);
    expect(agents.every((a) => a.ws.readyState === a.ws.OPEN)).toBe(true);

    // An action it cannot take is refused to its agent, and not delivered later.
    agents[0]!.sendJson({ t: 'action', id: 42, a: { k: 'highlight', node: 1 } });
    expect(await agents[0]!.next((m) => m.t === 'actionResult' && m.id === 42)).toMatchObject({ ok: false, reason: 'slow' });

    // Past the hard bound (state messages, never dropped: long error notices here) it is closed with 4014.
    const notice = Buffer.from(JSON.stringify({ t: 'error', code: 'TDM_INTERNAL', message: 'x'.repeat(64 * 1024) }));
    for (let i = 0; i < 64 && serverVisitor!.readyState === serverVisitor!.OPEN; i++)
      await server.context.bus.publish(toVisitor(s.sessionId), notice);
    await sleep(20);
    queued.stop();
    expect(serverVisitor!.readyState).toBe(serverVisitor!.CLOSING);
    expect(queued.max()).toBeLessThanOrEqual(limits.closeVisitorBufferedBytes);
    s.visitor.ws.resume();
    expect((await s.visitor.closed).code).toBe(closeCodes.tooSlow);
    const heard = s.visitor.json.filter((m) => m.t === 'action');
    expect(heard).toEqual([]);

    // The session goes on: the page resumes with its resume token, and the agents see it back.
    const ticket = await resumeTicket(server.url, s.sessionId, s.resumeToken);
    const back = await connect(`${server.url.replace('http', 'ws')}/ws/visitor?ticket=${ticket}`, server.url);
    back.sendJson({ t: 'hello', versions: [PROTOCOL_VERSION] });
    expect(await back.next((m) => m.t === 'welcome')).toMatchObject({ sessionId: s.sessionId });
    expect(await back.next((m) => m.t === 'resync')).toEqual({ t: 'resync' });
  });
});
