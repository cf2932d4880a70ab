/**
 * A tiny static server for the benchmark, on 127.0.0.1 and a free port:
 *   /__bench/page.html   the generated page (from memory)
 *   /__bench/agent.html  the empty agent page the rebuilds render into
 *   /img/...             one small picture for every address (the generated page's pictures; a real page's load)
 *   paths in `extra`     pages the caller adds while the server runs (the end-to-end visitor pages)
 *   anything else        a file of packages/demo/public (the booking page and its CSS)
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { readFile } from 'node:fs/promises';
import { extname, join, normalize, sep } from 'node:path';
import type { AddressInfo } from 'node:net';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.json': 'application/json',
};

/**
 * What every /img/ address answers: a valid 1x1 PNG. Pictures that fail (they were 404s) cost each
 * receiver a fallback box (alt text in a user-agent shadow root and a style recalculation) per picture,
 * in whichever task their response lands: the agent view whose requests left earliest paid it before
 * its first frame. A real page's pictures load; these do, and decode off the main thread.
 */
const PICTURE = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=', 'base64');

const AGENT_PAGE = `<!DOCTYPE html><html><head><meta charset="utf-8"><title>agent</title>
<style>html,body{margin:0;background:#fff}#stage{position:relative;width:1280px;height:800px;overflow:hidden}</style>
</head><body><div id="stage"></div></body></html>`;

/** Listens on a free port of 127.0.0.1 (the bench never listens elsewhere) and returns the port. */
export async function listenOnLoopback(server: Server): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  return (server.address() as AddressInfo).port;
}

export interface StaticServer {
  origin: string;
  /** More pages by path, served as HTML; may be filled while the server runs. */
  extra: Map<string, string>;
  close(): Promise<void>;
}

export async function startServer(publicDir: string, generatedHtml: string): Promise<StaticServer> {
  const root = normalize(publicDir + sep);
  const extra = new Map<string, string>();
  const server: Server = createServer((req, res) => {
    // A malformed address makes decodeURIComponent throw: answer 400 rather than leave an unhandled rejection that ends the run.
    serve(req, res).catch(() => {
      if (!res.headersSent) res.writeHead(400, { 'content-type': 'text/plain' });
      res.end();
    });
  });
  async function serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    const send = (status: number, type: string, body: string | Buffer) => {
      res.writeHead(status, { 'content-type': type, 'cache-control': 'no-cache' });
      res.end(body);
    };
    if (path === '/__bench/page.html') return send(200, TYPES['.html']!, generatedHtml);
    if (path === '/__bench/agent.html') return send(200, TYPES['.html']!, AGENT_PAGE);
    const page = extra.get(path);
    if (page !== undefined) return send(200, TYPES['.html']!, page);
    if (path.startsWith('/img/')) return send(200, TYPES['.png']!, PICTURE);
    const file = normalize(join(root, path === '/' ? 'index.html' : path));
    if (!file.startsWith(root)) return send(403, 'text/plain', 'forbidden');
    try {
      send(200, TYPES[extname(file)] ?? 'application/octet-stream', await readFile(file));
    } catch {
      send(404, 'text/plain', 'not found');
    }
  }
  const port = await listenOnLoopback(server);
  return {
    origin: `http://127.0.0.1:${port}`,
    extra,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
