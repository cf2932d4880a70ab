/**
 * Upscope's integration flow, end to end, as an integrator builds it: the
 * site's page has the snippet with presence on and its own visitor id; the
 * integrator's server (plain Node HTTP on its own origin, holding an API key)
 * finds the visitor by `id:UNIQUEID`, asks Tandem for a watch_url and
 * redirects its agent's browser there — a browser with no Tandem account.
 * The visitor consents; the agent sees the page. Then every way a link fails
 * shows its own page, with the integrator's retry link.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { createApiKey } from '@tandem/server';
import { launchBrowser } from '../helpers/browser.js';
import type { StaticServer } from '../helpers/static-server.js';
import type { TestServer } from '../helpers/server.js';
import { closeAll, startSiteAndServer } from '../helpers/site.js';
import { signIn } from '../helpers/clients.js';

let server: TestServer;
let site: StaticServer;
let browser: Browser;
let integrator: Server;
let integratorUrl: string;
/** Every watch_url the integrator was given, newest last (a real integrator stores none). */
const issued: string[] = [];

const PAGE = `<!doctype html><title>Account</title><script src="tandem-init.js"></script>
<h1>Your account</h1><p>Plan: Business, renews 1 March</p><form><label>Note <input id="note"></label></form>`;

beforeAll(async () => {
  ({ site, server } = await startSiteAndServer('test/corpus/sites', { '/account.html': { type: 'text/html', body: PAGE } }));
  browser = await launchBrowser();
  const cookie = await signIn(server.url);
  const res = await fetch(`${server.url}/api/v1/sites/demo/settings`, {
    method: 'PATCH',
    headers: { 'content-type': 'application/json', cookie },
    body: JSON.stringify({ presence: true }),
  });
  expect(res.status).toBe(200);
  const key = await createApiKey(server.context.store, 'helpdesk', { siteKey: 'demo' });
  ({ integrator, integratorUrl } = await startIntegrator(key));
});

afterAll(async () => {
  await new Promise((r) => integrator?.close(r));
  await closeAll(browser, server, site);
});

/**
 * The integrator's server, as Upscope's guide has one write it: an endpoint its agents open, which
 * looks the visitor up by the site's own id, asks for a watch_url and redirects there in the same
 * request; and the page its retry links lead to.
 */
async function startIntegrator(apiKey: string): Promise<{ integrator: Server; integratorUrl: string }> {
  const tandem = (path: string, init: RequestInit = {}) =>
    fetch(`${server.url}${path}`, { ...init, headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' } });
  const http = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://integrator');
      if (url.pathname === '/retry') {
        res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>Helpdesk</title><h1>Helpdesk: try again</h1>');
        return;
      }
      if (url.pathname !== '/cobrowse') return void res.writeHead(404).end();
      const found = await tandem(`/api/v1/visitors?q=${encodeURIComponent(`id:${url.searchParams.get('customer')}`)}`);
      const { visitors } = (await found.json()) as { visitors: { short_id: string }[] };
      if (visitors.length === 0) return void res.writeHead(404, { 'content-type': 'text/plain' }).end('Customer not online');
      const answer = await tandem(`/api/v1/visitors/${visitors[0]!.short_id}/watch_url`, {
        method: 'POST',
        body: JSON.stringify({
          agent: { id: 'hd-agent-7', name: 'Sam from Helpdesk' },
          branding: {
            naked: url.searchParams.get('naked') === '1',
            no_bottom_bar: url.searchParams.get('nobar') === '1',
            retry_url: `${integratorUrl}/retry`,
          },
        }),
      });
      const { watch_url } = (await answer.json()) as { watch_url: string };
      issued.push(watch_url);
      res.writeHead(302, { location: watch_url }).end();
    })().catch((err: unknown) => res.writeHead(500).end(String(err)));
  });
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
  const port = (http.address() as AddressInfo).port;
  // Its own origin: localhost, not the 127.0.0.1 of Tandem and the site.
  return { integrator: http, integratorUrl: `http://localhost:${port}` };
}

async function visitorOn(customer: string): Promise<{ page: Page; shortId: string }> {
  const page = await (await browser.newContext({ viewport: { width: 1000, height: 700 } })).newPage();
  await page.goto(`${site.url}/account.html?server=${encodeURIComponent(server.url)}&presence=1&uniqueId=${customer}`);
  const shortId = await page.evaluate(() => new Promise<string | null>((r) => (window as any).Tandem('getShortId', r)));
  expect(shortId).toMatch(/^[0-9A-HJKMNP-TV-Z]{8}$/);
  return { page, shortId: shortId! };
}

/** An agent's browser with no Tandem account: a fresh context, no cookie. */
async function agentBrowser(): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ viewport: { width: 1100, height: 800 } });
  return { context, page: await context.newPage() };
}

const shot = async (page: Page, name: string) => {
  if (process.env.TANDEM_SCREENSHOTS) await page.screenshot({ path: join(process.env.TANDEM_SCREENSHOTS, `${name}.png`) });
};

const mirrorShows = (page: Page, text: string) =>
  page.waitForFunction((t) => {
    const frame = document.querySelector<HTMLIFrameElement>('iframe[data-tandem-view]');
    return !!frame?.contentDocument?.body?.textContent?.includes(t);
  }, text);

describe('Upscope’s flow: short id, look-up, watch_url', () => {
  let firstLink: string;

  it('a visitor gets a short id, stable for the browser; the integrator finds them by it and by id:UNIQUEID', async () => {
    const { page, shortId } = await visitorOn('cust-42');
    // The same browser, another page: the same short id.
    const again = await page.context().newPage();
    await again.goto(`${site.url}/account.html?server=${encodeURIComponent(server.url)}&presence=1&uniqueId=cust-42`);
    expect(await again.evaluate(() => new Promise((r) => (window as any).Tandem('getShortId', r)))).toBe(shortId);
    await again.close();

    const key = await createApiKey(server.context.store, 'lookup', { siteKey: 'demo' });
    const find = async (q: string) =>
      (await (await fetch(`${server.url}/api/v1/visitors?q=${encodeURIComponent(q)}`, { headers: { authorization: `Bearer ${key}` } })).json())
        .visitors as { short_id: string; identity: { uniqueId?: string } }[];
    await expect.poll(async () => (await find('id:cust-42')).map((v) => v.short_id), { timeout: 5000 }).toEqual([shortId]);
    expect((await find(shortId.toLowerCase())).map((v) => v.identity.uniqueId)).toEqual(['cust-42']);
    expect(await find('id:cust-4')).toEqual([]);
    await page.context().close();
  });

  it('the integrator redirects an agent without an account to the watch_url; the visitor consents; the agent sees the page (naked, no bottom bar)', async () => {
    const visitor = await visitorOn('cust-42');
    const agent = await agentBrowser();
    await agent.page.goto(`${integratorUrl}/cobrowse?customer=cust-42&naked=1&nobar=1`);
    expect(agent.page.url()).toBe(`${server.url}/watch`);
    firstLink = issued.at(-1)!;
    expect(firstLink).toMatch(new RegExp(`^${server.url}/watch#token=`));
    await agent.page.waitForSelector('#screen[data-screen=waiting]:has-text("Sam from Helpdesk")');
    await shot(agent.page, 'upscope-agent-waiting');

    // The visitor is asked, by the name the integrator gave; nothing is shared before they accept.
    await visitor.page.waitForSelector('tandem-ui .panel:has-text("Sam from Helpdesk")');
    await shot(visitor.page, 'upscope-visitor-asked');
    await visitor.page.click('tandem-ui [data-action=accept]');
    await mirrorShows(agent.page, 'Plan: Business');
    await visitor.page.waitForSelector('tandem-ui .panel:has-text("Sharing this tab with Sam from Helpdesk")');

    // naked: no header; no_bottom_bar: no session bar. The page alone.
    expect(await agent.page.isVisible('#top')).toBe(false);
    expect(await agent.page.isVisible('#bar')).toBe(false);
    expect(await agent.page.isVisible('#tools')).toBe(false);
    await shot(agent.page, 'upscope-agent-naked');

    // The session is the visitor's, with the integrator's agent in it under its own namespace.
    const [live] = await server.context.registry.listSessions();
    expect(live!.agents.map((a) => [a.id, a.name])).toEqual([['ext-hd-agent-7', 'Sam from Helpdesk']]);
    expect(await agent.context.cookies()).toEqual([]);
    await agent.context.close();

    // A second link while the visitor shares joins the same session without asking again, with the bars.
    const second = await agentBrowser();
    await second.page.goto(`${integratorUrl}/cobrowse?customer=cust-42`);
    await mirrorShows(second.page, 'Plan: Business');
    expect(await second.page.isVisible('#top')).toBe(true);
    expect(await second.page.isVisible('#bar')).toBe(true);
    // The tools row and the roster, but no "Invite a colleague": a guest of the integrator's has no code to give.
    expect(await second.page.isVisible('#tools [data-tool=draw]')).toBe(true);
    expect(await second.page.$('[data-invite-colleague]')).toBeNull();
    await shot(second.page, 'upscope-agent-branded');
    expect((await server.context.registry.listSessions()).length).toBe(1);
    await second.context.close();
    await visitor.page.context().close();
  });

  it('a link used twice shows its page with the retry link', async () => {
    const agent = await agentBrowser();
    await agent.page.goto(firstLink);
    await agent.page.waitForSelector('#screen[data-screen="failed:TDM_LINK_SPENT"]:has-text("This link was already used")');
    expect(await agent.page.getAttribute('#screen a.retry', 'href')).toBe(`${integratorUrl}/retry`);
    await shot(agent.page, 'upscope-link-spent');
    await agent.page.click('#screen a.retry');
    await agent.page.waitForSelector('h1:has-text("Helpdesk: try again")');
    await agent.context.close();
  });

  it('an expired link shows its own page', async () => {
    const { page: visitorPage, shortId } = await visitorOn('cust-44');
    const { token } = await server.context.tokens.watchLink(
      {
        siteKey: 'demo',
        agent: { id: 'hd-agent-7', name: 'Sam from Helpdesk' },
        branding: { naked: false, noBottomBar: false, retryUrl: `${integratorUrl}/retry` },
        target: { shortId },
        issuer: { kind: 'key', id: 'helpdesk' },
      },
      -60_000,
    );
    const agent = await agentBrowser();
    await agent.page.goto(`${server.url}/watch#token=${token}`);
    await agent.page.waitForSelector('#screen[data-screen="failed:TDM_LINK_EXPIRED"]:has-text("This link has expired")');
    expect(await agent.page.getAttribute('#screen a.retry', 'href')).toBe(`${integratorUrl}/retry`);
    await shot(agent.page, 'upscope-link-expired');
    // Nothing reached the visitor.
    expect(await visitorPage.locator('tandem-ui').count()).toBe(0);
    await agent.context.close();
    await visitorPage.context().close();
  });

  it('a visitor who declines: the agent sees so, with the retry link', async () => {
    const visitor = await visitorOn('cust-43');
    const agent = await agentBrowser();
    await agent.page.goto(`${integratorUrl}/cobrowse?customer=cust-43`);
    await visitor.page.waitForSelector('tandem-ui .panel:has-text("Sam from Helpdesk")');
    await visitor.page.click('tandem-ui [data-action=decline]');
    await agent.page.waitForSelector('#screen[data-screen="failed:TDM_CONSENT_DECLINED"]:has-text("The visitor declined")');
    expect(await agent.page.getAttribute('#screen a.retry', 'href')).toBe(`${integratorUrl}/retry`);
    await shot(agent.page, 'upscope-consent-declined');
    await agent.context.close();
    await visitor.page.context().close();
  });

  it('a visitor who left before the link was opened: its own page', async () => {
    const visitor = await visitorOn('cust-45');
    await expect.poll(async () => (await server.context.registry.presenceFind('demo', { uniqueId: 'cust-45' })) !== null).toBe(true);
    const answer = await fetch(`${server.url}/api/v1/visitors/${visitor.shortId}/watch_url`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${await createApiKey(server.context.store, 'gone', { siteKey: 'demo' })}`,
        'content-type': 'application/json',
      },
      body: JSON.stringify({ agent: { id: 'a1', name: 'Sam' } }),
    });
    const { watch_url } = (await answer.json()) as { watch_url: string };
    await visitor.page.context().close();
    await expect.poll(async () => server.context.registry.presenceFind('demo', { uniqueId: 'cust-45' })).toBeNull();
    const agent = await agentBrowser();
    await agent.page.goto(watch_url);
    await agent.page.waitForSelector('#screen[data-screen="failed:TDM_VISITOR_GONE"]:has-text("The visitor has left")');
    await shot(agent.page, 'upscope-visitor-gone');
    await agent.context.close();
  });
});
