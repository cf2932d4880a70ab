/**
 * Presence and invites: off unless both the site's settings and the page turn
 * it on; then agents see who is on the site (identity, page, platform) and can
 * invite a visitor, who accepts or declines. Nothing of the page is sent
 * before they accept.
 */
import { createHmac } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { launchBrowser } from '../helpers/browser.js';
import type { StaticServer } from '../helpers/static-server.js';
import { ADMIN, type TestServer } from '../helpers/server.js';
import { closeAll, startSiteAndServer } from '../helpers/site.js';
import { joinAsAgent, signIn } from '../helpers/clients.js';
import { frameReader, frameTexts } from '../helpers/frames.js';

let server: TestServer;
let site: StaticServer;
let browser: Browser;
let cookie: string;

beforeAll(async () => {
  ({ site, server } = await startSiteAndServer('test/corpus/sites', { '/plain.html': { type: 'text/html', body: PLAIN } }));
  browser = await launchBrowser();
  cookie = await signIn(server.url);
});

afterAll(() => closeAll(browser, server, site));

const PLAIN = `<!doctype html><title>Checkout</title><script src="tandem-init.js"></script><h1>Checkout page</h1><p>Basket total 42 EUR</p>`;

const api = async (path: string, init: RequestInit = {}) => {
  const res = await fetch(`${server.url}${path}`, { ...init, headers: { 'content-type': 'application/json', cookie, ...init.headers } });
  return { status: res.status, body: await res.json() };
};
const visitors = async () => (await api('/api/v1/sites/demo/visitors')).body.visitors as any[];

/** A visitor page with presence asked for by the page; every socket and request it makes is recorded. */
async function open(): Promise<{ page: Page; sockets: string[]; frames: string[]; posts: string[] }> {
  const page = await (await browser.newContext({ viewport: { width: 1000, height: 700 } })).newPage();
  const rec = { page, sockets: [] as string[], frames: [] as string[], posts: [] as string[] };
  page.on('websocket', (ws) => {
    rec.sockets.push(ws.url());
    const read = frameReader();
    ws.on('framesent', (f) => typeof f.payload !== 'string' && rec.frames.push(read(f.payload)));
  });
  page.on('request', (r) => r.method() === 'POST' && rec.posts.push(new URL(r.url()).pathname));
  await page.goto(`${site.url}/plain.html?server=${encodeURIComponent(server.url)}&presence=1&uniqueId=cust-42`);
  await page.waitForFunction(() => (window as any).Tandem?.loaded);
  return rec;
}

describe('presence', () => {
  it('is off until the site’s settings allow it, even when the page asks', async () => {
    const v = await open();
    await v.page.waitForTimeout(500);
    expect(await visitors()).toEqual([]);
    await v.page.context().close();
  });

  it('lists the visitor with identity, page and platform; an invite is declined, then accepted', async () => {
    expect((await api('/api/v1/sites/demo/settings', { method: 'PATCH', body: JSON.stringify({ presence: true }) })).status).toBe(200);
    const v = await open();
    await expect.poll(async () => (await visitors()).length, { timeout: 5000 }).toBe(1);
    const [listed] = await visitors();
    expect(listed).toMatchObject({
      identity: { name: 'Test Visitor', uniqueId: 'cust-42' },
      title: 'Checkout',
      platform: { os: 'Linux', viewport: '1000x700', language: expect.any(String), timeZone: expect.any(String) },
    });
    expect(listed.url).toContain('/plain.html');
    expect(listed.platform.browser).toMatch(/^Chrome \d+/);
    expect((await api('/api/v1/sites/demo/visitors?q=nobody')).body.visitors).toEqual([]);

    // Declined: the agent learns it; nothing was sent.
    const first = await api('/api/v1/sites/demo/invites', { method: 'POST', body: JSON.stringify({ uniqueId: 'cust-42' }) });
    expect(first.status).toBe(201);
    await v.page.waitForSelector('tandem-ui .panel:has-text("Support would like to see this tab")');
    await v.page.click('tandem-ui [data-action=decline]');
    await expect.poll(async () => (await api(`/api/v1/invites/${first.body.inviteId}`)).body.state).toBe('declined');

    // Accepted: a session starts, and the invite carries its code to the agent.
    const second = await api('/api/v1/sites/demo/invites', { method: 'POST', body: JSON.stringify({ shortId: listed.shortId }) });
    await v.page.waitForSelector('tandem-ui [data-action=accept]');
    await v.page.waitForTimeout(300);
    expect(v.frames).toEqual([]);
    expect(v.posts.filter((p) => p.startsWith('/api/v1/visitor/sessions'))).toEqual([]);
    await v.page.click('tandem-ui [data-action=accept]');
    await expect.poll(async () => (await api(`/api/v1/invites/${second.body.inviteId}`)).body.state).toBe('accepted');
    const { code } = (await api(`/api/v1/invites/${second.body.inviteId}`)).body;
    expect(code).toMatch(/^\d{6}$/);
    const agent = await joinAsAgent(server.url, cookie, code);
    await expect.poll(() => frameTexts(agent.binary).some((f) => f.includes('Basket total 42 EUR')), { timeout: 5000 }).toBe(true);
    await v.page.context().close();
    await expect.poll(async () => (await visitors()).length).toBe(0);
  });

  it('in the console: the agent finds the visitor, invites them and lands in the session when they accept', async () => {
    const v = await open();
    const agent = await (await browser.newContext({ viewport: { width: 1300, height: 900 } })).newPage();
    await agent.goto(`${server.url}/console/`);
    await agent.fill('#email', ADMIN.email);
    await agent.fill('#password', ADMIN.password);
    await agent.click('button[type=submit]');
    await agent.click('a[data-screen=visitors]');
    await agent.fill('.visitors input[type=search]', 'cust-42');
    await agent.waitForSelector('.visitors li:has-text("Test Visitor"):has-text("Checkout")', { timeout: 10_000 });
    if (process.env.TANDEM_SCREENSHOTS) await agent.screenshot({ path: join(process.env.TANDEM_SCREENSHOTS, 'console-visitors.png') });
    await agent.click('.visitors li button');
    await agent.waitForSelector('.invite-state');
    await v.page.click('tandem-ui [data-action=accept]');
    await agent.waitForFunction(
      () =>
        !!document.querySelector<HTMLIFrameElement>('iframe[data-tandem-view]')?.contentDocument?.body?.textContent?.includes('Basket total'),
      null,
      { timeout: 10_000 },
    );
    if (process.env.TANDEM_SCREENSHOTS) await agent.screenshot({ path: join(process.env.TANDEM_SCREENSHOTS, 'console-invited-session.png') });
    await agent.context().close();
    await v.page.context().close();
  });

  it('an unknown visitor cannot be invited, and presence sockets are refused from other origins', async () => {
    expect((await api('/api/v1/sites/demo/invites', { method: 'POST', body: JSON.stringify({ uniqueId: 'nobody' }) })).status).toBe(404);
    const res = await fetch(`${server.url}/ws/presence?site=demo`, {
      headers: {
        connection: 'Upgrade',
        upgrade: 'websocket',
        origin: 'http://attacker.test',
        'sec-websocket-version': '13',
        'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==',
      },
    }).catch((e) => e);
    expect(res instanceof Error ? 403 : res.status).toBe(403);
  });

  it('once the site signs unique ids, a forged one is dropped and an invite by unique id reaches the signed visitor only', async () => {
    const { status, body } = await api('/api/v1/sites/demo/identity-secret', { method: 'POST', body: '{}' });
    expect(status).toBe(201);
    const sign = (id: string) => createHmac('sha256', body.secret).update(id).digest('hex');
    const page = async (query: string) => {
      const p = await (await browser.newContext()).newPage();
      await p.goto(`${site.url}/plain.html?server=${encodeURIComponent(server.url)}&presence=1&${query}`);
      return p;
    };
    const real = await page(`uniqueId=cust-7&signature=${sign('cust-7')}`);
    const impostor = await page(`uniqueId=cust-7&signature=${sign('cust-8')}`);
    await expect.poll(async () => (await visitors()).length, { timeout: 5000 }).toBe(2);
    const listed = await visitors();
    expect(listed.filter((v) => v.verified)).toHaveLength(1);
    expect(listed.filter((v) => v.identity.uniqueId === 'cust-7')).toHaveLength(1);
    expect(listed.find((v) => !v.verified)!.identity.uniqueId).toBeUndefined();

    const invite = await api('/api/v1/sites/demo/invites', { method: 'POST', body: JSON.stringify({ uniqueId: 'cust-7' }) });
    expect(invite.status).toBe(201);
    await real.waitForSelector('tandem-ui [data-action=accept]');
    await impostor.waitForTimeout(300);
    expect(await impostor.$('tandem-ui')).toBeNull();
    await real.context().close();
    await impostor.context().close();
  });
});
