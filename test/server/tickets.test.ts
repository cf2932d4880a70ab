/**
 * What a ticket opens, and what an agent who is not an admin may do with live
 * sessions: a ticket opens one socket, and none once its agent is disabled; a
 * socket that says nothing is closed; codes are not a namespace to walk; and
 * only an admin or an agent in the session ends it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROTOCOL_VERSION, closeCodes } from '@tandem/protocol';
import { createAgent } from '@tandem/server';
import { ADMIN, startTestServer, type TestServer } from '../helpers/server.js';
import { connect, resumeTicket } from '../helpers/clients.js';
import { agentCookie, api } from '../helpers/http.js';

let s: TestServer;
let admin: string;
const ws = () => s.url.replace('http', 'ws');

const startSession = async () => {
  const res = await api(s.url, '/api/v1/visitor/sessions', { body: { siteKey: 'demo' }, headers: { origin: s.url } });
  expect(res.status).toBe(201);
  return res.body as { sessionId: string; code: string; ticket: string; resumeToken: string };
};

beforeAll(async () => {
  s = await startTestServer();
  admin = await agentCookie(s.url, ADMIN.email, ADMIN.password);
});

afterAll(() => s?.stop());

describe('tickets', () => {
  it('open one socket: the same ticket a second time is refused', async () => {
    const { ticket } = await startSession();
    const first = await connect(`${ws()}/ws/visitor?ticket=${ticket}`, s.url);
    await expect(connect(`${ws()}/ws/visitor?ticket=${ticket}`, s.url)).rejects.toThrow('HTTP 401');
    first.ws.close();
  });

  it('of an agent disabled since they were issued open nothing', async () => {
    await createAgent(s.context.store, { email: 'bob@example.test', password: 'bob password 1', name: 'Bob' });
    const bob = await agentCookie(s.url, 'bob@example.test', 'bob password 1');
    const { code } = await startSession();
    const joined = await api(s.url, '/api/v1/sessions/join', { body: { code }, auth: bob });
    expect(joined.status).toBe(200);
    const bobId = (await s.context.store.findAgentByEmail('bob@example.test'))!.id;
    expect((await api(s.url, `/api/v1/agents/${bobId}`, { method: 'PATCH', auth: admin, body: { disabled: true } })).status).toBe(200);
    await expect(connect(`${ws()}/ws/agent?ticket=${joined.body.ticket}`, s.url)).rejects.toThrow('HTTP 401');
  });

  it('a session holds at most 4 visitor sockets on a node; one that closed frees its place at once', async () => {
    const started = await startSession();
    const open = async () => connect(`${ws()}/ws/visitor?ticket=${await resumeTicket(s.url, started.sessionId, started.resumeToken)}`, s.url);
    const four = [await connect(`${ws()}/ws/visitor?ticket=${started.ticket}`, s.url), await open(), await open(), await open()];
    const fifth = await open();
    expect(await fifth.closed).toMatchObject({ code: closeCodes.policyViolation, reason: 'too many sockets for this session' });
    // A page that went (its socket closed) leaves room for the next one, whatever the server still has to finish for it.
    four[0]!.ws.close();
    await four[0]!.closed;
    const next = await open();
    next.sendJson({ t: 'hello', versions: [PROTOCOL_VERSION] });
    expect(await next.next((m) => m.t === 'welcome')).toMatchObject({ sessionId: started.sessionId });
    for (const c of [...four, next]) c.ws.close();
  });

  it('a socket that says no hello is closed after the deadline', async () => {
    const { ticket } = await startSession();
    const silent = await connect(`${ws()}/ws/visitor?ticket=${ticket}`, s.url);
    const { code } = await silent.closed;
    expect(code).toBe(closeCodes.policyViolation);
  }, 30_000);
});

describe('an agent who is not an admin', () => {
  let kim: string;
  beforeAll(async () => {
    await createAgent(s.context.store, { email: 'kim@example.test', password: 'kim password 1', name: 'Kim' });
    kim = await agentCookie(s.url, 'kim@example.test', 'kim password 1');
  });

  it('cannot walk the codes: after ten wrong ones a minute, even a right one waits', async () => {
    const { code } = await startSession();
    const wrong = String(code === '999999' ? 999998 : 999999);
    const statuses: number[] = [];
    for (let i = 0; i < 11; i++) statuses.push((await api(s.url, '/api/v1/sessions/join', { body: { code: wrong }, auth: kim })).status);
    expect(statuses.slice(0, 10)).toEqual(new Array(10).fill(404));
    expect(statuses[10]).toBe(429);
    expect((await api(s.url, '/api/v1/sessions/join', { body: { code }, auth: kim })).body.code).toBe('TDM_RATE_LIMITED');
    // Another agent is not held back by Kim's guesses.
    expect((await api(s.url, '/api/v1/sessions/join', { body: { code }, auth: admin })).status).toBe(200);
  });

  it('ends only a session they are in; an admin ends any', async () => {
    await createAgent(s.context.store, { email: 'lee@example.test', password: 'lee password 1', name: 'Lee' });
    const lee = await agentCookie(s.url, 'lee@example.test', 'lee password 1');
    const theirs = await startSession();
    const other = await startSession();
    const joined = await api(s.url, '/api/v1/sessions/join', { body: { code: theirs.code }, auth: lee });
    const agent = await connect(`${ws()}/ws/agent?ticket=${joined.body.ticket}`, s.url);
    agent.sendJson({ t: 'hello', versions: [PROTOCOL_VERSION] });
    await agent.next((m) => m.t === 'welcome');
    const refused = await api(s.url, `/api/v1/sessions/${other.sessionId}/end`, { method: 'POST', auth: lee });
    expect(refused.status).toBe(403);
    expect(await s.context.registry.getSession(other.sessionId)).not.toBeNull();
    expect((await api(s.url, `/api/v1/sessions/${theirs.sessionId}/end`, { method: 'POST', auth: lee })).status).toBe(204);
    expect((await api(s.url, `/api/v1/sessions/${other.sessionId}/end`, { method: 'POST', auth: admin })).status).toBe(204);
  });
});
