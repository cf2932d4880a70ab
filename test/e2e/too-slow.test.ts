/**
 * A client whose network stalls long enough for the server's queue to pass
 * its hard bound is closed with 4014 (tooSlow), and comes straight back: the
 * visitor's SDK resumes with its resume token, the agent's console with a
 * new ticket, both without the backoff of an ordinary drop (1 s for the SDK,
 * 500 ms for the console), into the same session. The stall is a TCP proxy
 * that stops reading from the server, as a congested network would.
 */
import { createServer, connect as tcpConnect, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type WebSocket from 'ws';
import { closeCodes } from '@tandem/protocol';
import { toAgents, toVisitor } from '../../packages/server/src/bus/bus.js';
import { launchBrowser } from '../helpers/browser.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { joinInConsole, shareDemo } from '../helpers/site.js';

let server: TestServer;
let browser: Browser;

beforeAll(async () => {
  server = await startTestServer();
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

interface StallProxy {
  url: string;
  /** Stops reading what the server sends on the connections open now; new ones flow. */
  stall(): void;
  resume(): void;
  close(): Promise<void>;
}

async function startStallProxy(port: number): Promise<StallProxy> {
  const pairs = new Set<{ client: Socket; upstream: Socket }>();
  const stalled = new Set<Socket>();
  const proxy: Server = createServer((client) => {
    const upstream = tcpConnect(port, '127.0.0.1');
    const pair = { client, upstream };
    pairs.add(pair);
    client.pipe(upstream);
    upstream.pipe(client);
    const gone = () => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    for (const s of [client, upstream]) s.on('error', gone).on('close', gone);
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  const address = proxy.address();
  return {
    url: `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`,
    stall() {
      for (const { client, upstream } of pairs) {
        upstream.unpipe(client);
        upstream.pause();
        stalled.add(upstream);
      }
    },
    resume() {
      for (const { client, upstream } of pairs) if (stalled.delete(upstream)) upstream.pipe(client);
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const { client, upstream } of pairs) {
          client.destroy();
          upstream.destroy();
        }
        proxy.close(() => resolve());
      }),
  };
}

/** The server's sockets of a session, read from its room (private: this test looks inside). */
async function roomSockets(code: string): Promise<{ id: string; visitors: WebSocket[]; agents: WebSocket[] }> {
  const id = (await server.context.registry.findByCode(code))!.id;
  const room = (await (server.context.rooms as any).rooms.get(id)) as { visitors: Set<{ ws: WebSocket }>; agents: Set<{ ws: WebSocket }> };
  return { id, visitors: [...room.visitors].map((v) => v.ws), agents: [...room.agents].map((a) => a.ws) };
}

/**
 * Publishes long state messages (which are never dropped) for `ws` until the server closes it;
 * returns the close code the page's socket then sees once the network carries again.
 */
async function overflow(ws: WebSocket, topic: string, message: object): Promise<void> {
  const bytes = Buffer.from(JSON.stringify(message));
  for (let i = 0; i < 1000 && ws.readyState === ws.OPEN; i++) {
    await server.context.bus.publish(topic, bytes);
    await new Promise((r) => setTimeout(r, 2));
  }
  expect(ws.readyState).toBe(ws.CLOSING);
}

interface SocketSeen {
  url: string;
  /** Date.now() when the page opened it, and when it saw it close (with the close's code). */
  opened: number;
  closed?: number;
  code?: number;
}

/**
 * A browser whose pages note every WebSocket they open, when and how each closed (`__sockets`), and
 * when they asked for a way back in (`__reentries`: a visitor's resume, an agent's fresh ticket).
 */
async function recordingContext(): Promise<BrowserContext> {
  const context = await browser.newContext();
  await context.addInitScript(() => {
    const seen: SocketSeen[] = [];
    (window as any).__sockets = seen;
    const reentries: number[] = [];
    (window as any).__reentries = reentries;
    const fetch = window.fetch.bind(window);
    window.fetch = (input, init) => {
      const url = input instanceof Request ? input.url : String(input);
      if (/\/(resume|ticket)$/.test(new URL(url, location.href).pathname)) reentries.push(Date.now());
      return fetch(input, init);
    };
    window.WebSocket = class extends window.WebSocket {
      constructor(url: string | URL, protocols?: string | string[]) {
        super(url, protocols);
        const entry: SocketSeen = { url: String(url), opened: Date.now() };
        seen.push(entry);
        this.addEventListener('close', (e) => Object.assign(entry, { closed: Date.now(), code: e.code }));
      }
    };
  });
  return context;
}

/** When the page first asked its way back in after `since`. */
const reentryAfter = (page: Page, since: number) => page.evaluate((t) => ((window as any).__reentries as number[]).find((at) => at >= t), since);

/** The page's sockets to `path`, in the order it opened them. */
const socketsSeen = (page: Page, path: string) =>
  page.evaluate((p) => ((window as any).__sockets as SocketSeen[]).filter((s) => new URL(s.url).pathname === p), path);

describe('closed for reading too slowly', () => {
  it('the visitor’s page and the agent’s console come straight back into the same session', async () => {
    const port = Number(new URL(server.url).port);
    const visitorProxy = await startStallProxy(port);
    const agentProxy = await startStallProxy(port);
    try {
      const visitor = await shareDemo(await recordingContext(), visitorProxy.url);
      const agent = await joinInConsole(await recordingContext(), agentProxy.url, visitor.code);
      const before = await roomSockets(visitor.code);
      // Watched from before they opened: one socket each, open.
      expect((await socketsSeen(visitor.page, '/ws/visitor')).map((s) => s.closed)).toEqual([undefined]);
      expect((await socketsSeen(agent, '/ws/agent')).map((s) => s.closed)).toEqual([undefined]);

      // The visitor's network stalls; long notices pile up for the page past the hard bound.
      visitorProxy.stall();
      await overflow(before.visitors[0]!, toVisitor(before.id), { t: 'error', code: 'TDM_INTERNAL', message: 'x'.repeat(64 * 1024) });
      const closedAt = Date.now();
      visitorProxy.resume();
      // The page reads what was queued, then the close, and resumes at once with its resume token.
      await expect.poll(async () => (await socketsSeen(visitor.page, '/ws/visitor')).length, { timeout: 15_000 }).toBe(2);
      const [visitorGone, visitorNew] = await socketsSeen(visitor.page, '/ws/visitor');
      expect(visitorGone!.code).toBe(closeCodes.tooSlow);
      const visitorAsked = (await reentryAfter(visitor.page, visitorGone!.closed!))! - visitorGone!.closed!;
      const visitorBack = visitorNew!.opened - visitorGone!.closed!;
      await expect.poll(async () => (await roomSockets(visitor.code)).visitors.filter((ws) => ws.readyState === ws.OPEN).length).toBe(1);
      expect((await server.context.registry.findByCode(visitor.code))?.id).toBe(before.id);

      // The same for the agent's console, with roster news.
      agentProxy.stall();
      const [agentWs] = (await roomSockets(visitor.code)).agents;
      await overflow(agentWs!, toAgents(before.id), { t: 'visitorIdentity', name: 'x'.repeat(256 * 1024) });
      agentProxy.resume();
      await expect.poll(async () => (await socketsSeen(agent, '/ws/agent')).length, { timeout: 15_000 }).toBe(2);
      const [agentGone, agentNew] = await socketsSeen(agent, '/ws/agent');
      expect(agentGone!.code).toBe(closeCodes.tooSlow);
      const agentAsked = (await reentryAfter(agent, agentGone!.closed!))! - agentGone!.closed!;
      const agentBack = agentNew!.opened - agentGone!.closed!;
      await agent.waitForSelector('[data-session-state=live]', { timeout: 10_000 });
      console.log(
        `after 4014 the visitor's page asked to resume in ${visitorAsked} ms and had its socket in ${visitorBack} ms; ` +
          `the console asked for a ticket in ${agentAsked} ms and had its socket in ${agentBack} ms (stalled ${Date.now() - closedAt} ms in all)`,
      );
      // At once: an ordinary drop waits 1 s (the SDK) and 500 ms (the console) before trying.
      expect(visitorAsked).toBeLessThan(250);
      expect(agentAsked).toBeLessThan(250);
      await visitor.page.context().close();
      await agent.context().close();
    } finally {
      await visitorProxy.close();
      await agentProxy.close();
    }
  });
});
