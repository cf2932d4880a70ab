/**
 * No session left dangling. The server is killed mid-session (SIGKILL: no
 * chance to say anything) and started again on the same data directory: the
 * visitor's page and the agent's console come back into the same session, under
 * the same code, and go on. SIGTERM tells the clients to reconnect, which is what
 * then happens. A session whose visitor does not come back ends after the grace,
 * with the reason and the time in the store, never `endedAt: null` for ever.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { launchBrowser } from '../helpers/browser.js';
import { ADMIN, serverEnv } from '../helpers/server.js';
import { signIn } from '../helpers/clients.js';
import { joinInConsole, shareDemo } from '../helpers/site.js';

const BIN = 'packages/cli/bin/tandem.js';
/** Short enough that a visitor who does not return is ended within the test. */
const GRACE_MS = 8000;
/**
 * Where the visitor is meant to come back: the product's default. The visitor's page retries
 * at 0.5, 1, 2, 4 then every 8 s, so a restart that takes more than 7.5 s (tsx on a loaded
 * machine) may leave it a whole 8 s away: with GRACE_MS the session could end first.
 */
const RETURN_GRACE_MS = 30_000;
const dataDir = mkdtempSync(join(tmpdir(), 'tandem-crash-'));
let browser: Browser;
let child: ChildProcess | null = null;
let base = '';

/** Starts `tandem start` on the data directory (on `port`, or a free one) and waits until it serves. */
async function startChild(port = 0, graceMs = GRACE_MS): Promise<string> {
  const proc = spawn(process.execPath, [BIN, 'start'], {
    env: { ...process.env, ...serverEnv(dataDir, { PORT: String(port), TANDEM_RESUME_GRACE_MS: String(graceMs) }) },
  });
  child = proc;
  let out = '';
  proc.stdout.on('data', (d) => (out += d));
  proc.stderr.on('data', (d) => (out += d));
  // A plain wait (this runs in beforeAll too, where expect.poll cannot).
  const deadline = Date.now() + 60_000;
  for (;;) {
    const url = /Agent console:\s+(http:\/\/[^/\s]+)/.exec(out)?.[1];
    if (url) return url;
    if (proc.exitCode !== null || Date.now() > deadline) throw new Error(`tandem start did not come up:\n${out}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function stopChild(signal: NodeJS.Signals): Promise<void> {
  const proc = child!;
  const exited = new Promise((resolve) => proc.once('exit', resolve));
  proc.kill(signal);
  await exited;
  child = null;
}

beforeAll(async () => {
  browser = await launchBrowser();
  base = await startChild();
});

afterAll(async () => {
  await browser?.close();
  if (child) await stopChild('SIGKILL');
  rmSync(dataDir, { recursive: true, force: true });
});

async function liveSession(): Promise<{ visitor: Page; agent: Page; code: string }> {
  const { page: visitor, code } = await shareDemo(await browser.newContext(), base);
  const agent = await joinInConsole(await browser.newContext(), base, code);
  await visitor.waitForSelector(`tandem-ui .panel:has-text("${ADMIN.name}")`);
  return { visitor, agent, code };
}

interface Stored {
  id: string;
  code?: string | null;
  live: boolean;
  endedAt: string | null;
  endReason: string | null;
}

async function storedSessions(): Promise<Stored[]> {
  const cookie = await signIn(base);
  const res = await fetch(`${base}/api/v1/sessions?limit=50`, { headers: { cookie } });
  return ((await res.json()) as { sessions: Stored[] }).sessions;
}

/** The value the visitor typed, as the agent's rebuilt page shows it. */
const inView = (agent: Page, value: string) =>
  agent.waitForFunction(
    (v) =>
      document.querySelector<HTMLIFrameElement>('iframe[data-tandem-view]')?.contentDocument?.querySelector<HTMLInputElement>('#name')?.value ===
      v,
    value,
    { timeout: 30_000, polling: 50 },
  );

/** Both sides are back in the session: the visitor's panel names the agent, the console is live, typing travels. */
async function backInSession(visitor: Page, agent: Page, typed: string): Promise<void> {
  await visitor.waitForSelector(`tandem-ui .panel:has-text("${ADMIN.name}")`, { timeout: 40_000 });
  await agent.waitForSelector('[data-session-state=live]', { timeout: 40_000 });
  await visitor.fill('#name', typed);
  await inView(agent, typed);
  expect(await agent.locator('[data-ended]').count()).toBe(0);
}

describe('a server that stops mid-session', () => {
  it('SIGKILL, then a restart on the same data directory: visitor and agent are back in the same session, under the same code', async () => {
    const { visitor, agent, code } = await liveSession();
    await visitor.fill('#name', 'Before the crash');
    await inView(agent, 'Before the crash');
    const port = Number(new URL(base).port);
    await stopChild('SIGKILL');
    // The clients notice the loss and keep trying while the server is down.
    await visitor.waitForSelector('tandem-ui .panel:has-text("Reconnecting")', { timeout: 15_000 });
    await agent.waitForSelector('[data-session-state=reconnecting]', { timeout: 15_000 });
    base = await startChild(port, RETURN_GRACE_MS);

    await backInSession(visitor, agent, 'After the crash');
    const [last] = await storedSessions();
    expect(last).toMatchObject({ live: true, code, endedAt: null });
    await visitor.context().close();
    await agent.context().close();
  });

  it('SIGTERM tells the clients to reconnect, and after the restart they are back in the session', async () => {
    const { visitor, agent, code } = await liveSession();
    const port = Number(new URL(base).port);
    await stopChild('SIGTERM');
    await visitor.waitForSelector('tandem-ui .panel:has-text("Reconnecting")', { timeout: 15_000 });
    await agent.waitForSelector('[data-session-state=reconnecting]', { timeout: 15_000 });
    expect(await agent.locator('[data-ended]').count()).toBe(0);
    base = await startChild(port, RETURN_GRACE_MS);

    await backInSession(visitor, agent, 'After the restart');
    expect((await storedSessions())[0]).toMatchObject({ live: true, code });
    await visitor.context().close();
    await agent.context().close();
  });

  it('a session whose visitor does not come back after the restart ends after the grace; the store says how and when', async () => {
    const { visitor, agent } = await liveSession();
    const port = Number(new URL(base).port);
    await stopChild('SIGKILL');
    await visitor.context().close();
    base = await startChild(port);

    // The agent comes back into it, and sees it end when the visitor's grace runs out.
    await agent.waitForSelector('[data-ended]:has-text("The visitor left and did not come back.")', { timeout: GRACE_MS + 30_000 });
    // Newest first: this session.
    const [gone] = await storedSessions();
    expect(gone).toMatchObject({ live: false, endReason: 'timeout' });
    expect(Date.parse(gone!.endedAt!)).toBeGreaterThan(0);
    expect((await storedSessions()).filter((s) => s.endedAt === null && !s.live)).toEqual([]);
    await agent.context().close();
  });
});
