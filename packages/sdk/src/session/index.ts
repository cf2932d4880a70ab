/**
 * The session bundle: loaded when a session starts (or resumes on the next
 * page). Consent, the visitor's UI, the connection to the server and capture.
 */
import {
  CLOSE_MOVED,
  CLOSE_NORMAL,
  CLOSE_RESTART,
  CLOSE_SESSION_ENDED,
  CLOSE_TOO_SLOW,
  PROTOCOL_VERSION,
  modeRank,
  startMessage,
  type Mode,
  type ServerToVisitor,
  type SiteMasking,
  type Started,
  type VisitorToServer,
} from '@tandem/protocol';
import { startCapture, type Capture, type MaskOptions } from '@tandem/mirror/capture';
import { HOST_KEY, LIVE_BEAT_MS, identityOf, type Host, type SessionApi } from '../host.js';
import { FrameEncoder } from './frames.js';
import { compressor } from './compressor.js';
import { actionTarget, runAction } from './actions.js';
import { elementPath } from './element-path.js';
import { allowedUrl } from './domains.js';
import {
  liveElsewhere,
  markLive,
  onLiveCleared,
  readStored,
  storedOf,
  takeHandoff,
  watchLinks,
  withHandoff,
  writeStored,
  type Stored,
} from './continuity.js';
import { fill, modeText, resolveStrings } from './strings.js';
import { getShortId, knownVisitorId, watchPresence, type Invitation } from './presence.js';
import { VisitorUi } from './ui.js';
import { drawInk, watchSelection } from './ink.js';
import { countRules, platform, watchPage } from './page-facts.js';

const host = (window as unknown as Record<symbol, Host>)[HOST_KEY]!;
const strings = resolveStrings(host.config.strings);
/**
 * A dropped connection (not a navigation) is retried this many times, 8 s apart at most: about
 * two and a half minutes, long enough for a server to restart (its sessions wait for their visitors).
 */
const MAX_RETRIES = 20;
/** How long "Sharing ended" stays up when the agent ended the session. */
const ENDED_NOTICE_MS = 4000;

let ui: VisitorUi | null = null;
let socket: WebSocket | null = null;
let capture: Capture | null = null;
let stored: Stored | null = readStored();
let agents = new Map<string, { name: string; color: string }>();
let codeWaiters: ((code: string | null) => void)[] = [];
let retries = 0;
let busy = false;
let mode: Mode = stored?.mode ?? 'view';
/** The site updated the identity on this page: agents must hear of it. */
let identityChanged = false;
/** The one pending timer of this page's session (a retry, or closing an error): whatever happens next cancels it. */
let timer: ReturnType<typeof setTimeout> | undefined;
/** Masking rules from the site's settings on the server, added to the page's own. */
let siteMasking: SiteMasking = {};
/** What runs only while this tab shares: the live-tab beat, the link watcher. */
let whileLive: (() => void)[] = [];

const api: SessionApi = {
  start: () => void begin(),

  presence() {
    watchPresence(host, (invite) => void begin(invite));
  },

  resume() {
    const handoff = takeHandoff();
    if (handoff) {
      ui ??= new VisitorUi(strings, host.config.ui);
      return void redeem(handoff);
    }
    if (stored) {
      ui ??= new VisitorUi(strings, host.config.ui);
      return void reconnect();
    }
    const live = liveElsewhere();
    if (live) elsewhere(live);
  },

  stop() {
    // Stopped while the consent prompt was open: nothing had started, so no sessionEnd.
    const started = stored !== null;
    if (socket?.readyState === WebSocket.OPEN) send({ t: 'end' });
    else if (stored) endByRequest(stored);
    end(started);
  },

  getShortId,

  getSessionCode(cb) {
    if (stored) cb(stored.code);
    else if (busy) codeWaiters.push(cb);
    else cb(null);
  },

  getStartMessage(cb) {
    api.getSessionCode((code) => cb(code === null ? null : startMessage(code)));
  },

  getWatchLink(cb) {
    api.getSessionCode(() => cb(stored ? `${host.server}/watch#session=${encodeURIComponent(stored.sessionId)}` : null));
  },

  updateIdentity(identity) {
    host.config.identity = { ...host.config.identity, ...identity };
    // Without an open socket (starting, between pages) it goes with the next welcome.
    identityChanged = true;
    sendIdentity();
  },
};

/** The first page on another of the site's domains: the hand-off token becomes this origin's own session record. */
async function redeem(handoff: string): Promise<void> {
  /** The origin of the page the visitor came from (undefined: none, and none is sent). */
  let from: string | undefined;
  try {
    if (document.referrer) from = new URL(document.referrer).origin;
  } catch {
    // no referrer to speak of
  }
  try {
    let res: Started;
    try {
      res = await post<Started>('/api/v1/visitor/handoff', { handoff, from });
    } catch (err) {
      // The visitor did not come from the page that handed over (a link sent from elsewhere): ask them.
      if ((err as { status?: number }).status !== 409 || !ui || !(await ui.askConsent())) throw err;
      res = await post<Started>('/api/v1/visitor/handoff', { handoff, consented: true });
    }
    adopt(res);
    connect(res.ticket);
  } catch {
    end(false);
  }
}

/** Another tab shares the session: say so, and offer to move it here. */
function elsewhere(live: Stored): void {
  clearTimeout(timer);
  ui ??= new VisitorUi(strings, host.config.ui);
  const stopWatching = onLiveCleared(() => {
    stopWatching();
    if (!socket) end(false);
  });
  ui.elsewhere(() => {
    stopWatching();
    stored = live;
    writeStored(live);
    retries = 0;
    void reconnect();
  });
}

/** Goes to an address of the site; to another of its domains with a hand-off token, so the session goes along. */
async function go(url: URL): Promise<void> {
  if (url.origin === location.origin) return location.assign(url.href);
  const token = await handoffToken();
  location.assign(token ? withHandoff(url, token) : url.href);
}

/** A one-time token for the next domain, or null (no session, or the server did not answer). */
async function handoffToken(): Promise<string | null> {
  if (!stored) return null;
  try {
    const path = `/api/v1/visitor/sessions/${encodeURIComponent(stored.sessionId)}/handoff`;
    return (await post<{ handoff: string }>(path, { resumeToken: stored.resumeToken })).handoff;
  } catch {
    return null;
  }
}

/**
 * Asks the visitor, then starts a session. `invite`: an agent invited them
 * (presence): the prompt says who, and a refusal goes back to the agent.
 */
async function begin(invite?: Invitation): Promise<void> {
  if (busy || stored) return;
  busy = true;
  host.emit('sessionRequest');
  ui ??= new VisitorUi(strings, host.config.ui);
  clearTimeout(timer);
  // The visitor agrees to what the agent may do, not only to being seen.
  const asked = host.config.mode;
  const scope = asked && asked !== 'view' ? ' ' + fill(strings.consentMode, { mode: modeText(strings, asked) }) : '';
  const consented = invite
    ? await ui.askConsent(strings.inviteTitle, fill(strings.inviteBody, { agent: invite.agent }) + scope)
    : await ui.askConsent(strings.consentTitle, strings.consentBody + scope);
  if (!consented) {
    busy = false;
    invite?.decline();
    return end(false);
  }
  ui.status(strings.connecting, '', () => api.stop());
  // The compression worker loads while the session is made; frames before it is ready are compressed here.
  compressor(host.server);
  const endsBefore = ends;
  try {
    const res = await post<Started>('/api/v1/visitor/sessions', {
      siteKey: host.config.siteKey ?? '',
      identity: identityOf(host.config),
      url: location.href.slice(0, 2048),
      // Fields left undefined are left out of the JSON.
      mode: host.config.mode || undefined,
      invite: invite?.id,
      visitorId: (host.config.presence && knownVisitorId()) || undefined,
    });
    // Stopped while the session was being made: it ends on the server too, and nothing is shared.
    if (ends !== endsBefore) return endByRequest(res);
    adopt(res);
    flushCodeWaiters();
    connect(res.ticket);
    host.emit('sessionStart', { code: res.code });
  } catch {
    ui.status(strings.connectionError);
    timer = setTimeout(() => end(false), 4000);
  } finally {
    busy = false;
  }
}

/** The session the server made (or handed over) is this tab's from now on, kept for its next pages. */
function adopt(res: Started): void {
  stored = storedOf(res);
  mode = res.mode;
  writeStored(stored);
}

async function reconnect(): Promise<void> {
  const session = stored;
  if (!session) return;
  compressor(host.server);
  try {
    const res = await post<Started>(`/api/v1/visitor/sessions/${encodeURIComponent(session.sessionId)}/resume`, {
      resumeToken: session.resumeToken,
    });
    // The visitor pressed Stop while the request was out: nothing opens again.
    if (stored !== session) return;
    connect(res.ticket);
  } catch (err) {
    if (stored !== session) return;
    // The session ended while we were away (or the server restarted without it): the visitor is told.
    if ((err as { status?: number }).status === 410) endedElsewhere();
    else retry();
  }
}

function connect(ticket: string): void {
  clearTimeout(timer);
  const url = host.server.replace(/^http/, 'ws') + '/ws/visitor?ticket=' + encodeURIComponent(ticket);
  const ws = new WebSocket(url);
  ws.binaryType = 'arraybuffer';
  socket = ws;
  const encoder = new FrameEncoder((frame) => ws.readyState === WebSocket.OPEN && ws.send(frame), compressor(host.server));
  ws.onopen = () => ws.send(JSON.stringify({ t: 'hello', versions: [PROTOCOL_VERSION] }));
  ws.onmessage = (e) => {
    if (typeof e.data !== 'string') return;
    const msg = JSON.parse(e.data) as ServerToVisitor;
    switch (msg.t) {
      case 'welcome':
        retries = 0;
        goLive();
        modeIs(msg.mode);
        sendIdentity();
        siteMasking = msg.masking;
        // Back after a break: the cursors of agents who left meanwhile go.
        for (const id of agents.keys()) if (!msg.agents.some((a) => a.id === id)) ui?.removeCursor(id);
        agents = new Map(msg.agents.map((a) => [a.id, { name: a.name, color: a.color }]));
        // Where the visitor is, for the agents and the audit: never the query or fragment (a form's text lands there).
        send({ t: 'page', url: (location.origin + location.pathname).slice(0, 2048) });
        send({ t: 'platform', platform: platform() });
        sendCounts();
        render();
        break;
      case 'action': {
        // Where it lands, for the audit: found before the action runs (a click may remove the element).
        const c = capture;
        const el = c && msg.a.k !== 'navigate' ? actionTarget(msg.a, c) : null;
        const path = el && c ? elementPath(el, (e) => c.protection(e)) : '';
        const reason = capture
          ? runAction(msg.a, {
              mode: () => mode,
              capture,
              allowedUrl: (url) => allowedUrl(url, host.config.allowedDomains),
              navigate: (url) => void go(url),
              highlight: (el) => ui?.ink.highlight(msg.agentId, agents.get(msg.agentId)?.color ?? '#db2777', () => [el.getBoundingClientRect()]),
            })
          : 'gone';
        send({
          t: 'actionResult',
          agentId: msg.agentId,
          id: msg.id,
          ok: reason === null,
          // Only when there is one: undefined is left out of the JSON.
          reason: reason || undefined,
          path: path || undefined,
        });
        break;
      }
      case 'modeRequest':
        void ui?.askMode(msg.name, msg.mode).then((allowed) => {
          if (allowed) setMode(msg.mode);
          else send({ t: 'modeDeclined', agentId: msg.agentId, mode: msg.mode });
        });
        break;
      case 'setMode':
        // An integration lowered the mode: the server applied it already. Only ever a lowering:
        // a higher mode needs the visitor's own yes (modeRequest), whatever the server says.
        if (modeRank[msg.mode] < modeRank[mode]) {
          modeIs(msg.mode);
          render();
        }
        break;
      case 'resync':
        // Capture starts only once an agent is there to see it; later requests get a fresh snapshot.
        if (capture) capture.snapshot();
        else capture = startCapture(document, { mask: masking(), emit: (events, key) => encoder.push(events, key) });
        break;
      case 'masking':
        // New rules apply to what was sent already too: capture starts over with a fresh snapshot.
        siteMasking = msg.masking;
        sendCounts();
        if (capture) {
          capture.stop();
          capture = startCapture(document, { mask: masking(), emit: (events, key) => encoder.push(events, key) });
        }
        break;
      case 'agentJoined':
        agents.set(msg.agent.id, { name: msg.agent.name, color: msg.agent.color });
        host.emit('agentJoined', { id: msg.agent.id, name: msg.agent.name });
        render();
        break;
      case 'agentLeft':
        agents.delete(msg.agentId);
        ui?.removeCursor(msg.agentId);
        ui?.ink.clear(msg.agentId);
        render();
        break;
      case 'agentPointer':
        ui?.cursor(msg.agentId, msg.name, msg.color, msg.x, msg.y);
        break;
      case 'ink':
      case 'agentSelection':
        if (ui) drawInk(ui.ink, msg, capture);
        break;
      case 'ended':
        endedElsewhere();
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
    stopLive();
    // No session left to resume or end (every case below is about the stored one).
    if (!stored) return;
    if (e.code === CLOSE_SESSION_ENDED) endedElsewhere();
    else if (e.code === CLOSE_MOVED) elsewhere(stored);
    // Closed for reading too slowly (a stalled network): the server is fine, so the page resumes at once.
    else if (e.code === CLOSE_TOO_SLOW) void reconnect();
    // The node is shutting down: another node (or this one, back) takes the session. Soon, spread over a
    // moment, so a node's clients do not all come at once.
    else if (e.code === CLOSE_RESTART) {
      ui?.status(strings.reconnecting, '', () => api.stop());
      timer = setTimeout(() => void reconnect(), Math.random() * 300);
    } else retry();
  };
}

/** The page's masking rules and the site's, together: a rule from either masks. */
function masking(): MaskOptions {
  const own = host.config.masking ?? {};
  return {
    ...own,
    selectors: [...(own.selectors ?? []), ...(siteMasking.selectors ?? [])],
    blockSelectors: [...(own.blockSelectors ?? []), ...(siteMasking.blockSelectors ?? [])],
  };
}

function retry(): void {
  if (++retries > MAX_RETRIES) {
    ui?.status(strings.disconnected, strings.connectionError, () => api.stop());
    return;
  }
  ui?.status(strings.reconnecting, '', () => api.stop());
  timer = setTimeout(() => void reconnect(), Math.min(8000, 500 * 2 ** retries));
}

function render(): void {
  if (stored && ui) ui.sharing({ code: stored.code, agents: [...agents.values()], mode, onStop: () => api.stop(), onMode: setMode });
}

/** The visitor's choice (or answer to a request) is the session's mode: the server tells the agents. */
function setMode(next: Mode): void {
  modeIs(next);
  send({ t: 'mode', mode });
  render();
}

/**
 * The session's mode is `next` from now on: the site hears of a change, and it is kept with the session, so the next
 * page knows the mode before its welcome and reports only real changes.
 */
function modeIs(next: Mode): void {
  if (next !== mode) host.emit('modeChanged', { mode: next });
  mode = next;
  if (!stored || stored.mode === mode) return;
  stored.mode = mode;
  writeStored(stored);
}

function sendIdentity(): void {
  if (identityChanged && socket?.readyState === WebSocket.OPEN) {
    send({ t: 'identity', identity: identityOf(host.config) });
    identityChanged = false;
  }
}

function send(msg: VisitorToServer): void {
  if (socket?.readyState === WebSocket.OPEN) socket.send(JSON.stringify(msg));
}

/** This tab shares now: other tabs of the origin learn it, and links to the site's other domains carry the session. */
function goLive(): void {
  stopLive();
  markLive(stored);
  const beat = setInterval(() => markLive(stored), LIVE_BEAT_MS);
  const unwatch = watchLinks({
    allowed: (url) => allowedUrl(url, host.config.allowedDomains),
    handoffToken,
    leave: () => {
      send({ t: 'end', left: true });
      end(true);
    },
  });
  const unwatchPage = watchPage(
    () => send({ t: 'platform', platform: platform() }),
    () => sendCounts(false),
  );
  const unselect = watchSelection(
    () => capture,
    (range) => send({ t: 'selection', range }),
  );
  whileLive = [() => clearInterval(beat), unwatch, unwatchPage, unselect];
}

/** How many elements the site's rules match here, for its admins; after a DOM change, only when they differ from the last. */
let lastCounts = '';
function sendCounts(always = true): void {
  const counts = countRules(siteMasking, masking().blockSelectors ?? []);
  const text = JSON.stringify(counts);
  if (!always && text === lastCounts) return;
  lastCounts = text;
  send({ t: 'selectorCounts', ...counts });
}

function stopLive(): void {
  for (const undo of whileLive) undo();
  whileLive = [];
}

/** The agent (or the server) ended the session: the visitor is told, briefly, rather than seeing the panel vanish. */
function endedElsewhere(): void {
  if (!stored) return;
  end(true);
  const notice = new VisitorUi(strings, host.config.ui);
  notice.status(strings.ended);
  setTimeout(() => notice.destroy(), ENDED_NOTICE_MS);
}

/** How many times sharing ended on this page: what an await was started under can tell it was stopped meanwhile. */
let ends = 0;

/** Ends sharing on this page and forgets the session; `started` says whether it had begun. */
function end(started: boolean): void {
  ends++;
  clearTimeout(timer);
  if (whileLive.length || liveElsewhere()?.sessionId === stored?.sessionId) markLive(null);
  stopLive();
  capture?.stop();
  capture = null;
  const ws = socket;
  socket = null;
  ws?.close(CLOSE_NORMAL);
  writeStored(null);
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

/** Stops a session whose socket is down (reconnecting): the server ends it now, not when its grace runs out. */
function endByRequest(session: Stored): void {
  const path = `/api/v1/visitor/sessions/${encodeURIComponent(session.sessionId)}/end`;
  // keepalive: the request outlives the page if the visitor closes it right after.
  fetch(host.server + path, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ resumeToken: session.resumeToken }),
    credentials: 'omit',
    keepalive: true,
  }).catch(() => {
    // Offline: the session ends on the server when its grace runs out; nothing is sent meanwhile.
  });
}

async function post<T>(path: string, body: unknown): Promise<T> {
  const res = await fetch(host.server + path, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
    credentials: 'omit',
  });
  if (!res.ok) throw Object.assign(new Error(`Tandem: ${path} answered ${res.status}`), { status: res.status });
  return (await res.json()) as T;
}

host.attach(api);
