/**
 * Who may end a session for everyone, the same on every path (the agent socket's `leave {end}`,
 * REST's POST /sessions/{id}/end): an admin; the agent holding the controls; or an agent no other
 * agent is with. Anyone else leaves, and the session goes on for the others.
 */
import type { LiveSession } from './registry.js';

export function mayEndForEveryone(session: Pick<LiveSession, 'controlBy' | 'agents'>, agentId: string, admin: boolean): boolean {
  return admin || session.controlBy === agentId || session.agents.every((a) => a.id === agentId);
}

export const END_REFUSED = 'Only the agent with the controls, or an admin, ends the session for everyone while other agents are in it.';
