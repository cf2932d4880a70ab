/**
 * The integrator surface of watch URLs and visitor look-up, over the wire: who
 * may ask for a link, what a link opens and how often, what another site's
 * key learns (nothing), and the look-up's pagination.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROTOCOL_VERSION } from '@tandem/protocol';
import { createAgent, createApiKey } from '@tandem/server';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { connect, signIn, startVisitorSession, type Client } from '../helpers/clients.js';
import { agentCookie, api } from '../helpers/http.js';

let server: TestServer;
let admin: string;
let demoKey: string;
let otherKey: string;
let agent: string;
const ws = () => server.url.replace(/^http/, 'ws');
const body = { agent: { id: 'crm-17', name: 'Robin (Support)' }, branding: { retry_url: 'https://crm.example/retry' } };

beforeAll(async () => {
  server = await startTestServer({ TANDEM_SITE_KEYS: 'demo,other' });
  admin = await signIn(server.url);
  expect((await api(server.url, '/api/v1/sites/demo/settings', { method: 'PATCH', auth: admin, body: { presence: true } })).status).toBe(200);
  demoKey = 'Bearer ' + (await createApiKey(server.context.store, 'crm', { siteKey: 'demo' }));
  otherKey = 'Bearer ' + (await createApiKey(server.context.store, 'other-crm', { siteKey: 'other' }));
  await createAgent(server.context.store, { email: 'plain@example.test', name: 'Plain', password: 'a long enough password', role: 'agent' });
  agent = await agentCookie(server.url, 'plain@example.test', 'a long enough password');
});

afterAll(() => server.stop());

/** A page of the demo site with presence: says who it is, and learns its short id. */
async function present(visitorId: string, uniqueId: string, name: string): Promise<{ page: Client; shortId: string }> {
  const page = await connect(`${ws()}/ws/presence?site=demo`, server.url);
  page.sendJson({
    t: 'here',
    visitorId,
    identity: { uniqueId, name },
    url: 'https://shop.example/cart?secret=1',
    title: 'Cart',
    platform: { browser: 'Chrome 131', os: 'Linux', viewport: '1280x800', language: 'en', timeZone: 'UTC' },
  });
  const listed = await page.next((m) => m.t === 'listed');
  return { page, shortId: listed.shortId };
}

const redeem = (token: string) => api(server.url, '/api/v1/watch/redeem', { body: { token } });
const tokenOf = (watchUrl: string) => new URL(watchUrl).hash.replace('#token=', '');

describe('visitor short ids and look-up', () => {
  it('gives each browser a short id derived by the server: the same for the same browser, another for another site or browser', async () => {
    const a = await present('browser-aaaa-1111', 'cust-1', 'Ada');
    const again = await present('browser-aaaa-1111', 'cust-1', 'Ada');
    const b = await present('browser-bbbb-2222', 'cust-2', 'Bo');
    expect(a.shortId).toMatch(/^[0-9A-HJKMNP-TV-Z]{8}$/);
    expect(again.shortId).toBe(a.shortId);
    expect(b.shortId).not.toBe(a.shortId);
    expect(server.context.shortIds.of('other', 'browser-aaaa-1111')).not.toBe(a.shortId);
    for (const c of [a, again, b]) c.page.ws.close();
  });

  it('finds visitors by id:UNIQUEID exactly, by short id, by name; pages with a cursor; another site’s key sees none', async () => {
    const pages: Client[] = [];
    for (let i = 0; i < 5; i++) pages.push((await present(`browser-page-${i}000`, `cust-page-${i}`, `Pager ${i}`)).page);
    const find = (query: string, auth = demoKey) => api(server.url, `/api/v1/visitors?${query}`, { auth });
    await expect.poll(async () => (await find('q=Pager')).body.visitors.length).toBe(5);

    const seen: string[] = [];
    let cursor: string | null = null;
    let pagesRead = 0;
    do {
      const answer = await find(`q=Pager&limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      expect(answer.status).toBe(200);
      seen.push(...answer.body.visitors.map((v: { short_id: string }) => v.short_id));
      cursor = answer.body.next_cursor;
      pagesRead++;
    } while (cursor);
    expect(pagesRead).toBe(3);
    expect(new Set(seen).size).toBe(5);

    const exact = await find('q=id:cust-page-3');
    expect(exact.body.visitors.map((v: any) => v.identity.uniqueId)).toEqual(['cust-page-3']);
    expect((await find('q=id:cust-page')).body.visitors).toEqual([]);
    const byShort = await find(`q=${exact.body.visitors[0].short_id.toLowerCase()}`);
    expect(byShort.body.visitors.map((v: any) => v.identity.name)).toEqual(['Pager 3']);
    // The presence id never leaves the server, here or in the site's list; addresses lose their query.
    expect(JSON.stringify(exact.body)).not.toContain('browser-page-3000');
    const listed = await api(server.url, '/api/v1/sites/demo/visitors', { auth: demoKey });
    expect(JSON.stringify(listed.body)).not.toContain('browser-page-');
    expect(listed.body.visitors[0].url).toBe('https://shop.example/cart');

    expect((await find('q=Pager', otherKey)).body.visitors).toEqual([]);
    expect((await find('site=demo&q=Pager', otherKey)).status).toBe(404);
    expect((await find('q=Pager', admin)).status).toBe(400);
    expect((await find('site=demo&q=Pager', admin)).body.visitors.length).toBe(5);
    expect((await find('q=x&cursor=bm9wZQ')).status).toBe(400);
    expect((await find('q=x', 'Bearer tdm_wrong')).status).toBe(401);
    for (const p of pages) p.ws.close();
  });
});

describe('watch URLs', () => {
  it('only an API key or an admin asks for one; the body is checked; another site’s key finds no visitor', async () => {
    const { page, shortId } = await present('browser-cccc-3333', 'cust-3', 'Cy');
    const path = `/api/v1/visitors/${shortId}/watch_url`;
    expect((await api(server.url, path, { body })).status).toBe(401);
    expect((await api(server.url, path, { body, auth: agent })).status).toBe(403);
    expect((await api(server.url, path, { body, auth: otherKey })).body.code).toBe('TDM_VISITOR_GONE');
    expect((await api(server.url, path, { body: { agent: { id: 'x' } }, auth: demoKey })).status).toBe(400);
    const script = await api(server.url, path, { body: { ...body, branding: { retry_url: 'javascript:alert(1)' } }, auth: demoKey });
    expect(script.status).toBe(400);
    expect((await api(server.url, '/api/v1/visitors/not-an-id/watch_url', { body, auth: demoKey })).status).toBe(400);
    const ok = await api(server.url, path, { body, auth: demoKey });
    expect(ok.status).toBe(200);
    expect(ok.body.watch_url).toMatch(new RegExp(`^${server.url}/watch#token=`));
    expect(Date.parse(ok.body.expires_at) - Date.now()).toBeLessThanOrEqual(300_000);
    expect((await api(server.url, path, { body, auth: admin })).status).toBe(200);
    // As a person reads it out: any case, a dash in the middle, O for 0 and I or L for 1.
    const spoken = `${shortId.slice(0, 4)}-${shortId.slice(4)}`.toLowerCase().replace(/0/g, 'o').replace(/1/g, 'l');
    expect((await api(server.url, `/api/v1/visitors/${spoken}/watch_url`, { body, auth: demoKey })).status).toBe(200);
    expect((await api(server.url, '/api/v1/visitors/UUUUUUUU/watch_url', { body, auth: demoKey })).body.code).toBe('TDM_VISITOR_GONE');
    // Agent-desktop origins: an admin's, checked as origins (a port out of range is no origin).
    const origins = (list: string[], auth: string) =>
      api(server.url, '/api/v1/sites/demo/settings', { method: 'PATCH', auth, body: { agentDesktopOrigins: list } });
    expect((await origins(['https://desk.example'], demoKey)).status).toBe(403);
    const bad = await origins(['https://desk.example:99999'], admin);
    expect(bad.status).toBe(400);
    expect(bad.body.errors[0].field).toBe('/body/agentDesktopOrigins/0');
    expect((await origins(['https://desk.example'], admin)).body.agentDesktopOrigins).toEqual(['https://desk.example']);
    expect((await origins([], admin)).body.agentDesktopOrigins).toEqual([]);
    page.ws.close();
  });

  it('a running session’s link opens it once, for a guest agent under the given name; a forged or second use opens nothing', async () => {
    const { sessionId, visitor } = await startVisitorSession(server.url, 'Dana');
    expect((await api(server.url, `/api/v1/sessions/${sessionId}/watch_url`, { body, auth: otherKey })).status).toBe(404);
    const link = await api(server.url, `/api/v1/sessions/${sessionId}/watch_url`, { body, auth: demoKey });
    const token = tokenOf(link.body.watch_url);

    const forged = token.slice(0, -4) + (token.endsWith('AAAA') ? 'BBBB' : 'AAAA');
    expect((await redeem(forged)).body.code).toBe('TDM_UNAUTHORIZED');
    const granted = await redeem(token);
    expect(granted.status).toBe(200);
    expect(granted.body).toMatchObject({ state: 'accepted', sessionId, agentName: 'Robin (Support)' });
    const again = await redeem(token);
    expect(again.status).toBe(410);
    expect(again.body).toMatchObject({ code: 'TDM_LINK_SPENT', retryUrl: 'https://crm.example/retry' });

    // The grant is a bearer token for tickets; no cookie, no account.
    expect((await api(server.url, '/api/v1/watch/ticket', { method: 'POST' })).status).toBe(401);
    const ticket = await api(server.url, '/api/v1/watch/ticket', { method: 'POST', headers: { authorization: `Bearer ${granted.body.grant}` } });
    expect(ticket.status).toBe(200);
    const guest = await connect(`${ws()}/ws/agent?ticket=${ticket.body.ticket}`, server.url);
    guest.sendJson({ t: 'hello', versions: [PROTOCOL_VERSION] });
    expect((await guest.next((m) => m.t === 'welcome')).you).toEqual({
      id: 'ext-crm-17',
      name: 'Robin (Support)',
      color: expect.stringMatching(/^#[0-9a-f]{6}$/),
    });
    expect((await visitor.next((m) => m.t === 'agentJoined')).agent.name).toBe('Robin (Support)');
    // A grant is no API key and no agent sign-in.
    expect((await api(server.url, '/api/v1/sessions', { headers: { authorization: `Bearer ${granted.body.grant}` } })).status).toBe(401);

    await api(server.url, `/api/v1/sessions/${sessionId}/end`, { method: 'POST', auth: demoKey });
    const after = await api(server.url, '/api/v1/watch/ticket', { method: 'POST', headers: { authorization: `Bearer ${granted.body.grant}` } });
    expect(after.body).toMatchObject({ code: 'TDM_SESSION_ENDED', endReason: 'api' });
    expect((await api(server.url, `/api/v1/sessions/${sessionId}/watch_url`, { body, auth: demoKey })).status).toBe(410);
    guest.ws.close();
  });

  it('a link and its grant stop working when the admin who made them is disabled or demoted', async () => {
    const { sessionId } = await startVisitorSession(server.url, 'Eve');
    await createAgent(server.context.store, { email: 'lead@example.test', name: 'Lead', password: 'another long password', role: 'admin' });
    const lead = await agentCookie(server.url, 'lead@example.test', 'another long password');
    const leadId = (await server.context.store.findAgentByEmail('lead@example.test'))!.id;
    const first = await api(server.url, `/api/v1/sessions/${sessionId}/watch_url`, { body, auth: lead });
    const second = await api(server.url, `/api/v1/sessions/${sessionId}/watch_url`, { body, auth: lead });
    const granted = await redeem(tokenOf(first.body.watch_url));
    const bearer = { authorization: `Bearer ${granted.body.grant}` };
    expect((await api(server.url, '/api/v1/watch/ticket', { method: 'POST', headers: bearer })).status).toBe(200);
    await server.context.store.updateAgent(leadId, { role: 'agent' });
    expect((await api(server.url, '/api/v1/watch/ticket', { method: 'POST', headers: bearer })).body.code).toBe('TDM_UNAUTHORIZED');
    expect((await redeem(tokenOf(second.body.watch_url))).body.code).toBe('TDM_UNAUTHORIZED');
    await server.context.store.updateAgent(leadId, { role: 'admin', disabledAt: new Date().toISOString() });
    expect((await api(server.url, '/api/v1/watch/ticket', { method: 'POST', headers: bearer })).status).toBe(401);
  });

  it('a visitor not sharing yet is asked first: the grant opens nothing until they accept', async () => {
    const { page, shortId } = await present('browser-dddd-4444', 'cust-4', 'Dee');
    const link = await api(server.url, `/api/v1/visitors/${shortId}/watch_url`, { body, auth: demoKey });
    const granted = await redeem(tokenOf(link.body.watch_url));
    expect(granted.body).toMatchObject({ state: 'pending', sessionId: null });
    const invite = await page.next((m) => m.t === 'invite');
    expect(invite.agent).toBe('Robin (Support)');
    const bearer = { authorization: `Bearer ${granted.body.grant}` };
    expect((await api(server.url, '/api/v1/watch/ticket', { method: 'POST', headers: bearer })).status).toBe(403);
    expect((await api(server.url, '/api/v1/watch/state', { method: 'POST', headers: bearer })).body.state).toBe('pending');
    page.sendJson({ t: 'declineInvite', token: invite.token });
    await expect
      .poll(async () => (await api(server.url, '/api/v1/watch/state', { method: 'POST', headers: bearer })).body.code)
      .toBe('TDM_CONSENT_DECLINED');
    page.ws.close();
  });
});
