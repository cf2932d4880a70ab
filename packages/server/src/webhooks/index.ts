/**
 * Signed webhooks, as one feature of the server: a follower of this node's
 * session events queues a delivery per subscribed endpoint (in the store, so
 * it survives a restart), and the worker sends the queue. In a cluster each
 * node queues the events it published, once, and any node may send them.
 */
import { randomUUID } from 'node:crypto';
import { WEBHOOK_EVENT_TYPES, type WebhookEventType } from '@tandem/protocol/schema';
import type { SecretBox } from '../auth/secret-box.js';
import type { SessionEvents } from '../live/session-events.js';
import type { WebhookDeliveryRecord, WebhookEndpointRecord, WebhookStore } from '../store/webhook-store.js';
import type { WebhookConfig } from './config.js';
import { eventPayload, testPayload, webhookTypeOf } from './payloads.js';
import { newWebhookSecret } from './send.js';
import { DeliveryWorker } from './worker.js';
import { sortableId } from './ids.js';

/**
 * A session's deliveries first wait this long: in a cluster, two of its events
 * published on two nodes at once may reach the store in either order, and the
 * worker sends a session's events in `seq` order only among those it can see.
 */
const ORDER_HOLD_MS = 500;

export interface WebhookDeps {
  store: WebhookStore;
  config: WebhookConfig;
  events: SessionEvents;
  box: SecretBox;
  report: (err: unknown) => void;
}

export class Webhooks {
  private readonly worker: DeliveryWorker;

  constructor(private readonly deps: WebhookDeps) {
    this.worker = new DeliveryWorker(deps);
  }

  get config(): WebhookConfig {
    return this.deps.config;
  }

  /** Follows this node's events (before any session can start) and starts sending. */
  start(): void {
    this.deps.events.followLocal(async (e) => {
      const type = webhookTypeOf(e);
      if (!type) return;
      const endpoints = (await this.deps.store.listEndpoints(e.siteKey)).filter((x) => x.enabled && x.events.includes(type));
      if (endpoints.length === 0) return;
      const now = Date.now();
      const deliveries = endpoints.map((endpoint) => {
        const id = sortableId(now);
        return pending(id, endpoint.id, type, e.sessionId, e.seq, JSON.stringify(eventPayload(id, e)), now, ORDER_HOLD_MS);
      });
      await this.deps.store.enqueueDeliveries(deliveries);
      this.worker.kick();
    });
    this.worker.start();
  }

  /** Looks at the queue now (an endpoint was enabled again). */
  kick(): void {
    this.worker.kick();
  }

  stop(): Promise<void> {
    return this.worker.stop();
  }

  /** Creates an endpoint; its secret is returned here and never again. Undefined when the site has its maximum. */
  async create(
    siteKey: string,
    input: { url: string; events?: WebhookEventType[]; description?: string },
    max: number,
  ): Promise<{ endpoint: WebhookEndpointRecord; secret: string } | undefined> {
    const id = randomUUID();
    const secret = newWebhookSecret();
    const endpoint: WebhookEndpointRecord = {
      id,
      siteKey,
      url: new URL(input.url).href,
      events: input.events ?? [...WEBHOOK_EVENT_TYPES],
      description: input.description ?? null,
      // Bound to the endpoint's id: a sealed secret copied to another row does not open there.
      secretSealed: this.deps.box.seal(secret, id),
      enabled: true,
      createdAt: new Date().toISOString(),
    };
    return (await this.deps.store.createEndpoint(endpoint, max)) ? { endpoint, secret } : undefined;
  }

  /** Queues a `webhook.test` delivery to this endpoint, whatever it subscribed to. */
  async queueTest(endpoint: WebhookEndpointRecord): Promise<WebhookDeliveryRecord> {
    const now = Date.now();
    const id = sortableId(now);
    const delivery = pending(
      id,
      endpoint.id,
      'webhook.test',
      null,
      null,
      JSON.stringify(testPayload(id, endpoint.siteKey, new Date(now).toISOString())),
      now,
      0,
    );
    await this.deps.store.enqueueDeliveries([delivery]);
    this.worker.kick();
    return delivery;
  }
}

function pending(
  id: string,
  endpointId: string,
  type: string,
  sessionId: string | null,
  seq: number | null,
  payload: string,
  now: number,
  holdMs: number,
): WebhookDeliveryRecord {
  return {
    id,
    endpointId,
    type,
    sessionId,
    seq,
    payload,
    status: 'pending',
    attempts: 0,
    lastStatusCode: null,
    lastError: null,
    createdAt: new Date(now).toISOString(),
    lastAttemptAt: null,
    nextAttemptAt: new Date(now + holdMs).toISOString(),
    deliveredAt: null,
  };
}
