/**
 * Stylesheets whose rules the mirror does not get as a same-origin sheet's: from a third origin (a CDN), which the
 * visitor's page cannot read, their hover and focus rules reach the mirror where the CDN answers CORS
 * (rebuild/cross-sheets.ts: a probe that read them takes the link's place), and nothing changes where it does not;
 * and alternate sheets, which the browser leaves unapplied.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { connectPair, mirrorFixture, type MirrorFixture, type MirrorPair } from '../helpers/mirror-pair.js';

/** As rebuild/cross-sheets.ts (which needs a DOM to import). */
const PROBE_TIMEOUT_MS = 8000;

/** The CDN's sheets: those under /cors/ with Access-Control-Allow-Origin, the other without. */
const SHEETS = new Map([
  [
    '/cors/theme.css',
    `.menu { height: 60px; background: url(img/dot.png) no-repeat -100px 0 } .menu:hover { background-color: rgb(255, 0, 0) }
    .field:focus { background-color: rgb(0, 0, 255) }`,
  ],
  // Where /cors/moved.css redirects to, as a CDN resolves a version range: relative URLs are relative to this one.
  ['/cors/v2/moved.css', '.moved { height: 20px; background: url(img/m.png) no-repeat -100px 0 } .moved:hover { color: rgb(1, 99, 1) }'],
  ['/cors/hang.css', '.hang { height: 30px } .hang:hover { color: rgb(2, 3, 4) }'],
  ['/cors/stateless.css', '.stateless { height: 60px; background-color: rgb(10, 20, 30) }'],
  ['/cors/dark.css', '.menu { height: 60px } .menu:hover { background-color: rgb(0, 255, 0) }'],
  ['/cors/alternate.css', 'body { background-color: rgb(9, 9, 9) } .menu:focus { color: red }'],
  ['/cors/late.css', '.late { height: 60px } .late:hover { background-color: rgb(0, 128, 0) }'],
  ['/plain/own.css', '.own { height: 22px }'],
  ['/plain/late.css', '.late-plain { height: 40px; background-color: rgb(1, 2, 3) }'],
  ['/plain/plain.css', '.plain { height: 60px; background-color: rgb(0, 0, 128) } .plain:hover { background-color: rgb(255, 0, 0) }'],
]);

interface Cdn {
  url: string;
  /** Each request's path and headers, in order. */
  requests: { path: string; headers: IncomingHttpHeaders }[];
  close(): Promise<void>;
}

function serveCdn(): Promise<Cdn> {
  const requests: Cdn['requests'] = [];
  const server: Server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    requests.push({ path, headers: req.headers });
    if (path === '/cors/moved.css') return void res.writeHead(302, { location: '/cors/v2/moved.css', 'access-control-allow-origin': '*' }).end();
    // A CDN that never answers a CORS request: the probe must go by itself.
    if (path === '/cors/hang.css' && req.headers.origin !== undefined) return;
    const body = SHEETS.get(path);
    if (body === undefined) return void res.writeHead(404).end();
    res.writeHead(200, {
      'content-type': 'text/css',
      'cache-control': 'no-store',
      ...(path.startsWith('/cors/') ? { 'access-control-allow-origin': '*' } : {}),
    });
    res.end(body);
  });
  return new Promise((done) =>
    server.listen(0, '127.0.0.1', () =>
      done({
        url: `http://127.0.0.1:${(server.address() as { port: number }).port}`,
        requests,
        close: () => {
          server.closeAllConnections();
          return new Promise<void>((r) => server.close(() => r()));
        },
      }),
    ),
  );
}

let f: MirrorFixture;
let cdn: Cdn;

beforeAll(async () => {
  cdn = await serveCdn();
  const page = `<!doctype html><html><head>
<link rel="stylesheet" href="${cdn.url}/cors/theme.css">
<link rel="stylesheet" href="${cdn.url}/plain/plain.css">
<link rel="stylesheet" href="${cdn.url}/cors/stateless.css">
<link rel="stylesheet" href="${cdn.url}/cors/moved.css">
<link rel="stylesheet" href="${cdn.url}/cors/hang.css">
<link rel="alternate stylesheet" title="Dark" href="${cdn.url}/cors/alternate.css">
<link rel="alternate stylesheet" title="Large" href="/large.css">
<link rel="stylesheet" href="/own.css">
<style>body { margin: 0 } div { display: block }</style>
</head><body><div class="menu" id="menu">Menu</div><div class="plain" id="plain">Plain</div>
<div class="stateless" id="stateless">Stateless</div>
<div class="own" id="own">Own</div><div class="moved" id="moved">Moved</div><div class="hang" id="hang">Hang</div><input class="field" id="field"></body></html>`;
  f = await mirrorFixture(resolve('test/corpus/no-such-dir'), {
    '/sheets.html': { type: 'text/html', body: page },
    '/large.css': { type: 'text/css', body: 'body { color: rgb(9, 9, 9) }' },
    '/own.css': { type: 'text/css', body: '.own { height: 44px }' },
  });
});

afterAll(async () => {
  await f?.close();
  await cdn?.close();
});

/** The mirror's background colour of the element with this id. */
function background(agent: Page, id: string): Promise<string> {
  return agent.evaluate((i) => getComputedStyle(document.querySelector('iframe')!.contentDocument!.getElementById(i)!).backgroundColor, id);
}

/** How many of the mirror's elements match this selector. */
function count(agent: Page, selector: string): Promise<number> {
  return agent.evaluate((s) => document.querySelector('iframe')!.contentDocument!.querySelectorAll(s).length, selector);
}

describe('stylesheets of another origin, and alternate ones', () => {
  let visitor: Page;
  let agent: Page;
  let pair: MirrorPair;

  beforeAll(async () => {
    const context = await f.browser.newContext({ viewport: { width: 800, height: 600 } });
    // A cookie of the CDN's: the browser's own loads carry it; the probe, made without credentials, must not.
    await context.addCookies([{ name: 'cdn-session', value: 'secret', url: cdn.url }]);
    visitor = await context.newPage();
    agent = await context.newPage();
    await visitor.goto(`${f.site.url}/sheets.html`);
    await agent.goto(`${f.agentSite.url}/mirror.html`);
    pair = await connectPair(visitor, agent, { mask: {} });
    await pair.settled();
  });

  it("shows the visitor's hover and focus from a CORS sheet the visitor's page could not read", async () => {
    // The visitor's page indeed could not: the link travelled without its rules.
    expect(await visitor.evaluate(() => [...document.styleSheets].filter((s) => s.href?.includes('/cors/')).length)).toBe(5);
    // The probe took the link's place: one link, read in CORS mode.
    await expect.poll(() => count(agent, 'link[href$="/cors/theme.css"][crossorigin]:not([data-tandem-probe])')).toBe(1);
    expect(await count(agent, 'link[href$="/cors/theme.css"]')).toBe(1);
    await visitor.mouse.move(100, 30);
    await pair.settled();
    await expect.poll(() => background(agent, 'menu')).toBe('rgb(255, 0, 0)');
    await visitor.focus('#field');
    await pair.settled();
    await expect.poll(() => background(agent, 'field')).toBe('rgb(0, 0, 255)');
    await visitor.mouse.move(700, 500);
    await pair.settled();
    await expect.poll(() => background(agent, 'menu')).toBe('rgba(0, 0, 0, 0)');
  });

  it("rewrites the states in the sheet as the agent's browser loaded it: its URLs resolve where the CDN served it from, after a redirect", async () => {
    const theme = await agent.evaluate(() =>
      Array.from(document.querySelector('iframe')!.contentDocument!.querySelectorAll<HTMLLinkElement>('link[href$="/cors/theme.css"]'), (l) =>
        Array.from(l.sheet!.cssRules, (r) => r.cssText).join('\n'),
      ).join(''),
    );
    expect(theme).toContain('.menu[data-tandem-hover]');
    expect(theme).toContain('.field[data-tandem-focus]');
    // The probe took the link's place (without it, the link's own load resolves the URL as well).
    await expect.poll(() => count(agent, 'link[href$="/cors/moved.css"][crossorigin]:not([data-tandem-probe])')).toBe(1);
    const image = (doc: string) => getComputedStyle(document.querySelector(doc)!).backgroundImage;
    expect(await visitor.evaluate(image, '#moved')).toBe(`url("${cdn.url}/cors/v2/img/m.png")`);
    await expect
      .poll(() =>
        agent.evaluate(() => getComputedStyle(document.querySelector('iframe')!.contentDocument!.getElementById('moved')!).backgroundImage),
      )
      .toBe(`url("${cdn.url}/cors/v2/img/m.png")`);
  });

  it('removes a probe its CDN never answers, after PROBE_TIMEOUT_MS; the link stays and applies', async () => {
    await expect.poll(() => count(agent, '[data-tandem-probe]'), { timeout: PROBE_TIMEOUT_MS + 5000 }).toBe(0);
    expect(await count(agent, 'link[href$="/cors/hang.css"]:not([crossorigin])')).toBe(1);
    expect(await agent.evaluate(() => getComputedStyle(document.querySelector('iframe')!.contentDocument!.getElementById('hang')!).height)).toBe(
      '30px',
    );
  });

  it('keeps as a link a sheet without states, an alternate one, and one its CDN serves without CORS: that one still applies, without its states', async () => {
    expect(await count(agent, 'link[href*="/cors/stateless.css"]:not([crossorigin])')).toBe(1);
    expect(await background(agent, 'stateless')).toBe('rgb(10, 20, 30)');
    // An alternate sheet stays the unapplied link it is: as a <style>, it would apply.
    expect(await count(agent, 'link[href*="/cors/alternate.css"]:not([crossorigin])')).toBe(1);
    expect(await agent.evaluate(() => getComputedStyle(document.querySelector('iframe')!.contentDocument!.body).backgroundColor)).toBe(
      'rgba(0, 0, 0, 0)',
    );
    expect(await count(agent, 'link[href*="/plain/plain.css"]:not([crossorigin])')).toBe(1);
    expect(await background(agent, 'plain')).toBe('rgb(0, 0, 128)');
    await visitor.mouse.move(100, 90);
    await pair.settled();
    expect(await visitor.evaluate(() => getComputedStyle(document.getElementById('plain')!).backgroundColor)).toBe('rgb(255, 0, 0)');
    expect(await count(agent, '#plain[data-tandem-hover]')).toBe(1);
    expect(await background(agent, 'plain')).toBe('rgb(0, 0, 128)');
  });

  it('probes in CORS mode without credentials, once for each sheet the agent could not read', async () => {
    const probes = cdn.requests.filter((r) => r.headers.origin !== undefined);
    // Every sheet the agent could not read, and no other (a later test's changes may probe some again).
    expect([...new Set(probes.map((r) => r.path))].sort()).toEqual([
      '/cors/hang.css',
      '/cors/moved.css',
      '/cors/stateless.css',
      '/cors/theme.css',
      '/cors/v2/moved.css',
      '/plain/plain.css',
    ]);
    // The agent's origin asks, as the mirror's document is on it.
    expect(new Set(probes.map((r) => r.headers.origin))).toEqual(new Set([f.agentSite.url]));
    for (const r of probes) expect(r.headers.cookie).toBeUndefined();
    // The browsers' own loads are no-cors and carry the CDN's cookie, as for any page.
    expect(cdn.requests.some((r) => r.headers.origin === undefined && r.headers.cookie === 'cdn-session=secret')).toBe(true);
  });

  it('does the same for a sheet the page adds after the snapshot', async () => {
    await visitor.evaluate((href) => {
      const div = Object.assign(document.createElement('div'), { id: 'late', className: 'late', textContent: 'Late' });
      document.body.prepend(div);
      document.head.append(Object.assign(document.createElement('link'), { rel: 'stylesheet', href }));
    }, `${cdn.url}/cors/late.css`);
    await pair.settled();
    await visitor.mouse.move(100, 30);
    await pair.settled();
    await expect.poll(() => background(agent, 'late')).toBe('rgb(0, 128, 0)');
  });

  it("keeps a sheet without CORS the page adds after the snapshot: the visitor's page reads no rules of it, and says so", async () => {
    await visitor.evaluate((href) => {
      document.body.prepend(Object.assign(document.createElement('div'), { id: 'late-plain', className: 'late-plain' }));
      document.head.append(Object.assign(document.createElement('link'), { rel: 'stylesheet', href }));
    }, `${cdn.url}/plain/late.css`);
    await visitor.waitForFunction(() => [...document.styleSheets].some((s) => s.href?.endsWith('/plain/late.css')));
    await pair.settled();
    // Said with null rules: before, the mirror took that for empty ones, and the sheet was lost there.
    expect(pair.batches.some((b) => /" css",null/.test(b))).toBe(true);
    await expect.poll(() => background(agent, 'late-plain')).toBe('rgb(1, 2, 3)');
    expect(await count(agent, 'link[href*="/plain/late.css"]')).toBe(1);
  });

  it('follows a link the page points at another sheet (a theme switch): the link goes back in its place, and its probe takes it', async () => {
    await visitor.evaluate((href) => {
      document.querySelector<HTMLLinkElement>('link[href$="/cors/theme.css"]')!.href = href;
    }, `${cdn.url}/cors/dark.css`);
    await pair.settled();
    await visitor.hover('#menu');
    await pair.settled();
    await expect.poll(() => background(agent, 'menu')).toBe('rgb(0, 255, 0)');
    expect(await count(agent, 'link[href$="/cors/theme.css"]')).toBe(0);
    await expect.poll(() => count(agent, 'link[href$="/cors/dark.css"][crossorigin]')).toBe(1);
  });

  it('follows a link the page disables and enables again', async () => {
    const height = () => getComputedStyle(document.getElementById('menu')!).height;
    const mirrorHeight = () =>
      agent.evaluate(() => getComputedStyle(document.querySelector('iframe')!.contentDocument!.getElementById('menu')!).height);
    const setDisabled = (disabled: boolean) =>
      visitor.evaluate((d) => {
        document.querySelector<HTMLLinkElement>('link[href$="/cors/dark.css"]')!.disabled = d;
      }, disabled);
    await setDisabled(true);
    await pair.settled();
    const off = await visitor.evaluate(height);
    expect(off).not.toBe('60px');
    await expect.poll(mirrorHeight).toBe(off);
    await setDisabled(false);
    await pair.settled();
    expect(await visitor.evaluate(height)).toBe('60px');
    await expect.poll(mirrorHeight).toBe('60px');
    await visitor.mouse.move(700, 500);
    await visitor.hover('#menu');
    await pair.settled();
    await expect.poll(() => background(agent, 'menu')).toBe('rgb(0, 255, 0)');
  });

  it('keeps a probe that took a link through changes that load nothing: a media list, and a load the page makes up', async () => {
    const asked = () => cdn.requests.filter((r) => r.path === '/cors/dark.css' && r.headers.origin !== undefined).length;
    const before = asked();
    await visitor.evaluate(() => {
      const link = document.querySelector<HTMLLinkElement>('link[href$="/cors/dark.css"]')!;
      link.media = 'screen';
      // The page's capture says such a link's rules are null at every load, a made-up one too.
      link.dispatchEvent(new Event('load'));
    });
    await pair.settled();
    expect(pair.batches.at(-1)).toMatch(/" css",null/);
    await visitor.mouse.move(700, 500);
    await visitor.hover('#menu');
    await pair.settled();
    await expect.poll(() => background(agent, 'menu')).toBe('rgb(0, 255, 0)');
    expect(await count(agent, 'link[href$="/cors/dark.css"][crossorigin][media="screen"]')).toBe(1);
    expect(asked()).toBe(before);
  });

  it("leaves an alternate sheet of the visitor's own origin unapplied, as the visitor's browser does, though its rules travel", async () => {
    const color = () => getComputedStyle(document.body).color;
    expect(await visitor.evaluate(color)).toBe('rgb(0, 0, 0)');
    expect(pair.batches[0]).toContain('rgb(9, 9, 9)');
    const mirrorColor = () => agent.evaluate(() => getComputedStyle(document.querySelector('iframe')!.contentDocument!.body).color);
    expect(await mirrorColor()).toBe('rgb(0, 0, 0)');
    // Given a media list, it is still an alternate.
    await visitor.evaluate(() => {
      document.querySelector<HTMLLinkElement>('link[href="/large.css"]')!.media = 'screen';
    });
    await pair.settled();
    expect(await visitor.evaluate(color)).toBe('rgb(0, 0, 0)');
    expect(await mirrorColor()).toBe('rgb(0, 0, 0)');
    expect(await count(agent, 'style[media="not all"]')).toBe(1);
  });

  it("follows a sheet of the visitor's own origin, whose rules came with it, to a CDN's that sends none", async () => {
    const height = () => getComputedStyle(document.getElementById('own')!).height;
    const mirrorHeight = () =>
      agent.evaluate(() => getComputedStyle(document.querySelector('iframe')!.contentDocument!.getElementById('own')!).height);
    expect(await mirrorHeight()).toBe('44px');
    await visitor.evaluate((href) => {
      document.querySelector<HTMLLinkElement>('link[href="/own.css"]')!.href = href;
    }, `${cdn.url}/plain/own.css`);
    await visitor.waitForFunction(() => getComputedStyle(document.getElementById('own')!).height === '22px');
    await pair.settled();
    expect(await visitor.evaluate(height)).toBe('22px');
    await expect.poll(mirrorHeight).toBe('22px');
  });
});
