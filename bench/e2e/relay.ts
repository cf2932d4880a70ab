/**
 * A minimal WebSocket relay for rrweb in the end-to-end benchmark, in the bench
 * process, on 127.0.0.1 and a free port: its own origin serves the rrweb agent
 * page. One visitor and one agent at a time: when the agent connects, the
 * visitor is told `start` (it then records), and every text message of the
 * visitor goes to the agent unchanged.
 */
import { createServer } from 'node:http';
import WebSocket, { WebSocketServer } from 'ws';
import { listenOnLoopback } from '../server.js';

export interface Relay {
  origin: string;
  /** ws:// address of `/visitor` or `/agent`. */
  socketUrl(role: 'visitor' | 'agent'): string;
  close(): Promise<void>;
}

export async function startRelay(agentScript: string): Promise<Relay> {
  const agentPage = `<!DOCTYPE html><html><head><meta charset="utf-8"><title>rrweb agent</title>
<style>html,body{margin:0;background:#fff}</style></head><body><div id="stage"></div><script>${agentScript.replace(/<\/script/gi, '<\\/script')}</script></body></html>`;
  const server = createServer((req, res) => {
    if (req.url === '/agent.html')
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-cache' }).end(agentPage);
    else res.writeHead(404).end();
  });
  const wss = new WebSocketServer({ server, perMessageDeflate: false, maxPayload: 256 * 1024 * 1024 });
  let visitor: WebSocket | null = null;
  let agent: WebSocket | null = null;
  wss.on('connection', (ws, req) => {
    ws.on('error', () => {});
    if (req.url === '/visitor') {
      visitor = ws;
      ws.on('message', (data: Buffer, isBinary) => {
        if (agent?.readyState === WebSocket.OPEN) agent.send(data, { binary: isBinary });
      });
    } else if (req.url === '/agent') {
      agent = ws;
      if (visitor?.readyState === WebSocket.OPEN) visitor.send('start');
    } else ws.close(1008, 'unknown path');
  });
  const port = await listenOnLoopback(server);
  return {
    origin: `http://127.0.0.1:${port}`,
    socketUrl: (role) => `ws://127.0.0.1:${port}/${role}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const ws of wss.clients) ws.terminate();
        wss.close();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
