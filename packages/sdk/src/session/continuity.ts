/**
 * A session follows the visitor: through pages of the tab (sessionStorage),
 * to the site's other allowed domains (a one-time hand-off token in the URL,
 * spent by the next page at once), and between tabs of one origin (the live
 * tab is recorded in localStorage; another tab offers to take the session).
 */
import { HANDOFF_PARAM, LIVE_KEY, LIVE_STALE_MS, STORAGE_KEY } from '../host.js';
import { httpUrl, submissionHref } from './domains.js';
import type { Mode } from '@tandem/protocol';

export interface Stored {
  sessionId: string;
  resumeToken: string;
  code: string;
  /** The mode as this tab last knew it: a new page reports a change only when there was one. */
  mode?: Mode;
}

/** The fields of a session record, without whatever else the object it comes from holds (a server's answer, `at`). */
export function storedOf(s: Stored): Stored {
  return { sessionId: s.sessionId, resumeToken: s.resumeToken, code: s.code, mode: s.mode };
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
    return live && Date.now() - live.at < LIVE_STALE_MS ? storedOf(live) : null;
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
  /** A one-time token that carries the session to another of the site's domains (null: none to be had). */
  handoffToken(): Promise<string | null>;
  /** The visitor leaves the site's domains in this tab: sharing ends. */
  leave(): void;
}

/**
 * Watches the visitor's link clicks and form submissions while sharing. It
 * listens on the window, after the page's own handlers, so what a single-page
 * app routes itself (it prevents the default) is left to the app. To another
 * of the site's domains the session goes along; to any other, sharing ends.
 */
export function watchLinks(policy: LinkPolicy): () => void {
  /** Where the visitor is going, if it is another origin in this tab (else null). */
  const leaving = (href: string, target: string): URL | null => {
    if (target && target !== '_self') return null;
    const url = httpUrl(href);
    return url && url.origin !== location.origin ? url : null;
  };

  const onClick = (e: MouseEvent) => {
    if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    const link = (e.target as Element | null)?.closest?.('a[href], area[href]') as HTMLAnchorElement | null;
    const url = link && !link.hasAttribute('download') ? leaving(link.href, link.target) : null;
    if (!url) return;
    if (!policy.allowed(url)) return policy.leave();
    e.preventDefault();
    void policy.handoffToken().then((token) => location.assign(token ? withHandoff(url, token) : url.href));
  };

  const onSubmit = (e: SubmitEvent) => {
    const form = e.target as HTMLFormElement;
    if (e.defaultPrevented || form.method === 'dialog') return;
    const submitter = e.submitter as HTMLButtonElement | HTMLInputElement | null;
    const url = leaving(submissionHref(form, submitter), submitter?.formTarget || form.target);
    if (!url) return;
    if (!policy.allowed(url)) return policy.leave();
    e.preventDefault();
    void policy.handoffToken().then((token) => {
      const extra = (name: string, value: string) => {
        const input = document.createElement('input');
        input.type = 'hidden';
        input.name = name;
        input.value = value;
        form.appendChild(input);
      };
      // submit() sends no submitter: its name and value go as a field, as the button would have.
      if (submitter?.name) extra(submitter.name, submitter.value);
      if (token) {
        // A GET submission replaces the action's query with the fields: then the token is a field.
        if ((submitter?.formMethod || form.method) === 'get') extra(HANDOFF_PARAM, token);
        else form.action = withHandoff(url, token);
      }
      // The native submit: the page's submit handlers have run once already.
      HTMLFormElement.prototype.submit.call(form);
    });
  };

  addEventListener('click', onClick);
  addEventListener('submit', onSubmit);
  return () => {
    removeEventListener('click', onClick);
    removeEventListener('submit', onSubmit);
  };
}

function parse(value: string | null): Stored | null {
  try {
    return JSON.parse(value ?? 'null') as Stored | null;
  } catch {
    return null;
  }
}
