/**
 * Sends what the delivery queue holds. Every node runs one; a delivery is
 * claimed in the store before it is sent (a conditional UPDATE only one node
 * can win), so two nodes never both send it. A node that dies mid-send leaves
 * its claim to expire, and the delivery is sent again: at least once, never
 * twice at the same time.
 *
 * It wakes when this node queues something, when a retry falls due, and every
 * few seconds for what other nodes queued.
 */
import { randomUUID } from 'node:crypto';
import type { SecretBox } from '../auth/secret-box.js';
import type { AttemptOutcome, DueDelivery, WebhookDeliveryRecord, WebhookStore } from '../store/webhook-store.js';
import type { WebhookConfig } from './config.js';
import { postDelivery, type AttemptResult } from './send.js';

/**
 * Sends in flight on one node, to one endpoint and for one site: a slow receiver does not hold up
 * the others, and one site's receivers (a site has up to 20) never take every place from other sites.
 */
const MAX_IN_FLIGHT = 8;
const MAX_IN_FLIGHT_PER_ENDPOINT = 2;
const MAX_IN_FLIGHT_PER_SITE = 4;
/** How often the queue is looked at when nothing woke the worker (other nodes' deliveries). */
const POLL_MS = 2_000;
/** A claim outlives the longest attempt by far; it only matters when a node died mid-send. */
const CLAIM_MS = 60_000;
/** The longest wait between two attempts. */
const MAX_RETRY_DELAY_MS = 6 * 3_600_000;
const PURGE_EVERY_MS = 3_600_000;

const iso = (ms: number) => new Date(ms).toISOString();

export interface WorkerDeps {
  store: WebhookStore;
  config: WebhookConfig;
  /** Opens the endpoints' signing secrets. */
  box: SecretBox;
  report: (err: unknown) => void;
}

export class DeliveryWorker {
  private readonly inFlight = new Map<string, { endpointId: string; siteKey: string; done: Promise<void> }>();
  private readonly stopping = new AbortController();
  private timer: NodeJS.Timeout | undefined;
  private purgeTimer: NodeJS.Timeout | undefined;
  private ticking: Promise<void> | null = null;
  private again = false;

  constructor(private readonly deps: WorkerDeps) {}

  start(): void {
    this.purge();
    this.purgeTimer = setInterval(() => this.purge(), PURGE_EVERY_MS);
    this.purgeTimer.unref();
    this.kick();
  }

  /** Looks at the queue now (something was queued, or a send finished and the next of its session may go). */
  kick(): void {
    if (this.stopping.signal.aborted) return;
    if (this.ticking) {
      this.again = true;
      return;
    }
    clearTimeout(this.timer);
    this.ticking = this.tick().finally(() => {
      this.ticking = null;
      if (this.again) {
        this.again = false;
        this.kick();
      }
    });
  }

  /** Stops sending: sends in flight are cut and their claims released (sent again after the restart). */
  async stop(): Promise<void> {
    this.stopping.abort();
    clearTimeout(this.timer);
    clearInterval(this.purgeTimer);
    await this.ticking;
    await Promise.allSettled([...this.inFlight.values()].map((f) => f.done));
  }

  private async tick(): Promise<void> {
    const { store, report } = this.deps;
    try {
      const free = MAX_IN_FLIGHT - this.inFlight.size;
      if (free > 0) {
        const now = Date.now();
        // Endpoints this node already sends to as much as it may are left out, so one with a long
        // queue does not fill every batch while another's deliveries wait behind it.
        const due = await store.dueDeliveries(iso(now), free * 2, this.busyEndpoints(), this.busySites());
        let claimed = 0;
        for (const d of due) {
          if (this.stopping.signal.aborted || this.inFlight.size >= MAX_IN_FLIGHT) break;
          if (this.inFlight.has(d.delivery.id) || this.sendingTo(d.delivery.endpointId) >= MAX_IN_FLIGHT_PER_ENDPOINT) continue;
          if (this.sendingFor(d.siteKey) >= MAX_IN_FLIGHT_PER_SITE) continue;
          const claim = randomUUID();
          if (!(await store.claimDelivery(d.delivery.id, claim, iso(now), iso(now + CLAIM_MS)))) continue;
          this.send(d, claim);
          claimed++;
        }
        // Room left and something was taken: look again at once, without the endpoints now busy.
        if (claimed > 0 && this.inFlight.size < MAX_IN_FLIGHT) this.again = true;
      }
      if (this.stopping.signal.aborted) return;
      const next = await store.nextDeliveryDue(iso(Date.now()));
      const wait = next === undefined ? POLL_MS : Math.min(POLL_MS, Math.max(0, Date.parse(next) - Date.now()) + 5);
      this.schedule(wait);
    } catch (err) {
      report(err);
      this.schedule(POLL_MS);
    }
  }

  private schedule(ms: number): void {
    if (this.stopping.signal.aborted) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.kick(), ms);
    this.timer.unref();
  }

  private busyEndpoints(): string[] {
    const ids = new Set([...this.inFlight.values()].map((f) => f.endpointId));
    return [...ids].filter((id) => this.sendingTo(id) >= MAX_IN_FLIGHT_PER_ENDPOINT);
  }

  private busySites(): string[] {
    const keys = new Set([...this.inFlight.values()].map((f) => f.siteKey));
    return [...keys].filter((key) => this.sendingFor(key) >= MAX_IN_FLIGHT_PER_SITE);
  }

  private sendingFor(siteKey: string): number {
    let n = 0;
    for (const f of this.inFlight.values()) if (f.siteKey === siteKey) n++;
    return n;
  }

  private sendingTo(endpointId: string): number {
    let n = 0;
    for (const f of this.inFlight.values()) if (f.endpointId === endpointId) n++;
    return n;
  }

  private send(due: DueDelivery, claim: string): void {
    const { store, config, box, report } = this.deps;
    const d = due.delivery;
    const attempt = async () => {
      const secret = box.open(due.secretSealed, d.endpointId);
      const result: AttemptResult =
        secret === null
          ? { ok: false, statusCode: null, error: 'The signing secret cannot be opened: was the server secret replaced?' }
          : await postDelivery({ url: due.url, body: d.payload, secret, deliveryId: d.id, type: d.type }, config, this.stopping.signal);
      // Cut short by the shutdown: not an attempt the receiver is to blame for.
      if (!result.ok && this.stopping.signal.aborted) return store.releaseDelivery(d.id, claim);
      await store.recordAttempt(d.id, claim, outcome(d, result, Date.now(), config));
    };
    const done = attempt()
      .catch(report)
      .finally(() => {
        this.inFlight.delete(d.id);
        this.kick();
      });
    this.inFlight.set(d.id, { endpointId: d.endpointId, siteKey: due.siteKey, done });
  }

  private purge(): void {
    const before = iso(Date.now() - this.deps.config.retentionDays * 86_400_000);
    this.deps.store.purgeDeliveries(before).catch(this.deps.report);
  }
}

/**
 * Delivered on a 2xx. Otherwise tried again after base·2^(n−1) (at most 6 h),
 * the second half of it random so that receivers coming back are not hit by
 * every sender at once; given up after the last attempt, or when the next one
 * would fall after the delivery's maximum age.
 */
export function outcome(d: WebhookDeliveryRecord, result: AttemptResult, at: number, config: WebhookConfig): AttemptOutcome {
  const base = { at: iso(at), statusCode: result.statusCode, error: result.error };
  if (result.ok) return { ...base, status: 'delivered', nextAttemptAt: null };
  const attempts = d.attempts + 1;
  const next = at + retryDelay(attempts, config.retryBaseMs);
  if (attempts >= config.maxAttempts || next > Date.parse(d.createdAt) + config.maxAgeMs)
    return { ...base, status: 'failed', nextAttemptAt: null };
  return { ...base, status: 'pending', nextAttemptAt: iso(next) };
}

/** The wait after the n-th failed attempt: half fixed, half random. */
export function retryDelay(attempts: number, baseMs: number, random = Math.random()): number {
  const full = Math.min(MAX_RETRY_DELAY_MS, baseMs * 2 ** Math.min(attempts - 1, 30));
  return Math.round(full / 2 + (random * full) / 2);
}
