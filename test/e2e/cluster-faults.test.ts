/**
 * A cluster that loses parts mid-session. Two `tandem start` processes on Redis (a Redis of the test's
 * own, so it can be restarted) and PostgreSQL, each with a data directory of its own, behind a round-robin balancer with no stickiness; a visitor on the
 * demo and an agent in the console, in Chromium, both through the balancer.
 * - SIGKILL of the node holding the visitor's socket: both sides reconnect through the balancer to
 *   the other node, and the agent's view is right again within 5 s.
 * - SIGTERM drains: the clients are told to reconnect, and do, to the node still up; it exits 0.
 * - Redis restarted: the session goes on, and the view catches up with what changed meanwhile.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { launchBrowser } from '../helpers/browser.js';
import { ADMIN, serverEnv } from '../helpers/server.js';
import { joinInConsole, shareDemo } from '../helpers/site.js';
import { startBalancer, type Balancer } from '../helpers/balancer.js';
import { freePort, startNodeProcess, type NodeProcess } from '../helpers/node-process.js';
import { startPrivateRedis, type PrivateRedis } from '../helpers/private-redis.js';
import { freshPgSchema, postgresUp, redisUp, type PgSchema } from '../helpers/services.js';

const up = (await redisUp()) && (await postgresUp());
const dataDirs: string[] = [];
let schema: PgSchema;
const secret = randomBytes(32).toString('base64url');
let redis: PrivateRedis;
let browser: Browser;
let balancer: Balancer;
const nodes = new Map<number, NodeProcess>();
let visitor: Page;
let agent: Page;

/** Each node a machine of its own: its own data directory; the store in PostgreSQL, the live state in Redis. */
const env = (port: number) =>
  serverEnv(mkdtempSync(join(tmpdir(), 'tandem-faults-')), {
    PORT: String(port),
    REDIS_URL: redis.url,
    DATABASE_URL: schema.url,
    TANDEM_SECRET: secret,
    TANDEM_RESUME_GRACE_MS: '30000',
  });

async function startNode(port: number): Promise<NodeProcess> {
  const settings = env(port);
  dataDirs.push(settings.TANDEM_DATA_DIR!);
  const node = await startNodeProcess(settings);
  nodes.set(port, node);
  return node;
}

/** The node holding the newest open socket of this kind (`/ws/visitor`, `/ws/agent`). */
const nodeOf = (path: string) => balancer.connections.filter((c) => c.open && c.firstLine.startsWith(`GET ${path}`)).at(-1)?.port;

/** The value the visitor typed, as the agent's rebuilt page shows it. */
const inView = (value: string, timeout = 20_000) =>
  agent.waitForFunction(
    (v) =>
      document.querySelector<HTMLIFrameElement>('iframe[data-tandem-view]')?.contentDocument?.querySelector<HTMLInputElement>('#name')?.value ===
      v,
    value,
    { timeout, polling: 25 },
  );

/** Types into the visitor's page and measures how long until the agent's view shows it. */
async function typeAndSee(value: string, timeout?: number): Promise<number> {
  const started = Date.now();
  await visitor.fill('#name', value);
  await inView(value, timeout);
  return Date.now() - started;
}

beforeAll(async () => {
  if (!up) return;
  redis = await startPrivateRedis();
  schema = await freshPgSchema();
  const ports = [await freePort(), await freePort()];
  // Started together, as a deployment starts them: they agree on one schema and one admin.
  await Promise.all(ports.map((port) => startNode(port)));
  balancer = await startBalancer(ports);
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  await balancer?.close();
  for (const node of nodes.values()) await node.stop('SIGKILL');
  await redis?.stop();
  await schema?.drop();
  for (const dir of dataDirs) rmSync(dir, { recursive: true, force: true });
});

describe.runIf(up)('a two-node cluster on Redis that loses parts mid-session', () => {
  it('any node serves any client: the page, the console and both sockets go through a balancer without stickiness', async () => {
    const shared = await shareDemo(await browser.newContext(), balancer.url);
    visitor = shared.page;
    agent = await joinInConsole(await browser.newContext(), balancer.url, shared.code);
    await visitor.waitForSelector(`tandem-ui .panel:has-text("${ADMIN.name}")`);
    await typeAndSee('Before anything');
    // Round robin spread the requests over both nodes.
    expect(new Set(balancer.connections.map((c) => c.port)).size).toBe(2);
    expect(nodeOf('/ws/visitor')).toBeDefined();
    expect(nodeOf('/ws/agent')).toBeDefined();
  });

  it('SIGKILL of the node holding the visitor’s socket: both sides reconnect to the other node, the view is right within 5 s', async () => {
    const victim = nodeOf('/ws/visitor')!;
    const survivor = [...nodes.keys()].find((p) => p !== victim)!;
    const killedAt = Date.now();
    await nodes.get(victim)!.stop('SIGKILL');
    nodes.delete(victim);
    await visitor.fill('#name', 'After the kill');
    await inView('After the kill', 5000);
    const recovered = Date.now() - killedAt;
    console.log(`view right again ${recovered} ms after SIGKILL of the visitor's node`);
    expect(recovered).toBeLessThan(5000);
    expect(nodeOf('/ws/visitor')).toBe(survivor);
    await agent.waitForSelector('[data-session-state=live]');
    expect(nodeOf('/ws/agent')).toBe(survivor);
    expect(await agent.locator('[data-ended]').count()).toBe(0);
    if (process.env.TANDEM_SCREENSHOTS) {
      await agent.screenshot({ path: join(process.env.TANDEM_SCREENSHOTS, 'agent-after-sigkill.png') });
      await visitor.screenshot({ path: join(process.env.TANDEM_SCREENSHOTS, 'visitor-after-sigkill.png') });
    }
    await startNode(victim);
  });

  it('SIGTERM drains: the clients are told to reconnect, do so on the other node, and the node exits cleanly', async () => {
    const leaving = nodeOf('/ws/visitor')!;
    const staying = [...nodes.keys()].find((p) => p !== leaving)!;
    const exit = await nodes.get(leaving)!.stop('SIGTERM');
    nodes.delete(leaving);
    expect(exit).toBe(0);
    console.log(`drained: view right again ${await typeAndSee('After the drain', 10_000)} ms after the node exited`);
    expect(nodeOf('/ws/visitor')).toBe(staying);
    expect(nodeOf('/ws/agent')).toBe(staying);
    await startNode(leaving);
  });

  it('Redis restarted mid-session: the session recovers, and the view catches up with what changed meanwhile', async () => {
    const restart = redis.restart(1500);
    // Typed while Redis is down: what the visitor's node publishes meanwhile is lost, and repaired after.
    await new Promise((r) => setTimeout(r, 300));
    await visitor.fill('#name', 'While Redis was down');
    await restart;
    await inView('While Redis was down', 20_000);
    console.log(`after Redis came back: ${await typeAndSee('After Redis came back', 10_000)} ms from typing to the view`);
    for (const node of nodes.values()) expect(node.proc.exitCode).toBeNull();
    expect(await agent.locator('[data-ended]').count()).toBe(0);
    await visitor.waitForSelector(`tandem-ui .panel:has-text("${ADMIN.name}")`);
    if (process.env.TANDEM_SCREENSHOTS) await agent.screenshot({ path: join(process.env.TANDEM_SCREENSHOTS, 'agent-after-redis-restart.png') });
  });
});
