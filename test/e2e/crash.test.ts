/**
 * No session left dangling. The server is killed mid-session (SIGKILL: no
 * chance to say anything) and started again on the same data directory: the
 * visitor's page and the agent's console both learn that the session ended,
 * and the store holds how and when, instead of `endedAt: null` for ever.
 * A SIGTERM tells the clients what then happens: the session ends, and they say so.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { launchBrowser } from '../helpers/browser.js';
import { ADMIN } from '../helpers/server.js';
import { signIn } from '../helpers/clients.js';
import { joinInConsole, shareDemo } from '../helpers/site.js';

const BIN = 'packages/cli/bin/tandem.js';
const dataDir = mkdtempSync(join(tmpdir(), 'tandem-crash-'));
let browser: Browser;
let child: ChildProcess | null = null;
let base = '';

/** Starts `tandem start` on the data directory (on `port`, or a free one) and waits until it serves. */
async function startChild(port = 0): Promise<string> {
  const proc = spawn(process.execPath, [BIN, 'start'], {
    env: {
      ...process.env,
      PORT: String(port),
      HOST: '127.0.0.1',
      TANDEM_DATA_DIR: dataDir,
      TANDEM_ADMIN_EMAIL: ADMIN.email,
      TANDEM_ADMIN_PASSWORD: ADMIN.password,
      TANDEM_LOG_LEVEL: 'warn',
    },
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

async function storedSessions(): Promise<{ id: string; endedAt: string | null; endReason: string | null }[]> {
  const cookie = await signIn(base);
  const res = await fetch(`${base}/api/v1/sessions?limit=50`, { headers: { cookie } });
  return ((await res.json()) as { sessions: { id: string; endedAt: string | null; endReason: string | null }[] }).sessions;
}

describe('a server that dies mid-session', () => {
  it('SIGKILL, then a restart on the same data directory: visitor and agent are both told the session ended, and the store says how', async () => {
    const { visitor, agent } = await liveSession();
    await stopChild('SIGKILL');
    const port = Number(new URL(base).port);
    // The clients notice the loss and keep trying while the server is down.
    await visitor.waitForSelector('tandem-ui .panel:has-text("Reconnecting")', { timeout: 10_000 });
    await agent.waitForSelector('[data-session-state=reconnecting]', { timeout: 10_000 });
    base = await startChild(port);

    await visitor.waitForSelector('tandem-ui .panel:has-text("Sharing ended")', { timeout: 30_000 });
    await agent.waitForSelector('[data-ended]:has-text("The server ended the session.")', { timeout: 30_000 });
    const [last] = await storedSessions();
    expect(last).toMatchObject({ endReason: 'server' });
    expect(Date.parse(last!.endedAt!)).toBeGreaterThan(0);
    expect((await storedSessions()).filter((s) => s.endedAt === null)).toEqual([]);
    await visitor.context().close();
    await agent.context().close();
  });

  it('SIGTERM: the clients are told the session ended (not to come back), and it is so after the restart', async () => {
    const { visitor, agent } = await liveSession();
    const port = Number(new URL(base).port);
    await stopChild('SIGTERM');
    await visitor.waitForSelector('tandem-ui .panel:has-text("Sharing ended")', { timeout: 10_000 });
    await agent.waitForSelector('[data-ended]:has-text("The server ended the session.")', { timeout: 10_000 });
    base = await startChild(port);
    const [last] = await storedSessions();
    expect(last).toMatchObject({ endReason: 'server' });
    expect((await storedSessions()).filter((s) => s.endedAt === null)).toEqual([]);
    await visitor.context().close();
    await agent.context().close();
  });
});
