/**
 * The loader on a real page: a site on another origin embeds /tandem.js from
 * the real server. Before a session it must cost the page nothing (no
 * observer, listener, timer or request: counted by wrapping the browser's own
 * APIs before anything loads); its commands work queued and live; its events
 * fire in order; the attribute snippet configures a session on its own.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { launchBrowser } from '../helpers/browser.js';
import type { StaticServer } from '../helpers/static-server.js';
import { ADMIN, type TestServer } from '../helpers/server.js';
import { closeAll, startSiteAndServer } from '../helpers/site.js';
import { joinAsAgent, signIn } from '../helpers/clients.js';

const CORPUS = resolve('test/corpus/loader');

let server: TestServer;
let site: StaticServer;
let browser: Browser;
let cookie: string;
// The attribute snippet is literal HTML naming the server, whose port is known only once it runs.
const routes: Record<string, { type: string; body: string }> = {};

beforeAll(async () => {
  ({ site, server } = await startSiteAndServer(CORPUS, routes));
  for (const page of ['attributes.html', 'attributes-init.html']) {
    routes[`/${page}`] = { type: 'text/html', body: readFileSync(resolve(CORPUS, page), 'utf8').replaceAll('%SERVER%', server.url) };
  }
  browser = await launchBrowser();
  cookie = await signIn(server.url);
});

afterAll(() => closeAll(browser, server, site));

/**
 * Runs in the page before any of its scripts: wraps every API through which
 * code could watch the page, wait or talk to a server, and counts the calls
 * made from the loader (/tandem.js) and from the session bundle
 * (/tandem-session.js) by the script URLs on the stack.
 */
function instrument(): void {
  type Count = { loader: number; session: number; stacks: string[] };
  const calls: Record<string, Count> = {};
  (window as any).__calls = calls;
  // The loader's frame may sit under the page's and the browser's own.
  Error.stackTraceLimit = 100;
  const note = (name: string) => {
    const stack = new Error().stack ?? '';
    const who = stack.includes('/tandem-session.js') ? 'session' : stack.includes('/tandem.js') ? 'loader' : null;
    if (!who) return;
    const count = (calls[name] ??= { loader: 0, session: 0, stacks: [] });
    count[who]++;
    if (who === 'loader') count.stacks.push(stack);
  };
  const wrap = (owner: any, key: string, name = key) => {
    const original = owner[key];
    if (typeof original !== 'function') return;
    owner[key] = function (this: unknown, ...args: unknown[]) {
      note(name);
      return original.apply(this, args);
    };
  };
  const wrapClass = (key: string) => {
    const Original = (window as any)[key];
    if (typeof Original !== 'function') return;
    // A subclass keeps statics (WebSocket.OPEN) and instanceof working.
    (window as any)[key] = class extends Original {
      constructor(...args: any[]) {
        note(key);
        super(...args);
      }
    };
  };
  for (const key of ['MutationObserver', 'ResizeObserver', 'IntersectionObserver', 'PerformanceObserver', 'ReportingObserver']) wrapClass(key);
  for (const key of ['WebSocket', 'EventSource', 'BroadcastChannel', 'Worker', 'SharedWorker']) wrapClass(key);
  for (const key of ['setTimeout', 'setInterval', 'requestAnimationFrame', 'requestIdleCallback', 'queueMicrotask', 'fetch']) wrap(window, key);
  wrap(EventTarget.prototype, 'addEventListener');
  wrap(XMLHttpRequest.prototype, 'open', 'XMLHttpRequest.open');
  wrap(navigator, 'sendBeacon');
  // `onclick = …` style handlers are listeners too.
  for (const owner of [window, Document.prototype, HTMLElement.prototype, SVGElement.prototype]) {
    for (const key of Object.getOwnPropertyNames(owner)) {
      const d = Object.getOwnPropertyDescriptor(owner, key);
      if (!key.startsWith('on') || !d?.set || !d.configurable) continue;
      // eslint-disable-next-line @typescript-eslint/unbound-method -- called below as set.call(this, v)
      const set = d.set;
      Object.defineProperty(owner, key, {
        ...d,
        set(this: unknown, v: unknown) {
          note(key);
          set.call(this, v);
        },
      });
    }
  }
}

type Calls = Record<string, { loader: number; session: number; stacks: string[] }>;
const calls = (page: Page) => page.evaluate(() => (window as any).__calls as Calls);
const byLoader = (c: Calls) => Object.fromEntries(Object.entries(c).filter(([, v]) => v.loader > 0));

/** What a visitor does on a page: click, type, scroll, resize, and the page changes its DOM. */
async function beBusy(page: Page): Promise<void> {
  await page.click('#button');
  await page.click('#input');
  await page.keyboard.type('hello');
  await page.mouse.move(200, 300);
  await page.mouse.wheel(0, 800);
  await page.evaluate(() => {
    for (let i = 0; i < 20; i++) document.getElementById('list')!.appendChild(document.createElement('li')).textContent = `item ${i}`;
    document.body.setAttribute('data-changed', '1');
  });
  await page.setViewportSize({ width: 900, height: 600 });
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => setTimeout(r, 300))));
}

async function openPage(path: string, options: { instrument?: boolean } = {}) {
  const context = await browser.newContext({ viewport: { width: 1000, height: 700 } });
  const page = await context.newPage();
  if (options.instrument) await page.addInitScript(instrument);
  const requests: string[] = [];
  page.on('request', (r) => requests.push(r.url()));
  await page.goto(`${site.url}/${path}${path.includes('?') ? '&' : '?'}server=${encodeURIComponent(server.url)}`);
  await page.waitForFunction(() => (window as any).Tandem?.loaded);
  return { page, requests, toServer: () => requests.filter((u) => u.startsWith(server.url)).map((u) => new URL(u).pathname) };
}

const hostConfig = (page: Page) => page.evaluate(() => (window as any)[Symbol.for('tandem.host')].config);

/** The visitor starts a session and consents; resolves with the code the panel shows. */
async function consent(page: Page): Promise<string> {
  await page.evaluate(() => (window as any).Tandem('startSession'));
  await page.click('tandem-ui [data-action=accept]');
  return (await (await page.waitForSelector('tandem-ui [data-code]')).getAttribute('data-code'))!;
}

/** Calls a command that answers through a callback. */
function ask(page: Page, command: 'getShortId' | 'getSessionCode' | 'getWatchLink'): Promise<string | null> {
  return page.evaluate((c) => new Promise<string | null>((r) => (window as any).Tandem(c, r)), command);
}

/** The session id a watch link names (in its fragment). */
const sessionOf = (link: string) => new URLSearchParams(new URL(link).hash.slice(1)).get('session')!;

async function sessionRecord(id: string) {
  const res = await fetch(`${server.url}/api/v1/sessions/${encodeURIComponent(id)}`, { headers: { cookie } });
  expect(res.status).toBe(200);
  return (await res.json()) as {
    code: string;
    live: boolean;
    visitorName: string | null;
    visitorEmail: string | null;
    visitorUniqueId: string | null;
  };
}

describe('the loader before a session', () => {
  it('installs no observer, listener or timer and makes no request while the visitor uses the page', async () => {
    const { page, toServer } = await openPage('snippet.html', { instrument: true });
    expect(await hostConfig(page)).toMatchObject({ siteKey: 'demo' });
    await beBusy(page);

    expect(byLoader(await calls(page))).toEqual({});
    expect(toServer()).toEqual(['/tandem.js']);

    // The counters do see real calls: the loader's one listener (on the session bundle's
    // script element) and the bundle's request once a session starts, then capture's observer.
    const code = await consent(page);
    const agent = await joinAsAgent(server.url, cookie, code);
    await expect.poll(async () => (await calls(page)).MutationObserver?.session ?? 0).toBeGreaterThan(0);
    const after = await calls(page);
    expect(Object.fromEntries(Object.entries(byLoader(after)).map(([k, v]) => [k, v.loader]))).toEqual({ onerror: 1 });
    expect(after.WebSocket?.session).toBeGreaterThan(0);
    expect(after.addEventListener?.session).toBeGreaterThan(0);
    expect(toServer()).toContain('/tandem-session.js');

    // Stopping forgets the session: the tab's next page is quiet again.
    await page.evaluate(() => (window as any).Tandem('stopSession'));
    await agent.next((m) => m.t === 'ended');
    const requestsBefore = toServer().length;
    await page.reload();
    await page.waitForFunction(() => (window as any).Tandem?.loaded);
    await beBusy(page);
    expect(byLoader(await calls(page))).toEqual({});
    expect(await calls(page)).toEqual({});
    expect(toServer().slice(requestsBefore)).toEqual(['/tandem.js']);
    agent.ws.close();
    await page.context().close();
  });

  it('loads the session bundle for a session to take up (hand-off, another tab sharing), not for a stale record', async () => {
    const { page, toServer } = await openPage('snippet.html');
    const bundleLoads = () => toServer().filter((p) => p === '/tandem-session.js').length;
    const live = (ageMs: number) =>
      page.evaluate(
        (at) => localStorage.setItem('tandem:live', JSON.stringify({ sessionId: 's', resumeToken: 'r', code: '123456', at })),
        Date.now() - ageMs,
      );

    // A tab that shared and went away without a word leaves a record no one refreshes.
    await live(10 * 60_000);
    await page.reload();
    await page.waitForFunction(() => (window as any).Tandem?.loaded);
    await page.waitForTimeout(200);
    expect(bundleLoads()).toBe(0);

    await live(0);
    await page.reload();
    await expect.poll(bundleLoads).toBe(1);
    await page.evaluate(() => localStorage.clear());

    await page.goto(`${site.url}/snippet.html?server=${encodeURIComponent(server.url)}&tandem_handoff=not-a-real-token`);
    await expect.poll(bundleLoads).toBe(2);
    await page.context().close();
  });
});

describe('commands and events', () => {
  it('commands queued before the loader and called after it both work; events fire in order; off removes a listener', async () => {
    const { page } = await openPage('snippet.html');
    expect(await page.evaluate(() => (window as any).queued)).toEqual({ shortId: null, watchLink: null, beforeLoad: true });
    await page.evaluate(() => {
      const w = window as any;
      for (const name of ['sessionRequest', 'sessionStart', 'agentJoined', 'modeChanged', 'sessionEnd']) {
        w.Tandem('on', name, (data: unknown) => w.events.push({ via: 'live', name, data: data ?? null }));
      }
      const dropped = () => w.events.push({ via: 'live', name: 'removed listener called' });
      w.Tandem('on', 'agentJoined', dropped);
      w.Tandem('off', 'agentJoined', dropped);
    });

    const code = await consent(page);
    const agent = await joinAsAgent(server.url, cookie, code);
    const events = () => page.evaluate(() => (window as any).events.map((e: { via: string; name: string }) => `${e.via} ${e.name}`));
    await expect.poll(events).toContain('live agentJoined');
    // The visitor changes the mode in the panel, with the keyboard: the UI ignores untrusted events.
    await page.focus('tandem-ui select[data-action=mode]');
    await page.keyboard.press('End');
    expect((await agent.next((m) => m.t === 'mode')).mode).toBe('control');
    await page.evaluate(() => (window as any).Tandem('stopSession'));
    await agent.next((m) => m.t === 'ended');

    const all = await page.evaluate(() => (window as any).events);
    const both = (name: string, data: unknown = null) => [
      { via: 'queued', name, data },
      { via: 'live', name, data },
    ];
    expect(all).toEqual([
      ...both('sessionRequest'),
      ...both('sessionStart', { code }),
      ...both('agentJoined', { id: expect.any(String), name: ADMIN.name }),
      ...both('modeChanged', { mode: 'control' }),
      ...both('sessionEnd'),
    ]);
    agent.ws.close();
    await page.context().close();
  });

  it('getSessionCode and getWatchLink answer with the code and the watch address, and null without a session', async () => {
    const { page } = await openPage('snippet.html');
    expect(await ask(page, 'getSessionCode')).toBeNull();
    expect(await ask(page, 'getWatchLink')).toBeNull();
    // Presence is off on this page: no short id.
    expect(await ask(page, 'getShortId')).toBeNull();

    // Asked while the session is still starting (bundle loading, consent open): answered once the code exists.
    const early = page.evaluate(
      () =>
        new Promise<string | null>((r) => {
          (window as any).Tandem('startSession');
          (window as any).Tandem('getSessionCode', r);
        }),
    );
    await page.click('tandem-ui [data-action=accept]');
    const code = await (await page.waitForSelector('tandem-ui [data-code]')).getAttribute('data-code');
    expect(await early).toBe(code);
    expect(await ask(page, 'getSessionCode')).toBe(code);

    const link = (await ask(page, 'getWatchLink'))!;
    expect(link.startsWith(`${server.url}/watch#session=`)).toBe(true);
    const id = sessionOf(link);
    expect(await sessionRecord(id)).toMatchObject({ code, live: true });
    expect((await fetch(link, { headers: { cookie } })).status).toBe(200);

    await page.evaluate(() => (window as any).Tandem('stopSession'));
    expect(await ask(page, 'getShortId')).toBeNull();
    expect(await ask(page, 'getWatchLink')).toBeNull();
    await expect.poll(async () => (await sessionRecord(id)).live).toBe(false);
    await page.context().close();
  });

  it('updateIdentity before a session shapes it; during one, agents get the new name at once', async () => {
    const { page } = await openPage('snippet.html');
    // A field Tandem does not know stays on the page: the server, which refuses unknown fields, never sees it.
    await page.evaluate(() => (window as any).Tandem('updateIdentity', { name: 'Signed In Early', phone: '+1 555 0100' }));
    expect((await hostConfig(page)).identity).toEqual({ name: 'Signed In Early', email: 'queued@example.test', phone: '+1 555 0100' });

    const code = await consent(page);
    const id = sessionOf((await ask(page, 'getWatchLink'))!);
    expect(await sessionRecord(id)).toMatchObject({ visitorName: 'Signed In Early', visitorEmail: 'queued@example.test' });

    const agent = await joinAsAgent(server.url, cookie, code);
    await page.evaluate(() => (window as any).Tandem('updateIdentity', { name: 'Ada Signed In' }));
    expect(await agent.next((m) => m.t === 'visitorIdentity')).toEqual({ t: 'visitorIdentity', name: 'Ada Signed In' });
    expect((await hostConfig(page)).identity).toEqual({ name: 'Ada Signed In', email: 'queued@example.test', phone: '+1 555 0100' });
    await page.evaluate(() => (window as any).Tandem('stopSession'));
    agent.ws.close();
    await page.context().close();
  });
});

describe('a failed load', () => {
  it('when the session bundle does not load, the next startSession tries again', async () => {
    const { page } = await openPage('snippet.html');
    let refused = 0;
    await page.route(`${server.url}/tandem-session.js`, (route) => (refused++ === 0 ? route.abort() : route.continue()));
    await page.evaluate(() => (window as any).Tandem('startSession'));
    await expect.poll(() => refused).toBe(1);
    expect(await ask(page, 'getShortId')).toBeNull();
    await consent(page);
    expect(refused).toBe(2);
    await page.evaluate(() => (window as any).Tandem('stopSession'));
    await page.context().close();
  });
});

describe('the attribute snippet', () => {
  it('configures the loader from its own script tag, and a session carries that identity and mode', async () => {
    const { page } = await openPage('attributes.html');
    expect(await hostConfig(page)).toEqual({
      siteKey: 'demo',
      mode: 'navigate',
      allowedDomains: ['a.example', '*.b.example'],
      uniqueId: 'customer-42',
      identity: { name: 'Attribute Visitor', email: 'attr@example.test' },
    });
    // Nothing queued, nothing inline: the loader ran init itself.
    const code = await consent(page);
    await page.waitForSelector('tandem-ui .panel[data-mode=navigate]');
    const id = sessionOf((await ask(page, 'getWatchLink'))!);
    expect(await sessionRecord(id)).toMatchObject({
      code,
      visitorName: 'Attribute Visitor',
      visitorEmail: 'attr@example.test',
      visitorUniqueId: 'customer-42',
    });
    await page.evaluate(() => (window as any).Tandem('stopSession'));
    await page.context().close();
  });

  it('a queued init wins over the attributes, which fill in what it leaves out', async () => {
    const { page } = await openPage('attributes-init.html');
    expect(await hostConfig(page)).toEqual({
      siteKey: 'demo',
      mode: 'view',
      allowedDomains: ['a.example'],
      uniqueId: 'customer-43',
      identity: { name: 'Queued Name', email: 'attr@example.test' },
      strings: { stop: 'Done' },
    });
    await page.context().close();
  });
});
