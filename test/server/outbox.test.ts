/**
 * The outbox on its own, over a real socket whose reader stops: what a lagging
 * socket misses and what it gets once it reads again (state in order, then
 * the newest pointer and selection of each agent still there, one resync, no
 * ink), an action refused, and the close past the hard bound.
 */
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import { closeCodes } from '@tandem/protocol';
import { Outbox, VISITOR_OUTBOX, type OutboxKind } from '../../packages/server/src/live/outbox.js';

/** Small bounds, so that a test fills them in a moment once the kernel's buffers are full. */
const KIND: OutboxKind = { ...VISITOR_OUTBOX, soft: 64 * 1024, hard: 128 * 1024 };
const json = (msg: object) => Buffer.from(JSON.stringify(msg));
/** State the page must get (an error notice stands for any). */
const filler = json({ t: 'error', code: 'TDM_INTERNAL', message: 'x'.repeat(16 * 1024) });

let wss: WebSocketServer | undefined;
afterEach(async () => {
  for (const ws of wss?.clients ?? []) ws.terminate();
  await new Promise<void>((resolve) => (wss ? wss.close(() => resolve()) : resolve()));
});

/** A server socket with an outbox and the client at the other end, which keeps every text message. */
async function pair(caughtUp: () => void) {
  wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  const accepted = new Promise<WebSocket>((resolve) => wss!.once('connection', resolve));
  await new Promise((resolve) => wss!.once('listening', resolve));
  const client = new WebSocket(`ws://127.0.0.1:${(wss.address() as { port: number }).port}`);
  const received: any[] = [];
  client.on('message', (data: Buffer) => received.push(JSON.parse(data.toString())));
  const closed = new Promise<number>((resolve) => client.on('close', (code) => resolve(code)));
  await new Promise((resolve) => client.once('open', resolve));
  const server = await accepted;
  return { server, client, received, closed, outbox: Outbox.attach(server, KIND, caughtUp) };
}

/** Sends state until the socket has more than the soft bound queued (the kernel's buffers fill first). */
async function fillPastSoft(server: WebSocket, outbox: Outbox): Promise<number> {
  let sent = 0;
  while (server.bufferedAmount <= KIND.soft) {
    expect(outbox.send(filler)).toBe('sent');
    sent++;
    if (sent % 64 === 0) await new Promise((r) => setImmediate(r));
  }
  return sent;
}

describe('outbox', () => {
  it('a lagging socket misses what is made good later, and gets the newest of it once it reads again', async () => {
    let caughtUp = 0;
    const { server, client, received, outbox } = await pair(() => caughtUp++);
    client.pause();
    const fillers = await fillPastSoft(server, outbox);
    const pointer = (agentId: string, x: number) => json({ t: 'agentPointer', agentId, name: agentId, color: '#123456', x, y: 0 });
    const outcomes = [
      outbox.send(pointer('a', 1)),
      outbox.send(pointer('b', 1)),
      outbox.send(pointer('a', 2)),
      outbox.send(json({ t: 'ink', agentId: 'a', color: '#123456', a: { k: 'stroke', id: 1, pts: [[1, 1]] } })),
      outbox.send(json({ t: 'resync' })),
      outbox.send(json({ t: 'resync' })),
      outbox.send(json({ t: 'agentSelection', agentId: 'a', color: '#123456', range: null })),
      outbox.send(json({ t: 'agentLeft', agentId: 'b' })),
      outbox.send(json({ t: 'action', agentId: 'a', name: 'a', id: 7, a: { k: 'highlight', node: 1 } })),
      // Unknown is state, whatever its name.
      outbox.send(json({ t: 'constructor' })),
    ];
    expect(outcomes).toEqual(['dropped', 'dropped', 'dropped', 'dropped', 'dropped', 'dropped', 'dropped', 'sent', 'refused', 'sent']);
    expect(server.bufferedAmount).toBeLessThanOrEqual(KIND.soft + filler.length + 100);
    expect(caughtUp).toBe(0);

    client.resume();
    await expect.poll(() => received.length).toBe(fillers + 5);
    expect(received.slice(0, fillers).every((m) => m.t === 'error')).toBe(true);
    // After the news that b left, nothing of b; of a, its last pointer and its selection; one resync; no ink.
    expect(received.slice(fillers)).toEqual([
      { t: 'agentLeft', agentId: 'b' },
      { t: 'constructor' },
      { t: 'agentPointer', agentId: 'a', name: 'a', color: '#123456', x: 2, y: 0 },
      { t: 'resync' },
      { t: 'agentSelection', agentId: 'a', color: '#123456', range: null },
    ]);
    expect(caughtUp).toBe(1);
    // Caught up: sent as it comes again.
    expect(outbox.send(pointer('a', 3))).toBe('sent');
    await expect.poll(() => received.at(-1)).toMatchObject({ t: 'agentPointer', x: 3 });
  });

  it('past the hard bound nothing more is queued: the socket is closed with 4014', async () => {
    const { server, client, closed, outbox } = await pair(() => {});
    client.pause();
    await fillPastSoft(server, outbox);
    let outcome = 'sent';
    while (outcome === 'sent') {
      outcome = outbox.send(filler);
      expect(server.bufferedAmount).toBeLessThanOrEqual(KIND.hard + 1024);
    }
    expect(outcome).toBe('closed');
    expect(server.readyState).toBe(WebSocket.CLOSING);
    expect(outbox.send(filler)).toBe('closed');
    client.resume();
    expect(await closed).toBe(closeCodes.tooSlow);
  });
});
