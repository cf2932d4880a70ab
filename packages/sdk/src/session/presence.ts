/**
 * Presence, for sites that turn it on: the page tells the server who the
 * visitor is (as the site knows them), where and on what, so agents can look
 * them up and invite them. It sends no page content; an invite opens the
 * consent prompt, and nothing else is sent before the visitor accepts.
 */
import type { PlatformInfo, PresenceToServer, ServerToPresence } from '@tandem/protocol';
import { identityOf, type Host } from '../host.js';

/** localStorage: this browser's visitor id, so one visitor with many pages is listed once. */
const VISITOR_KEY = 'tandem:visitor';

let socket: WebSocket | null = null;
/** This visitor's short id, once the server listed the page; callbacks wait for it meanwhile. */
let shortId: string | null = null;
let waiting: ((id: string | null) => void)[] = [];

/** Calls back with the visitor's short id: at once when known, when the server lists the page, or null without presence. */
export function getShortId(cb: (id: string | null) => void): void {
  if (shortId !== null || !socket) cb(shortId);
  else waiting.push(cb);
}

function settle(id: string | null): void {
  shortId = id;
  const callbacks = waiting;
  waiting = [];
  for (const cb of callbacks) cb(id);
}

/** The browser's presence id, when presence made one (a session started here names it, so a watch URL finds it). */
export function knownVisitorId(): string | null {
  try {
    return localStorage.getItem(VISITOR_KEY);
  } catch {
    return null;
  }
}

export interface Invitation {
  id: string;
  agent: string;
  decline(): void;
}

export function watchPresence(host: Host, onInvite: (invite: Invitation) => void): void {
  if (socket || !host.config.siteKey) return;
  const ws = new WebSocket(`${host.server.replace(/^http/, 'ws')}/ws/presence?site=${encodeURIComponent(host.config.siteKey)}`);
  socket = ws;
  const send = (msg: PresenceToServer) => ws.readyState === WebSocket.OPEN && ws.send(JSON.stringify(msg));
  ws.onopen = () =>
    send({
      t: 'here',
      visitorId: visitorId(),
      identity: identityOf(host.config),
      url: location.href.slice(0, 2048),
      title: document.title.slice(0, 300),
      platform: platform(),
    });
  ws.onmessage = (e) => {
    const msg = JSON.parse(e.data as string) as ServerToPresence;
    if (msg.t === 'listed') settle(msg.shortId);
    else if (msg.t === 'invite') onInvite({ id: msg.token, agent: msg.agent, decline: () => send({ t: 'declineInvite', token: msg.token }) });
  };
  ws.onclose = () => {
    if (socket === ws) socket = null;
    // Never listed (presence off for the site, refused): whoever waits hears there is none.
    settle(shortId);
  };
}

function visitorId(): string {
  try {
    let id = localStorage.getItem(VISITOR_KEY);
    if (!id) localStorage.setItem(VISITOR_KEY, (id = crypto.randomUUID()));
    return id;
  } catch {
    return crypto.randomUUID();
  }
}

/** The visitor's browser, system, viewport, language and time zone: what agents see of the platform (presence, sessions). */
export function platform(): PlatformInfo {
  const ua = navigator.userAgent;
  const browser =
    /Edg\/(\d+)/.exec(ua)?.[0].replace('Edg/', 'Edge ') ??
    /Firefox\/(\d+)/.exec(ua)?.[0].replace('/', ' ') ??
    /(?:Chrome|Chromium)\/(\d+)/.exec(ua)?.[0].replace('/', ' ') ??
    (/Version\/(\d+).*Safari/.exec(ua) ? `Safari ${/Version\/(\d+)/.exec(ua)![1]}` : 'Other');
  const os = /Windows/.test(ua)
    ? 'Windows'
    : /Android/.test(ua)
      ? 'Android'
      : /iPhone|iPad/.test(ua)
        ? 'iOS'
        : /Mac OS X/.test(ua)
          ? 'macOS'
          : /Linux/.test(ua)
            ? 'Linux'
            : 'Other';
  return {
    browser,
    os,
    viewport: `${innerWidth}x${innerHeight}`,
    language: navigator.language.slice(0, 35),
    timeZone: Intl.DateTimeFormat().resolvedOptions().timeZone.slice(0, 64),
  };
}
