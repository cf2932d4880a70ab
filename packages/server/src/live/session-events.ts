/**
 * The stream of session events. A room says what happened; the stream stamps
 * the session's next sequence number (from the registry, so every node
 * agrees), the time and this node's id, and publishes it on the bus. Followers
 * are of two kinds: `local` ones get this node's own events, in order, and the
 * publisher waits for them (the metadata writer: each node records what it
 * published, once, and a REST answer can read what it just did); `all` ones get
 * every node's events from the bus, checked against the schema (the
 * controller channel and webhooks follow those).
 */
import { randomUUID } from 'node:crypto';
import type { SessionEvent, SessionEventInput } from '@tandem/protocol';
import { validateBusMessage } from '@tandem/protocol/schema';
import { SESSION_EVENTS, type Bus } from '../bus/bus.js';
import type { Registry } from './registry.js';
import { encode } from './wire.js';

export type EventFollower = (event: SessionEvent) => void | Promise<void>;

export class SessionEvents {
  /** This node's id in the events it publishes. */
  readonly node = randomUUID();
  private readonly local: EventFollower[] = [];

  constructor(
    private readonly bus: Bus,
    private readonly registry: Registry,
    private readonly report: (err: unknown) => void,
  ) {}

  /**
   * Publishes what happened in a session; resolves once this node's local followers have it. An
   * event of a session that has ended is dropped: `ended` is the last (its number comes from
   * the end itself, `seq`), and nothing that raced past it follows.
   */
  async publish(session: { id: string; siteKey: string }, input: SessionEventInput, seq?: number): Promise<void> {
    seq ??= (await this.registry.nextSeq(session.id)) ?? undefined;
    if (seq === undefined) return;
    const event = {
      ...input,
      t: 'event',
      seq,
      sessionId: session.id,
      siteKey: session.siteKey,
      at: new Date().toISOString(),
      server: this.node,
    } as SessionEvent;
    await Promise.all([
      this.bus.publish(SESSION_EVENTS, encode.bus(event)),
      ...this.local.map(async (f) => {
        try {
          await f(event);
        } catch (err) {
          this.report(err);
        }
      }),
    ]);
  }

  /** Follows this node's own events. */
  followLocal(follower: EventFollower): void {
    this.local.push(follower);
  }

  /** Follows every node's events, as the bus delivers them; returns the function that stops. */
  followAll(follower: EventFollower): Promise<() => void> {
    return this.bus.subscribe(SESSION_EVENTS, (message) => {
      // Events lost by a cluster's bus leave a gap in `seq`, which followers see.
      if (message.length === 0) return;
      let value: unknown;
      try {
        value = JSON.parse(Buffer.from(message).toString('utf8'));
      } catch {
        return this.report(new Error('An unreadable message arrived on the session event stream.'));
      }
      const checked = validateBusMessage(value);
      if (!checked.ok || checked.msg.t !== 'event')
        return this.report(new Error(`A malformed session event arrived: ${checked.ok ? 'not an event' : checked.problem}`));
      Promise.resolve(follower(checked.msg)).catch(this.report);
    });
  }
}
