/**
 * A session follows the visitor across the site's domains and tabs, never
 * beyond: sub-domains (a.localtest → b.localtest) and an allowed second domain
 * (partner.example) keep the same session and code; a domain the site does not
 * list ends sharing; another tab offers to take the session over. Host names
 * are mapped to 127.0.0.1 by Chromium's host resolver rules.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { launchBrowser } from '../helpers/browser.js';
import type { StaticServer } from '../helpers/static-server.js';
import type { TestServer } from '../helpers/server.js';
import { closeAll, consentAndCode, startSiteAndServer, vendorRoutes } from '../helpers/site.js';
import { joinAsAgent, signIn, type Client } from '../helpers/clients.js';
import { frameTexts } from '../helpers/frames.js';

let server: TestServer;
let site: StaticServer;
let browser: Browser;
let port: string;
const DOMAINS = '*.localtest,partner.example';
const at = (host: string, path: string) => `http://${host}:${port}/${path}`;
/** A page of the test site as the site links it: every page carries the snippet and its settings. */
const sitePage = (host: string, file: string, mode = 'navigate') =>
  at(host, `${file}?server=${encodeURIComponent(server.url)}&mode=${mode}&domains=${DOMAINS}`);

beforeAll(async () => {
  // evil.example serves the same pages (and the same snippet) but is not one of the site's origins.
  ({ site, server } = await startSiteAndServer('test/corpus/sites', vendorRoutes(), (s) => {
    port = new URL(s.url).port;
    return { TANDEM_ALLOWED_ORIGINS: ['a.localtest', 'b.localtest', 'partner.example'].map((h) => `http://${h}:${port}`).join(',') };
  }));
  browser = await launchBrowser(['--host-resolver-rules=MAP *.localtest 127.0.0.1, MAP partner.example 127.0.0.1, MAP evil.example 127.0.0.1']);
});

afterAll(() => closeAll(browser, server, site));

/** Opens the React page on a.localtest, consents, and lets an agent join over a raw socket. */
async function share(ctx: BrowserContext, mode = 'navigate'): Promise<{ visitor: Page; agent: Client; code: string }> {
  const visitor = await ctx.newPage();
  await visitor.goto(sitePage('a.localtest', 'react.html', mode));
  await visitor.waitForFunction(() => (window as any).Tandem?.loaded);
  const code = await consentAndCode(visitor);
  const agent = await joinAsAgent(server.url, await signIn(server.url), code);
  await agentSees(agent, 'React shop');
  return { visitor, agent, code };
}

/** Waits until a DOM frame the agent received carries `text` (a page's heading). */
async function agentSees(agent: Client, text: string): Promise<void> {
  await expect.poll(() => frameTexts(agent.binary).some((f) => f.includes(text)), { timeout: 10_000 }).toBe(true);
}

/** The visitor follows a link of the page to `url` (the link is the page's own, added as a site would). */
async function follow(visitor: Page, url: string): Promise<void> {
  await visitor.evaluate((href) => {
    const a = document.createElement('a');
    a.href = href;
    a.id = 'next';
    a.textContent = 'Next page';
    document.body.prepend(a);
  }, url);
  await visitor.click('#next');
}

const sessionCode = (visitor: Page) => visitor.evaluate(() => new Promise((r) => (window as any).Tandem('getSessionCode', r)));

describe('continuity across the site’s domains', () => {
  it('keeps the session and code on a sub-domain and on an allowed second domain; a foreign domain ends it', async () => {
    const ctx = await browser.newContext();
    const { visitor, agent, code } = await share(ctx);
    const handoffs: string[] = [];
    visitor.on('request', (r) => {
      const token = new URL(r.url()).searchParams.get('tandem_handoff');
      if (token && r.isNavigationRequest()) handoffs.push(token);
    });

    agent.binary.length = 0;
    await follow(visitor, sitePage('b.localtest', 'vue.html'));
    await agentSees(agent, 'Vue booking');
    expect(await sessionCode(visitor)).toBe(code);
    // The token left the address bar at once, and it is spent: it resumes nothing a second time.
    expect(visitor.url()).toBe(sitePage('b.localtest', 'vue.html'));
    expect(handoffs).toHaveLength(1);
    const again = await fetch(`${server.url}/api/v1/visitor/handoff`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: at('b.localtest', '').slice(0, -1) },
      body: JSON.stringify({ handoff: handoffs[0] }),
    });
    expect(again.status).toBe(410);

    agent.binary.length = 0;
    await follow(visitor, sitePage('partner.example', 'react.html'));
    await visitor.waitForURL(/partner\.example/);
    await agentSees(agent, 'React shop');
    expect(await sessionCode(visitor)).toBe(code);

    // The agent sends the visitor to the site's own addresses, never elsewhere.
    agent.sendJson({ t: 'action', id: 1, a: { k: 'navigate', url: 'https://elsewhere.invalid/' } });
    expect(await agent.next((m) => m.t === 'actionResult' && m.id === 1)).toMatchObject({ ok: false, reason: 'url' });
    agent.binary.length = 0;
    agent.sendJson({ t: 'action', id: 2, a: { k: 'navigate', url: sitePage('b.localtest', 'vue.html') } });
    expect(await agent.next((m) => m.t === 'actionResult' && m.id === 2)).toMatchObject({ ok: true });
    await agentSees(agent, 'Vue booking');
    expect(visitor.url()).toBe(sitePage('b.localtest', 'vue.html'));
    expect(await sessionCode(visitor)).toBe(code);

    // A form of the site that submits to another of its domains carries the session too.
    agent.binary.length = 0;
    await visitor.evaluate(
      (action) => {
        const form = document.createElement('form');
        form.action = action;
        form.method = 'get';
        form.innerHTML = '<input name="guest" value="Ada"><button id="send" name="via" value="form">Book</button>';
        document.body.prepend(form);
      },
      at('partner.example', 'react.html'),
    );
    // (The page gets the snippet's server address from what this tab stored on partner.example before.)
    await visitor.click('#send');
    await visitor.waitForURL(/partner\.example.*guest=Ada/);
    expect(visitor.url()).toContain('via=form');
    expect(visitor.url()).not.toContain('tandem_handoff');
    await agentSees(agent, 'React shop');
    expect(await sessionCode(visitor)).toBe(code);

    // Out of the site: sharing ends, and the foreign page shares nothing.
    await follow(visitor, sitePage('evil.example', 'react.html'));
    expect(await agent.next((m) => m.t === 'ended')).toMatchObject({ reason: 'left' });
    await visitor.waitForURL(/evil\.example/);
    await visitor.waitForFunction(() => (window as any).Tandem?.loaded);
    expect(await sessionCode(visitor)).toBeNull();
    expect(await visitor.$('tandem-ui')).toBeNull();
    await ctx.close();
  });
});

describe('a hand-off token sent from elsewhere', () => {
  it('does not pull another browser into the session without asking; declined, nothing is sent', async () => {
    const ctx = await browser.newContext();
    const { visitor, agent } = await share(ctx);
    const { sessionId, resumeToken } = await visitor.evaluate(() => JSON.parse(sessionStorage.getItem('tandem:session')!));
    const res = await fetch(`${server.url}/api/v1/visitor/sessions/${sessionId}/handoff`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: `http://a.localtest:${port}` },
      body: JSON.stringify({ resumeToken }),
    });
    const { handoff } = (await res.json()) as { handoff: string };

    // Someone else opens the link (from a mail, a chat): no referrer from the site.
    const stranger = await (await browser.newContext()).newPage();
    const sockets: string[] = [];
    stranger.on('websocket', (ws) => sockets.push(ws.url()));
    agent.binary.length = 0;
    await stranger.goto(`${sitePage('b.localtest', 'vue.html')}&tandem_handoff=${handoff}`);
    await stranger.waitForSelector('tandem-ui [data-action=accept]');
    expect(stranger.url()).not.toContain('tandem_handoff');
    await stranger.click('tandem-ui [data-action=decline]');
    await stranger.waitForTimeout(500);
    expect(sockets).toEqual([]);
    expect(frameTexts(agent.binary).some((f) => f.includes('Vue booking'))).toBe(false);
    await stranger.context().close();
    await ctx.close();
  });
});

describe('one live tab', () => {
  it('another tab of the visitor says the session is shared elsewhere and takes it over with Synchronize', async () => {
    const ctx = await browser.newContext();
    const { visitor: first, agent, code } = await share(ctx);
    const second = await ctx.newPage();
    await second.goto(sitePage('a.localtest', 'vue.html'));
    await second.waitForSelector('tandem-ui [data-action=sync]');
    expect(await first.$('tandem-ui [data-action=stop]')).not.toBeNull();

    agent.binary.length = 0;
    await second.click('tandem-ui [data-action=sync]');
    await agentSees(agent, 'Vue booking');
    expect(await sessionCode(second)).toBe(code);
    // The first tab stops sharing and offers to take the session back.
    await first.waitForSelector('tandem-ui [data-action=sync]');

    agent.binary.length = 0;
    await first.click('tandem-ui [data-action=sync]');
    await agentSees(agent, 'React shop');
    await second.waitForSelector('tandem-ui [data-action=sync]');

    // Ending the session in the live tab clears the offer in the other.
    await first.click('tandem-ui [data-action=stop]');
    await expect.poll(() => second.$('tandem-ui [data-action=sync]').then((e) => e === null), { timeout: 5000 }).toBe(true);
    await ctx.close();
  });
});
