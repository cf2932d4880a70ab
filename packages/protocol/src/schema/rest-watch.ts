/**
 * REST shapes of the integrator flows modelled on Upscope's: find a visitor
 * (by short id, the site's own id, name or email), get a single-use watch URL
 * for them or for a running session, and what the watch page exchanges the
 * link for. Field names follow Upscope's (`watch_url`, `no_bottom_bar`,
 * `retry_url`) so an integration written for it reads the same.
 */
import { Type, type Static } from 'typebox';
import { Id, SiteKey, Strict, Timestamp } from './common.js';
import { PresentVisitor } from './rest.js';

/** Crockford base32 without I, L, O, U: eight characters a visitor can read over the phone. */
export const SHORT_ID_PATTERN = '^[0-9A-HJKMNP-TV-Z]{8}$';
export const ShortId = Type.String({ pattern: SHORT_ID_PATTERN, description: 'A visitor’s short id: 8 characters, stable for that browser' });

// ---- visitor look-up -------------------------------------------------------

export const VisitorSearchQuery = Type.Object({
  /** A short id, `id:UNIQUEID` (the site's own id, exact), or part of a name or email. Empty: everyone present. */
  q: Type.Optional(Type.String({ maxLength: 200 })),
  /** Which site: required for an admin (key or agent), implied by a site's key. */
  site: Type.Optional(SiteKey),
  cursor: Type.Optional(Type.String({ maxLength: 200 })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 20 })),
});

export const FoundVisitor = Type.Object({
  short_id: Type.String(),
  site: Type.String(),
  ...Type.Pick(PresentVisitor, ['identity', 'verified', 'url', 'title', 'platform', 'since']).properties,
  /** The visitor shares their tab now (a watch URL for them joins that session without asking again). */
  in_session: Type.Boolean(),
});

export const VisitorSearchResult = Type.Object({
  visitors: Type.Array(FoundVisitor),
  /** Pass as `cursor` for the next page; null on the last. */
  next_cursor: Type.Union([Type.String(), Type.Null()]),
});

// ---- watch URLs ------------------------------------------------------------

/** The integrator's own id for its agent: shown nowhere, kept in the audit (prefixed `ext-`). */
export const EXTERNAL_AGENT_ID_PATTERN = '^[A-Za-z0-9._:@-]{1,60}$';

export const WatchUrlBody = Strict({
  agent: Strict({
    id: Type.String({ pattern: EXTERNAL_AGENT_ID_PATTERN }),
    /** The name the visitor sees. */
    name: Type.String({ minLength: 1, maxLength: 100 }),
  }),
  branding: Type.Optional(
    Strict({
      /** The visitor's page alone: no header, no Tandem name. */
      naked: Type.Optional(Type.Boolean()),
      /** No session bar (mode requests, end) under the page. */
      no_bottom_bar: Type.Optional(Type.Boolean()),
      /** Offered on the page that says the link is spent or expired, or the visitor declined: http(s) only. */
      retry_url: Type.Optional(Type.String({ maxLength: 2000 })),
    }),
  ),
});

export const WatchUrl = Type.Object({
  watch_url: Type.String(),
  /** After this the link opens nothing (it opens once in any case). */
  expires_at: Timestamp,
});

/** As typed or read out: any case, a space or a dash between the halves; the server reads I and L as 1, O as 0. */
export const ShortIdParams = Type.Object({
  shortId: Type.String({ minLength: 8, maxLength: 10, pattern: '^[0-9A-Za-z]{4}[ -]?[0-9A-Za-z]{4}$' }),
});

// ---- the watch page's side -------------------------------------------------

export const Branding = Type.Object({
  naked: Type.Boolean(),
  noBottomBar: Type.Boolean(),
  retryUrl: Type.Union([Type.String(), Type.Null()]),
});

export const RedeemWatchBody = Strict({ token: Type.String({ minLength: 1, maxLength: 4096 }) });

export const WatchState = Type.Enum(['pending', 'accepted', 'declined', 'expired'] as const, {
  description: 'pending: the visitor is asked to share; accepted: the session runs; declined; expired: no answer in time',
});

/** A link redeemed: a bearer grant the page keeps in memory (and its tab's sessionStorage), never a cookie. */
export const WatchGrant = Type.Object({
  grant: Type.String(),
  state: WatchState,
  sessionId: Type.Union([Id, Type.Null()]),
  agentName: Type.String(),
  branding: Branding,
});

export type FoundVisitor = Static<typeof FoundVisitor>;
export type VisitorSearchResult = Static<typeof VisitorSearchResult>;
export type WatchUrlBody = Static<typeof WatchUrlBody>;
export type WatchUrl = Static<typeof WatchUrl>;
export type Branding = Static<typeof Branding>;
export type WatchState = Static<typeof WatchState>;
export type WatchGrant = Static<typeof WatchGrant>;
