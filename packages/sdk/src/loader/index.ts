/**
 * The loader: the only Tandem code on a page until a session starts, so it
 * must cost the page nothing. Until `startSession`, or a session to take up,
 * it installs no observer, event listener or timer and makes no network
 * request. All it does:
 * - reads its own script tag once (the server's origin from `src`, and the
 *   `data-*` config of the attribute snippet);
 * - defines `window.Tandem` and the Host the session bundle talks to;
 * - runs the queued commands, keeps the config and the site's event listeners;
 * - on `init`, looks for a session to take up: this tab's (sessionStorage),
 *   a hand-off from another of the site's domains (a parameter of the
 *   address), or one another tab shares now (localStorage).
 * Only then, on `startSession`, or when the site turned presence on (`presence:
 * true`), it adds one script element for the session bundle, which does the rest.
 */
import type { Identity, Mode } from '@tandem/protocol';
import {
  HANDOFF_PARAM,
  HOST_KEY,
  LIVE_KEY,
  LIVE_STALE_MS,
  STORAGE_KEY,
  type Host,
  type SessionApi,
  type TandemConfig,
  type TandemEvent,
} from '../host.js';

type Callback = (data?: unknown) => void;
type Queued = { q?: ArrayLike<unknown>[] };

const w = window as unknown as Record<PropertyKey, unknown> & { Tandem?: Queued & { loaded?: boolean } };

/**
 * Config from the snippet's own attributes, for sites that cannot run inline
 * script (a strict CSP, a tag manager): `data-site-key`, `data-mode`,
 * `data-allowed-domains` (comma-separated), `data-name`, `data-email`,
 * `data-unique-id`, `data-presence`.
 */
function fromAttributes(d: DOMStringMap): TandemConfig {
  const c: TandemConfig = {};
  const identity: Identity = {};
  if (d.siteKey) c.siteKey = d.siteKey;
  if (d.mode) c.mode = d.mode as Mode;
  if (d.allowedDomains)
    c.allowedDomains = d.allowedDomains
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
  if (d.uniqueId) c.uniqueId = d.uniqueId;
  if (d.presence !== undefined) c.presence = d.presence !== 'false';
  if (d.name) identity.name = d.name;
  if (d.email) identity.email = d.email;
  if (identity.name || identity.email) c.identity = identity;
  return c;
}

/**
 * Whether the session bundle has something to resume on this page: this tab's
 * session, a hand-off from another domain of the site, or a session another
 * tab shares now (the bundle's continuity.ts keeps the same records).
 */
function sessionToTakeUp(): boolean {
  if (new URLSearchParams(location.search).has(HANDOFF_PARAM)) return true;
  try {
    const live = JSON.parse(localStorage.getItem(LIVE_KEY) ?? 'null') as { at?: number } | null;
    return !!sessionStorage.getItem(STORAGE_KEY) || Date.now() - (live?.at ?? 0) < LIVE_STALE_MS;
  } catch {
    // Storage can be off (privacy settings, sandboxed frames): then there is nothing to resume.
    return false;
  }
}

if (!w.Tandem?.loaded) {
  const queued = Array.from(w.Tandem?.q ?? [], (args) => Array.from(args) as [string, ...unknown[]]);
  const script = document.currentScript as HTMLScriptElement | null;
  const server = script?.src ? new URL(script.src).origin : location.origin;
  const attributes = fromAttributes(script?.dataset ?? {});
  const listeners: Partial<Record<TandemEvent, Callback[]>> = {};
  let session: SessionApi | null = null;
  let loading: Promise<SessionApi> | null = null;
  let attach: (api: SessionApi) => void = () => {};

  const host: Host = {
    server,
    config: {},
    emit(event, data) {
      for (const cb of listeners[event] ?? []) {
        try {
          cb(data);
        } catch (err) {
          console.error('Tandem: an event listener failed', err);
        }
      }
    },
    attach: (api) => attach(api),
  };
  w[HOST_KEY] = host;

  const load = (): Promise<SessionApi> =>
    (loading ??= new Promise<SessionApi>((resolve, reject) => {
      attach = (api) => resolve((session = api));
      const s = document.createElement('script');
      s.src = server + '/tandem-session.js';
      s.async = true;
      s.onerror = () => {
        // A later startSession tries again: the network or the server may be back by then.
        loading = null;
        s.remove();
        reject(new Error('Tandem: the session bundle did not load'));
      };
      document.head.appendChild(s);
    }));

  /** Runs `fn` on the session bundle if it is loaded or on its way; `otherwise` when there is none. */
  const withSession = (fn: (api: SessionApi) => void, otherwise = () => {}) => {
    if (session) fn(session);
    else if (loading) loading.then(fn, otherwise);
    else otherwise();
  };

  const commands: Record<string, (...args: never[]) => void> = {
    init(config: TandemConfig | null) {
      // The snippet's attributes are defaults; what the page passes wins.
      host.config = { ...attributes, ...config, identity: { ...attributes.identity, ...config?.identity } };
      // Once, however often init runs: the bundle resumes the session itself.
      if (!loading && sessionToTakeUp()) load().then((api) => api.resume(), console.error);
      // Presence (the site turned it on) is the one thing that runs without a session.
      if (host.config.presence) load().then((api) => api.presence(), console.error);
    },
    startSession: () => void load().then((api) => api.start(), console.error),
    stopSession: () => session?.stop(),
    getShortId(cb: (shortId: string | null) => void) {
      withSession(
        (api) => api.getShortId(cb),
        () => cb(null),
      );
    },
    getSessionCode(cb: (code: string | null) => void) {
      withSession(
        (api) => api.getSessionCode(cb),
        () => cb(null),
      );
    },
    getStartMessage(cb: (message: string | null) => void) {
      withSession(
        (api) => api.getStartMessage(cb),
        () => cb(null),
      );
    },
    getWatchLink(cb: (link: string | null) => void) {
      withSession(
        (api) => api.getWatchLink(cb),
        () => cb(null),
      );
    },
    updateIdentity(identity: Identity) {
      // Kept in the config too, so a session started later begins with it.
      host.config.identity = { ...host.config.identity, ...identity };
      withSession((api) => api.updateIdentity(identity));
    },
    on(event: TandemEvent, cb: Callback) {
      (listeners[event] ??= []).push(cb);
    },
    off(event: TandemEvent, cb: Callback) {
      listeners[event] = (listeners[event] ?? []).filter((f) => f !== cb);
    },
  };

  const api = (command: string, ...args: unknown[]) => {
    const fn = commands[command];
    if (fn) (fn as (...a: unknown[]) => void)(...args);
    else console.warn(`Tandem: unknown command "${command}"`);
  };
  api.loaded = true;
  w.Tandem = api;
  if (attributes.siteKey && !queued.some(([command]) => command === 'init')) api('init', {});
  for (const args of queued) {
    // One failing command (a throwing callback) must not drop the rest of the queue.
    try {
      api(...args);
    } catch (err) {
      console.error(err);
    }
  }
}
