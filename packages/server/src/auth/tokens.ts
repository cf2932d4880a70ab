/**
 * Signed, short-lived tokens: WebSocket tickets (one minute) and the agent's
 * sign-in cookie. The signing secret is made once and kept in the store, so
 * tokens survive a restart and every node of a cluster shares it.
 */
import { randomBytes } from 'node:crypto';
import { SignJWT, jwtVerify } from 'jose';
import type { Store } from '../store/store.js';

export type Ticket =
  | { role: 'visitor'; sessionId: string; siteKey: string }
  | { role: 'agent'; sessionId: string; agentId: string; name: string };

export interface AgentClaims {
  agentId: string;
  name: string;
  role: 'admin' | 'agent';
}

const TICKET_TTL = '60s';
const AGENT_TTL = '12h';

export class Tokens {
  private constructor(private readonly key: Uint8Array) {}

  static async load(store: Store): Promise<Tokens> {
    let secret = await store.getSetting('signing_secret');
    if (!secret) {
      secret = randomBytes(32).toString('base64url');
      await store.setSetting('signing_secret', secret);
    }
    return new Tokens(Buffer.from(secret, 'base64url'));
  }

  ticket(ticket: Ticket): Promise<string> {
    return this.sign({ typ: 'ticket', ...ticket }, TICKET_TTL);
  }

  async verifyTicket(token: string): Promise<Ticket | null> {
    const claims = await this.verify(token, 'ticket');
    return claims as Ticket | null;
  }

  agent(claims: AgentClaims): Promise<string> {
    return this.sign({ typ: 'agent', ...claims }, AGENT_TTL);
  }

  async verifyAgent(token: string): Promise<AgentClaims | null> {
    return (await this.verify(token, 'agent')) as AgentClaims | null;
  }

  private sign(payload: Record<string, unknown>, ttl: string): Promise<string> {
    return new SignJWT(payload).setProtectedHeader({ alg: 'HS256' }).setIssuedAt().setExpirationTime(ttl).sign(this.key);
  }

  private async verify(token: string, typ: string): Promise<Record<string, unknown> | null> {
    try {
      const { payload } = await jwtVerify(token, this.key, { algorithms: ['HS256'] });
      return payload.typ === typ ? payload : null;
    } catch {
      return null;
    }
  }
}
