/**
 * A visitor whose connection dies without a word (no close, no FIN: the bytes
 * just stop) is found by the server's pings and the session is ended within a
 * bounded time: two ping intervals to drop the socket, then the grace.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROTOCOL_VERSION } from '@tandem/protocol';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { connect, joinAsAgent, signIn } from '../helpers/clients.js';
import { startTcpProxy, type TcpProxy } from '../helpers/tcp-proxy.js';

const PING_MS = 300;
const GRACE_MS = 1000;
let server: TestServer;
let proxy: TcpProxy;

beforeAll(async () => {
  server = await startTestServer({ TANDEM_PING_MS: String(PING_MS), TANDEM_RESUME_GRACE_MS: String(GRACE_MS) });
  proxy = await startTcpProxy({ host: '127.0.0.1', port: Number(new URL(server.url).port) });
});

afterAll(async () => {
  await proxy?.close();
  await server?.stop();
});

describe('dead peers', () => {
  it('a visitor that went silent is dropped by the pings and its session ends (timeout) within two pings and the grace', async () => {
    const res = await fetch(`${server.url}/api/v1/visitor/sessions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: server.url },
      body: JSON.stringify({ siteKey: 'demo' }),
    });
    const started = (await res.json()) as { sessionId: string; code: string; ticket: string };
    // The visitor's socket goes through the proxy, as from a page the proxy served.
    const visitor = await connect(`${proxy.url.replace('http', 'ws')}/ws/visitor?ticket=${started.ticket}`, proxy.url);
    visitor.sendJson({ t: 'hello', versions: [PROTOCOL_VERSION] });
    await visitor.next((m) => m.t === 'welcome');
    const agent = await joinAsAgent(server.url, await signIn(server.url), started.code);
    // Connected for a while: the pings are answered, nothing ends.
    await new Promise((r) => setTimeout(r, PING_MS * 4));
    expect(await server.context.registry.getSession(started.sessionId)).not.toBeNull();

    proxy.freeze();
    const frozenAt = Date.now();
    await agent.next((m) => m.t === 'visitorStatus' && m.connected === false, PING_MS * 2 + 10_000);
    const ended = await agent.next((m) => m.t === 'ended', GRACE_MS + PING_MS * 2 + 10_000);
    expect(ended.reason).toBe('timeout');
    // Bounded: two ping intervals, the grace, one sweep (1.6 s here); with room for a busy machine.
    expect(Date.now() - frozenAt).toBeLessThan(PING_MS * 2 + GRACE_MS + 10_000);
    expect((await server.context.store.getSession(started.sessionId))?.endReason).toBe('timeout');
  });
});
