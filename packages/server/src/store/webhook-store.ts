/**
 * The webhooks' part of the store: each site's endpoints, and the durable
 * queue of deliveries the worker sends. The signing secret is kept sealed
 * (auth/secret-box.ts), never in readable form.
 */
import type { DeliveryStatus, WebhookEventType } from '@tandem/protocol/schema';

export interface WebhookEndpointRecord {
  id: string;
  siteKey: string;
  url: string;
  events: WebhookEventType[];
  description: string | null;
  /** The signing secret, sealed under the server secret with the endpoint's id as its name. */
  secretSealed: string;
  enabled: boolean;
  createdAt: string;
}

export interface WebhookEndpointPatch {
  url?: string;
  events?: WebhookEventType[];
  description?: string | null;
  enabled?: boolean;
}

export interface WebhookDeliveryRecord {
  id: string;
  endpointId: string;
  type: string;
  /** Null for a test delivery. With `seq`: a session's deliveries to one endpoint go one at a time, in seq order. */
  sessionId: string | null;
  seq: number | null;
  /** The exact body sent (and signed) on every attempt. */
  payload: string;
  status: DeliveryStatus;
  attempts: number;
  lastStatusCode: number | null;
  lastError: string | null;
  createdAt: string;
  lastAttemptAt: string | null;
  /** While pending: not tried before this time. */
  nextAttemptAt: string | null;
  deliveredAt: string | null;
}

/** A delivery the worker may send now, with where to and the sealed secret to sign it with. */
export interface DueDelivery {
  delivery: WebhookDeliveryRecord;
  url: string;
  secretSealed: string;
  /** The endpoint's site: a node sends for one site at most so much at once. */
  siteKey: string;
}

/** What one attempt came to: delivered, failed for good, or pending with its next time. */
export interface AttemptOutcome {
  status: DeliveryStatus;
  at: string;
  statusCode: number | null;
  error: string | null;
  nextAttemptAt: string | null;
}

export interface WebhookStore {
  /**
   * Adds the endpoint unless its site already has `max`: false then. Atomic,
   * so two requests at once (on two nodes too) cannot both take the last place.
   */
  createEndpoint(endpoint: WebhookEndpointRecord, max: number): Promise<boolean>;
  listEndpoints(siteKey: string): Promise<WebhookEndpointRecord[]>;
  getEndpoint(id: string): Promise<WebhookEndpointRecord | undefined>;
  updateEndpoint(id: string, patch: WebhookEndpointPatch): Promise<void>;
  /** Deletes the endpoint and its deliveries. */
  deleteEndpoint(id: string): Promise<void>;

  enqueueDeliveries(deliveries: WebhookDeliveryRecord[]): Promise<void>;
  getDelivery(id: string): Promise<WebhookDeliveryRecord | undefined>;
  /** Newest first; `before` is the last row of the previous page. */
  listDeliveries(
    endpointId: string,
    options: { limit: number; before?: { createdAt: string; id: string }; status?: DeliveryStatus },
  ): Promise<WebhookDeliveryRecord[]>;
  /**
   * Pending deliveries of enabled endpoints that are due and not claimed, and
   * have no earlier pending delivery of the same session to the same endpoint;
   * none of the endpoints in `skip` nor of the sites in `skipSites` (those the caller sends to as much as it may).
   */
  dueDeliveries(now: string, limit: number, skip?: string[], skipSites?: string[]): Promise<DueDelivery[]>;
  /** The earliest time after `now` a pending delivery becomes due; undefined when none is waiting. */
  nextDeliveryDue(now: string): Promise<string | undefined>;
  /**
   * Claims a delivery until `until`, under a token only this claimant knows:
   * true for exactly one of any number of nodes trying at once.
   */
  claimDelivery(id: string, claim: string, now: string, until: string): Promise<boolean>;
  /** Records an attempt and releases the claim; nothing when the claim is no longer this one. */
  recordAttempt(id: string, claim: string, outcome: AttemptOutcome): Promise<void>;
  /** Releases a claim without counting an attempt (the node is stopping). */
  releaseDelivery(id: string, claim: string): Promise<void>;
  /** Deletes deliveries created before `before`, whatever their state (a disabled endpoint's pending ones too); returns how many. */
  purgeDeliveries(before: string): Promise<number>;
}
