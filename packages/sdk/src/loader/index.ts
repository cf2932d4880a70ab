/**
 * The loader: the only Tandem code on a page until a session starts. It keeps
 * the command queue, remembers the config and loads the session bundle on
 * demand. It installs no observer, listener or timer of its own.
 */
import { HOST_KEY, STORAGE_KEY, type Host, type SessionApi, type TandemConfig, type TandemEvent } from '../host.js';

type Callback = (data?: unknown) => void;
type Queued = { q?: IArguments[] | unknown[][] };

const w = window as unknown as Record<PropertyKey, unknown> & { Tandem?: Queued & { loaded?: boolean } };

if (!w.Tandem?.loaded) {
  const queued = w.Tandem?.q ?? [];
  const script = document.currentScript as HTMLScriptElement | null;
  const server = script?.src ? new URL(script.src).origin : location.origin;
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
      s.onerror = () => reject(new Error('Tandem: the session bundle did not load'));
      document.head.appendChild(s);
    }));

  const commands: Record<string, (...args: never[]) => void> = {
    init(config: TandemConfig) {
      host.config = config || {};
      // A session started on an earlier page of this tab goes on here without a new code.
      if (sessionStorage.getItem(STORAGE_KEY)) load().then((api) => api.resume(), console.error);
    },
    startSession: () => void load().then((api) => api.start(), console.error),
    stopSession: () => session?.stop(),
    getShortId(cb: (code: string | null) => void) {
      if (session) session.getShortId(cb);
      else if (loading) loading.then((api) => api.getShortId(cb), () => cb(null));
      else cb(null);
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
  w.Tandem = api as never;
  for (const args of queued) api(...(Array.from(args) as [string, ...unknown[]]));
}
