/**
 * The control for the load benchmark (`--control`): a bare WebSocket relay with
 * nothing of Tandem in it. It hands each visitor's binary frames to its agent's
 * socket, and asks for a keyframe when the agent arrives. Under the same load, from
 * the same simulators, on the same machine at the same time, its latency is the
 * floor that `ws` over loopback allows there. What Tandem adds is the difference.
 *
 *   /visitor?s=ID   /agent?s=ID    (hello -> welcome, as the real gateways answer)
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import WebSocket, { WebSocketServer } from 'ws';

const pairs = new Map<string, { visitor?: WebSocket; agent?: WebSocket }>();
const server = createServer((_req, res) => res.writeHead(404).end());
const wss = new WebSocketServer({ server, perMessageDeflate: false, maxPayload: 4 * 1024 * 1024 });

wss.on('connection', (ws, req) => {
  const url = new URL(req.url ?? '/', 'http://x');
  const id = url.searchParams.get('s') ?? '';
  const role = url.pathname === '/visitor' ? 'visitor' : url.pathname === '/agent' ? 'agent' : null;
  if (!role) return ws.close(1008, 'unknown path');
  const pair = pairs.get(id) ?? {};
  pairs.set(id, pair);
  pair[role] = ws;
  ws.on('error', () => {});
  ws.on('close', () => {
    if (pair[role] === ws) delete pair[role];
    if (!pair.visitor && !pair.agent) pairs.delete(id);
  });
  ws.on('message', (data: Buffer, isBinary) => {
    if (isBinary) {
      if (role === 'visitor' && pair.agent?.readyState === WebSocket.OPEN) pair.agent.send(data);
      return;
    }
    if (data.toString('utf8').includes('"hello"')) {
      ws.send(JSON.stringify({ t: 'welcome' }));
      if (role === 'agent' && pair.visitor?.readyState === WebSocket.OPEN) pair.visitor.send(JSON.stringify({ t: 'resync' }));
    }
  });
});

server.listen(0, '127.0.0.1', () => {
  console.log(`Bare relay listening on http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
});
const stop = () => {
  for (const ws of wss.clients) ws.terminate();
  server.close(() => process.exit(0));
  setTimeout(() => process.exit(0), 1000).unref();
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
