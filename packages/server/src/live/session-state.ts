/**
 * How a live session changes, as plain functions on its data: the in-memory registry applies them to
 * the objects in its maps, the Redis registry to the JSON it read, inside a compare-and-set. One set
 * of rules, so the two registries cannot drift apart (the contract suite checks both).
 */
import { randomInt, randomUUID } from 'node:crypto';
import { AGENT_COLORS, limits, modeRank, type AgentInfo, type Mode, type PlatformInfo } from '@tandem/protocol';
import type { Invite, LiveSession, NewSession, PresentVisitor } from './registry.js';

/** Resume tokens a session keeps: one per origin it passed through, the oldest dropped first. */
export const MAX_RESUME_TOKENS = 16;
/** Hand-off tokens a session may have pending (a visitor clicks one link at a time). */
export const MAX_PENDING_HANDOFFS = 5;

/** Every agent that joined the session, with its colour: one who leaves and comes back keeps it. */
export type AgentColors = { id: string; color: string }[];

/** A session code: six digits, no leading zero, so it never loses a digit when someone types it as a number. */
export function randomCode(): string {
  const max = 10 ** limits.codeLength;
  return String(randomInt(max / 10, max));
}

/** A session as it starts: nobody connected yet, ending after the grace unless the visitor connects. */
export function newSession(id: string, code: string, input: NewSession, now: number): LiveSession {
  return {
    id,
    code,
    siteKey: input.siteKey,
    visitorName: input.identity.name ?? null,
    shortId: input.shortId ?? null,
    mode: input.mode,
    maxMode: input.mode,
    createdAt: new Date(now).toISOString(),
    visitorSockets: 0,
    started: false,
    activeSince: null,
    agents: [],
    controlBy: null,
    // A visitor who consented but never connects must not hold a code forever.
    expiresAt: now + input.graceMs,
  };
}

/**
 * How long a registry keeps an invite from its making: its time to answer, then as long again, and at least a minute,
 * past its expiry, so the agent polling it reads "expired" rather than nothing (a quick one, read a moment late, was
 * gone).
 */
export const inviteKeptFor = (ttlMs: number): number => ttlMs + Math.max(ttlMs, 60_000);

/** Whether an invite may still be answered: pending, and its time not over. */
export const inviteOpen = (invite: Invite, now: number): boolean => invite.state === 'pending' && invite.expires >= now;

/** An invite as it reads now: a pending one whose time is over is "expired" (registries store no such change). */
export function inviteAsRead(invite: Invite, now: number): Invite {
  if (invite.state === 'pending' && !inviteOpen(invite, now)) invite.state = 'expired';
  return invite;
}

/** A pending invite of a present visitor, answered by the page that holds its token. */
export function newInvite(visitor: PresentVisitor, agentName: string, ttlMs: number, now: number): Invite {
  return {
    id: randomUUID(),
    token: randomUUID(),
    visitorId: visitor.visitorId,
    siteKey: visitor.siteKey,
    agentName,
    state: 'pending',
    expires: now + ttlMs,
  };
}

export const copySession = (s: LiveSession): LiveSession => ({
  ...s,
  agents: s.agents.map((a) => ({ ...a })),
  ...(s.visitorPlatform ? { visitorPlatform: { ...s.visitorPlatform } } : {}),
});

/** Keeps a new resume token's hash, dropping the oldest beyond the bound. */
export function addResumeHash(hashes: string[], hash: string): void {
  if (hashes.length >= MAX_RESUME_TOKENS) hashes.shift();
  hashes.push(hash);
}

export function changeMode(s: LiveSession, mode: Mode, onlyLower: boolean): { previous: Mode; raised: boolean } | null {
  if (s.mode === mode || (onlyLower && modeRank[mode] > modeRank[s.mode])) return null;
  const previous = s.mode;
  const raised = modeRank[mode] > modeRank[s.maxMode];
  if (raised) s.maxMode = mode;
  s.mode = mode;
  return { previous, raised };
}

/** False when the platform is what the session had (agents are told only of a change). */
export function changePlatform(s: LiveSession, platform: PlatformInfo): boolean {
  if (JSON.stringify(s.visitorPlatform) === JSON.stringify(platform)) return false;
  s.visitorPlatform = { ...platform };
  return true;
}

export function connectVisitor(s: LiveSession, now: number): { first: boolean; started: boolean } {
  s.expiresAt = null;
  const first = s.visitorSockets++ === 0;
  if (first) s.activeSince = new Date(now).toISOString();
  const started = !s.started;
  s.started = true;
  return { first, started };
}

export function disconnectVisitor(s: LiveSession, graceMs: number, now: number): { last: boolean } {
  s.visitorSockets = Math.max(0, s.visitorSockets - 1);
  const last = s.visitorSockets === 0;
  if (last) {
    s.expiresAt = now + graceMs;
    s.activeSince = null;
  }
  return { last };
}

export function connectAgent(s: LiveSession, colors: AgentColors, agent: AgentInfo): { first: boolean; color: string } {
  const known = s.agents.find((a) => a.id === agent.id);
  if (known) {
    known.sockets++;
    return { first: false, color: known.color };
  }
  // In join order, then round again; bounded by the agents there are (each needs a sign-in).
  let color = colors.find((c) => c.id === agent.id)?.color;
  if (color === undefined) {
    color = AGENT_COLORS[colors.length % AGENT_COLORS.length] ?? AGENT_COLORS[0];
    colors.push({ id: agent.id, color });
  }
  s.agents.push({ id: agent.id, name: agent.name, color, sockets: 1 });
  s.controlBy ??= agent.id;
  return { first: true, color };
}

export function disconnectAgent(s: LiveSession, agentId: string): { last: boolean; agent: AgentInfo; holder?: string | null } | null {
  const known = s.agents.find((a) => a.id === agentId);
  if (!known) return null;
  const agent = { id: known.id, name: known.name };
  if (--known.sockets > 0) return { last: false, agent };
  s.agents = s.agents.filter((a) => a !== known);
  if (s.controlBy !== agentId) return { last: true, agent };
  // The holder went: the controls pass to the agent who has been there longest.
  s.controlBy = s.agents[0]?.id ?? null;
  return { last: true, agent, holder: s.controlBy };
}

export function handOverControls(s: LiveSession, from: string, to: string, force: boolean): boolean {
  if ((!force && s.controlBy !== from && s.controlBy !== null) || !s.agents.some((a) => a.id === to)) return false;
  s.controlBy = to;
  return true;
}

/** Open pages remembered per visitor (tabs): beyond this the oldest is forgotten. */
export const MAX_PAGES_PER_VISITOR = 20;

/** A visitor's pages in the presence list: the one listed and, oldest first, the others still open. */
export interface PresencePages<V extends { pageId: string }> {
  listed: V | null;
  older: V[];
}

/** A page of the visitor says it is here: listed now; the page it replaces is kept, should this one go first. Returns the one it replaced. */
export function pageHere<V extends { pageId: string }>(pages: PresencePages<V>, page: V): V | null {
  const before = pages.listed;
  if (before && before.pageId !== page.pageId) {
    pages.older = [...pages.older.filter((p) => p.pageId !== page.pageId), before].slice(-MAX_PAGES_PER_VISITOR);
  }
  pages.listed = page;
  return before;
}

/**
 * A page went. When it was the listed one, the visitor's newest other page is listed instead (they
 * are still on it); returns what was unlisted and what took its place (null: the visitor is gone).
 */
export function pageGone<V extends { pageId: string }>(pages: PresencePages<V>, pageId: string): { unlisted: V; listed: V | null } | null {
  const listed = pages.listed;
  if (!listed || listed.pageId !== pageId) {
    pages.older = pages.older.filter((p) => p.pageId !== pageId);
    return null;
  }
  pages.listed = pages.older.pop() ?? null;
  return { unlisted: listed, listed: pages.listed };
}
