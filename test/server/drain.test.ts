/**
 * A node shutting down (SIGTERM, a deploy) drains: its clients are told to reconnect (4012), and from
 * the first moment its health check fails and new sockets are refused, so a load balancer and the
 * clients' reconnects go to another node instead of back to this one.
 */
import { describe, expect, it } from 'vitest';
import { closeCodes } from '@tandem/protocol';
import { startTestServer } from '../helpers/server.js';
import { connect, startVisitorSession } from '../helpers/clients.js';

describe('a node that shuts down', () => {
  it('tells its clients to reconnect, fails its health check and refuses new sockets while it drains', async () => {
    const server = await startTestServer();
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    const s = await startVisitorSession(server.url, 'Drained');
    // A second client that does not answer the close: the node waits for it (up to a second), and is still listening.
    const stuck = await startVisitorSession(server.url, 'Stuck');
    (stuck.visitor.ws as unknown as { _socket: { pause(): void } })._socket.pause();
    const closing = server.stop();
    expect(await s.visitor.closed).toMatchObject({ code: closeCodes.restart });
    const health = await fetch(`${server.url}/healthz`);
    expect(health.status).toBe(503);
    expect(await health.json()).toEqual({ ok: false, draining: true });
    await expect(connect(`${server.url.replace('http', 'ws')}/ws/visitor?ticket=${s.ticket}`, server.url)).rejects.toThrow('HTTP 503');
    await closing;
  });
});
