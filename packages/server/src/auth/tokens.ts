/**
 * Signed, short-lived tokens: WebSocket tickets (one minute) and the agent's
 * sign-in cookie, signed with the server secret (server-secret.ts), so tokens
 * survive a restart and every node of a cluster that shares it accepts them.
 */
import { randomUUID } from 'node:crypto';
import { SignJWT, compactVerify, decodeJwt, jwtVerify } from 'jose';

export type Ticket =
  | { role: 'visitor'; sessionId: string; siteKey: string }
  /**
   * `signIn`: the agent's sign-in it was issued under; the handshake checks it still stands.
   * `guest`: instead, the watch grant (a redeemed watch URL) of an integrator's agent without an account.
   */
  | { role: 'agent'; sessionId: string; agentId: string; name: string; signIn: string }
  | { role: 'agent'; sessionId: string; agentId: string; name: string; guest: string };

/** Who a watch URL lets in, and how the page looks: signed into the link, so nothing is stored until it is used. */
export interface WatchLink {
  siteKey: string;
  agent: { id: string; name: string };
  branding: { naked: boolean; noBottomBar: boolean; retryUrl: string | null };
  /** A running session, or a visitor (by short id) who is asked to share first. */
  target: { sessionId: string } | { shortId: string };
  /** Who asked for it: the link and its grant stop working when that admin is disabled or demoted. */
  issuer: Issuer;
}

export type Issuer = { kind: 'key'; id: string } | { kind: 'agent'; id: string };

/** A redeemed watch link: what the watch page holds (a bearer token, never a cookie). */
export interface WatchGrant {
  siteKey: string;
  agent: { id: string; name: string };
  branding: WatchLink['branding'];
  issuer: Issuer;
  /** The session, or the invite the visitor has yet to answer. */
  sessionId?: string;
  inviteId?: string;
  /** The grant's id, carried by the agent tickets it gets. */
  jti: string;
}

/** A ticket as verified: with its own id, which the handshake spends (one socket per ticket). */
export type VerifiedTicket = Ticket & { jti: string };

export interface AgentClaims {
  agentId: string;
  name: string;
  role: 'admin' | 'agent';
}

/** A verified agent cookie: who, and the sign-in it belongs to. */
export interface AgentToken {
  agentId: string;
  /** The sign-in's id: a cookie counts only while its sign-in is recorded and not revoked. */
  jti: string;
  expiresAt: Date;
}

/** How long a ticket opens a socket: long enough to connect, and it is spent by the first. */
export const TICKET_TTL_S = 60;
const AGENT_TTL_S = 12 * 3600;
const DEVICE_TTL_S = 180 * 86_400;
/** A redeemed watch link lasts a working shift; the session's end stops it sooner. */
const GRANT_TTL_S = 8 * 3600;

export class Tokens {
  /** The server secret (see server-secret.ts), used as the HS256 key. */
  constructor(private readonly key: Uint8Array) {}

  ticket(ticket: Ticket): Promise<string> {
    return this.sign({ typ: 'ticket', ...ticket, jti: randomUUID() }, `${TICKET_TTL_S}s`);
  }

  async verifyTicket(token: string): Promise<VerifiedTicket | null> {
    const claims = await this.verify(token, 'ticket');
    if (!claims || typeof claims.jti !== 'string' || typeof claims.sessionId !== 'string') return null;
    if (
      claims.role === 'agent' &&
      (typeof claims.agentId !== 'string' || (typeof claims.signIn !== 'string') === (typeof claims.guest !== 'string'))
    )
      return null;
    return claims as VerifiedTicket;
  }

  /** A new agent cookie; the caller records its sign-in (jti), without which it counts for nothing. */
  async agent(agentId: string): Promise<{ token: string; jti: string; expiresAt: Date }> {
    const jti = randomUUID();
    const expiresAt = new Date((Math.floor(Date.now() / 1000) + AGENT_TTL_S) * 1000);
    const token = await this.sign({ typ: 'agent', agentId, jti }, expiresAt);
    return { token, jti, expiresAt };
  }

  async verifyAgent(token: string): Promise<AgentToken | null> {
    const claims = await this.verify(token, 'agent');
    if (!claims || typeof claims.agentId !== 'string' || typeof claims.exp !== 'number' || typeof claims.jti !== 'string') return null;
    return { agentId: claims.agentId, jti: claims.jti, expiresAt: new Date(claims.exp * 1000) };
  }

  /** A watch URL's token: single use (its jti is spent), valid for `ttlMs`. */
  async watchLink(link: WatchLink, ttlMs: number): Promise<{ token: string; expiresAt: Date }> {
    const expiresAt = new Date(Math.floor((Date.now() + ttlMs) / 1000) * 1000);
    return { token: await this.sign({ typ: 'watch', ...link, jti: randomUUID() }, expiresAt), expiresAt };
  }

  /**
   * A watch URL's token as signed, expired or not (an expired link still says where to retry);
   * null when it is not one of ours.
   */
  async readWatchLink(token: string): Promise<(WatchLink & { jti: string; expired: boolean }) | null> {
    if (!token || token.length > 4096) return null;
    try {
      await compactVerify(token, this.key, { algorithms: ['HS256'] });
      const claims = decodeJwt(token);
      if (claims.typ !== 'watch' || typeof claims.jti !== 'string' || typeof claims.exp !== 'number') return null;
      return { ...(claims as unknown as WatchLink), jti: claims.jti, expired: claims.exp * 1000 <= Date.now() };
    } catch {
      return null;
    }
  }

  grant(grant: Omit<WatchGrant, 'jti'>, jti: string = randomUUID()): Promise<string> {
    return this.sign({ typ: 'grant', ...grant, jti }, `${GRANT_TTL_S}s`);
  }

  async verifyGrant(token: string): Promise<WatchGrant | null> {
    const claims = await this.verify(token, 'grant');
    if (!claims || typeof claims.jti !== 'string' || typeof claims.siteKey !== 'string') return null;
    return claims as unknown as WatchGrant;
  }

  /** The long-lived device cookie of a browser that signed in to this agent's account (login-throttle.ts). */
  device(agentId: string, deviceId: string = randomUUID()): Promise<string> {
    return this.sign({ typ: 'device', agentId, jti: deviceId }, `${DEVICE_TTL_S}s`);
  }

  async verifyDevice(token: string): Promise<{ agentId: string; deviceId: string } | null> {
    const claims = await this.verify(token, 'device');
    if (!claims || typeof claims.agentId !== 'string' || typeof claims.jti !== 'string') return null;
    return { agentId: claims.agentId, deviceId: claims.jti };
  }

  private sign(payload: Record<string, unknown>, expires: string | Date): Promise<string> {
    return new SignJWT(payload).setProtectedHeader({ alg: 'HS256' }).setIssuedAt().setExpirationTime(expires).sign(this.key);
  }

  private async verify(token: string, typ: string): Promise<Record<string, unknown> | null> {
    if (!token || token.length > 4096) return null;
    try {
      const { payload } = await jwtVerify(token, this.key, { algorithms: ['HS256'] });
      return payload.typ === typ ? payload : null;
    } catch {
      return null;
    }
  }
}

export const DEVICE_COOKIE_MAX_AGE_S = DEVICE_TTL_S;
