/**
 * Bad input on the WebSocket gateways gets a clear, coded error and harms no
 * one else: a second session relays byte-identical frames throughout.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FrameFlag, FrameType, closeCodes, encodeFrame, limits } from '@tandem/protocol';
import { ADMIN, startTestServer, type TestServer } from '../helpers/server.js';
import { connect, joinAsAgent, resumeTicket, signIn, startVisitorSession, type Client } from '../helpers/clients.js';

let server: TestServer;
let cookie: string;
/** The bystander: a healthy session whose frames must keep flowing. */
let other: { visitor: Client; agent: Client; sessionId: string };

const frame = (seq: number, body: unknown, keyframe = false) =>
  Buffer.from(encodeFrame({ type: FrameType.Dom, flags: keyframe ? FrameFlag.Keyframe : 0, seq }, Buffer.from(JSON.stringify(body))));

beforeAll(async () => {
  server = await startTestServer();
  cookie = await signIn(server.url);
  const s = await startVisitorSession(server.url, 'Bystander');
  const agent = await joinAsAgent(server.url, cookie, s.code);
  await s.visitor.next((m) => m.t === 'resync');
  other = { visitor: s.visitor, agent, sessionId: s.sessionId };
});

afterAll(async () => {
  await server?.stop();
});

/** Sends a few frames through the bystander session and checks they arrive intact and in order. */
async function bystanderStillRelays(round: number): Promise<void> {
  const sent = [frame(0, [[0, { round }]], true), frame(1, [[2, 5, `typed ${round}`]]), frame(2, [[3, 1, 0, round]])];
  const before = other.agent.binary.length;
  for (const f of sent) other.visitor.ws.send(f);
  await expect.poll(() => other.agent.binary.length - before).toBe(3);
  expect(other.agent.binary.slice(before)).toEqual(sent);
  expect(other.visitor.json.filter((m) => m.t === 'error')).toEqual([]);
  expect(other.agent.json.filter((m) => m.t === 'error')).toEqual([]);
}

describe('visitor gateway under bad input', () => {
  it('refuses handshakes without a valid ticket or from a foreign origin', async () => {
    const ws = server.url.replace('http', 'ws');
    await expect(connect(`${ws}/ws/visitor`, server.url)).rejects.toThrow('HTTP 401');
    await expect(connect(`${ws}/ws/visitor?ticket=forged.ticket.value`, server.url)).rejects.toThrow('HTTP 401');
    const res = await fetch(`${server.url}/api/v1/visitor/sessions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: 'https://evil.example' },
      body: JSON.stringify({ siteKey: 'demo' }),
    });
    expect(res.status).toBe(403);
    expect(((await res.json()) as { code: string }).code).toBe('TDM_FORBIDDEN');
    const s = await startVisitorSession(server.url);
    const ticket = await resumeTicket(server.url, s.sessionId, s.resumeToken);
    await expect(connect(`${ws}/ws/visitor?ticket=${ticket}`, 'https://evil.example')).rejects.toThrow('HTTP 403');
    // A visitor ticket does not open the agent channel.
    await expect(connect(`${ws}/ws/agent?ticket=${ticket}`, server.url)).rejects.toThrow('HTTP 401');
  });

  it('answers malformed messages with coded errors and keeps the connection', async () => {
    const { visitor } = await startVisitorSession(server.url, 'Malformed');
    visitor.ws.send('{not json');
    expect(await visitor.next((m) => m.t === 'error')).toMatchObject({ code: 'TDM_BAD_JSON', message: expect.stringMatching(/not valid JSON/) });
    visitor.sendJson({ t: 'launchMissiles' });
    expect(await visitor.next((m) => m.t === 'error')).toMatchObject({ code: 'TDM_BAD_MESSAGE' });
    visitor.sendJson({ t: 'end', extra: 'field' });
    expect(await visitor.next((m) => m.t === 'error')).toMatchObject({ code: 'TDM_BAD_MESSAGE', message: expect.stringContaining('extra') });
    visitor.ws.send(Buffer.from([9, 9, 9, 9, 9, 9, 9]));
    expect(await visitor.next((m) => m.t === 'error')).toMatchObject({ code: 'TDM_BAD_MESSAGE' });
    visitor.ws.send('{"t":"end","pad":"' + 'x'.repeat(limits.maxControlBytes) + '"}');
    expect(await visitor.next((m) => m.t === 'error')).toMatchObject({ code: 'TDM_TOO_LARGE' });
    // A frame out of sequence is refused and answered with a request for a fresh snapshot.
    visitor.ws.send(frame(0, [], true));
    visitor.ws.send(frame(5, []));
    expect(await visitor.next((m) => m.t === 'error')).toMatchObject({ code: 'TDM_SEQ_GAP' });
    expect(await visitor.next((m) => m.t === 'resync')).toEqual({ t: 'resync' });
    expect(visitor.ws.readyState).toBe(visitor.ws.OPEN);
    await bystanderStillRelays(1);
  });

  it('relays deflate pieces byte for byte, without inflating them; refuses a frame flagged gzip and deflate at once', async () => {
    const { visitor, code } = await startVisitorSession(server.url, 'Deflating');
    const agent = await joinAsAgent(server.url, cookie, code);
    await visitor.next((m) => m.t === 'resync');
    // The server never reads a payload: these bytes need not even inflate.
    const piece = (flags: number, seq: number) =>
      Buffer.from(encodeFrame({ type: FrameType.Dom, flags, seq }, Buffer.from([seq, 0xde, 0xad, 0, 0, 0xff, 0xff])));
    const sent = [piece(FrameFlag.Keyframe | FrameFlag.Deflate, 0), piece(FrameFlag.Deflate, 1), piece(0, 2), piece(FrameFlag.Deflate, 3)];
    for (const f of sent) visitor.ws.send(f);
    await expect.poll(() => agent.binary.length).toBe(4);
    expect(agent.binary).toEqual(sent);
    visitor.ws.send(piece(FrameFlag.Gzip | FrameFlag.Deflate, 4));
    expect(await visitor.next((m) => m.t === 'error')).toMatchObject({ code: 'TDM_BAD_MESSAGE' });
    expect(agent.binary).toHaveLength(4);
    await bystanderStillRelays(7);
  });

  it('refuses a protocol version it does not speak', async () => {
    const s = await startVisitorSession(server.url);
    const ticket = await resumeTicket(server.url, s.sessionId, s.resumeToken);
    const c = await connect(`${server.url.replace('http', 'ws')}/ws/visitor?ticket=${ticket}`, server.url);
    c.sendJson({ t: 'hello', versions: [99] });
    expect(await c.next((m) => m.t === 'error')).toMatchObject({ code: 'TDM_BAD_VERSION' });
    expect((await c.closed).code).toBe(closeCodes.badVersion);
  });

  it('closes an oversized frame with 1009 and a flood with 4008, and the other session goes on', async () => {
    const big = await startVisitorSession(server.url, 'Oversized');
    big.visitor.ws.send(Buffer.alloc(limits.maxDomFrameBytes + 1024, 1));
    expect((await big.visitor.closed).code).toBe(closeCodes.tooLarge);
    await bystanderStillRelays(2);

    const flood = await startVisitorSession(server.url, 'Flood');
    for (let i = 0; i < limits.visitorMessagesPerSecond * 3; i++) flood.visitor.ws.send('{"t":"ping"}');
    expect((await flood.visitor.closed).code).toBe(closeCodes.rateLimited);
    await bystanderStillRelays(3);
  });

  it('the mode is the visitor’s: the server refuses actions below it without bothering the page, and keeps the most allowed', async () => {
    const s = await startVisitorSession(server.url, 'Mode visitor');
    const agent = await joinAsAgent(server.url, cookie, s.code);
    agent.sendJson({ t: 'action', id: 1, a: { k: 'type', node: 5, text: 'hello' } });
    expect(await agent.next((m) => m.t === 'actionResult' && m.id === 1)).toMatchObject({ ok: false, reason: 'mode' });
    agent.sendJson({ t: 'requestMode', mode: 'control' });
    expect(await s.visitor.next((m) => m.t === 'modeRequest')).toMatchObject({ mode: 'control', name: ADMIN.name });
    s.visitor.sendJson({ t: 'mode', mode: 'control' });
    expect(await agent.next((m) => m.t === 'mode')).toMatchObject({ mode: 'control' });
    agent.sendJson({ t: 'action', id: 2, a: { k: 'type', node: 5, text: 'hello' } });
    const action = await s.visitor.next((m) => m.t === 'action');
    expect(action).toMatchObject({ id: 2, name: ADMIN.name, a: { k: 'type', text: 'hello' } });
    s.visitor.sendJson({ t: 'actionResult', agentId: action.agentId, id: 2, ok: false, reason: 'masked' });
    expect(await agent.next((m) => m.t === 'actionResult' && m.id === 2)).toMatchObject({
      ok: false,
      reason: 'masked',
      message: expect.stringContaining('masked'),
    });
    // Actions that do not fit the schema never reach the page.
    agent.sendJson({ t: 'action', id: 3, a: { k: 'navigate', url: 'x'.repeat(5000) } });
    expect((await agent.next((m) => m.t === 'error')).code).toBe('TDM_BAD_MESSAGE');
    s.visitor.sendJson({ t: 'mode', mode: 'view' });
    await agent.next((m) => m.t === 'mode' && m.mode === 'view');
    const detail = await (await fetch(`${server.url}/api/v1/sessions/${s.sessionId}`, { headers: { cookie } })).json();
    expect(detail.maxMode).toBe('control');
    expect(s.visitor.json.filter((m) => m.t === 'action')).toEqual([]);
  });

  it('an agent sending junk gets errors; the visitor and other agents are not disturbed', async () => {
    const junk = await joinAsAgent(server.url, cookie, (await server.context.registry.getSession(other.sessionId))!.code);
    junk.sendJson({ t: 'pointer', x: 'left', y: 1 });
    expect(await junk.next((m) => m.t === 'error')).toMatchObject({ code: 'TDM_BAD_MESSAGE', message: expect.stringContaining('x:') });
    junk.ws.send(Buffer.from([1, 2, 3]));
    expect(await junk.next((m) => m.t === 'error')).toMatchObject({ code: 'TDM_BAD_MESSAGE' });
    junk.ws.close();
    await bystanderStillRelays(4);
  });
});
