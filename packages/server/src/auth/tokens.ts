/**
 * Signed, short-lived tokens: WebSocket tickets (one minute) and the agent's
 * sign-in cookie, signed with the server secret (server-secret.ts), so tokens
 * survive a restart and every node of a cluster that shares it accepts them.
 */
import { SignJWT, jwtVerify } from 'jose';

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
  /** The server secret (see server-secret.ts); it is the HS256 key as is, so older cookies stay valid. */
  constructor(private readonly key: Uint8Array) {}

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
