/**
 * Visitors on the site now, for sites that turned presence on: who they are
 * (as the site told us), where they are and on what, so an agent can look one
 * up and invite them. Page content never comes here. In memory, like live
 * sessions; a cluster keeps it in Redis behind the same calls.
 */
import { randomUUID } from 'node:crypto';
import type { Identity, PlatformInfo, ServerToPresence } from '@tandem/protocol';

export interface PresentVisitor {
  visitorId: string;
  siteKey: string;
  identity: Identity;
  /** The unique id carries the site's signature (see Sites.checkIdentity). */
  verified: boolean;
  url: string;
  title: string;
  platform: PlatformInfo;
  /** When this visitor's current page said it was here. */
  since: string;
}

export type InviteState = 'pending' | 'accepted' | 'declined' | 'expired';

export interface Invite {
  /** What the agent polls with. */
  id: string;
  /** What only the invited page receives, and answers with. */
  token: string;
  visitorId: string;
  siteKey: string;
  agentName: string;
  state: InviteState;
  sessionId?: string;
  code?: string;
  expires: number;
}

/** An invite the visitor has not answered is withdrawn after this long. */
export const INVITE_TTL_MS = 2 * 60_000;
/** Bounds: presence is open to any page of an allowed origin, so it is capped. */
export const MAX_PRESENT = 20_000;
/** One site cannot fill the server's presence for the others. */
export const MAX_PRESENT_PER_SITE = 5_000;
const MAX_INVITES = 10_000;

interface Entry {
  visitor: PresentVisitor;
  send(msg: ServerToPresence): void;
}

export class Presence {
  /** By visitor id; a visitor with several tabs open counts once, on their latest page. */
  private readonly byVisitor = new Map<string, Entry>();
  private readonly invites = new Map<string, Invite>();
  private readonly byToken = new Map<string, string>();

  get size(): number {
    return this.byVisitor.size;
  }

  /** Kept as pages come and go: checked on every page that says it is here, so never counted by a scan. */
  countSite(siteKey: string): number {
    return this.perSite.get(siteKey) ?? 0;
  }

  private readonly perSite = new Map<string, number>();

  private track(entry: Entry | undefined, delta: 1 | -1): void {
    if (!entry) return;
    const key = entry.visitor.siteKey;
    const n = (this.perSite.get(key) ?? 0) + delta;
    if (n > 0) this.perSite.set(key, n);
    else this.perSite.delete(key);
  }

  /** Records a page; returns the function that removes it when the page goes. */
  here(visitor: PresentVisitor, send: (msg: ServerToPresence) => void): () => void {
    const entry = { visitor, send };
    this.track(this.byVisitor.get(visitor.visitorId), -1);
    this.byVisitor.set(visitor.visitorId, entry);
    this.track(entry, 1);
    return () => {
      if (this.byVisitor.get(visitor.visitorId) !== entry) return;
      this.byVisitor.delete(visitor.visitorId);
      this.track(entry, -1);
    };
  }

  /** Visitors of a site, newest first; `query` matches name, email, unique id or visitor id. */
  list(siteKey: string, query = '', limit = 100): PresentVisitor[] {
    const q = query.trim().toLowerCase();
    const matches = (v: PresentVisitor) =>
      !q || [v.identity.name, v.identity.email, v.identity.uniqueId, v.visitorId].some((f) => f?.toLowerCase().includes(q));
    return [...this.byVisitor.values()]
      .map((e) => e.visitor)
      .filter((v) => v.siteKey === siteKey && matches(v))
      .sort((a, b) => b.since.localeCompare(a.since))
      .slice(0, limit);
  }

  /** The present visitor with this visitor id or, failing that, this unique id of the site. */
  find(siteKey: string, who: { visitorId?: string; uniqueId?: string }): PresentVisitor | undefined {
    if (who.visitorId) {
      const v = this.byVisitor.get(who.visitorId)?.visitor;
      return v?.siteKey === siteKey ? v : undefined;
    }
    return this.list(siteKey).find((v) => v.identity.uniqueId !== undefined && v.identity.uniqueId === who.uniqueId);
  }

  invite(visitor: PresentVisitor, agentName: string): Invite {
    this.prune();
    const invite: Invite = {
      id: randomUUID(),
      token: randomUUID(),
      visitorId: visitor.visitorId,
      siteKey: visitor.siteKey,
      agentName,
      state: 'pending',
      expires: Date.now() + INVITE_TTL_MS,
    };
    this.invites.set(invite.id, invite);
    this.byToken.set(invite.token, invite.id);
    this.byVisitor.get(visitor.visitorId)?.send({ t: 'invite', token: invite.token, agent: agentName });
    return invite;
  }

  getInvite(id: string): Invite | undefined {
    const invite = this.invites.get(id);
    if (invite?.state === 'pending' && invite.expires < Date.now()) invite.state = 'expired';
    return invite;
  }

  /** The invite whose secret token this is (what the invited page holds). */
  byInviteToken(token: string): Invite | undefined {
    const id = this.byToken.get(token);
    return id === undefined ? undefined : this.getInvite(id);
  }

  /** The invited page answered, with the invite's token; only a pending invite changes. */
  answer(token: string, answer: { accepted: false } | { accepted: true; sessionId: string; code: string }): boolean {
    const invite = this.byInviteToken(token);
    if (!invite || invite.state !== 'pending') return false;
    if (answer.accepted) Object.assign(invite, { state: 'accepted', sessionId: answer.sessionId, code: answer.code });
    else invite.state = 'declined';
    return true;
  }

  private prune(): void {
    const now = Date.now();
    for (const [id, i] of this.invites) {
      if (i.expires + INVITE_TTL_MS < now || this.invites.size > MAX_INVITES) {
        this.invites.delete(id);
        this.byToken.delete(i.token);
      }
    }
  }
}
