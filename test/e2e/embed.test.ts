/**
 * Genesys's flow, end to end: an agent desktop on another site embeds the
 * agent page in an iframe (`/watch#code=…&noinput=1`), with no third-party
 * cookie to lean on; the page tells the desktop what happens with
 * postMessage and takes its commands. A desktop on an origin no admin allowed
 * is refused by the browser itself and hears nothing. `<tandem-viewer>` wraps
 * the same frame for web desktops.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Frame, Page } from 'playwright-core';
import { launchBrowser } from '../helpers/browser.js';
import { serveStatic, type StaticServer } from '../helpers/static-server.js';
import { ADMIN, type TestServer } from '../helpers/server.js';
import { closeAll, consentAndCode, startSiteAndServer } from '../helpers/site.js';
import { signIn } from '../helpers/clients.js';
import { connectController, type ControllerClient } from '../helpers/controller.js';
import { createApiKey } from '@tandem/server';
import { parseStartMessage } from '@tandem/protocol';

let server: TestServer;
let site: StaticServer;
let desktop: StaticServer;
let browser: Browser;
/** The desktops' origins: another site than Tandem's (localhost, not 127.0.0.1), so no cookie of Tandem's reaches the frame. */
let allowed: string;
let stranger: string;
let apiKey: string;

const page = (title: string, next: string) =>
  `<!doctype html><title>${title}</title><script src="tandem-init.js"></script><h1>${title}</h1><p>Order 1234: two items</p><a id="next" href="${next}">Next</a>`;

/** A desktop page framing `src`, recording every message from the frame that comes from `tandem`. */
const DESKTOP = `<!doctype html><title>Agent desktop</title>
<style>body{margin:0;font:14px system-ui}header{padding:8px;background:#0f766e;color:#fff}iframe,tandem-viewer{width:100%;height:640px;border:0}</style>
<header>Contact centre desktop</header><div id="slot"></div>
<script>
  window.events = [];
  var params = new URLSearchParams(location.search);
  var tandem = params.get('tandem');
  addEventListener('message', function (e) {
    if (e.origin === tandem && e.data && e.data.source === 'tandem') events.push(e.data);
  });
  if (params.get('element')) {
    var s = document.createElement('script');
    s.src = tandem + '/tandem-viewer.js';
    s.onload = function () {
      var el = document.createElement('tandem-viewer');
      el.setAttribute('server', tandem);
      el.setAttribute('code', params.get('code'));
      el.setAttribute('noinput', '');
      el.addEventListener('tandem', function (e) { events.push(Object.assign({ via: 'element' }, e.detail)); });
      document.getElementById('slot').appendChild(el);
      window.viewer = el;
    };
    document.head.appendChild(s);
  } else {
    var f = document.createElement('iframe');
    f.id = 'agent';
    f.src = tandem + '/watch#code=' + params.get('code') + '&noinput=1';
    document.getElementById('slot').appendChild(f);
    window.send = function (command) { f.contentWindow.postMessage(Object.assign({ source: 'tandem' }, command), tandem); };
  }
</script>`;

beforeAll(async () => {
  ({ site, server } = await startSiteAndServer('test/corpus/sites', {
    '/orders.html': { type: 'text/html', body: page('Orders', 'order.html') },
    '/order.html': { type: 'text/html', body: page('Order 1234', 'orders.html') },
  }));
  desktop = await serveStatic('test/corpus', { '/desktop.html': { type: 'text/html', body: DESKTOP } });
  const port = new URL(desktop.url).port;
  allowed = `http://localhost:${port}`;
  // Another origin (same host, another name) that no admin allowed.
  stranger = `http://127.0.0.1:${port}`;
  browser = await launchBrowser();
  const cookie = await signIn(server.url);
  const res = await fetch(`${server.url}/api/v1/sites/demo/settings`, {
    method: 'PATCH',
    headers: { 'content-type': 'application/json', cookie },
    body: JSON.stringify({ agentDesktopOrigins: [allowed] }),
  });
  expect(res.status).toBe(200);
  apiKey = await createApiKey(server.context.store, 'agent desktop', { siteKey: 'demo' });
});

afterAll(() => closeAll(browser, server, site, desktop));

const shot = async (p: Page, name: string) => {
  if (process.env.TANDEM_SCREENSHOTS) await p.screenshot({ path: join(process.env.TANDEM_SCREENSHOTS, `${name}.png`) });
};

async function visitorSharing(): Promise<{ visitor: Page; code: string }> {
  const visitor = await (await browser.newContext({ viewport: { width: 1000, height: 650 } })).newPage();
  await visitor.goto(`${site.url}/orders.html?server=${encodeURIComponent(server.url)}`);
  await visitor.waitForFunction(() => (window as any).Tandem?.loaded);
  return { visitor, code: await consentAndCode(visitor) };
}

const events = (p: Page) => p.evaluate(() => (window as any).events.map((e: { event: string }) => e.event) as string[]);

/** The watch page inside the desktop's frame. */
const agentFrame = (p: Page): Frame => p.frames().find((f) => f.url().startsWith(`${server.url}/watch`))!;

/** Waits for the watch page in the desktop's frame, then signs the admin in inside it. */
async function signInInFrame(host: Page, screenshot?: string): Promise<Frame> {
  await expect.poll(() => host.frames().some((f) => f.url().startsWith(`${server.url}/watch`))).toBe(true);
  const frame = agentFrame(host);
  await frame.waitForSelector('#screen[data-screen=sign-in]');
  if (screenshot) await shot(host, screenshot);
  await frame.fill('input[type=email]', ADMIN.email);
  await frame.fill('input[type=password]', ADMIN.password);
  await frame.click('#screen button[type=submit]');
  return frame;
}

const mirrorShows = (frame: Frame, text: string) =>
  frame.waitForFunction((t) => {
    const view = document.querySelector<HTMLIFrameElement>('iframe[data-tandem-view]');
    return !!view?.contentDocument?.body?.textContent?.includes(t);
  }, text);

describe('Genesys’s flow: the agent page in a desktop’s iframe', () => {
  it('renders the session in the frame after a sign-in inside it, and reports each state to the host in order', async () => {
    const { visitor, code } = await visitorSharing();
    // The visitor's chat widget sends the start message; the desktop reads the code from it.
    const line = await visitor.evaluate(() => new Promise<string | null>((r) => (window as any).Tandem('getStartMessage', r)));
    expect(line).toBe(`{start:${code}}`);
    expect(parseStartMessage(line!)).toBe(code);
    expect(parseStartMessage(`{start:${code}} `)).toBeNull();
    // The desktop's plug-in joins as controller before it opens the agent page.
    const controller = await connectController(server.url, apiKey);
    const joined = await controller.join(parseStartMessage(line!)!);
    expect(joined).toMatchObject({ t: 'joined', state: { visitorConnected: true, mode: 'view', agents: [] } });
    expect(joined.state.activatedAt).toEqual(expect.any(String));
    const host = await (await browser.newContext({ viewport: { width: 1100, height: 760 } })).newPage();
    await host.goto(`${allowed}/desktop.html?tandem=${encodeURIComponent(server.url)}&code=${code}`);
    // No cookie reaches a frame on another site: the agent signs in inside it.
    const frame = await signInInFrame(host, 'embed-sign-in');
    await mirrorShows(frame, 'Order 1234: two items');
    // The code and noinput were read from the fragment and taken off the address.
    expect(await frame.evaluate(() => location.hash)).toBe('');
    await shot(host, 'embed-active');
    await expect.poll(() => events(host)).toEqual(['ready', 'connecting', 'agentJoined', 'active']);
    expect(await controller.next()).toMatchObject({ t: 'agentJoined', agent: { name: ADMIN.name } });

    // The visitor changes page: navigating, then active again on the new page.
    await visitor.click('#next');
    await mirrorShows(frame, 'Next');
    await frame.waitForFunction(() => document.querySelector('iframe[data-tandem-view]') !== null);
    await expect.poll(() => events(host)).toEqual(['ready', 'connecting', 'agentJoined', 'active', 'navigating', 'active']);
    const active = (await host.evaluate(() => (window as any).events)).filter((e: { event: string }) => e.event === 'active');
    expect(active.at(-1).url).toContain('/order.html');
    // The controller saw the page go and come back.
    expect(await controller.next()).toMatchObject({ t: 'deactivated' });
    expect(await controller.next()).toMatchObject({ t: 'activated', at: expect.any(String) });

    // The desktop asks for control through the page; the visitor grants it.
    await host.evaluate(() => (window as any).send({ command: 'requestMode', mode: 'control' }));
    await visitor.click('tandem-ui [data-action=allow-mode]');
    await expect.poll(async () => (await events(host)).at(-1)).toBe('modeChanged');
    expect((await host.evaluate(() => (window as any).events)).at(-1)).toMatchObject({
      source: 'tandem',
      event: 'modeChanged',
      mode: 'control',
    });
    expect(await controller.next()).toMatchObject({ t: 'modeChanged', mode: 'control', previous: 'view' });

    // Commands are taken from the host only: the same message from the page's own window does nothing.
    await frame.evaluate(() => window.postMessage({ source: 'tandem', command: 'end' }, '*'));
    await host.waitForTimeout(300);
    expect((await server.context.registry.listSessions()).length).toBe(1);

    // The desktop ends the session.
    await host.evaluate(() => (window as any).send({ command: 'end' }));
    await expect.poll(async () => (await events(host)).at(-1)).toBe('ended');
    expect((await host.evaluate(() => (window as any).events)).at(-1)).toMatchObject({ event: 'ended', reason: 'agent' });
    await visitor.waitForFunction(() => !document.querySelector('tandem-ui'));
    // The agent left as the session ended; the controller hears the end, and nothing after it.
    const rest: any[] = [];
    for (let m = await controller.next(); ; m = await controller.next()) {
      rest.push(m);
      if (m.t === 'ended') break;
    }
    expect(rest.map((m) => m.t).filter((t) => t !== 'agentLeft')).toEqual(['ended']);
    expect(rest.at(-1)).toMatchObject({ t: 'ended', reason: 'agent' });
    controller.close();
    await host.context().close();
    await visitor.context().close();
  });

  it('the controller, joined before the page opened, ends the session: the framed page and the visitor see it end', async () => {
    const { visitor, code } = await visitorSharing();
    const controller: ControllerClient = await connectController(server.url, apiKey);
    expect(await controller.join(code)).toMatchObject({ t: 'joined' });
    const host = await (await browser.newContext({ viewport: { width: 1100, height: 760 } })).newPage();
    await host.goto(`${allowed}/desktop.html?tandem=${encodeURIComponent(server.url)}&code=${code}`);
    const frame = await signInInFrame(host);
    await mirrorShows(frame, 'Order 1234: two items');
    expect(await controller.next()).toMatchObject({ t: 'agentJoined' });
    controller.end();
    expect(await controller.next()).toMatchObject({ t: 'result', command: 'end' });
    expect(await controller.next()).toMatchObject({ t: 'ended', reason: 'api' });
    await expect.poll(async () => (await events(host)).at(-1)).toBe('ended');
    expect((await host.evaluate(() => (window as any).events)).at(-1)).toMatchObject({ event: 'ended', reason: 'api' });
    await visitor.waitForFunction(() => !document.querySelector('tandem-ui'));
    await shot(host, 'embed-ended-by-controller');
    controller.close();
    await host.context().close();
    await visitor.context().close();
  });

  it('a desktop on an origin no admin allowed: the browser refuses the frame, and the host hears nothing', async () => {
    const { visitor, code } = await visitorSharing();
    const host = await (await browser.newContext()).newPage();
    const watchResponse = host.waitForResponse((r) => r.url().startsWith(`${server.url}/watch`));
    await host.goto(`${stranger}/desktop.html?tandem=${encodeURIComponent(server.url)}&code=${code}`);
    const csp = (await watchResponse).headers()['content-security-policy']!;
    expect(csp).toContain(`frame-ancestors 'self' ${allowed}`);
    expect(csp).not.toContain(stranger);
    await host.waitForTimeout(1500);
    // Blocked by frame-ancestors: Chromium shows its error page in the frame, not ours.
    expect(host.frames().some((f) => f.url().startsWith(`${server.url}/watch`) && f.url() !== 'about:blank')).toBe(false);
    expect(await events(host)).toEqual([]);
    await shot(host, 'embed-refused');
    await host.context().close();
    await visitor.context().close();
  });

  it('<tandem-viewer> wraps the frame: DOM events on the element, and end() ends the session', async () => {
    const { visitor, code } = await visitorSharing();
    const context = await browser.newContext({ viewport: { width: 1100, height: 760 } });
    const host = await context.newPage();
    await host.goto(`${allowed}/desktop.html?tandem=${encodeURIComponent(server.url)}&code=${code}&element=1`);
    // Each browser context is new: the agent signs in inside this frame too.
    const frame = await signInInFrame(host);
    await mirrorShows(frame, 'Order 1234: two items');
    await expect
      .poll(async () =>
        (await host.evaluate(() => (window as any).events.filter((e: any) => e.via === 'element').map((e: any) => e.event))).includes('active'),
      )
      .toBe(true);
    await shot(host, 'embed-element');
    await host.evaluate(() => (window as any).viewer.end());
    await visitor.waitForFunction(() => !document.querySelector('tandem-ui'));
    await expect.poll(async () => (await host.evaluate(() => (window as any).events.map((e: any) => e.event))).at(-1)).toBe('ended');
    await context.close();
    await visitor.context().close();
  });
});
