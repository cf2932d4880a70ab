/**
 * The controller channel (/ws/controller) as an agent desktop's plug-in uses
 * it (Genesys's controller): a real server, a `ws` client with an API key,
 * the visitor's and the agent's sockets driven at the protocol level.
 *
 * What it proves: a wrong key is refused at the upgrade; a site's key reaches
 * only its site's sessions; a controller that joins before the visitor's page
 * connects sees joined(state) → activated → deactivated → activated →
 * modeChanged → agentJoined → … → ended, each once and in order, and nothing
 * is lost or repeated when changes race the join; a lower mode applies at once
 * (the visitor's page and the agents are told), a higher one is only asked
 * for; `end` ends the session for everyone; hostile frames get coded errors
 * and leave the server serving; sockets per key are bounded; a cluster works.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROTOCOL_VERSION, closeCodes, limits, type SessionEvent } from '@tandem/protocol';
import { createApiKey, loadConfig, startServer, type TandemServer } from '@tandem/server';
import { redisUp } from '../helpers/services.js';
import { ADMIN, serverEnv, startCluster, startTestServer, type TestCluster, type TestServer } from '../helpers/server.js';
import { connect, joinAsAgent, resumeTicket, signIn, type Client } from '../helpers/clients.js';
import { api } from '../helpers/http.js';
import { connectController, upgradeStatus, type ControllerClient } from '../helpers/controller.js';
import { CONTROLLER_SOCKETS_PER_KEY } from '../../packages/server/src/gateways/controller.js';
import { ControllerView } from '../../packages/server/src/gateways/controller-view.js';
import type { LiveSession } from '../../packages/server/src/live/registry.js';
import { MemoryRegistry } from '../../packages/server/src/live/memory-registry.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const wsBase = (url: string) => url.replace(/^http/, 'ws');
const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

let s: TestServer;
let demoKey: string;
let shopKey: string;
let adminKey: string;
let cookie: string;

/** Sessions come from many addresses (the server trusts this test's X-Forwarded-For), so no start budget runs out. */
let addresses = 0;
async function startSession(base: string, siteKey = 'demo', name = 'Visitor') {
  const n = ++addresses;
  const res = await fetch(`${base}/api/v1/visitor/sessions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: base, 'x-forwarded-for': `10.7.${n >> 8}.${n & 255}` },
    body: JSON.stringify({ siteKey, identity: { name } }),
  });
  expect(res.status).toBe(201);
  return (await res.json()) as { sessionId: string; code: string; ticket: string; resumeToken: string };
}

/** A visitor's page connecting with a ticket: open, hello, welcome. */
async function openVisitor(base: string, ticket: string): Promise<Client> {
  const v = await connect(`${wsBase(base)}/ws/visitor?ticket=${ticket}`, base);
  v.sendJson({ t: 'hello', versions: [PROTOCOL_VERSION] });
  // A socket the server closes instead (a session full of sockets) says why, rather than timing out.
  const closed = v.closed.then(({ code, reason }) =>
    Promise.reject(new Error(`the visitor socket was closed (${code} ${reason}) before welcome`)),
  );
  await Promise.race([v.next((m) => m.t === 'welcome', 10_000), closed]);
  closed.catch(() => {});
  return v;
}

beforeAll(async () => {
  s = await startTestServer({ TANDEM_SITE_KEYS: 'demo,shop', TANDEM_TRUST_PROXY: '127.0.0.1' });
  demoKey = await createApiKey(s.context.store, 'genesys', { siteKey: 'demo' });
  shopKey = await createApiKey(s.context.store, 'shop desk', { siteKey: 'shop' });
  adminKey = await createApiKey(s.context.store, 'ops', { admin: true });
  cookie = await signIn(s.url);
});

afterAll(() => s?.stop());

describe('the controller channel’s handshake', () => {
  it('refuses an upgrade without a valid API key (401); an agent’s sign-in cookie is not a key', async () => {
    for (const headers of [
      {} as Record<string, string>,
      { authorization: `Bearer tdm_${'x'.repeat(32)}` },
      { authorization: `Bearer ${demoKey}x` },
      { authorization: `Bearer ${'x'.repeat(4000)}` },
      { authorization: 'Bearer __proto__' },
      { authorization: `Basic ${Buffer.from(`k:${demoKey}`).toString('base64')}` },
      { authorization: demoKey },
      { cookie },
    ]) {
      expect(await upgradeStatus(s.url, headers), JSON.stringify(headers).slice(0, 80)).toBe(401);
    }
    expect(await upgradeStatus(s.url, { authorization: `Bearer ${demoKey}` })).toBe(101);
  });

  it('answers hello with welcome, and anything before it with TDM_NOT_READY', async () => {
    const c = await connectController(s.url, demoKey, { hello: false });
    c.send({ t: 'join', code: '123456' });
    expect(await c.next()).toMatchObject({ t: 'error', code: 'TDM_NOT_READY' });
    c.send({ t: 'hello', versions: [PROTOCOL_VERSION] });
    expect(await c.next()).toEqual({ t: 'welcome', v: PROTOCOL_VERSION });
    c.close();
  });
});

describe('following a session', () => {
  it('from before the visitor’s page connects to the end: every notification in order, each once', async () => {
    const started = await startSession(s.url, 'demo', 'Alex');
    const c = await connectController(s.url, demoKey);
    // Before the page connects and before any agent: the plug-in joins first, as Genesys advises.
    const joined = await c.join(started.code);
    expect(joined).toEqual({
      t: 'joined',
      sessionId: started.sessionId,
      code: started.code,
      siteKey: 'demo',
      state: {
        activatedAt: null,
        visitorConnected: false,
        started: false,
        mode: 'view',
        agents: [],
        visitorName: 'Alex',
        createdAt: expect.stringMatching(ISO),
      },
    });
    // The session id is the history id of the REST API.
    expect((await api(s.url, `/api/v1/sessions/${joined.sessionId}`, { auth: `Bearer ${demoKey}` })).body).toMatchObject({
      id: started.sessionId,
    });

    let visitor = await openVisitor(s.url, started.ticket);
    const activated = await c.next();
    expect(activated).toEqual({ t: 'activated', at: expect.stringMatching(ISO) });

    // The visitor's page changes: its socket closes, the next page's resumes.
    visitor.ws.close();
    expect(await c.next()).toEqual({ t: 'deactivated', at: expect.stringMatching(ISO) });
    visitor = await openVisitor(s.url, await resumeTicket(s.url, started.sessionId, started.resumeToken));
    const again = await c.next();
    expect(again).toEqual({ t: 'activated', at: expect.stringMatching(ISO) });
    expect(again.at >= activated.at).toBe(true);

    visitor.sendJson({ t: 'mode', mode: 'navigate' });
    expect(await c.next()).toEqual({ t: 'modeChanged', mode: 'navigate', previous: 'view', at: expect.stringMatching(ISO) });

    const agent = await joinAsAgent(s.url, cookie, started.code);
    const agentJoined = await c.next();
    expect(agentJoined).toMatchObject({ t: 'agentJoined', agent: { name: ADMIN.name } });

    // A lower mode applies at once: the answer, then the change; the page and the agents are told.
    c.setMode('view');
    expect(await c.next()).toEqual({ t: 'result', command: 'setMode', outcome: 'done' });
    expect(await c.next()).toMatchObject({ t: 'modeChanged', mode: 'view', previous: 'navigate' });
    expect(await visitor.next((m) => m.t === 'setMode')).toEqual({ t: 'setMode', mode: 'view' });
    await agent.next((m) => m.t === 'mode' && m.mode === 'view');
    expect((await s.context.registry.getSession(started.sessionId))!.mode).toBe('view');
    // The audit says the visitor raised it earlier and the integration lowered it now.
    const audit = await s.context.store.listAudit(started.sessionId, { limit: 100 });
    expect(audit.filter((e) => e.kind === 'modeChanged').map((e) => e.actor)).toEqual(['visitor', 'api']);
    c.setMode('view');
    expect(await c.next()).toEqual({ t: 'result', command: 'setMode', outcome: 'unchanged' });

    // A higher mode is a request: the visitor declines, then grants one.
    c.setMode('control');
    expect(await c.next()).toEqual({ t: 'result', command: 'setMode', outcome: 'asked' });
    const asked = await visitor.next((m) => m.t === 'modeRequest');
    expect(asked).toEqual({ t: 'modeRequest', agentId: expect.stringMatching(/^key:/), name: 'Support', mode: 'control' });
    expect(visitor.json.some((m) => m.t === 'setMode')).toBe(false);
    visitor.sendJson({ t: 'modeDeclined', agentId: asked.agentId, mode: 'control' });
    expect(await c.next()).toEqual({ t: 'modeDeclined', mode: 'control' });
    expect((await s.context.registry.getSession(started.sessionId))!.mode).toBe('view');
    c.setMode('navigate', 'Sam at Support');
    expect(await c.next()).toEqual({ t: 'result', command: 'setMode', outcome: 'asked' });
    expect(await visitor.next((m) => m.t === 'modeRequest')).toMatchObject({ name: 'Sam at Support', mode: 'navigate' });
    visitor.sendJson({ t: 'mode', mode: 'navigate' });
    expect(await c.next()).toMatchObject({ t: 'modeChanged', mode: 'navigate', previous: 'view' });

    agent.ws.close();
    expect(await c.next()).toEqual({ t: 'agentLeft', agent: agentJoined.agent, at: expect.stringMatching(ISO) });
    const second = await joinAsAgent(s.url, cookie, started.code);
    expect(await c.next()).toMatchObject({ t: 'agentJoined', agent: agentJoined.agent });

    // The end, for everyone: the answer, the notification, then the close that says so.
    c.end();
    expect(await c.next()).toEqual({ t: 'result', command: 'end', outcome: 'done' });
    expect(await c.next()).toEqual({ t: 'ended', reason: 'api', at: expect.stringMatching(ISO) });
    expect((await c.closed).code).toBe(closeCodes.sessionEnded);
    expect(await visitor.next((m) => m.t === 'ended')).toEqual({ t: 'ended', reason: 'api' });
    expect(await second.next((m) => m.t === 'ended')).toEqual({ t: 'ended', reason: 'api' });
    expect((await visitor.closed).code).toBe(closeCodes.sessionEnded);
    await expect.poll(async () => (await s.context.store.getSession(started.sessionId))?.endReason).toBe('api');

    // Exactly these, once each, in this order: nothing else arrived.
    await sleep(200);
    expect(c.received.map((m) => m.t)).toEqual([
      'welcome',
      'joined',
      'activated',
      'deactivated',
      'activated',
      'modeChanged',
      'agentJoined',
      'result',
      'modeChanged',
      'result',
      'result',
      'modeDeclined',
      'result',
      'modeChanged',
      'agentLeft',
      'agentJoined',
      'result',
      'ended',
    ]);
  });

  it('joined while the page shares: the state says so, and no activated follows for it', async () => {
    const started = await startSession(s.url);
    const visitor = await openVisitor(s.url, started.ticket);
    const agent = await joinAsAgent(s.url, cookie, started.code);
    const c = await connectController(s.url, adminKey);
    const joined = await c.join({ sessionId: started.sessionId });
    expect(joined.state).toMatchObject({
      visitorConnected: true,
      started: true,
      activatedAt: expect.stringMatching(ISO),
      agents: [{ name: ADMIN.name }],
    });
    // By the code with spaces too, as a person types it.
    const byCode = await connectController(s.url, demoKey);
    expect(await byCode.join(`${started.code.slice(0, 3)} ${started.code.slice(3)}`)).toMatchObject({
      t: 'joined',
      sessionId: started.sessionId,
    });
    visitor.ws.close();
    expect(await c.next()).toMatchObject({ t: 'deactivated' });
    expect(await byCode.next()).toMatchObject({ t: 'deactivated' });
    agent.ws.close();
    expect(await c.next()).toMatchObject({ t: 'agentLeft' });
    expect(c.received.map((m) => m.t)).toEqual(['welcome', 'joined', 'deactivated', 'agentLeft']);
    c.close();
    byCode.close();
    await api(s.url, `/api/v1/sessions/${started.sessionId}/end`, { method: 'POST', auth: `Bearer ${adminKey}` });
  });

  it('a site’s key reaches only its site’s sessions (another site’s is unknown); an admin key every site’s', async () => {
    const shop = await startSession(s.url, 'shop');
    const demo = await startSession(s.url, 'demo');
    const c = await connectController(s.url, demoKey);
    expect(await c.join(shop.code)).toMatchObject({ t: 'error', code: 'TDM_UNKNOWN_CODE' });
    expect(await c.join({ sessionId: shop.sessionId })).toMatchObject({ t: 'error', code: 'TDM_NOT_FOUND' });
    expect(await c.join({ sessionId: 'no-such-session' })).toMatchObject({ t: 'error', code: 'TDM_NOT_FOUND' });
    expect(await c.join('000000')).toMatchObject({ t: 'error', code: 'TDM_UNKNOWN_CODE' });
    // Nothing was joined: commands have no session.
    c.end();
    expect(await c.next()).toMatchObject({ t: 'error', code: 'TDM_NOT_JOINED' });
    expect(await s.context.registry.getSession(shop.sessionId)).not.toBeNull();

    const shopDesk = await connectController(s.url, shopKey);
    expect(await shopDesk.join(demo.code)).toMatchObject({ t: 'error', code: 'TDM_UNKNOWN_CODE' });
    expect(await shopDesk.join(shop.code)).toMatchObject({ t: 'joined', siteKey: 'shop' });

    const admin = await connectController(s.url, adminKey);
    expect(await admin.join(shop.code)).toMatchObject({ t: 'joined', sessionId: shop.sessionId });
    admin.end();
    expect(await admin.next()).toMatchObject({ t: 'result', command: 'end' });
    expect(await admin.next()).toMatchObject({ t: 'ended', reason: 'api' });
    expect(await shopDesk.next()).toMatchObject({ t: 'ended', reason: 'api' });
    expect((await shopDesk.closed).code).toBe(closeCodes.sessionEnded);

    // An ended session: its own site's key learns it ended; another site's key still learns nothing.
    const again = await connectController(s.url, shopKey);
    expect(await again.join({ sessionId: shop.sessionId })).toMatchObject({ t: 'error', code: 'TDM_SESSION_ENDED' });
    expect(await c.join({ sessionId: shop.sessionId })).toMatchObject({ t: 'error', code: 'TDM_NOT_FOUND' });
    for (const x of [c, again]) x.close();
    await api(s.url, `/api/v1/sessions/${demo.sessionId}/end`, { method: 'POST', auth: `Bearer ${adminKey}` });
  });

  it('loses and repeats nothing when changes race the join (the state and the stream meet at its seq)', () => raceJoins(s, demoKey, 300));
});

/**
 * A registry that numbers events slowly, as a networked one (Redis) may: a change is in the
 * state a while before its event has a number, so joins land between the two.
 */
class SlowSeqRegistry extends MemoryRegistry {
  override async nextSeq(id: string): Promise<number | null> {
    await sleep(15);
    return super.nextSeq(id);
  }
}

describe('following a session, with a registry that numbers events slowly', () => {
  let slow: TandemServer;
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tandem-slow-seq-'));
    const config = loadConfig(serverEnv(dir, { TANDEM_TRUST_PROXY: '127.0.0.1' }));
    slow = await startServer(config, { registry: new SlowSeqRegistry(), logger: false, print: () => {} });
  });
  afterAll(async () => {
    await slow?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a change already in the joined state is not told again when its event comes', async () => {
    await raceJoins(slow, await createApiKey(slow.context.store, 'desk', { siteKey: 'demo' }), 800);
  });
});

/**
 * The page comes and goes and the mode flips while controllers join at every step; then, for each
 * controller, folding its notifications over its joined state must give the registry's truth, and
 * every notification must change something (none repeated, none from a state it did not have).
 */
async function raceJoins(server: TandemServer, key: string, settleMs: number): Promise<void> {
  const started = await startSession(server.url);
  let visitor: Client | null = await openVisitor(server.url, started.ticket);
  const controllers: ControllerClient[] = [];
  const joins: Promise<unknown>[] = [];
  const modes = ['navigate', 'control', 'view'] as const;
  for (let i = 0; i < 24; i++) {
    const c = await connectController(server.url, key);
    controllers.push(c);
    joins.push(c.join(started.code));
    if (visitor) {
      visitor.sendJson({ t: 'mode', mode: modes[i % 3] });
      visitor.ws.close();
      // Gone on the client's side before the next page opens, as a page that navigates away.
      await visitor.closed;
      visitor = null;
    } else {
      visitor = await openVisitor(server.url, await resumeTicket(server.url, started.sessionId, started.resumeToken));
    }
  }
  await Promise.all(joins);
  await sleep(settleMs);
  const truth = (await server.context.registry.getSession(started.sessionId))!;
  for (const [i, c] of controllers.entries()) {
    const [joined, ...rest] = c.received.slice(1);
    expect(joined.t, `controller ${i}`).toBe('joined');
    let connected = joined.state.visitorConnected as boolean;
    let mode = joined.state.mode as string;
    for (const m of rest) {
      if (m.t === 'activated' || m.t === 'deactivated') {
        expect(connected, `controller ${i}: ${m.t} when already so`).toBe(m.t === 'deactivated');
        connected = m.t === 'activated';
      } else if (m.t === 'modeChanged') {
        expect(m.previous, `controller ${i}: modeChanged from a mode it did not have`).toBe(mode);
        expect(m.mode, `controller ${i}: modeChanged to the mode it had`).not.toBe(mode);
        mode = m.mode;
      } else {
        throw new Error(`controller ${i}: unexpected ${JSON.stringify(m)}`);
      }
    }
    expect({ connected, mode }, `controller ${i}`).toEqual({ connected: truth.visitorSockets > 0, mode: truth.mode });
    c.close();
  }
  visitor?.ws.close();
  await server.context.rooms.end(started.sessionId, 'api');
}

describe('what a controller may send', () => {
  it('hostile and malformed frames get coded errors; the socket and the server go on', async () => {
    const key = await createApiKey(s.context.store, 'hostile', { siteKey: 'demo' });
    const c = await connectController(s.url, key);
    const answers: [unknown, string, string?][] = [
      ['{', 'TDM_BAD_JSON'],
      ['', 'TDM_BAD_JSON'],
      ['null', 'TDM_BAD_MESSAGE'],
      ['[{"t":"end"}]', 'TDM_BAD_MESSAGE'],
      [Buffer.from([0x01, 0x00, 0, 0, 0, 0]), 'TDM_BAD_MESSAGE'],
      [{ t: '__proto__' }, 'TDM_BAD_MESSAGE', 'unknown message type'],
      [{ t: 'constructor' }, 'TDM_BAD_MESSAGE', 'unknown message type'],
      [{ t: 'toString' }, 'TDM_BAD_MESSAGE', 'unknown message type'],
      ['{"t":"join","code":"123456","__proto__":{"admin":true}}', 'TDM_BAD_MESSAGE', 'unexpected field "__proto__"'],
      [{ t: 'join', code: '123456', constructor: { prototype: {} } }, 'TDM_BAD_MESSAGE', 'unexpected field "constructor"'],
      [{ t: 'join', code: '__proto__' }, 'TDM_BAD_MESSAGE', 'code: must match pattern'],
      [{ t: 'join', sessionId: 'x'.repeat(65) }, 'TDM_BAD_MESSAGE', 'sessionId'],
      [{ t: 'join' }, 'TDM_BAD_MESSAGE', 'Give either code or sessionId.'],
      [{ t: 'join', code: '123456', sessionId: 'abc' }, 'TDM_BAD_MESSAGE', 'Give either code or sessionId.'],
      [{ t: 'setMode', mode: 'hasOwnProperty' }, 'TDM_BAD_MESSAGE', 'mode'],
      [{ t: 'setMode', mode: 'view', name: '' }, 'TDM_BAD_MESSAGE', 'name'],
      [{ t: 'setMode', mode: 'view' }, 'TDM_NOT_JOINED'],
      [{ t: 'end' }, 'TDM_NOT_JOINED'],
      [JSON.stringify({ t: 'end', pad: 'x'.repeat(limits.maxControlBytes) }), 'TDM_TOO_LARGE'],
    ];
    for (const [input, code, detail] of answers) {
      c.send(input);
      const answer = await c.next();
      expect(answer, JSON.stringify(input).slice(0, 80)).toMatchObject({ t: 'error', code });
      expect(typeof answer.message).toBe('string');
      if (detail) expect(answer.message).toContain(detail);
      await sleep(60); // within the socket's rate
    }
    expect(c.ws.readyState).toBe(c.ws.OPEN);

    // Wrong codes are bounded per key, as for agents.
    const wrong: string[] = [];
    for (let i = 0; i < 11; i++) {
      wrong.push((await c.join(String(100000 + i))).code);
      await sleep(60);
    }
    expect(wrong.slice(0, 10).every((x) => x === 'TDM_UNKNOWN_CODE')).toBe(true);
    expect(wrong[10]).toBe('TDM_RATE_LIMITED');

    // Once joined, a second join is refused.
    const started = await startSession(s.url);
    const other = await connectController(s.url, demoKey);
    expect(await other.join(started.code)).toMatchObject({ t: 'joined' });
    expect(await other.join(started.code)).toMatchObject({ t: 'error', code: 'TDM_CONFLICT' });

    // Beyond what the channel reads at all: closed 1009. A flood: closed 4008.
    c.send('x'.repeat(5 * limits.maxControlBytes));
    expect((await c.closed).code).toBe(1009);
    for (let i = 0; i < 200; i++) other.send({ t: 'hello', versions: [1] });
    expect((await other.closed).code).toBe(closeCodes.rateLimited);

    expect((await fetch(`${s.url}/healthz`)).status).toBe(200);
    const fresh = await connectController(s.url, demoKey);
    expect(await fresh.join(started.code)).toMatchObject({ t: 'joined', sessionId: started.sessionId });
    fresh.end();
    expect(await fresh.next()).toMatchObject({ t: 'result', command: 'end' });
  });

  it('a key revoked while its socket is open commands nothing more (4003)', async () => {
    const key = await createApiKey(s.context.store, 'short-lived', { siteKey: 'demo' });
    const started = await startSession(s.url);
    const c = await connectController(s.url, key);
    expect(await c.join(started.code)).toMatchObject({ t: 'joined' });
    const id = (await s.context.store.listApiKeys()).find((k) => k.name === 'short-lived')!.id;
    expect((await api(s.url, `/api/v1/keys/${id}`, { method: 'DELETE', auth: `Bearer ${adminKey}` })).status).toBe(204);
    c.end();
    expect(await c.next()).toMatchObject({ t: 'error', code: 'TDM_UNAUTHORIZED' });
    expect((await c.closed).code).toBe(closeCodes.unauthorized);
    expect(await s.context.registry.getSession(started.sessionId)).not.toBeNull();
    expect(await upgradeStatus(s.url, { authorization: `Bearer ${key}` })).toBe(401);
    await api(s.url, `/api/v1/sessions/${started.sessionId}/end`, { method: 'POST', auth: `Bearer ${adminKey}` });
  });

  it(`holds at most ${CONTROLLER_SOCKETS_PER_KEY} sockets per key; one closed frees its place`, async () => {
    const key = await createApiKey(s.context.store, 'many', { siteKey: 'demo' });
    const t0 = Date.now();
    const open: ControllerClient[] = [];
    for (let i = 0; i < CONTROLLER_SOCKETS_PER_KEY; i += 50) {
      open.push(...(await Promise.all(Array.from({ length: 50 }, () => connectController(s.url, key, { hello: false })))));
    }
    console.log(`controller: ${open.length} sockets of one key opened in ${Date.now() - t0} ms`);
    // Refused attempts hold no place: after several, one socket closed is enough to open one again.
    for (let i = 0; i < 3; i++) expect(await upgradeStatus(s.url, { authorization: `Bearer ${key}` })).toBe(429);
    // Another key is not affected.
    expect(await upgradeStatus(s.url, { authorization: `Bearer ${demoKey}` })).toBe(101);
    open.pop()!.close();
    await expect.poll(() => upgradeStatus(s.url, { authorization: `Bearer ${key}` })).toBe(101);
    for (const c of open) c.close();
  });
});

const redis = await redisUp();
for (const [label, options] of [
  ['in a cluster in one process', {}],
  ['in a cluster on Redis', { redis: true }],
] as const)
  describe.runIf(!('redis' in options) || redis)(label, () => {
    let cluster: TestCluster;
    let a: TandemServer;
    let b: TandemServer;

    beforeAll(async () => {
      cluster = await startCluster(2, {}, options);
      [a, b] = cluster.nodes as [TandemServer, TandemServer];
    });
    afterAll(() => cluster?.stop());

    it('a controller on one node follows and ends a session whose visitor and agent are on the other', async () => {
      const key = await createApiKey(cluster.store, 'desk', { siteKey: 'demo' });
      const started = await startSession(b.url);
      const c = await connectController(a.url, key);
      expect(await c.join(started.code)).toMatchObject({ t: 'joined', state: { visitorConnected: false } });
      const visitor = await openVisitor(b.url, started.ticket);
      expect(await c.next()).toMatchObject({ t: 'activated' });
      const agent = await joinAsAgent(b.url, await signIn(b.url), started.code);
      expect(await c.next()).toMatchObject({ t: 'agentJoined', agent: { name: ADMIN.name } });
      visitor.sendJson({ t: 'mode', mode: 'control' });
      expect(await c.next()).toMatchObject({ t: 'modeChanged', mode: 'control' });
      c.setMode('navigate');
      expect(await c.next()).toMatchObject({ t: 'result', outcome: 'done' });
      expect(await c.next()).toMatchObject({ t: 'modeChanged', mode: 'navigate', previous: 'control' });
      expect(await visitor.next((m) => m.t === 'setMode')).toEqual({ t: 'setMode', mode: 'navigate' });
      c.end();
      expect(await c.next()).toMatchObject({ t: 'result', command: 'end' });
      expect(await c.next()).toMatchObject({ t: 'ended', reason: 'api' });
      expect(await visitor.next((m) => m.t === 'ended')).toEqual({ t: 'ended', reason: 'api' });
      expect(await agent.next((m) => m.t === 'ended')).toEqual({ t: 'ended', reason: 'api' });
    });
  });

describe('the view of one controller (ordering, unit)', () => {
  const session = (over: Partial<LiveSession> = {}): LiveSession => ({
    id: 's1',
    code: '123456',
    siteKey: 'demo',
    visitorName: null,
    shortId: null,
    mode: 'view',
    maxMode: 'view',
    createdAt: new Date().toISOString(),
    visitorSockets: 0,
    started: false,
    activeSince: null,
    agents: [],
    controlBy: null,
    expiresAt: null,
    ...over,
  });
  let n = 0;
  const event = (seq: number, e: Record<string, unknown>) =>
    ({
      t: 'event',
      seq,
      sessionId: 's1',
      siteKey: 'demo',
      at: `2026-01-01T00:00:${String(n++ % 60).padStart(2, '0')}.000Z`,
      server: 'n',
      ...e,
    }) as SessionEvent;

  it('delivers by seq when the bus brings events out of order, and drops what the state already holds', () => {
    const out: any[] = [];
    const view = new ControllerView((m) => out.push(m), 10_000);
    // Arrived before the state was read: 3 is already in it, 4 and 5 are not.
    view.push(event(5, { name: 'agentJoined', agent: { id: 'a', name: 'Ada' } }));
    view.push(event(3, { name: 'started' }));
    view.push(event(4, { name: 'visitorDisconnected' }));
    expect(out).toEqual([]);
    view.start(session({ visitorSockets: 1, started: true }), 3);
    expect(out.map((m) => m.t)).toEqual(['deactivated', 'agentJoined']);
    // 7 before 6: held until 6 arrives; a repeat of 6 and a stale 2 are dropped.
    view.push(event(7, { name: 'modeChanged', mode: 'control', previous: 'navigate' }));
    expect(out).toHaveLength(2);
    view.push(event(6, { name: 'modeChanged', mode: 'navigate', previous: 'view' }));
    view.push(event(6, { name: 'modeChanged', mode: 'navigate', previous: 'view' }));
    view.push(event(2, { name: 'visitorReconnected' }));
    expect(out.slice(2)).toMatchObject([
      { t: 'modeChanged', mode: 'navigate', previous: 'view' },
      { t: 'modeChanged', mode: 'control', previous: 'navigate' },
    ]);
    // A change the state showed already (it landed between the two reads) is not told again.
    view.push(event(8, { name: 'agentJoined', agent: { id: 'a', name: 'Ada' } }));
    view.push(event(9, { name: 'ended', reason: 'visitor' }));
    view.push(event(10, { name: 'visitorReconnected' }));
    expect(out.slice(4).map((m) => m.t)).toEqual(['ended']);
  });

  it('goes on past a number that never comes, after a short wait', async () => {
    const out: any[] = [];
    const view = new ControllerView((m) => out.push(m), 50);
    view.start(session(), 0);
    view.push(event(2, { name: 'started' }));
    expect(out).toEqual([]);
    await sleep(120);
    expect(out.map((m) => m.t)).toEqual(['activated']);
    view.push(event(3, { name: 'visitorDisconnected' }));
    expect(out.map((m) => m.t)).toEqual(['activated', 'deactivated']);
    view.stop();
  });
});
