/**
 * The watch page (/watch): the agent's view of one session, on its own or
 * framed by an agent desktop (Genesys's agent page; `<tandem-viewer>` frames
 * it too). Parameters come in the fragment (params.ts): `code=`, `token=` (a
 * watch URL), `session=`, `noinput=1`, `debug=1`. It tells its host what
 * happens (host-link.ts) and takes commands from it. Above its bar, the
 * console's pointer tools, roster and "Invite a colleague" (watch/tools.ts).
 */
import type { EmbedCommand, Mode } from '@tandem/protocol';
import { Viewer, type ViewerStatus } from './index.js';
import { readParams } from './watch/params.js';
import { HostLink } from './watch/host-link.js';
import { AgentAccess, LinkAccess, Refused } from './watch/access.js';
import { Screens } from './watch/screens.js';
import { WatchBar } from './watch/bar.js';
import { WatchTools } from './watch/tools.js';

/** How often the page asks whether the visitor answered a request to share. */
const POLL_MS = 1500;

const params = readParams();
const log = params.debug ? (...args: unknown[]) => console.info('[tandem watch]', ...args) : () => {};
const $ = (id: string) => document.getElementById(id)!;
const screens = new Screens($('screen'));
const statusText = $('status');
const barText = $('bar-status');
let viewer: Viewer | null = null;
let last: ViewerStatus | null = null;
const host = new HostLink(log, onCommand);
const bar = new WatchBar(
  () => viewer,
  () => leave(true),
);
const tools = new WatchTools($('tools'), () => viewer);
log('parameters', { ...params, token: params.token ? '(a link token)' : null }, 'host', host.origin);

function onCommand(c: EmbedCommand): void {
  if (c.command === 'join') {
    if (!viewer) void joinByCode(c.code);
  } else if (c.command === 'requestMode') viewer?.requestMode(c.mode);
  else leave(c.command === 'end');
}

/**
 * Leaves the session, or ends it for everyone with `end`: then the server's `ended` reaches the page as
 * the viewer's state (or its refusal as a notice: only the agent with the controls, an admin, or an agent alone ends it).
 */
function leave(end: boolean): void {
  if (!viewer || last?.state === 'ended') return;
  if (end && last?.state !== 'connecting' && last?.state !== 'reconnecting') return viewer.leave(true);
  viewer.leave(end);
  viewer = null;
  // The viewer is gone and hears no `ended`: the page says it, as the server would.
  report({ ...(last ?? { visitorName: null, agents: [], mode: 'view' }), state: 'ended', reason: end ? 'agent' : 'left the session' });
}

const MODE_TEXT: Record<Mode, string> = {
  view: 'The visitor lets you point and highlight.',
  navigate: 'The visitor lets you scroll and follow links.',
  control: 'The visitor lets you click and type.',
};

function say(text: string): void {
  statusText.textContent = text;
}

/** The page's state as the host hears it: each change once, in the documented names. */
function report(s: ViewerStatus): void {
  const before = last;
  last = s;
  const who = s.visitorName ?? 'the visitor';
  say(
    s.state === 'live'
      ? `Watching ${who}${s.url ? ` — ${s.url}` : ''}`
      : s.state === 'ended'
        ? `The session ended${s.reason ? ` (${s.reason})` : ''}.`
        : s.state === 'visitor-away'
          ? `${who} is changing page…`
          : s.state === 'waiting'
            ? `Waiting for ${who}'s page…`
            : s.state === 'reconnecting'
              ? 'Reconnecting…'
              : 'Connecting…',
  );
  document.body.dataset.state = s.state;
  tools.update(s);
  if (s.state === 'ended') bar.ended();
  barText.textContent = s.state === 'ended' ? (statusText.textContent ?? '') : MODE_TEXT[s.mode];
  for (const b of document.querySelectorAll<HTMLButtonElement>('[data-mode]')) b.disabled = s.state === 'ended' || s.mode === b.dataset.mode;
  if (before?.mode !== undefined && before.mode !== s.mode) host.post({ event: 'modeChanged', mode: s.mode });
  if (before?.state === s.state && !(s.state === 'live' && before.url !== s.url)) return;
  // The address without query or fragment: they can hold search terms or tokens the desktop need not log.
  if (s.state === 'live') host.post({ event: 'active', url: s.url ? s.url.split(/[?#]/, 1)[0]! : null, title: s.title ?? null });
  else if (s.state === 'visitor-away') host.post({ event: 'navigating' });
  else if (s.state === 'reconnecting') host.post({ event: 'reconnecting' });
  else if (s.state === 'ended') host.post({ event: 'ended', reason: s.reason ?? 'ended' });
  else if (s.state === 'connecting' && !before) host.post({ event: 'connecting' });
}

/** Opens the session; `code` (a signed-in agent's ticket brings it) offers "Invite a colleague". */
function open(ticket: () => Promise<string>, code?: string): void {
  screens.hide();
  document.body.dataset.screen = 'session';
  viewer = new Viewer({
    container: $('view'),
    ticket,
    onStatus: report,
    onZoom: (z) => bar.zoom(z),
    onNotice: (n) => {
      if (!tools.notice(n)) barText.textContent = n.message;
    },
    onAgent: (change, agent) => host.post({ event: change === 'joined' ? 'agentJoined' : 'agentLeft', agent }),
  });
  if (code) tools.invite(code);
}

/** A refusal before any session showed: its own page, and the host hears why. */
function failed(err: unknown): void {
  const r =
    err instanceof Refused ? err : new Refused(0, 'TDM_NETWORK', 'The server could not be reached. Check the connection and reload.', null);
  log('failed', r.code, r.message);
  document.body.dataset.screen = 'failed';
  screens.failure(r.code, r.message, r.retryUrl ?? link.branding.retryUrl);
  say(r.message);
  host.post({ event: 'ended', reason: r.code });
}

// ---- an agent with an account: code, session, sign-in ---------------------

const agent = new AgentAccess();

/** Runs `attempt`; when the agent is not signed in (no cookie reaches a framed page), asks them to, then tries again. */
async function signedIn<T>(attempt: () => Promise<T>, error?: string): Promise<T | null> {
  try {
    return await attempt();
  } catch (err) {
    if (!(err instanceof Refused) || err.status !== 401) throw err;
  }
  document.body.dataset.screen = 'sign-in';
  return new Promise<T | null>((resolve) => askSignIn(attempt, resolve, error));
}

function askSignIn<T>(attempt: () => Promise<T>, resolve: (value: T | null) => void, error?: string): void {
  screens.signIn((email, password) => {
    agent.signIn(email, password).then(
      () => signedIn(attempt).then(resolve, (err: unknown) => (failed(err), resolve(null))),
      (err: unknown) => askSignIn(attempt, resolve, err instanceof Error ? err.message : String(err)),
    );
  }, error);
}

async function joinByCode(code: string): Promise<void> {
  host.post({ event: 'connecting' });
  try {
    const first = await signedIn(() => agent.join(code));
    if (!first) return;
    let used = false;
    open(async () => {
      // The join's ticket first; every reconnect asks for a fresh one by the session's id.
      if (!used) return ((used = true), first.ticket);
      return (await agent.ticket(first.sessionId)).ticket;
    }, first.code);
  } catch (err) {
    if (err instanceof Refused && err.code === 'TDM_UNKNOWN_CODE' && !params.noInput)
      return screens.codeBox((c) => void joinByCode(c), err.message);
    failed(err);
  }
}

async function joinById(id: string): Promise<void> {
  try {
    const first = await signedIn(() => agent.ticket(id));
    if (first) open(async () => (await agent.ticket(id)).ticket, first.code);
  } catch (err) {
    failed(err);
  }
}

// ---- an integrator's agent, by a watch URL ---------------------------------

const link = new LinkAccess();

function brand(): void {
  document.body.classList.toggle('naked', link.branding.naked);
  document.body.classList.toggle('no-bottom-bar', link.branding.noBottomBar);
}

async function watchLink(token: string | null): Promise<void> {
  try {
    let grant = token ? await link.redeem(token) : await link.state();
    brand();
    while (grant.state === 'pending') {
      screens.waiting('Waiting for the visitor', `They are asked to share their screen with ${grant.agentName}.`);
      document.body.dataset.screen = 'consent';
      say('Waiting for the visitor to accept…');
      await new Promise((r) => setTimeout(r, POLL_MS));
      grant = await link.state();
    }
    // A refusal (the session ended) carries its status and end reason: the viewer stops on it.
    // A guest of the integrator's has no code to give a colleague: no "Invite a colleague".
    open(async () => (await link.ticket()).ticket);
  } catch (err) {
    failed(err);
  }
}

// ---- the bar ----------------------------------------------------------------

for (const b of document.querySelectorAll<HTMLButtonElement>('[data-mode]'))
  b.addEventListener('click', () => viewer?.requestMode(b.dataset.mode as Mode));

host.post({ event: 'ready' });
if (params.token) void watchLink(params.token);
else if (params.code) void joinByCode(params.code);
else if (params.session) void joinById(params.session);
else if (link.resumable) void watchLink(null);
else if (params.noInput) screens.waiting('Waiting for a session', 'The session opens here when your desktop starts it.');
else screens.codeBox((c) => void joinByCode(c));
