/**
 * A controller client for the tests, as an agent desktop's plug-in would be:
 * a `ws` socket to /ws/controller with an API key, hello said at once, every
 * message kept in the order it came.
 *
 *   const c = await connectController(server.url, apiKey);
 *   const joined = await c.join(code);           // { t: 'joined', sessionId, state, … } or { t: 'error', … }
 *   expect(await c.next()).toMatchObject({ t: 'activated' });
 *   c.setMode('view'); c.end(); c.close();
 */
import WebSocket from 'ws';
import { PROTOCOL_VERSION, type Mode } from '@tandem/protocol';

export interface ControllerClient {
  ws: WebSocket;
  /** Every JSON message received, in order (taken or not). */
  received: any[];
  /** The next message not yet taken, in the order they came; rejects after `timeoutMs`. */
  next(timeoutMs?: number): Promise<any>;
  /** Messages received and not yet taken (what `next` would return, in order). */
  pending(): any[];
  /** Joins by code (or, with `{ sessionId }`, by id); resolves with the answer: `joined`, or an `error`. */
  join(code: string | { sessionId: string }): Promise<any>;
  end(): void;
  setMode(mode: Mode, name?: string): void;
  /** Sends anything (a text frame of JSON, or raw text or bytes). */
  send(data: unknown): void;
  closed: Promise<{ code: number; reason: string }>;
  close(): void;
}

/** `base`: the server's address (http or ws); `key`: an API key (`tdm_…`, with or without `Bearer `). */
export async function connectController(base: string, key: string, options: { hello?: boolean } = {}): Promise<ControllerClient> {
  const url = new URL('/ws/controller', base.replace(/^http/, 'ws')).href;
  const ws = new WebSocket(url, { headers: { authorization: key.startsWith('Bearer ') ? key : `Bearer ${key}` } });
  const received: any[] = [];
  let taken = 0;
  let waiter: (() => void) | null = null;
  ws.on('message', (data: Buffer, isBinary) => {
    received.push(isBinary ? { binary: Buffer.from(data) } : JSON.parse(data.toString('utf8')));
    waiter?.();
  });
  // The server may close at any moment (an ended session, a flood): no unhandled error.
  ws.on('error', () => {});
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    ws.on('close', (code, reason) => {
      resolve({ code, reason: reason.toString() });
      waiter?.();
    }),
  );
  await new Promise<void>((resolve, reject) => {
    ws.once('unexpected-response', (_req, res) => reject(Object.assign(new Error(`HTTP ${res.statusCode}`), { status: res.statusCode })));
    ws.once('error', reject);
    ws.once('open', () => resolve());
  });

  const next = (timeoutMs = 5000): Promise<any> =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        waiter = null;
        reject(new Error(`no message from the controller socket within ${timeoutMs} ms (had: ${JSON.stringify(received.slice(-5))})`));
      }, timeoutMs);
      const check = () => {
        if (taken < received.length) {
          clearTimeout(timer);
          waiter = null;
          resolve(received[taken++]);
        } else if (ws.readyState === WebSocket.CLOSED) {
          clearTimeout(timer);
          waiter = null;
          reject(new Error('the controller socket closed'));
        }
      };
      waiter = check;
      check();
    });
  const sendJson = (msg: unknown) => ws.send(typeof msg === 'string' || Buffer.isBuffer(msg) ? msg : JSON.stringify(msg));

  const client: ControllerClient = {
    ws,
    received,
    next,
    pending: () => received.slice(taken),
    async join(code) {
      sendJson(typeof code === 'string' ? { t: 'join', code } : { t: 'join', sessionId: code.sessionId });
      return next();
    },
    end: () => sendJson({ t: 'end' }),
    setMode: (mode, name) => sendJson(name === undefined ? { t: 'setMode', mode } : { t: 'setMode', mode, name }),
    send: sendJson,
    closed,
    close: () => ws.close(),
  };
  if (options.hello !== false) {
    sendJson({ t: 'hello', versions: [PROTOCOL_VERSION] });
    const welcome = await next();
    if (welcome.t !== 'welcome') throw new Error(`expected welcome, got ${JSON.stringify(welcome)}`);
  }
  return client;
}

export const connect = connectController;

/** The HTTP status the server answers an upgrade to /ws/controller with these headers (101 when it opens). */
export function upgradeStatus(base: string, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve) => {
    const ws = new WebSocket(new URL('/ws/controller', base.replace(/^http/, 'ws')).href, { headers });
    ws.once('unexpected-response', (_req, res) => {
      resolve(res.statusCode ?? 0);
      ws.terminate();
    });
    ws.once('open', () => {
      resolve(101);
      ws.close();
    });
    ws.once('error', () => resolve(-1));
  });
}
