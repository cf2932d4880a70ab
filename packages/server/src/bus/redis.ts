/**
 * The bus of a cluster: Redis sharded pub/sub (SPUBLISH/SSUBSCRIBE: on a Redis Cluster each topic
 * lives on one shard instead of being broadcast to all; on one Redis it is plain pub/sub).
 *
 * Pub/sub is at-most-once: a subscriber whose connection drops misses what was published meanwhile,
 * and Redis drops a subscriber that reads too slowly. So every message carries its publisher's id
 * and a number counted per topic by that publisher; a subscriber that sees a number skipped (or whose
 * connection came back) hands the next message over marked `lost`, and the room makes its view whole
 * again (agents get a fresh snapshot), rather than showing a view with a hole in it.
 *
 *   byte 0      1 (the envelope's version)
 *   bytes 1-16  the publisher: random per bus, so a restarted node starts a new count
 *   bytes 17-20 the message's number on this topic from this publisher (u32, big-endian, from 1)
 *   bytes 21-   the message
 */
import { randomBytes } from 'node:crypto';
import type { Bus, BusHandler } from './bus.js';
import type { Redis } from '../redis/client.js';

const VERSION = 1;
const HEADER = 21;
/** A topic nobody published on for this long forgets its count (the next message starts again at 1). */
const IDLE_COUNT_MS = 10 * 60_000;

interface Topic {
  handlers: Set<BusHandler>;
  /** The last number heard from each publisher. */
  heard: Map<string, number>;
  /** The connection dropped since the last message: what was published meanwhile is gone. */
  lost: boolean;
  /** Resolves once Redis confirmed the subscription. */
  ready: Promise<void>;
}

export class RedisBus implements Bus {
  private readonly id = randomBytes(16);
  private readonly counts = new Map<string, { n: number; at: number }>();
  private readonly topics = new Map<string, Topic>();
  private readonly sweep: NodeJS.Timeout;

  /**
   * `pub` sends (it may be the registry's connection); `sub` is a connection of its own, which
   * Redis reserves for subscriptions once it subscribes.
   */
  constructor(
    private readonly pub: Redis,
    private readonly sub: Redis,
    private readonly prefix: string,
    private readonly report: (err: unknown) => void,
  ) {
    this.sweep = setInterval(() => {
      const idle = Date.now() - IDLE_COUNT_MS;
      for (const [topic, c] of this.counts) if (c.at < idle) this.counts.delete(topic);
    }, IDLE_COUNT_MS / 2);
    this.sweep.unref();
  }

  async publish(topic: string, message: Uint8Array): Promise<void> {
    const count = this.counts.get(topic) ?? { n: 0, at: 0 };
    // Counted before it is sent: a message that fails to go out is a gap its subscribers will see.
    count.n = count.n >= 0xffffffff ? 1 : count.n + 1;
    count.at = Date.now();
    this.counts.set(topic, count);
    const envelope = Buffer.allocUnsafe(HEADER + message.byteLength);
    envelope[0] = VERSION;
    this.id.copy(envelope, 1);
    envelope.writeUInt32BE(count.n, 17);
    envelope.set(message, HEADER);
    // Queued on the connection, in order, not waited for: a socket's messages are handled one after
    // another, so waiting would hold each visitor to one frame per Redis round trip (bench:load saw the
    // queues grow without end once a round trip passed 80 ms). One that fails is a gap its subscribers see.
    this.pub.sPublish(this.prefix + topic, envelope).catch((err: unknown) => this.failed(err));
  }

  private lastFailure = 0;

  /** Reported once every few seconds at most: an outage fails every publish. */
  private failed(err: unknown): void {
    const now = Date.now();
    if (now - this.lastFailure < 5000) return;
    this.lastFailure = now;
    this.report(err);
  }

  async subscribe(topic: string, handler: BusHandler): Promise<() => void> {
    let t = this.topics.get(topic);
    if (!t) {
      const fresh: Topic = { handlers: new Set(), heard: new Map(), lost: false, ready: Promise.resolve() };
      fresh.ready = this.sub.sSubscribe(this.prefix + topic, (m: Buffer) => this.deliver(fresh, m), true);
      this.topics.set(topic, (t = fresh));
    }
    const mine = t;
    mine.handlers.add(handler);
    try {
      await mine.ready;
    } catch (err) {
      mine.handlers.delete(handler);
      if (mine.handlers.size === 0 && this.topics.get(topic) === mine) this.topics.delete(topic);
      throw err;
    }
    return () => {
      mine.handlers.delete(handler);
      if (mine.handlers.size > 0 || this.topics.get(topic) !== mine) return;
      this.topics.delete(topic);
      this.sub.sUnsubscribe(this.prefix + topic).catch(this.report);
    };
  }

  private deliver(t: Topic, envelope: Buffer): void {
    if (envelope.length < HEADER || envelope[0] !== VERSION)
      return this.report(new Error('A message in an unknown envelope arrived on the bus.'));
    const publisher = envelope.toString('hex', 1, 17);
    const n = envelope.readUInt32BE(17);
    const last = t.heard.get(publisher);
    // 1 after anything is a count that started again (an idle topic), not a loss.
    const skipped = last !== undefined && n !== last + 1 && n !== 1;
    const lost = skipped || t.lost;
    t.lost = false;
    t.heard.set(publisher, n);
    const message = envelope.subarray(HEADER);
    for (const h of [...t.handlers]) {
      try {
        h(message, lost);
      } catch (err) {
        this.report(err);
      }
    }
  }

  /**
   * The subscriber's connection came back (node-redis subscribes again by itself): whatever was
   * published meanwhile is lost. Every topic's handlers hear it at once (an empty message), and the
   * next message is marked too, in case the repair they start was itself lost.
   */
  reconnected(): void {
    for (const t of this.topics.values()) {
      t.lost = true;
      t.heard.clear();
      for (const h of [...t.handlers]) {
        try {
          h(new Uint8Array(0), true);
        } catch (err) {
          this.report(err);
        }
      }
    }
  }

  async close(): Promise<void> {
    clearInterval(this.sweep);
    const channels = [...this.topics.keys()].map((t) => this.prefix + t);
    this.topics.clear();
    if (channels.length > 0) await this.sub.sUnsubscribe(channels).catch(this.report);
  }
}
