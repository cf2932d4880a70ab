/**
 * What a live visitor's page says of itself besides its DOM: its platform (for
 * the agents in its session) and how many elements each of the site's masking
 * rules matches there (for the site's admins, GET /api/v1/sites/{key}/selector-counts).
 * Real server, protocol-level clients; the page is hostile, so bad reports are
 * refused with a coded error and the socket (and the process) go on.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROTOCOL_VERSION } from '@tandem/protocol';
import { createAgent, createApiKey } from '@tandem/server';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { connect, joinAsAgent, signIn, type Client } from '../helpers/clients.js';
import { agentCookie, api } from '../helpers/http.js';

let s: TestServer;
let admin: string;
let plain: string;
let demoKey: string;
let shopKey: string;

const platform = { browser: 'Firefox 130', os: 'Linux', viewport: '1280x800', language: 'en-GB', timeZone: 'Europe/London' };

async function visit(siteKey: string): Promise<{ sessionId: string; code: string; visitor: Client; welcome: any }> {
  const res = await fetch(`${s.url}/api/v1/visitor/sessions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: s.url },
    body: JSON.stringify({ siteKey, identity: { name: 'Ann' } }),
  });
  expect(res.status).toBe(201);
  const started = (await res.json()) as { sessionId: string; code: string; ticket: string };
  const visitor = await connect(`${s.url.replace(/^http/, 'ws')}/ws/visitor?ticket=${started.ticket}`, s.url);
  visitor.sendJson({ t: 'hello', versions: [PROTOCOL_VERSION] });
  const welcome = await visitor.next((m) => m.t === 'welcome');
  return { ...started, visitor, welcome };
}

const setRules = async (site: string, selectors: string[], blockSelectors: string[]) =>
  expect(
    (await api(s.url, `/api/v1/sites/${site}/settings`, { method: 'PATCH', auth: admin, body: { masking: { selectors, blockSelectors } } }))
      .status,
  ).toBe(200);

const counts = (site: string, auth = admin) => api(s.url, `/api/v1/sites/${site}/selector-counts`, { auth });

/** The next coded error the page gets. */
const errorOf = async (c: Client) => (await c.next((m) => m.t === 'error')) as { code: string; message: string };

beforeAll(async () => {
  s = await startTestServer({ TANDEM_SITE_KEYS: 'demo,shop' });
  admin = await signIn(s.url);
  await createAgent(s.context.store, { email: 'plain@example.test', password: 'plain agent pw', name: 'Plain', role: 'agent' });
  plain = await agentCookie(s.url, 'plain@example.test', 'plain agent pw');
  demoKey = 'Bearer ' + (await createApiKey(s.context.store, 'demo crm', { siteKey: 'demo' }));
  shopKey = 'Bearer ' + (await createApiKey(s.context.store, 'shop crm', { siteKey: 'shop' }));
});

afterAll(() => s?.stop());

describe('the visitor’s platform', () => {
  it('reaches the agents: in their welcome (null before the page said it), then when it changes, once', async () => {
    const { code, visitor } = await visit('demo');
    const early = await joinAsAgent(s.url, admin, code);
    visitor.sendJson({ t: 'platform', platform });
    expect(await early.next((m) => m.t === 'visitorPlatform')).toEqual({ t: 'visitorPlatform', platform });
    // The same again (another welcome of the page, a resize within its class): no message.
    visitor.sendJson({ t: 'platform', platform });
    const narrow = { ...platform, viewport: '390x844' };
    visitor.sendJson({ t: 'platform', platform: narrow });
    expect(await early.next((m) => m.t === 'visitorPlatform')).toEqual({ t: 'visitorPlatform', platform: narrow });
    expect(early.json.filter((m) => m.t === 'visitorPlatform')).toEqual([]);

    // An agent who joins now has it in its welcome.
    const joined = await fetch(`${s.url}/api/v1/sessions/join`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', cookie: admin },
      body: JSON.stringify({ code }),
    });
    const { ticket } = (await joined.json()) as { ticket: string };
    const second = await connect(`${s.url.replace(/^http/, 'ws')}/ws/agent?ticket=${ticket}`, s.url);
    second.sendJson({ t: 'hello', versions: [PROTOCOL_VERSION] });
    expect((await second.next((m) => m.t === 'welcome')).visitor).toEqual({ name: 'Ann', connected: true, platform: narrow });

    // Anything beyond the platform's fields is refused, and the page goes on.
    visitor.sendJson({ t: 'platform', platform: { ...platform, title: 'My bank' } });
    expect((await errorOf(visitor)).code).toBe('TDM_BAD_MESSAGE');
    visitor.sendJson({ t: 'platform', platform: { ...platform, browser: 'x'.repeat(101) } });
    expect((await errorOf(visitor)).code).toBe('TDM_BAD_MESSAGE');
    expect(visitor.ws.readyState).toBe(visitor.ws.OPEN);
    for (const c of [visitor, early, second]) c.ws.close();
  });

  it('is null in the welcome of an agent who joins before the page said it', async () => {
    const { code, visitor } = await visit('demo');
    const res = await fetch(`${s.url}/api/v1/sessions/join`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', cookie: admin },
      body: JSON.stringify({ code }),
    });
    const { ticket } = (await res.json()) as { ticket: string };
    const agent = await connect(`${s.url.replace(/^http/, 'ws')}/ws/agent?ticket=${ticket}`, s.url);
    agent.sendJson({ t: 'hello', versions: [PROTOCOL_VERSION] });
    expect((await agent.next((m) => m.t === 'welcome')).visitor.platform).toBeNull();
    visitor.ws.close();
    agent.ws.close();
  });
});

describe('selector counts', () => {
  it('are kept per live page with its address (no query) and time, and listed for the site’s admins, most recent first', async () => {
    await setRules('demo', ['.card-number', 'input[type=password]', 'p:has('], ['.chat']);
    const first = await visit('demo');
    expect(first.welcome.masking).toEqual({ selectors: ['.card-number', 'input[type=password]', 'p:has('], blockSelectors: ['.chat'] });
    first.visitor.sendJson({ t: 'page', url: 'https://shop.example/checkout?card=4111111111111111#pay' });
    first.visitor.sendJson({ t: 'selectorCounts', selectors: [2, 1, null], blockSelectors: [0] });
    await expect.poll(async () => (await counts('demo')).body.pages.length).toBe(1);
    const [page] = (await counts('demo')).body.pages;
    expect(page).toEqual({
      sessionId: first.sessionId,
      url: 'https://shop.example/checkout',
      at: expect.any(String),
      selectors: [
        { selector: '.card-number', count: 2 },
        { selector: 'input[type=password]', count: 1 },
        { selector: 'p:has(', count: null },
      ],
      blockSelectors: [{ selector: '.chat', count: 0 }],
    });
    expect(JSON.stringify((await counts('demo')).body)).not.toContain('4111');

    const second = await visit('demo');
    second.visitor.sendJson({ t: 'page', url: 'https://shop.example/cart' });
    second.visitor.sendJson({ t: 'selectorCounts', selectors: [0, 0, null], blockSelectors: [3] });
    await expect
      .poll(async () => (await counts('demo')).body.pages.map((p: any) => p.url))
      .toEqual(['https://shop.example/cart', 'https://shop.example/checkout']);

    // A session that ended is no longer listed.
    second.visitor.sendJson({ t: 'end' });
    await expect.poll(async () => (await counts('demo')).body.pages.map((p: any) => p.sessionId)).toEqual([first.sessionId]);
    first.visitor.ws.close();
  });

  it('are refused with a coded error when they do not fit the site’s rules, and the page goes on', async () => {
    await setRules('demo', ['.a', '.b'], []);
    const { visitor, sessionId } = await visit('demo');
    // Before the page said where it is: counted where?
    visitor.sendJson({ t: 'selectorCounts', selectors: [1, 1], blockSelectors: [] });
    expect(await errorOf(visitor)).toMatchObject({ code: 'TDM_BAD_MESSAGE', message: expect.stringMatching(/page/) });
    visitor.sendJson({ t: 'page', url: 'https://shop.example/' });
    const bad: unknown[] = [
      { t: 'selectorCounts', selectors: [1], blockSelectors: [] }, // one rule short
      { t: 'selectorCounts', selectors: [1, 1, 1], blockSelectors: [] }, // one too many
      { t: 'selectorCounts', selectors: [1, 1], blockSelectors: [4] }, // a blocking rule the site has not
      { t: 'selectorCounts', selectors: [-2, 1], blockSelectors: [] },
      { t: 'selectorCounts', selectors: [1.5, 1], blockSelectors: [] },
      { t: 'selectorCounts', selectors: ['2', 1], blockSelectors: [] },
      { t: 'selectorCounts', selectors: [1_000_001, 1], blockSelectors: [] },
      { t: 'selectorCounts', selectors: Array(101).fill(1), blockSelectors: [] },
      { t: 'selectorCounts', selectors: [1, 1] },
      { t: 'selectorCounts', selectors: [1, 1], blockSelectors: [], url: 'https://elsewhere.example/' },
    ];
    for (const msg of bad) {
      visitor.sendJson(msg);
      expect((await errorOf(visitor)).code, JSON.stringify(msg).slice(0, 80)).toBe('TDM_BAD_MESSAGE');
    }
    expect(visitor.ws.readyState).toBe(visitor.ws.OPEN);
    expect((await counts('demo')).body.pages.filter((p: any) => p.sessionId === sessionId)).toEqual([]);

    // The rules change while the page counts the old ones: its old counts are refused, its new ones kept.
    await setRules('demo', ['.a', '.b', '.c'], []);
    await visitor.next((m) => m.t === 'masking');
    visitor.sendJson({ t: 'selectorCounts', selectors: [1, 1], blockSelectors: [] });
    expect((await errorOf(visitor)).code).toBe('TDM_BAD_MESSAGE');
    visitor.sendJson({ t: 'selectorCounts', selectors: [1, 0, 5], blockSelectors: [] });
    await expect
      .poll(async () => (await counts('demo')).body.pages.find((p: any) => p.sessionId === sessionId)?.selectors.map((r: any) => r.count))
      .toEqual([1, 0, 5]);
    // The server still answers everyone.
    expect((await api(s.url, '/healthz')).body).toEqual({ ok: true });
    visitor.ws.close();
  });

  it('are for admins and the site’s own key: another agent is refused, another site’s key finds no such site', async () => {
    await setRules('shop', ['.iban'], []);
    const shop = await visit('shop');
    shop.visitor.sendJson({ t: 'page', url: 'https://shop.example/pay' });
    shop.visitor.sendJson({ t: 'selectorCounts', selectors: [1], blockSelectors: [] });
    await expect.poll(async () => (await counts('shop')).body.pages.length).toBe(1);

    expect((await counts('shop', shopKey)).status).toBe(200);
    expect((await counts('shop', shopKey)).body.pages[0].selectors).toEqual([{ selector: '.iban', count: 1 }]);
    // Another site's counts are never in this site's answer.
    expect((await counts('demo')).body.pages.map((p: any) => p.sessionId)).not.toContain(shop.sessionId);

    const forbidden = await counts('shop', plain);
    expect([forbidden.status, forbidden.body.code]).toEqual([403, 'TDM_FORBIDDEN']);
    const otherSite = await counts('shop', demoKey);
    expect([otherSite.status, otherSite.body.code]).toEqual([404, 'TDM_UNKNOWN_SITE']);
    const unknown = await counts('nope');
    expect([unknown.status, unknown.body.code]).toEqual([404, 'TDM_UNKNOWN_SITE']);
    const anonymous = await api(s.url, '/api/v1/sites/shop/selector-counts');
    expect([anonymous.status, anonymous.body.code]).toEqual([401, 'TDM_UNAUTHORIZED']);
    const badKey = await api(s.url, '/api/v1/sites/not%20a%20key/selector-counts', { auth: admin });
    expect([badKey.status, badKey.body.code]).toEqual([400, 'TDM_BAD_MESSAGE']);
    shop.visitor.ws.close();
  });
});
