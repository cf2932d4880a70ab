/**
 * REST request and response shapes, declared once for the server (which
 * validates with them and documents them in OpenAPI), the SDK and the console
 * (which import the types only).
 */
import { Type, type Static } from 'typebox';
import { EndReason, Id, Identity, Mode, PlatformInfo, Rules, SiteKey, Strict, Timestamp, Url } from './common.js';
import { ERROR_CODES } from '../errors.js';
import { MAX_URL_CHARS } from '../control.js';

const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(t: T) => Type.Union([t, Type.Null()]);

export const ProblemField = Type.Object({
  field: Type.String({ description: 'A JSON pointer into the request: /body/agent/name, /query/limit, /path/id' }),
  problem: Type.String({ description: 'What is wrong with it, for a person: "must NOT have more than 20 characters"' }),
});

export const ErrorBody = Type.Object(
  {
    type: Type.String({
      description: 'A URI reference per code: /api/docs#TDM_NOT_FOUND (resolved against the server, the code’s entry in its docs)',
    }),
    title: Type.String({ description: 'The code’s sentence: the same for every occurrence' }),
    status: Type.Integer({ minimum: 400, maximum: 599, description: 'The HTTP status of this answer' }),
    detail: Type.String({ description: 'What this occurrence says (the title when nothing more)' }),
    instance: Type.Optional(Type.String({ description: 'The path of the request that failed' })),
    code: Type.Enum(ERROR_CODES, { description: 'The stable code to branch on' }),
    message: Type.String({ description: 'Title and detail as one sentence, for clients older than problem details' }),
    errors: Type.Optional(Type.Array(ProblemField, { description: 'Each input at fault, when the request did not fit the schema' })),
    /** With TDM_SESSION_ENDED: how the session ended, when the server knows. */
    endReason: Type.Optional(EndReason),
    /** With a watch link's errors (spent, expired, declined): where the integrator offers to try again. */
    retryUrl: Type.Optional(Type.String()),
  },
  {
    description:
      'Every REST error: RFC 9457 problem details (application/problem+json) with the stable code and the sentence a person understands.',
  },
);

// ---- visitor SDK -----------------------------------------------------------

export const StartSessionBody = Strict({
  siteKey: SiteKey,
  identity: Type.Optional(Identity),
  url: Type.Optional(Type.String({ maxLength: MAX_URL_CHARS })),
  /** The mode the site's `init` asked for (else the site's default); agents may ask the visitor for more. */
  mode: Type.Optional(Mode),
  /** The token of the invite the visitor accepted, when an agent asked first. */
  invite: Type.Optional(Type.String({ maxLength: 64 })),
  /** This browser's presence id (sites with presence on): a watch URL for the visitor's short id joins this session. */
  visitorId: Type.Optional(Type.String({ minLength: 8, maxLength: 64 })),
});

export const Started = Type.Object({
  sessionId: Type.String(),
  code: Type.String(),
  /** A one-minute ticket for the visitor WebSocket. */
  ticket: Type.String(),
  /** Proves on the next page that this is the visitor who consented. */
  resumeToken: Type.String(),
  /** What agents may do now. */
  mode: Mode,
});

export const ResumeBody = Strict({ resumeToken: Type.String({ maxLength: 200 }) });
export const Resumed = Type.Object({ sessionId: Type.String(), code: Type.String(), ticket: Type.String() });
export const HandoffIssued = Type.Object({ handoff: Type.String(), expiresInMs: Type.Number() });
export const RedeemHandoffBody = Strict({
  handoff: Type.String({ maxLength: 200 }),
  /** The origin of the page the visitor came from (document.referrer). */
  from: Type.Optional(Type.String({ maxLength: 300 })),
  /** The visitor agreed again, on this page, to go on sharing. */
  consented: Type.Optional(Type.Boolean()),
});

// ---- agents and sessions ---------------------------------------------------

export const Me = Type.Object({ id: Type.String(), name: Type.String(), role: Type.String() });
export const LoginBody = Strict({ email: Type.String({ maxLength: 200 }), password: Type.String({ maxLength: 200 }) });

export const JoinBody = Strict({ code: Type.String({ minLength: 1, maxLength: 20 }) });
export const AgentTicket = Type.Object({
  sessionId: Type.String(),
  ticket: Type.String(),
  visitorName: Nullable(Type.String()),
  /** The session's code, for a signed-in agent: what it gives a colleague to bring them in. */
  code: Type.Optional(Type.String()),
});

const sessionFields = {
  id: Type.String(),
  siteKey: Type.String(),
  /** The code while the session is live (null once it ended); left out for an agent who has not joined it (a code lets anyone in). */
  code: Type.Optional(Nullable(Type.String())),
  visitorName: Nullable(Type.String()),
  visitorEmail: Nullable(Type.String()),
  visitorUniqueId: Nullable(Type.String()),
  /** Where the session started, without query or fragment. */
  startUrl: Nullable(Type.String()),
  createdAt: Timestamp,
  endedAt: Nullable(Timestamp),
  endReason: Nullable(Type.String()),
  /** The most the visitor allowed agents: view, navigate or control. */
  maxMode: Nullable(Type.String()),
  live: Type.Boolean(),
};

/** A session as the list gives it: with each agent who joined it once, named as when they first joined (filters by agent). */
export const Session = Type.Object({
  ...sessionFields,
  agents: Type.Array(Type.Object({ agentId: Type.String(), agentName: Type.String() })),
});

/** One session: every join of an agent, with its time (a rejoin is a join). */
export const SessionDetail = Type.Object({
  ...sessionFields,
  agents: Type.Array(Type.Object({ agentId: Type.String(), agentName: Type.String(), joinedAt: Timestamp })),
});

export const SessionList = Type.Object({ sessions: Type.Array(Session) });
export const SessionListQuery = Type.Object({
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 50 })),
  active: Type.Optional(Type.Boolean()),
});

// ---- sites -----------------------------------------------------------------

/** An origin (scheme, host, port) of an agent desktop allowed to frame the watch page. */
export const DesktopOrigin = Type.String({ maxLength: 200, pattern: '^https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?$' });
export const DesktopOrigins = Type.Array(DesktopOrigin, { maxItems: 20 });

export const SiteSettings = Type.Object({
  defaultMode: Mode,
  presence: Type.Boolean(),
  /** Agent desktops (their origins) that may embed the watch page in an iframe. */
  agentDesktopOrigins: DesktopOrigins,
  masking: Type.Object({ selectors: Rules, blockSelectors: Rules }),
});
export const SiteSettingsPatch = Strict({
  defaultMode: Type.Optional(Mode),
  presence: Type.Optional(Type.Boolean()),
  /** Admins only: it decides who may frame the agent's page. */
  agentDesktopOrigins: Type.Optional(DesktopOrigins),
  masking: Type.Optional(Strict({ selectors: Type.Optional(Rules), blockSelectors: Type.Optional(Rules) })),
});
export const Site = Type.Object({ key: Type.String(), name: Type.String() });
export const SiteList = Type.Object({ sites: Type.Array(Site) });
export const CreateSiteBody = Strict({ key: SiteKey, name: Type.Optional(Type.String({ maxLength: 200 })) });
export const IdentitySecret = Type.Object({ secret: Type.String() });

/** One of the site's rules as a live page counted it: null when the page's browser could not parse it. */
/** count: matches on the page; -1 not counted (the rule tests values or state); null not a selector in the visitor's browser. */
const RuleCount = Type.Object({ selector: Type.String(), count: Nullable(Type.Integer({ minimum: -1 })) });
/**
 * What a live visitor's page of the site last said its rules match: metadata only (where, when, how
 * many), never the page's content. The page may lie: it is a hint for whoever writes the rules, not a proof.
 */
export const SelectorCountsPage = Type.Object({
  sessionId: Type.String(),
  /** The page, without query or fragment. */
  url: Url,
  at: Timestamp,
  /** Each of the site's masking rules as the page had them, in their order. */
  selectors: Type.Array(RuleCount),
  blockSelectors: Type.Array(RuleCount),
});
export const SelectorCountsList = Type.Object({
  /** The site's live pages that counted, the most recent first (a few at most). */
  pages: Type.Array(SelectorCountsPage),
});

// ---- presence --------------------------------------------------------------

/** A visitor present on a site. Their browser's presence id is not here: it stays between the page and the server (short-ids.ts). */
export const PresentVisitor = Type.Object({
  /** What the visitor can read out, what invites and watch URLs name them by. */
  shortId: Type.String(),
  identity: Type.Object({ name: Type.Optional(Type.String()), email: Type.Optional(Type.String()), uniqueId: Type.Optional(Type.String()) }),
  /** The unique id was signed by the site (only signed ones are kept once the site has an identity secret). */
  verified: Type.Boolean(),
  url: Url,
  title: Type.String(),
  platform: PlatformInfo,
  since: Timestamp,
});
export const VisitorList = Type.Object({ visitors: Type.Array(PresentVisitor) });
export const VisitorQuery = Type.Object({ q: Type.Optional(Type.String({ maxLength: 200 })) });
export const InviteBody = Strict({
  shortId: Type.Optional(Type.String({ pattern: '^[0-9A-HJKMNP-TV-Z]{8}$' })),
  uniqueId: Type.Optional(Type.String({ maxLength: 200 })),
});
export const InviteState = Type.Object({
  inviteId: Type.String(),
  state: Type.Enum(['pending', 'accepted', 'declined', 'expired'] as const),
  code: Type.Optional(Type.String()),
  sessionId: Type.Optional(Type.String()),
});

export const IdParams = Type.Object({ id: Id });
export const SiteParams = Type.Object({ key: SiteKey });

export type ErrorBody = Static<typeof ErrorBody>;
export type StartSessionBody = Static<typeof StartSessionBody>;
export type Started = Static<typeof Started>;
export type Resumed = Static<typeof Resumed>;
export type HandoffIssued = Static<typeof HandoffIssued>;
export type Me = Static<typeof Me>;
export type AgentTicket = Static<typeof AgentTicket>;
export type Session = Static<typeof Session>;
export type SessionDetail = Static<typeof SessionDetail>;
export type SiteSettings = Static<typeof SiteSettings>;
export type Site = Static<typeof Site>;
export type SiteSettingsPatch = Static<typeof SiteSettingsPatch>;
export type PresentVisitor = Static<typeof PresentVisitor>;
export type SelectorCountsPage = Static<typeof SelectorCountsPage>;
export type SelectorCountsList = Static<typeof SelectorCountsList>;
export type InviteState = Static<typeof InviteState>;
