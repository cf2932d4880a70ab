/** Protocol-level clients for the server tests: real sockets, no browser. */
import WebSocket from 'ws';
import { PROTOCOL_VERSION } from '@tandem/protocol';
import { ADMIN } from './server.js';

export interface Client {
  ws: WebSocket;
  /** Resolves with the next JSON message that matches. */
  next(match?: (msg: any) => boolean, timeoutMs?: number): Promise<any>;
  binary: Buffer[];
  json: any[];
  closed: Promise<{ code: number; reason: string }>;
  sendJson(msg: unknown): void;
}

/** `headers`: more headers for the upgrade request (an API key's Authorization). */
export function connect(url: string, origin: string, headers?: Record<string, string>): Promise<Client> {
  const ws = new WebSocket(url, { origin, ...(headers ? { headers } : {}) });
  const json: any[] = [];
  const binary: Buffer[] = [];
  let waiters: { match: (m: any) => boolean; resolve: (m: any) => void }[] = [];
  ws.on('message', (data: Buffer, isBinary) => {
    if (isBinary) return void binary.push(Buffer.from(data));
    const msg = JSON.parse(data.toString());
    json.push(msg);
    const w = waiters.find((x) => x.match(msg));
    if (w) {
      waiters = waiters.filter((x) => x !== w);
      w.resolve(msg);
    }
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })),
  );
  return new Promise((resolve, reject) => {
    ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    ws.once('error', reject);
    ws.once('open', () =>
      resolve({
        ws,
        json,
        binary,
        closed,
        sendJson: (msg) => ws.send(JSON.stringify(msg)),
        next(match = () => true, timeoutMs = 5000) {
          const seen = json.find(match);
          if (seen) {
            json.splice(json.indexOf(seen), 1);
            return Promise.resolve(seen);
          }
          return new Promise((res, rej) => {
            const timer = setTimeout(() => rej(new Error('no matching message')), timeoutMs);
            waiters.push({ match, resolve: (m) => (clearTimeout(timer), json.splice(json.indexOf(m), 1), res(m)) });
          });
        },
      }),
    );
  });
}

const wsBase = (httpUrl: string) => httpUrl.replace(/^http/, 'ws');

export async function startVisitorSession(serverUrl: string, name = 'Visitor') {
  const res = await fetch(`${serverUrl}/api/v1/visitor/sessions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: serverUrl },
    body: JSON.stringify({ siteKey: 'demo', identity: { name } }),
  });
  if (res.status !== 201) throw new Error(`start answered ${res.status}`);
  const started = (await res.json()) as { sessionId: string; code: string; ticket: string; resumeToken: string };
  const visitor = await connect(`${wsBase(serverUrl)}/ws/visitor?ticket=${started.ticket}`, serverUrl);
  visitor.sendJson({ t: 'hello', versions: [PROTOCOL_VERSION] });
  await visitor.next((m) => m.t === 'welcome');
  return { ...started, visitor };
}

export async function signIn(serverUrl: string): Promise<string> {
  const res = await fetch(`${serverUrl}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: ADMIN.email, password: ADMIN.password }),
  });
  if (!res.ok) throw new Error(`login answered ${res.status}`);
  return res.headers.get('set-cookie')!.split(';')[0]!;
}

export async function joinAsAgent(serverUrl: string, cookie: string, code: string): Promise<Client> {
  const res = await fetch(`${serverUrl}/api/v1/sessions/join`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', cookie },
    body: JSON.stringify({ code }),
  });
  const { ticket } = (await res.json()) as { ticket: string };
  const agent = await connect(`${wsBase(serverUrl)}/ws/agent?ticket=${ticket}`, serverUrl);
  agent.sendJson({ t: 'hello', versions: [PROTOCOL_VERSION] });
  await agent.next((m) => m.t === 'welcome');
  return agent;
}

/** A fresh visitor ticket for a session, as the SDK gets on the next page of the tab. */
export async function resumeTicket(serverUrl: string, sessionId: string, resumeToken: string): Promise<string> {
  const res = await fetch(`${serverUrl}/api/v1/visitor/sessions/${sessionId}/resume`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: serverUrl },
    body: JSON.stringify({ resumeToken }),
  });
  return ((await res.json()) as { ticket: string }).ticket;
}
