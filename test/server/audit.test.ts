/**
 * The audit trail over the protocol, without a browser: who may read a
 * session's audit (an admin, an agent who joined it, a key of its site; another
 * site's session is not found), what it holds (the agents' doings and where,
 * never what was typed; results only for actions an agent really sent), that
 * its chain can be checked by anyone from the documented formula, that a
 * changed row shows, that pages walk the whole chain, and that in a cluster
 * each event is written once.
 */
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAgent, createApiKey, type TandemServer } from '@tandem/server';
import { ADMIN, startCluster, startTestServer, type TestCluster, type TestServer } from '../helpers/server.js';
import { joinAsAgent, signIn, startVisitorSession, type Client } from '../helpers/clients.js';
import { agentCookie, api } from '../helpers/http.js';

let s: TestServer;
let admin: string;
let joined: string;
let stranger: string;
let demoKey: string;
let shopKey: string;
let adminKey: string;

beforeAll(async () => {
  s = await startTestServer({ TANDEM_SITE_KEYS: 'demo,shop' });
  await createAgent(s.context.store, { email: 'joined@example.test', password: 'joined password', name: 'Joined' });
  await createAgent(s.context.store, { email: 'stranger@example.test', password: 'stranger password', name: 'Stranger' });
  admin = await agentCookie(s.url, ADMIN.email, ADMIN.password);
  joined = await agentCookie(s.url, 'joined@example.test', 'joined password');
  stranger = await agentCookie(s.url, 'stranger@example.test', 'stranger password');
  demoKey = 'Bearer ' + (await createApiKey(s.context.store, 'crm', { siteKey: 'demo' }));
  shopKey = 'Bearer ' + (await createApiKey(s.context.store, 'shop crm', { siteKey: 'shop' }));
  adminKey = 'Bearer ' + (await createApiKey(s.context.store, 'ops', { admin: true }));
});

afterAll(() => s?.stop());

const audit = (base: string, id: string, auth?: string, query = '') => api(base, `/api/v1/sessions/${id}/audit${query}`, { auth });

/** The documented formula, written again here: SHA-256 of prevHash and the canonical JSON (sorted keys, no spaces) of the fields. */
function canonical(v: unknown): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  const o = v as Record<string, unknown>;
  return `{${Object.keys(o)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${canonical(o[k])}`)
    .join(',')}}`;
}
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

function checkChain(body: { sessionId: string; siteKey: string; entries: any[] }): void {
  let prev = sha256(`tandem audit genesis\n${body.sessionId}`);
  body.entries.forEach((e, i) => {
    expect(e.position).toBe(i);
    expect(e.prevHash).toBe(prev);
    const { id, position, seq, at, actor, kind, detail } = e;
    expect(sha256(prev + canonical({ id, sessionId: body.sessionId, siteKey: body.siteKey, position, seq, at, actor, kind, detail }))).toBe(
      e.hash,
    );
    prev = e.hash;
  });
}

describe('who reads a session’s audit', () => {
  it('an admin, an agent who joined it, its site’s key and an admin key; not another agent, another site’s key or no one', async () => {
    const v = await startVisitorSession(s.url, 'Scoped');
    const agent = await joinAsAgent(s.url, joined, v.code);
    const shop = await api(s.url, '/api/v1/visitor/sessions', { body: { siteKey: 'shop' }, headers: { origin: s.url } });
    expect(shop.status).toBe(201);
    try {
      // The join is written as the agent's welcome goes out: wait for it.
      await expect.poll(async () => (await audit(s.url, v.sessionId, admin)).body.entries.length).toBe(3);
      for (const who of [admin, joined, demoKey, adminKey]) {
        const res = await audit(s.url, v.sessionId, who);
        expect(res.status).toBe(200);
        expect(res.body).toMatchObject({ sessionId: v.sessionId, siteKey: 'demo', verified: true });
        expect(res.body.entries.map((e: any) => e.kind)).toEqual(['requested', 'started', 'agentJoined']);
      }
      const refused = await audit(s.url, v.sessionId, stranger);
      expect(refused.status).toBe(403);
      expect(refused.body.code).toBe('TDM_FORBIDDEN');
      // Another site's session is not there, for a key of this site; the shop's own key reads it.
      const other = await audit(s.url, shop.body.sessionId, demoKey);
      expect(other.status).toBe(404);
      expect(other.body.code).toBe('TDM_NOT_FOUND');
      expect((await audit(s.url, v.sessionId, shopKey)).status).toBe(404);
      expect((await audit(s.url, shop.body.sessionId, shopKey)).body.entries.map((e: any) => e.kind)).toEqual(['requested']);

      expect((await audit(s.url, v.sessionId)).status).toBe(401);
      expect((await audit(s.url, v.sessionId, 'Bearer tdm_wrong')).status).toBe(401);
      expect((await audit(s.url, 'no-such-session', admin)).status).toBe(404);
      expect((await audit(s.url, v.sessionId, admin, '?cursor=abc')).status).toBe(400);
      expect((await audit(s.url, v.sessionId, admin, '?limit=501')).status).toBe(400);
    } finally {
      agent.ws.close();
      v.visitor.ws.close();
    }
  });
});

describe('what the audit holds', () => {
  it('the agents’ doings and where they landed, in order, never what was typed; a page cannot add results no agent asked for', async () => {
    const v = await startVisitorSession(s.url, 'Audited');
    const agent = await joinAsAgent(s.url, admin, v.code);
    try {
      agent.sendJson({ t: 'requestMode', mode: 'control' });
      await v.visitor.next((m) => m.t === 'modeRequest');
      v.visitor.sendJson({ t: 'mode', mode: 'control' });
      await agent.next((m) => m.t === 'mode' && m.mode === 'control');

      const act = async (id: number, a: unknown, result: Record<string, unknown>) => {
        agent.sendJson({ t: 'action', id, a });
        const sent = await v.visitor.next((m) => m.t === 'action' && m.id === id);
        v.visitor.sendJson({ t: 'actionResult', agentId: sent.agentId, id, ...result });
        await agent.next((m) => m.t === 'actionResult' && m.id === id);
        return sent.agentId as string;
      };
      const agentId = await act(1, { k: 'click', node: 12, x: 3, y: 4 }, { ok: true, path: 'form#booking-form > input#name' });
      await act(2, { k: 'type', node: 12, text: 'hunter2 typed' }, { ok: true, path: 'form#booking-form > input#name' });
      await act(3, { k: 'key', node: 12, key: 'Enter' }, { ok: false, reason: 'notFocusable', path: 'input#name' });
      await act(4, { k: 'navigate', url: `${s.url}/demo/results.html?passport=X1234567#card` }, { ok: true });
      v.visitor.sendJson({ t: 'page', url: `${s.url}/demo/results.html` });

      // Results no agent sent, or sent twice: the agent is told, the audit keeps none of them.
      v.visitor.sendJson({ t: 'actionResult', agentId, id: 99, ok: true, path: 'body' });
      v.visitor.sendJson({ t: 'actionResult', agentId, id: 1, ok: false, reason: 'gone' });
      await agent.next((m) => m.t === 'actionResult' && m.id === 99);
      await agent.next((m) => m.t === 'actionResult' && m.id === 1 && m.ok === false);
      // A path that carries more than names is refused at the gateway.
      v.visitor.sendJson({ t: 'actionResult', agentId, id: 5, ok: true, path: 'input[value="hunter2"]' });
      expect(await v.visitor.next((m) => m.t === 'error')).toMatchObject({ code: 'TDM_BAD_MESSAGE' });

      const res = await audit(s.url, v.sessionId, admin);
      expect(res.status).toBe(200);
      const { entries } = res.body;
      const me = { id: agentId, name: ADMIN.name };
      expect(entries.map((e: any) => [e.kind, e.actor, e.detail])).toEqual([
        ['requested', 'visitor', { mode: 'view', startUrl: null }],
        ['started', 'visitor', {}],
        ['agentJoined', agentId, { agent: me }],
        ['modeRequested', agentId, { agent: me, mode: 'control' }],
        ['modeChanged', 'visitor', { mode: 'control', previous: 'view' }],
        ['action', agentId, { agent: me, id: 1, action: 'click', node: 12 }],
        ['actionResult', agentId, { agent: me, id: 1, action: 'click', ok: true, path: 'form#booking-form > input#name' }],
        ['action', agentId, { agent: me, id: 2, action: 'type', node: 12 }],
        ['actionResult', agentId, { agent: me, id: 2, action: 'type', ok: true, path: 'form#booking-form > input#name' }],
        ['action', agentId, { agent: me, id: 3, action: 'key', node: 12 }],
        ['actionResult', agentId, { agent: me, id: 3, action: 'key', ok: false, reason: 'notFocusable', path: 'input#name' }],
        ['action', agentId, { agent: me, id: 4, action: 'navigate', url: `${s.url}/demo/results.html` }],
        ['actionResult', agentId, { agent: me, id: 4, action: 'navigate', ok: true }],
        ['navigated', 'visitor', { url: `${s.url}/demo/results.html` }],
      ]);
      const text = JSON.stringify(res.body);
      for (const secret of ['hunter2', 'Enter', 'X1234567', '#card']) expect(text).not.toContain(secret);
      expect(res.body.verified).toBe(true);
      expect(res.body.next).toBeNull();
      // Sequence numbers of the session's events, rising; the chain checks out by the documented formula.
      const seqs = entries.map((e: any) => e.seq);
      expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
      checkChain(res.body);

      // Pages walk the same chain; `verified` speaks of the whole of it on every page.
      const walked: any[] = [];
      let cursor: string | null = null;
      do {
        const page = await audit(s.url, v.sessionId, adminKey, `?limit=4${cursor === null ? '' : `&cursor=${cursor}`}`);
        expect(page.body.verified).toBe(true);
        expect(page.body.entries.length).toBeLessThanOrEqual(4);
        walked.push(...page.body.entries);
        cursor = page.body.next;
      } while (cursor !== null);
      expect(walked).toEqual(entries);

      // The visitor stops: the last entry says who ended it.
      v.visitor.sendJson({ t: 'end' });
      await agent.next((m) => m.t === 'ended');
      await expect
        .poll(async () => (await audit(s.url, v.sessionId, admin)).body.entries.at(-1))
        .toMatchObject({ kind: 'ended', actor: 'visitor', detail: { reason: 'visitor' } });

      // A row changed in the database: the chain names it, on every page.
      const db = new Database(join(s.dataDir, 'tandem.sqlite'));
      try {
        db.prepare('update audit_entries set detail = replace(detail, \'"click"\', \'"highlight"\') where session_id = ? and position = 5').run(
          v.sessionId,
        );
      } finally {
        db.close();
      }
      const tampered = await audit(s.url, v.sessionId, admin, '?limit=2');
      expect(tampered.body.verified).toBe(false);
      expect(tampered.body.problem).toEqual({
        position: 5,
        message: expect.stringMatching(/^entry 5 \(seq \d+, action, id [\w-]+\) was changed/),
      });
    } finally {
      agent.ws.close();
      v.visitor.ws.close();
    }
  });

  it('goes with its session when the retention purges it', async () => {
    const v = await startVisitorSession(s.url, 'Purged');
    v.visitor.sendJson({ t: 'end' });
    await v.visitor.closed;
    await expect.poll(async () => (await s.context.store.listAudit(v.sessionId, { limit: 10 })).map((e) => e.kind)).toContain('ended');
    expect(await s.context.store.purgeSessions(new Date(Date.now() + 60_000).toISOString())).toBeGreaterThan(0);
    expect(await s.context.store.listAudit(v.sessionId, { limit: 10 })).toEqual([]);
    expect((await audit(s.url, v.sessionId, admin)).status).toBe(404);
  });
});

describe('the audit in a cluster', () => {
  let cluster: TestCluster;
  beforeAll(async () => {
    cluster = await startCluster();
  });
  afterAll(() => cluster?.stop());

  it('a visitor on one node and the agent on another: each event written once, the action linked to its result, one chain', async () => {
    const [a, b] = cluster.nodes as [TandemServer, TandemServer];
    const v = await startVisitorSession(a.url, 'Two nodes');
    let agent: Client | undefined;
    try {
      agent = await joinAsAgent(b.url, await signIn(b.url), v.code);
      agent.sendJson({ t: 'action', id: 7, a: { k: 'highlight', node: 3 } });
      const sent = await v.visitor.next((m) => m.t === 'action' && m.id === 7);
      v.visitor.sendJson({ t: 'actionResult', agentId: sent.agentId, id: 7, ok: true, path: 'main > h1' });
      await agent.next((m) => m.t === 'actionResult' && m.id === 7);
      const kinds = ['requested', 'started', 'agentJoined', 'action', 'actionResult'];
      await expect.poll(async () => (await cluster.store.listAudit(v.sessionId, { limit: 50 })).map((e) => e.kind)).toEqual(kinds);
      const entries = await cluster.store.listAudit(v.sessionId, { limit: 50 });
      expect(entries.map((e) => e.position)).toEqual([0, 1, 2, 3, 4]);
      expect(entries.at(-1)!.detail).toEqual({
        agent: { id: sent.agentId, name: ADMIN.name },
        id: 7,
        action: 'highlight',
        ok: true,
        path: 'main > h1',
      });
      const res = await audit(a.url, v.sessionId, await signIn(a.url));
      expect(res.body.verified).toBe(true);
      checkChain(res.body);
    } finally {
      agent?.ws.close();
      v.visitor.ws.close();
    }
  });
});
