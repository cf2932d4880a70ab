/**
 * Signed webhooks: the REST shapes that manage a site's endpoints and list
 * their deliveries, and the body each delivery POSTs. The body carries a
 * session event's metadata only (who, when, which mode, how it ended): never
 * page content, never what was typed.
 */
import { Type, type Static, type TSchema } from 'typebox';
import { AgentInfo, EndReason, Id, Mode, SiteKey, Strict, Timestamp, Url } from './common.js';

const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(t: T) => Type.Union([t, Type.Null()]);

/** The session events an endpoint can subscribe to, by the name the webhook gives them. */
export const WEBHOOK_EVENT_TYPES = [
  'session.requested',
  'session.started',
  'agent.joined',
  'agent.left',
  'mode.changed',
  'session.ended',
] as const;
/** Sent only when asked (`POST /api/v1/webhooks/{id}/test`), whatever the endpoint subscribed to. */
export const WEBHOOK_TEST_TYPE = 'webhook.test';

/** Endpoints a site may have. */
export const MAX_WEBHOOKS_PER_SITE = 20;
export const MAX_WEBHOOK_URL_CHARS = 1000;

/** Receivers find these headers on every delivery (README: "Webhooks" has the verification). */
export const WEBHOOK_HEADERS = {
  /** `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>" under the endpoint's secret>` */
  signature: 'tandem-signature',
  /** The delivery's id, the same on every retry: a receiver drops what it already has. */
  id: 'tandem-webhook-id',
  event: 'tandem-event',
} as const;

export const WebhookEventType = Type.Enum(WEBHOOK_EVENT_TYPES, {
  description: 'session.requested, session.started, agent.joined, agent.left, mode.changed, session.ended',
});

// ---- what a delivery POSTs -------------------------------------------------------

const Payload = <T extends string, D extends TSchema>(type: T, data: D, description: string) =>
  Strict(
    {
      /** The delivery's id: the same on every retry of it, so a receiver can drop repeats. */
      id: Id,
      type: Type.Literal(type),
      /** When it happened (the session event's time). */
      createdAt: Timestamp,
      siteKey: SiteKey,
      sessionId: Id,
      /** The session event's number (from 1 per session): a receiver can order and spot gaps. */
      seq: Type.Integer({ minimum: 1 }),
      data,
    },
    description,
  );

export const webhookPayloads = {
  'session.requested': Payload(
    'session.requested',
    Strict({
      mode: Mode,
      visitor: Strict({
        name: Nullable(Type.String()),
        email: Nullable(Type.String()),
        uniqueId: Nullable(Type.String()),
        verified: Type.Boolean(),
      }),
      startUrl: Nullable(Url),
    }),
    'The visitor consented to share; the session has its code (not sent: a live code lets one join).',
  ),
  'session.started': Payload('session.started', Strict({}), 'The visitor’s page connected: sharing begins.'),
  'agent.joined': Payload('agent.joined', Strict({ agent: AgentInfo }), 'An agent opened the session.'),
  'agent.left': Payload('agent.left', Strict({ agent: AgentInfo }), 'An agent’s last view of the session closed.'),
  'mode.changed': Payload('mode.changed', Strict({ mode: Mode, previous: Mode }), 'The visitor set what agents may do.'),
  'session.ended': Payload('session.ended', Strict({ reason: EndReason }), 'The session ended; nothing of it follows.'),
  [WEBHOOK_TEST_TYPE]: Strict(
    {
      id: Id,
      type: Type.Literal(WEBHOOK_TEST_TYPE),
      createdAt: Timestamp,
      siteKey: SiteKey,
      sessionId: Type.Null(),
      seq: Type.Null(),
      data: Strict({}),
    },
    'Asked for with POST /api/v1/webhooks/{id}/test: checks the address and the signature.',
  ),
};

export const WebhookPayload = Type.Union(Object.values(webhookPayloads) as [(typeof webhookPayloads)[keyof typeof webhookPayloads]], {
  description: 'The JSON body of a delivery; `type` says which of these it is.',
});

// ---- endpoints ------------------------------------------------------------------

const WebhookUrl = Type.String({
  minLength: 1,
  maxLength: MAX_WEBHOOK_URL_CHARS,
  description: 'https (plain http only for hosts the server allows); private, loopback and link-local addresses are refused',
});
const Events = Type.Array(WebhookEventType, { minItems: 1, maxItems: WEBHOOK_EVENT_TYPES.length, uniqueItems: true });
const Description = Type.String({ maxLength: 200 });

export const CreateWebhookBody = Strict({
  url: WebhookUrl,
  /** Left out: every event type. */
  events: Type.Optional(Events),
  description: Type.Optional(Description),
});

export const WebhookPatch = Strict({
  url: Type.Optional(WebhookUrl),
  events: Type.Optional(Events),
  /** A disabled endpoint gets no new deliveries; its pending ones wait until it is enabled again. */
  enabled: Type.Optional(Type.Boolean()),
  // Null first: with the server's type coercion a null would otherwise become an empty string.
  description: Type.Optional(Type.Union([Type.Null(), Description])),
});

const webhookFields = {
  id: Type.String(),
  siteKey: Type.String(),
  url: Type.String(),
  events: Type.Array(WebhookEventType),
  description: Nullable(Type.String()),
  enabled: Type.Boolean(),
  createdAt: Timestamp,
};

export const Webhook = Type.Object(webhookFields);
export const WebhookCreated = Type.Object({
  ...webhookFields,
  /** `whsec_…`: what the receiver checks signatures with. Shown in this answer only. */
  secret: Type.String(),
});
export const WebhookList = Type.Object({ webhooks: Type.Array(Webhook) });

// ---- deliveries -----------------------------------------------------------------

export const DELIVERY_STATUSES = ['pending', 'delivered', 'failed'] as const;
export const DeliveryStatus = Type.Enum(DELIVERY_STATUSES, {
  description: 'pending: not sent yet or retrying; delivered: a 2xx answer; failed: given up',
});

export const WebhookDelivery = Type.Object({
  id: Type.String(),
  webhookId: Type.String(),
  type: Type.String(),
  sessionId: Nullable(Type.String()),
  seq: Nullable(Type.Integer()),
  status: DeliveryStatus,
  attempts: Type.Integer(),
  /** The HTTP status of the last attempt; null when it got no answer (refused, timed out, not sent). */
  lastStatusCode: Nullable(Type.Integer()),
  lastError: Nullable(Type.String()),
  createdAt: Timestamp,
  lastAttemptAt: Nullable(Timestamp),
  /** While pending: when it is tried next. */
  nextAttemptAt: Nullable(Timestamp),
  deliveredAt: Nullable(Timestamp),
});

export const WebhookDeliveryList = Type.Object({
  deliveries: Type.Array(WebhookDelivery),
  /** Pass as `cursor` for the next (older) page; null on the last page. */
  nextCursor: Nullable(Type.String()),
});

export const WebhookDeliveryQuery = Type.Object({
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 20 })),
  cursor: Type.Optional(Type.String({ maxLength: 200 })),
  status: Type.Optional(DeliveryStatus),
});

export const WebhookTestQueued = Type.Object({ delivery: WebhookDelivery });

export type WebhookEventType = Static<typeof WebhookEventType>;
export type WebhookPayload = Static<typeof WebhookPayload>;
export type CreateWebhookBody = Static<typeof CreateWebhookBody>;
export type WebhookPatch = Static<typeof WebhookPatch>;
export type Webhook = Static<typeof Webhook>;
export type WebhookCreated = Static<typeof WebhookCreated>;
export type WebhookDelivery = Static<typeof WebhookDelivery>;
export type DeliveryStatus = Static<typeof DeliveryStatus>;
