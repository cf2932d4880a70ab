/**
 * Several agents in one session, at the protocol level: each has a colour from
 * the palette in join order, kept for the session (a second socket of the same
 * agent, or one who leaves and comes back, keeps it); an agent's pointer reaches
 * the visitor and the other agents, and never comes back to its sender.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AGENT_COLORS, PROTOCOL_VERSION } from '@tandem/protocol';
import { createAgent } from '@tandem/server';
import { ADMIN, startTestServer, type TestServer } from '../helpers/server.js';
import { connect, startVisitorSession, type Client } from '../helpers/clients.js';

let server: TestServer;
const LEE = { email: 'lee@example.test', password: 'lee password 123', name: 'Lee Chen' };
const CY = { email: 'cy@example.test', password: 'cy password 1234', name: 'Cy Okafor' };

beforeAll(async () => {
  server = await startTestServer();
  await createAgent(server.context.store, { ...LEE, role: 'agent' });
  await createAgent(server.context.store, { ...CY, role: 'agent' });
});

afterAll(async () => {
  await server?.stop();
});

async function signInAs(who: { email: string; password: string }): Promise<string> {
  const res = await fetch(`${server.url}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: who.email, password: who.password }),
  });
  expect(res.status).toBe(200);
  return res.headers.get('set-cookie')!.split(';')[0]!;
}

/** Joins with the code and returns the socket with its welcome (left in nothing else). */
async function join(cookie: string, code: string): Promise<{ agent: Client; welcome: any }> {
  const res = await fetch(`${server.url}/api/v1/sessions/join`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', cookie },
    body: JSON.stringify({ code }),
  });
  expect(res.status).toBe(200);
  const { ticket } = (await res.json()) as { ticket: string };
  const agent = await connect(`${server.url.replace(/^http/, 'ws')}/ws/agent?ticket=${ticket}`, server.url);
  agent.sendJson({ t: 'hello', versions: [PROTOCOL_VERSION] });
  return { agent, welcome: await agent.next((m) => m.t === 'welcome') };
}

const pointers = (c: Client, from: string) => c.json.filter((m) => m.t === 'agentPointer' && m.agentId === from);

describe('several agents in one session', () => {
  it('gives colours in join order, stable for the session, and relays pointers to the others but never back', async () => {
    const s = await startVisitorSession(server.url, 'Marie');
    const [adminCookie, leeCookie, cyCookie] = [await signInAs(ADMIN), await signInAs(LEE), await signInAs(CY)];

    const a = await join(adminCookie, s.code);
    expect(a.welcome.you).toMatchObject({ name: ADMIN.name, color: AGENT_COLORS[0] });
    expect(a.welcome.agents).toEqual([a.welcome.you]);
    const adminId: string = a.welcome.you.id;

    const b = await join(leeCookie, s.code);
    const lee = { id: b.welcome.you.id as string, name: LEE.name, color: AGENT_COLORS[1] };
    expect(b.welcome.you).toEqual(lee);
    // The newcomer's welcome carries who is there already, itself among them, in join order.
    expect(b.welcome.agents).toEqual([a.welcome.you, lee]);
    expect(await a.agent.next((m) => m.t === 'agentJoined' && m.agent.id === lee.id)).toEqual({ t: 'agentJoined', agent: lee });
    expect(await s.visitor.next((m) => m.t === 'agentJoined' && m.agent.id === lee.id)).toEqual({ t: 'agentJoined', agent: lee });

    // The admin's second screen (a watch page) is the same agent: same colour, no new join.
    const a2 = await join(adminCookie, s.code);
    expect(a2.welcome.you).toEqual(a.welcome.you);
    expect(a2.welcome.agents).toEqual([a.welcome.you, lee]);

    // The admin points: the visitor and Lee see it in the admin's colour.
    a.agent.sendJson({ t: 'pointer', x: 120, y: 240 });
    const adminPointer = { t: 'agentPointer', agentId: adminId, name: ADMIN.name, color: AGENT_COLORS[0], x: 120, y: 240 };
    expect(await b.agent.next((m) => m.t === 'agentPointer')).toEqual(adminPointer);
    expect(await s.visitor.next((m) => m.t === 'agentPointer' && m.agentId === adminId)).toEqual(adminPointer);
    // Lee points: the admin's two sockets see Lee's, and so the admin's own went by them without stopping there.
    b.agent.sendJson({ t: 'pointer', x: 5, y: 6 });
    const leePointer = { t: 'agentPointer', agentId: lee.id, name: LEE.name, color: lee.color, x: 5, y: 6 };
    expect(await a.agent.next((m) => m.t === 'agentPointer')).toEqual(leePointer);
    expect(await a2.agent.next((m) => m.t === 'agentPointer')).toEqual(leePointer);
    expect(await s.visitor.next((m) => m.t === 'agentPointer' && m.agentId === lee.id)).toEqual(leePointer);
    b.agent.sendJson({ t: 'pointerLeave' });
    expect(await a.agent.next((m) => m.t === 'agentPointer')).toMatchObject({ agentId: lee.id, x: -1, y: -1 });
    expect(await a2.agent.next((m) => m.t === 'agentPointer')).toMatchObject({ agentId: lee.id, x: -1, y: -1 });
    expect(pointers(a.agent, adminId)).toEqual([]);
    expect(pointers(a2.agent, adminId)).toEqual([]);
    expect(pointers(b.agent, lee.id)).toEqual([]);

    // Lee leaves (not ending): the others hear it, the session goes on.
    b.agent.sendJson({ t: 'leave' });
    expect((await b.agent.closed).code).toBe(1000);
    expect(await a.agent.next((m) => m.t === 'agentLeft')).toEqual({ t: 'agentLeft', agentId: lee.id });
    expect(await s.visitor.next((m) => m.t === 'agentLeft')).toEqual({ t: 'agentLeft', agentId: lee.id });
    expect(s.visitor.json.filter((m) => m.t === 'ended')).toEqual([]);
    expect((await server.context.registry.getSession(s.sessionId))!.agents.map((x) => x.name)).toEqual([ADMIN.name]);

    // A newcomer takes the next colour, not the one Lee left; Lee comes back to the same colour.
    const c = await join(cyCookie, s.code);
    expect(c.welcome.you).toMatchObject({ name: CY.name, color: AGENT_COLORS[2] });
    const b2 = await join(leeCookie, s.code);
    expect(b2.welcome.you).toEqual(lee);
    expect(b2.welcome.agents.map((x: { color: string }) => x.color)).toEqual([AGENT_COLORS[0], AGENT_COLORS[2], AGENT_COLORS[1]]);
    expect(new Set(b2.welcome.agents.map((x: { color: string }) => x.color)).size).toBe(3);

    // Pointers went nowhere they should not: no socket ever got its own agent's pointer back.
    a.agent.sendJson({ t: 'pointer', x: 1, y: 1 });
    await c.agent.next((m) => m.t === 'agentPointer' && m.agentId === adminId);
    await b2.agent.next((m) => m.t === 'agentPointer' && m.agentId === adminId);
    expect(pointers(a.agent, adminId)).toEqual([]);
    expect(pointers(a2.agent, adminId)).toEqual([]);
    for (const x of [s.visitor, a.agent, a2.agent, b2.agent, c.agent]) expect(x.json.filter((m) => m.t === 'error')).toEqual([]);
  });

  it('relays ink and selections to the visitor and the other agents, never back; refuses ink out of bounds', async () => {
    const s = await startVisitorSession(server.url, 'Noor');
    const a = await join(await signInAs(ADMIN), s.code);
    const b = await join(await signInAs(LEE), s.code);
    const [adminId, leeId] = [a.welcome.you.id as string, b.welcome.you.id as string];

    const stroke = {
      k: 'stroke',
      id: 1,
      pts: [
        [10, 20],
        [30.5, 40],
      ],
      end: true,
    };
    a.agent.sendJson({ t: 'ink', a: stroke });
    expect(await s.visitor.next((m) => m.t === 'ink')).toEqual({ t: 'ink', agentId: adminId, color: AGENT_COLORS[0], a: stroke });
    expect(await b.agent.next((m) => m.t === 'ink')).toEqual({
      t: 'ink',
      agentId: adminId,
      name: ADMIN.name,
      color: AGENT_COLORS[0],
      a: stroke,
    });
    // A highlight (an action) reaches the other agents as ink, in the agent's colour.
    a.agent.sendJson({ t: 'action', id: 7, a: { k: 'highlight', node: 5 } });
    expect(await b.agent.next((m) => m.t === 'ink' && m.a.k === 'highlight')).toMatchObject({
      agentId: adminId,
      a: { k: 'highlight', node: 5 },
    });
    expect(await s.visitor.next((m) => m.t === 'action')).toMatchObject({ agentId: adminId, a: { k: 'highlight', node: 5 } });

    // Selections: the visitor's to the agents, an agent's to the visitor and the others; positions only.
    const range = { start: 12, so: 0, end: 14, eo: 3 };
    s.visitor.sendJson({ t: 'selection', range });
    expect(await a.agent.next((m) => m.t === 'visitorSelection')).toEqual({ t: 'visitorSelection', range });
    expect(await b.agent.next((m) => m.t === 'visitorSelection')).toEqual({ t: 'visitorSelection', range });
    b.agent.sendJson({ t: 'selection', range: null });
    expect(await s.visitor.next((m) => m.t === 'agentSelection')).toEqual({
      t: 'agentSelection',
      agentId: leeId,
      color: AGENT_COLORS[1],
      range: null,
    });
    expect(await a.agent.next((m) => m.t === 'agentSelection')).toMatchObject({ agentId: leeId, name: LEE.name, range: null });
    b.agent.sendJson({ t: 'ink', a: { k: 'clear' } });
    expect(await a.agent.next((m) => m.t === 'ink' && m.a.k === 'clear')).toMatchObject({ agentId: leeId });

    // Out of bounds: too many points, text riding along, a field no ink has, a selection with its text. Each refused, the socket stays.
    const bad = [
      { t: 'ink', a: { k: 'stroke', id: 2, pts: Array.from({ length: 65 }, (_, i) => [i, i]) } },
      { t: 'ink', a: { k: 'stroke', id: 2, pts: [[1, 2, 3]] } },
      { t: 'ink', a: { k: 'laser', x: 1, y: 2, label: '<img src=x>' } },
      { t: 'selection', range: { ...range, text: 'the words' } },
      { t: 'ink', a: { k: 'paint', x: 1 } },
    ];
    for (const m of bad) {
      a.agent.sendJson(m);
      expect(await a.agent.next((x) => x.t === 'error')).toMatchObject({ code: 'TDM_BAD_MESSAGE' });
    }
    s.visitor.sendJson({ t: 'selection', range: { start: 1, so: -1, end: 2, eo: 0 } });
    expect(await s.visitor.next((x) => x.t === 'error')).toMatchObject({ code: 'TDM_BAD_MESSAGE' });
    a.agent.sendJson({ t: 'ink', a: { k: 'laser', x: 3, y: 4 } });
    expect(await b.agent.next((m) => m.t === 'ink' && m.a.k === 'laser')).toMatchObject({ a: { x: 3, y: 4 } });

    // Nothing came back to its sender.
    expect(a.agent.json.filter((m) => (m.t === 'ink' || m.t === 'agentSelection') && m.agentId === adminId)).toEqual([]);
    expect(b.agent.json.filter((m) => (m.t === 'ink' || m.t === 'agentSelection') && m.agentId === leeId)).toEqual([]);
  });

  it('one agent holds the controls: the others’ input is refused until it hands over; ending for everyone is the holder’s or an admin’s', async () => {
    const s = await startVisitorSession(server.url, 'Ines');
    const a = await join(await signInAs(ADMIN), s.code);
    const b = await join(await signInAs(LEE), s.code);
    const cyCookie = await signInAs(CY);
    const c = await join(cyCookie, s.code);
    const [adminId, leeId, cyId] = [a.welcome.you.id as string, b.welcome.you.id as string, c.welcome.you.id as string];
    // The first to join holds them; everyone's welcome says so.
    expect(a.welcome.controlBy).toBe(adminId);
    expect(b.welcome.controlBy).toBe(adminId);
    s.visitor.sendJson({ t: 'mode', mode: 'control' });
    await b.agent.next((m) => m.t === 'mode' && m.mode === 'control');

    // Lee clicks: refused, it is not Lee's to drive. A highlight is everyone's.
    b.agent.sendJson({ t: 'action', id: 1, a: { k: 'click', node: 5, x: 1, y: 1 } });
    expect(await b.agent.next((m) => m.t === 'actionResult' && m.id === 1)).toMatchObject({ ok: false, reason: 'holder' });
    b.agent.sendJson({ t: 'action', id: 2, a: { k: 'highlight', node: 5 } });
    expect(await s.visitor.next((m) => m.t === 'action' && m.id === 2)).toMatchObject({ agentId: leeId });
    a.agent.sendJson({ t: 'action', id: 3, a: { k: 'click', node: 5, x: 1, y: 1 } });
    expect(await s.visitor.next((m) => m.t === 'action' && m.id === 3)).toMatchObject({ agentId: adminId });

    // Lee asks; only the holder hears it. Lee cannot take them.
    b.agent.sendJson({ t: 'askControl' });
    expect(await a.agent.next((m) => m.t === 'controlAsked')).toEqual({ t: 'controlAsked', agentId: leeId, name: LEE.name });
    b.agent.sendJson({ t: 'handOver', to: leeId });
    expect(await b.agent.next((m) => m.t === 'error')).toMatchObject({ code: 'TDM_FORBIDDEN' });

    // The admin hands over: everyone hears it, and the roles swap.
    a.agent.sendJson({ t: 'handOver', to: leeId });
    for (const x of [a, b, c]) expect(await x.agent.next((m) => m.t === 'controlHolder')).toEqual({ t: 'controlHolder', agentId: leeId });
    b.agent.sendJson({ t: 'action', id: 4, a: { k: 'type', node: 5, text: 'hi' } });
    expect(await s.visitor.next((m) => m.t === 'action' && m.id === 4)).toMatchObject({ agentId: leeId });
    a.agent.sendJson({ t: 'action', id: 5, a: { k: 'click', node: 5, x: 1, y: 1 } });
    expect(await a.agent.next((m) => m.t === 'actionResult' && m.id === 5)).toMatchObject({ ok: false, reason: 'holder' });

    // Cy (neither holder nor admin) may not end it for everyone, by the socket or by REST; the session goes on.
    c.agent.sendJson({ t: 'leave', end: true });
    expect(await c.agent.next((m) => m.t === 'error')).toMatchObject({ code: 'TDM_FORBIDDEN' });
    const endByRest = (cookie: string) => fetch(`${server.url}/api/v1/sessions/${s.sessionId}/end`, { method: 'POST', headers: { cookie } });
    expect((await endByRest(cyCookie)).status).toBe(403);
    expect(await server.context.registry.getSession(s.sessionId)).not.toBeNull();

    // An admin takes them from the holder (one who walked away would block everyone); Cy cannot.
    a.agent.sendJson({ t: 'handOver', to: adminId });
    for (const x of [a, b, c]) expect(await x.agent.next((m) => m.t === 'controlHolder')).toEqual({ t: 'controlHolder', agentId: adminId });
    c.agent.sendJson({ t: 'handOver', to: cyId });
    expect(await c.agent.next((m) => m.t === 'error')).toMatchObject({
      code: 'TDM_FORBIDDEN',
      message: 'Only the agent with the controls hands them over.',
    });
    a.agent.sendJson({ t: 'handOver', to: 'someone-who-left' });
    expect(await a.agent.next((m) => m.t === 'error')).toMatchObject({
      code: 'TDM_FORBIDDEN',
      message: 'That agent is not in the session any more.',
    });
    // Asking is heard once in a while, not in a flood.
    for (let i = 0; i < 5; i++) c.agent.sendJson({ t: 'askControl' });
    await a.agent.next((m) => m.t === 'controlAsked' && m.agentId === cyId);
    a.agent.sendJson({ t: 'handOver', to: leeId });
    for (const x of [a, b, c]) expect(await x.agent.next((m) => m.t === 'controlHolder')).toEqual({ t: 'controlHolder', agentId: leeId });
    expect(a.agent.json.filter((m) => m.t === 'controlAsked')).toEqual([]);

    // The holder leaves: the controls pass to the agent there longest (the admin).
    b.agent.sendJson({ t: 'leave' });
    for (const x of [a, c]) expect(await x.agent.next((m) => m.t === 'controlHolder')).toEqual({ t: 'controlHolder', agentId: adminId });
    // A holder who is not an admin may end it for everyone, by REST too.
    a.agent.sendJson({ t: 'handOver', to: cyId });
    await c.agent.next((m) => m.t === 'controlHolder' && m.agentId === cyId);
    expect((await endByRest(cyCookie)).status).toBe(204);
    expect(await s.visitor.next((m) => m.t === 'ended')).toEqual({ t: 'ended', reason: 'agent' });
    // The audit says who drove the page when: each hand-over, the admin's take, and the pass when Lee left.
    const adminCookie = await signInAs(ADMIN);
    await expect
      .poll(async () => {
        const res = await fetch(`${server.url}/api/v1/sessions/${s.sessionId}/audit`, { headers: { cookie: adminCookie } });
        const trail = (await res.json()) as { entries: { kind: string; actor: string; detail: any }[] };
        return trail.entries.filter((e) => e.kind === 'controlHandedOver').map((e) => [e.actor, e.detail.agent.name]);
      })
      .toEqual([
        [adminId, LEE.name],
        [adminId, ADMIN.name],
        [adminId, LEE.name],
        ['server', ADMIN.name],
        [adminId, CY.name],
      ]);
  });
});
