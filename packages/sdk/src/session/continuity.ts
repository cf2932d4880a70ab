/**
 * A session follows the visitor: through pages of the tab (sessionStorage),
 * to the site's other allowed domains (a one-time hand-off token in the URL,
 * spent by the next page at once), and between tabs of one origin (the live
 * tab is recorded in localStorage; another tab offers to take the session).
 */
import { HANDOFF_PARAM, LIVE_BEAT_MS, LIVE_KEY, LIVE_STALE_MS, STORAGE_KEY } from '../host.js';
import type { Mode } from '@tandem/protocol';

export { LIVE_BEAT_MS };

export interface Stored {
  sessionId: string;
  resumeToken: string;
  code: string;
  /** The mode as this tab last knew it: a new page reports a change only when there was one. */
  mode?: Mode;
}

export function readStored(): Stored | null {
  return parse(sessionStorage.getItem(STORAGE_KEY));
}

export function writeStored(s: Stored | null): void {
  if (s) sessionStorage.setItem(STORAGE_KEY, JSON.stringify(s));
  else sessionStorage.removeItem(STORAGE_KEY);
}

/** Marks this tab as the one sharing (or clears the mark). */
export function markLive(s: Stored | null): void {
  try {
    if (s) localStorage.setItem(LIVE_KEY, JSON.stringify({ ...s, at: Date.now() }));
    else localStorage.removeItem(LIVE_KEY);
  } catch {
    // Storage can be off (private modes, policies): tabs then do not know of each other.
  }
}

/** The session another tab of this origin is sharing now, if any. */
export function liveElsewhere(): Stored | null {
  try {
    const live = parse(localStorage.getItem(LIVE_KEY)) as (Stored & { at: number }) | null;
    return live && Date.now() - live.at < LIVE_STALE_MS ? { sessionId: live.sessionId, resumeToken: live.resumeToken, code: live.code, mode: live.mode } : null;
  } catch {
    return null;
  }
}

/** Calls back when the live record goes (the session ended in the tab that had it). */
export function onLiveCleared(cb: () => void): () => void {
  const listener = (e: StorageEvent) => e.key === LIVE_KEY && e.newValue === null && cb();
  addEventListener('storage', listener);
  return () => removeEventListener('storage', listener);
}

/** Takes a hand-off token out of this page's address (so no one copies or bookmarks it) and returns it. */
export function takeHandoff(): string | null {
  const token = new URLSearchParams(location.search).get(HANDOFF_PARAM);
  if (!token) return null;
  // Only the parameter goes: the rest of the address stays byte for byte as the site wrote it.
  const search = location.search.replace(PARAM_RE, '$1').replace(/[?&]$/, '');
  history.replaceState(history.state, '', location.pathname + search + location.hash);
  return token;
}

const PARAM_RE = new RegExp(`([?&])${HANDOFF_PARAM}=[^&#]*&?`);

export function withHandoff(url: URL, token: string): string {
  const param = `${HANDOFF_PARAM}=${encodeURIComponent(token)}`;
  return url.href.replace(/(#.*)?$/, (hash) => (url.search ? '&' : '?') + param + hash);
}

export interface LinkPolicy {
  allowed(url: URL): boolean;
  /** The visitor follows a link to another allowed domain: carry the session there. */
  handOff(url: URL): void;
  /** The visitor leaves the site's domains in this tab: sharing ends. */
  leave(): void;
}

/**
 * Watches the visitor's link clicks while sharing. It listens on the window,
 * after the page's own handlers, so links a single-page app routes itself
 * (it prevents the default) are left to the app.
 */
export function watchLinks(policy: LinkPolicy): () => void {
  const listener = (e: MouseEvent) => {
    if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    const link = (e.target as Element | null)?.closest?.('a[href], area[href]') as HTMLAnchorElement | null;
    if (!link || (link.target && link.target !== '_self') || link.hasAttribute('download')) return;
    let url: URL;
    try {
      url = new URL(link.href, location.href);
    } catch {
      return;
    }
    if (url.origin === location.origin || !/^https?:$/.test(url.protocol)) return;
    if (policy.allowed(url)) {
      e.preventDefault();
      policy.handOff(url);
    } else {
      policy.leave();
    }
  };
  addEventListener('click', listener);
  return () => removeEventListener('click', listener);
}

function parse(value: string | null): Stored | null {
  try {
    return JSON.parse(value ?? 'null') as Stored | null;
  } catch {
    return null;
  }
}
