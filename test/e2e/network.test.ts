/**
 * Networks drop. The agent's console rides out a 3-second cut (through a TCP
 * proxy that drops every connection and refuses new ones) and comes back into
 * the same session; the visitor's panel offers Stop while it is reconnecting,
 * and Stop works then too.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { launchBrowser } from '../helpers/browser.js';
import { ADMIN, startTestServer, type TestServer } from '../helpers/server.js';
import { joinInConsole, shareDemo } from '../helpers/site.js';
import { startTcpProxy, type TcpProxy } from '../helpers/tcp-proxy.js';

let server: TestServer;
let browser: Browser;
let agentProxy: TcpProxy;
let visitorProxy: TcpProxy;

beforeAll(async () => {
  // A short grace, so that a visitor who stopped while offline is ended soon.
  server = await startTestServer({ TANDEM_RESUME_GRACE_MS: '4000' });
  const port = Number(new URL(server.url).port);
  agentProxy = await startTcpProxy({ host: '127.0.0.1', port });
  visitorProxy = await startTcpProxy({ host: '127.0.0.1', port });
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  await agentProxy?.close();
  await visitorProxy?.close();
  await server?.stop();
});

const newContext = (width: number, height: number) => browser.newContext({ viewport: { width, height } });
const shareFrom = async (base: string) => shareDemo(await newContext(1000, 700), base);
const agentJoins = async (base: string, code: string) => joinInConsole(await newContext(1200, 800), base, code);

const inView = (agent: Page, selector: string, value: string) =>
  agent.waitForFunction(
    ([sel, v]) => {
      const doc = document.querySelector<HTMLIFrameElement>('iframe[data-tandem-view]')?.contentDocument;
      return doc?.querySelector<HTMLInputElement>(sel!)?.value === v;
    },
    [selector, value],
    { timeout: 15_000, polling: 50 },
  );

describe('network cuts', () => {
  it('the console rides out a 3-second cut of the agent’s network and is back in the same session', async () => {
    const visitor = await shareFrom(server.url);
    const agent = await agentJoins(agentProxy.url, visitor.code);
    await visitor.page.fill('#name', 'Before the cut');
    await inView(agent, '#name', 'Before the cut');

    agentProxy.cut();
    await agent.waitForSelector('[data-session-state=reconnecting]', { timeout: 5000 });
    // The visitor keeps working meanwhile; the session is live on the server.
    await visitor.page.fill('#name', 'During the cut');
    await new Promise((r) => setTimeout(r, 3000));
    expect(await agent.locator('[data-ended]').count()).toBe(0);
    agentProxy.restore();

    await agent.waitForSelector('[data-session-state=live]', { timeout: 15_000 });
    await inView(agent, '#name', 'During the cut');
    await visitor.page.fill('#name', 'After the cut');
    await inView(agent, '#name', 'After the cut');
    expect(await agent.locator('[data-ended]').count()).toBe(0);
    const live = await server.context.registry.findByCode(visitor.code);
    expect(live?.agents.map((a) => a.name)).toEqual([ADMIN.name]);
    await visitor.page.context().close();
    await agent.context().close();
  });

  it('the visitor’s panel offers Stop while reconnecting; stopped then, nothing more is shared and the session ends', async () => {
    const visitor = await shareFrom(visitorProxy.url);
    const agent = await agentJoins(server.url, visitor.code);
    await visitor.page.waitForSelector(`tandem-ui .panel:has-text("${ADMIN.name}")`);

    visitorProxy.cut();
    const stop = await visitor.page.waitForSelector('tandem-ui .panel:has-text("Reconnecting") [data-action=stop]', { timeout: 10_000 });
    await stop.click();
    expect(await visitor.page.locator('tandem-ui').count()).toBe(0);
    visitorProxy.restore();
    // The end request could not get through while offline: the server ends the session when its grace runs out.
    await agent.waitForSelector('[data-ended]', { timeout: 20_000 });
    expect(await server.context.registry.findByCode(visitor.code)).toBeNull();
    // And the page stays quiet: no socket opens again.
    let sockets = 0;
    visitor.page.on('websocket', () => sockets++);
    await new Promise((r) => setTimeout(r, 2000));
    expect(sockets).toBe(0);
    await visitor.page.context().close();
    await agent.context().close();
  });
});
