/**
 * The session bundle: loaded when a session starts (or resumes on the next
 * page). Consent, the visitor's UI, the connection to the server and capture.
 */
import { PROTOCOL_VERSION, closeCodes, type Mode, type ServerToVisitor, type VisitorToServer } from '@tandem/protocol';
import { startCapture, type Capture } from '@tandem/mirror/capture';
import { HOST_KEY, STORAGE_KEY, type Host, type SessionApi } from '../host.js';
import { FrameEncoder } from './frames.js';
import { runAction } from './actions.js';
import { allowedUrl } from './domains.js';
import { resolveStrings } from './strings.js';
import { VisitorUi } from './ui.js';

interface Stored {
  sessionId: string;
  resumeToken: string;
  code: string;
}

const host = (window as unknown as Record<symbol, Host>)[HOST_KEY]!;
const strings = resolveStrings(host.config.strings);
/** A dropped connection (not a navigation) is retried this many times. */
const MAX_RETRIES = 5;

let ui: VisitorUi | null = null;
let socket: WebSocket | null = null;
let capture: Capture | null = null;
let stored: Stored | null = readStored();
let agents = new Map<string, string>();
let codeWaiters: ((code: string | null) => void)[] = [];
let retries = 0;
let busy = false;
let mode: Mode = 'view';

const api: SessionApi = {
  async start() {
    if (busy || stored) return;
    busy = true;
    host.emit('sessionRequest');
    ui ??= new VisitorUi(strings);
    const consented = await ui.askConsent();
    if (!consented) {
      busy = false;
      return end(false);
    }
    ui.status(strings.connecting);
    try {
      const res = await post('/api/v1/visitor/sessions', {
        siteKey: host.config.siteKey ?? '',
        identity: host.config.identity ?? {},
        url: location.href.slice(0, 2048),
        ...(host.config.mode ? { mode: host.config.mode } : {}),
      });
      stored = { sessionId: res.sessionId, resumeToken: res.resumeToken, code: res.code };
      sessionStorage.setItem(STORAGE_KEY, JSON.stringify(stored));
      flushCodeWaiters();
      connect(res.ticket);
      host.emit('sessionStart', { code: res.code });
    } catch {
      ui.status(strings.connectionError);
      setTimeout(() => end(false), 4000);
    } finally {
      busy = false;
    }
  },

  resume() {
    if (!stored) return;
    ui ??= new VisitorUi(strings);
    void reconnect();
  },

  stop() {
    send({ t: 'end' });
    end(true);
  },

  getShortId(cb) {
    if (stored) cb(stored.code);
    else if (busy) codeWaiters.push(cb);
    else cb(null);
  },
};

async function reconnect(): Promise<void> {
  if (!stored) return;
  try {
    const res = await post(`/api/v1/visitor/sessions/${encodeURIComponent(stored.sessionId)}/resume`, {
      resumeToken: stored.resumeToken,
    });
    connect(res.ticket);
  } catch (err) {
    // The session ended while we were away (or the server forgot it): stop cleanly.
    if ((err as { status?: number }).status === 410) end(true);
    else retry();
  }
}

function connect(ticket: string): void {
  const url = host.server.replace(/^http/, 'ws') + '/ws/visitor?ticket=' + encodeURIComponent(ticket);
  const ws = new WebSocket(url);
  ws.binaryType = 'arraybuffer';
  socket = ws;
  const encoder = new FrameEncoder((frame) => ws.readyState === WebSocket.OPEN && ws.send(frame));
  ws.onopen = () => ws.send(JSON.stringify({ t: 'hello', versions: [PROTOCOL_VERSION] }));
  ws.onmessage = (e) => {
    if (typeof e.data !== 'string') return;
    const msg = JSON.parse(e.data) as ServerToVisitor;
    switch (msg.t) {
      case 'welcome':
        retries = 0;
        mode = msg.mode;
        agents = new Map(msg.agents.map((a) => [a.id, a.name]));
        render();
        break;
      case 'action': {
        const reason = capture
          ? runAction(msg.a, {
              mode: () => mode,
              capture,
              allowedUrl: (url) => allowedUrl(url, host.config.allowedDomains),
              navigate: (url) => location.assign(url.href),
              highlight: (el) => ui?.highlight(el),
            })
          : 'gone';
        send({ t: 'actionResult', agentId: msg.agentId, id: msg.id, ok: reason === null, ...(reason ? { reason } : {}) });
        break;
      }
      case 'modeRequest':
        void ui?.askMode(msg.name, msg.mode).then((allowed) => {
          if (allowed) setMode(msg.mode);
          else send({ t: 'modeDeclined', agentId: msg.agentId, mode: msg.mode });
        });
        break;
      case 'resync':
        // Capture starts only once an agent is there to see it; later requests get a fresh snapshot.
        if (capture) capture.snapshot();
        else capture = startCapture(document, { mask: host.config.masking, emit: (events, key) => encoder.push(events, key) });
        break;
      case 'agentJoined':
        agents.set(msg.agent.id, msg.agent.name);
        host.emit('agentJoined', msg.agent);
        render();
        break;
      case 'agentLeft':
        agents.delete(msg.agentId);
        ui?.removeCursor(msg.agentId);
        render();
        break;
      case 'agentPointer':
        ui?.cursor(msg.agentId, msg.name, msg.x, msg.y);
        break;
      case 'ended':
        end(true);
        break;
      case 'error':
        console.warn(`Tandem: ${msg.code}: ${msg.message}`);
        break;
    }
  };
  ws.onclose = (e) => {
    if (socket !== ws) return;
    capture?.stop();
    capture = null;
    socket = null;
    if (e.code === closeCodes.sessionEnded) end(true);
    else if (stored) retry();
  };
}

function retry(): void {
  if (++retries > MAX_RETRIES) {
    ui?.status(strings.connectionError);
    return;
  }
  ui?.status(strings.reconnecting);
  setTimeout(() => void reconnect(), Math.min(8000, 500 * 2 ** retries));
}

function render(): void {
  if (stored && ui) ui.sharing({ code: stored.code, agents: [...agents.values()], mode, onStop: () => api.stop(), onMode: setMode });
}

/** The visitor's choice (or answer to a request) is the session's mode: the server tells the agents. */
function setMode(next: Mode): void {
  mode = next;
  send({ t: 'mode', mode });
  render();
}

function send(msg: VisitorToServer): void {
  if (socket?.readyState === WebSocket.OPEN) socket.send(JSON.stringify(msg));
}

/** Ends sharing on this page and forgets the session; `started` says whether it had begun. */
function end(started: boolean): void {
  capture?.stop();
  capture = null;
  const ws = socket;
  socket = null;
  ws?.close(closeCodes.normal);
  sessionStorage.removeItem(STORAGE_KEY);
  stored = null;
  agents.clear();
  ui?.destroy();
  ui = null;
  flushCodeWaiters();
  if (started) host.emit('sessionEnd');
}

function flushCodeWaiters(): void {
  const waiters = codeWaiters;
  codeWaiters = [];
  for (const cb of waiters) cb(stored?.code ?? null);
}

function readStored(): Stored | null {
  try {
    return JSON.parse(sessionStorage.getItem(STORAGE_KEY) ?? 'null') as Stored | null;
  } catch {
    return null;
  }
}

async function post(path: string, body: unknown): Promise<{ sessionId: string; code: string; ticket: string; resumeToken: string }> {
  const res = await fetch(host.server + path, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
    credentials: 'omit',
  });
  if (!res.ok) throw Object.assign(new Error(`Tandem: ${path} answered ${res.status}`), { status: res.status });
  return (await res.json()) as { sessionId: string; code: string; ticket: string; resumeToken: string };
}

host.attach(api);
