/**
 * How the watch page is let into a session, without relying on a cookie: when
 * an agent desktop on another site frames the page, the console's cookie is a
 * third-party cookie the browser does not send. So the page holds a bearer
 * token in its own tab's storage (partitioned by the framing site): an agent's
 * sign-in token (asked for by signing in inside the frame), or the grant a
 * watch URL was exchanged for. The console's cookie still works where it is sent.
 */
import type { AgentTicket, Branding, WatchGrant } from '@tandem/protocol';

const AGENT_KEY = 'tandem:agent-token';
const GRANT_KEY = 'tandem:watch-grant';

/** A refusal from the server: its code, and where the integrator offers to try again. */
export class Refused extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly retryUrl: string | null,
    readonly endReason?: string,
  ) {
    super(message);
  }
}

async function call<T>(path: string, init: { body?: unknown; bearer?: string | null } = {}): Promise<T> {
  const headers: Record<string, string> = {};
  if (init.body !== undefined) headers['content-type'] = 'application/json';
  if (init.bearer) headers.authorization = `Bearer ${init.bearer}`;
  const res = await fetch(path, { method: 'POST', headers, body: init.body === undefined ? undefined : JSON.stringify(init.body) });
  const body = (await res.json().catch(() => ({}))) as Record<string, unknown>;
  if (!res.ok) {
    const text = (k: string) => (typeof body[k] === 'string' ? body[k] : null);
    throw new Refused(
      res.status,
      text('code') ?? 'TDM_INTERNAL',
      text('message') ?? 'The server refused.',
      text('retryUrl'),
      text('endReason') ?? undefined,
    );
  }
  return body as T;
}

const stored = (key: string) => {
  try {
    return sessionStorage.getItem(key);
  } catch {
    return null;
  }
};
const store = (key: string, value: string | null) => {
  try {
    if (value === null) sessionStorage.removeItem(key);
    else sessionStorage.setItem(key, value);
  } catch {
    // Storage off: the token lives in memory for this page only.
  }
};

/** A signed-in agent: the cookie, or the token the page keeps. */
export class AgentAccess {
  private token = stored(AGENT_KEY);

  async signIn(email: string, password: string): Promise<void> {
    const answer = await call<{ token?: string }>('/api/v1/auth/login', { body: { email, password, token: true } });
    this.token = answer.token ?? null;
    store(AGENT_KEY, this.token);
  }

  join(code: string): Promise<AgentTicket> {
    return call<AgentTicket>('/api/v1/sessions/join', { body: { code }, bearer: this.token });
  }

  ticket(sessionId: string): Promise<AgentTicket> {
    return call<AgentTicket>(`/api/v1/sessions/${encodeURIComponent(sessionId)}/ticket`, { bearer: this.token });
  }
}

/** An integrator's agent, let in by a watch URL. */
export class LinkAccess {
  private grant = stored(GRANT_KEY);
  branding: Branding = { naked: false, noBottomBar: false, retryUrl: null };
  agentName = '';

  /** A grant kept from before a reload of this tab: the link itself is spent by now. */
  get resumable(): boolean {
    return this.grant !== null;
  }

  async redeem(token: string): Promise<WatchGrant> {
    return this.keep(await call<WatchGrant>('/api/v1/watch/redeem', { body: { token } }));
  }

  async state(): Promise<WatchGrant> {
    return this.keep(await call<WatchGrant>('/api/v1/watch/state', { bearer: this.grant }));
  }

  ticket(): Promise<AgentTicket> {
    return call<AgentTicket>('/api/v1/watch/ticket', { bearer: this.grant });
  }

  private keep(answer: WatchGrant): WatchGrant {
    this.grant = answer.grant;
    this.branding = answer.branding;
    this.agentName = answer.agentName;
    store(GRANT_KEY, answer.grant);
    return answer;
  }
}
