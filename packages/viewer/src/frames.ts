/**
 * Reads DOM frames in order: checks the stream's sequence, inflates what the
 * stream's deflate context or gzip compressed, parses, and unpacks what the
 * stream's string table packed. A gap, or a frame
 * that does not inflate or parse, drops everything until the next keyframe and
 * asks for one, so the agent never sees a silently wrong page.
 */
import { EventType, FrameFlag, Unpacker, framePayload, readFrameHeader, type DomEvent } from '@tandem/protocol';
import { StreamInflate, gunzip } from './inflate.js';

/** Longest run of queued frames applied without letting the browser draw (a snapshot's slices arrive in bursts). */
const DRAW_EVERY_MS = 50;
/**
 * ... or this many times as long as the last draw took, if longer: drawing a
 * large page lays all of it out again (100-200 ms after each slice of the
 * 1.6 MB bench page, where a slice takes about as long to apply). So drawing
 * takes at most a third of a burst.
 */
const DRAW_COST_FACTOR = 2;
/**
 * The slices of a snapshot after its first (the keyframe, drawn at once: the top of the page) are held, parsed,
 * until the snapshot's end has come, then applied in one go: drawn after every slice, as the browser does whenever the
 * chain runs dry between two messages, the growing page was styled and laid out again each time (about half the
 * agent's time to the complete 1.6 MB bench page). Held no longer than this: a long stream, or one that stalls (a
 * visitor's tab in the background), is drawn once per this while, and one that never says its end (an older SDK)
 * shows all the same; its hold ends at the first frame that is not a slice. Nor is anything held while the mirror is
 * shorter than the visitor's window (`filled`): a keyframe that does not fill the first screen (a slow or busy
 * visitor's first slice holds less of the page) is followed by the slices that do, each drawn, before the hold (at most
 * FILL_SLICES of them).
 */
const HOLD_SLICES_MS = 300;
/**
 * At most this many slices after a keyframe go in unheld while the mirror does not fill the window: a page whose
 * body stays short (its content positioned or floated out of it) would otherwise be drawn after every slice.
 */
const FILL_SLICES = 4;

export class FrameDecoder {
  private expected: number | null = null;
  /** The stream's deflate context since the last keyframe; made at its first Deflate piece. */
  private inflate: StreamInflate | null = null;
  /** The stream's string table since the last keyframe (packed frames, dom-pack.ts). */
  private unpacker = new Unpacker();
  private chain: Promise<void> = Promise.resolve();
  /** Counts keyframes: a frame belongs to the generation of the keyframe it follows. */
  private generation = 0;
  /** A generation one of whose frames failed in the chain: its frames queued behind are not applied. */
  private broken = -1;
  /** Frames in the chain, not yet applied. */
  private queued = 0;
  /** How long the last draw during a burst took (ms). */
  private drawCost = 0;
  /** Since when the chain has applied frames without letting the browser draw (performance.now()). */
  private busySince = 0;
  /** After a keyframe without the snapshot's end: its later slices are held (HOLD_SLICES_MS) until the end comes. */
  private streaming = false;
  private held: DomEvent[][] = [];
  private heldTimer: ReturnType<typeof setTimeout> | undefined;
  /** A slice was applied to fill the first screen: the browser draws it before the next frame. */
  private drawNext = false;
  /** Slices applied unheld since the keyframe, to fill the first screen (FILL_SLICES). */
  private filling = 0;

  /** `filled`: whether the mirror shows a whole screen of the page yet (until then no slice is held). */
  constructor(
    private readonly deliver: (events: DomEvent[]) => void,
    private readonly requestResync: () => void,
    private readonly filled: () => boolean = () => true,
  ) {}

  push(bytes: Uint8Array): void {
    const header = readFrameHeader(bytes);
    if (!header) return;
    if (header.flags & FrameFlag.Keyframe) {
      this.expected = header.seq + 1;
      this.inflate = null;
      this.unpacker = new Unpacker();
      this.generation++;
    } else if (this.expected === null) {
      return; // waiting for a keyframe
    } else if (header.seq !== this.expected) {
      this.resync();
      return;
    } else {
      this.expected++;
    }
    const payload = framePayload(bytes);
    let text: string | Promise<string>;
    try {
      // Inflated now, in arrival order: each piece needs the ones before it in the context.
      text =
        header.flags & FrameFlag.Deflate
          ? new TextDecoder().decode((this.inflate ??= new StreamInflate()).piece(payload))
          : header.flags & FrameFlag.Gzip
            ? gunzip(payload).then((out) => new TextDecoder().decode(out))
            : new TextDecoder().decode(payload);
    } catch (err) {
      console.error('Tandem viewer: a frame could not be applied', err);
      return this.resync();
    }
    const generation = this.generation;
    const keyframe = (header.flags & FrameFlag.Keyframe) !== 0;
    // Unpacked in the chain, which keeps arrival order: each frame's literals extend the table the next one reads.
    const unpacker = header.flags & FrameFlag.Packed ? this.unpacker : null;
    if (this.queued++ === 0) this.busySince = performance.now();
    this.chain = this.chain
      .then(async () => {
        const parsed: unknown = JSON.parse(await text);
        const events = unpacker ? unpacker.unpack(parsed) : (parsed as DomEvent[]);
        // Held or skipped, a frame changes nothing on the page: there is nothing to let the browser draw after it.
        if (generation === this.broken || this.hold(events, keyframe, generation)) return;
        this.deliver(events);
        // The keyframe holds the top of the page: let the browser draw it before the rest of the
        // snapshot, already arrived behind it, is applied (the first screenful shows at once). Frames
        // queued behind each other are applied in one go, which drew nothing of a large snapshot for
        // half a second: after DRAW_EVERY_MS of applying them, the browser draws before the next.
        // A hidden page draws nothing, and its timers may be held back for seconds: it does not wait.
        const busy = performance.now() - this.busySince;
        const first = keyframe || this.drawNext;
        this.drawNext = false;
        if (!hidden() && (first || (this.queued > 1 && busy > Math.max(DRAW_EVERY_MS, DRAW_COST_FACTOR * this.drawCost)))) {
          const start = performance.now();
          await painted();
          this.busySince = performance.now();
          this.drawCost = this.busySince - start;
        }
      })
      .finally(() => this.queued--)
      .catch((err: unknown) => this.failed(generation, err));
  }

  /** A frame of `generation` could not be applied. */
  private failed(generation: number, err: unknown): void {
    if (generation === this.broken) return;
    console.error('Tandem viewer: a frame could not be applied', err);
    // Frames after this one, already in the chain, would build on what it lacked: they are skipped up to the
    // next keyframe. If that keyframe is in already, no resync is needed.
    this.broken = generation;
    if (generation === this.generation) this.resync();
  }

  /**
   * Whether `events` are held as a slice of the snapshot being streamed (see HOLD_SLICES_MS); on the snapshot's end,
   * or anything that is not a slice, the held slices are applied first.
   */
  private hold(events: DomEvent[], keyframe: boolean, generation: number): boolean {
    if (keyframe) {
      this.drop();
      this.streaming = !ends(events);
      this.filling = 0;
      return false;
    }
    if (!this.streaming) return false;
    if (isSlice(events) && !ends(events)) {
      if (!this.held.length && this.filling < FILL_SLICES && !this.filled()) {
        // The first screen is not full yet: this slice goes in (and is drawn) at once.
        this.filling++;
        this.drawNext = true;
        return false;
      }
      if (!this.held.length) {
        // Applied through the chain, after what is queued in it already.
        this.heldTimer = setTimeout(() => {
          this.chain = this.chain
            .then(() => {
              // A long stream goes on being held: drawn once per HOLD_SLICES_MS, not after every slice.
              if (generation === this.generation && generation !== this.broken) this.release(true);
            })
            // Caught here: a rejected chain would skip the next frame's step and blame it.
            .catch((err: unknown) => this.failed(generation, err));
        }, HOLD_SLICES_MS);
      }
      this.held.push(events);
      return true;
    }
    this.release();
    return false;
  }

  /** Applies the held slices, in order; unless `more` (a stream still going on), frames from here on are applied as they come. */
  private release(more = false): void {
    const held = this.held;
    this.drop();
    this.streaming = more;
    for (const events of held) this.deliver(events);
  }

  private drop(): void {
    clearTimeout(this.heldTimer);
    this.held = [];
    this.streaming = false;
  }

  private resync(): void {
    this.expected = null;
    this.inflate = null;
    this.requestResync();
  }
}

/** The snapshot's end is in these events (capture sends it with the last slice, or in the keyframe of a page done in one). */
const ends = (events: DomEvent[]) => events.some((e) => e[0] === EventType.SnapshotEnd);

/** A slice of a snapshot: subtrees added (and nodes met twice taken out), nothing else. */
function isSlice(events: DomEvent[]): boolean {
  return events.every((e) => e[0] === EventType.SnapshotEnd || (e[0] === EventType.Mutations && !e[1].at?.length && !e[1].tx?.length));
}

const hidden = () => typeof document !== 'undefined' && document.visibilityState === 'hidden';

/** Resolves once the browser has drawn a frame (or after 100 ms in a tab hidden meanwhile, which draws none). */
function painted(): Promise<void> {
  return new Promise((resolve) => {
    if (typeof requestAnimationFrame !== 'function') return void setTimeout(resolve, 0); // nothing draws here (Node)
    const timer = setTimeout(resolve, 100);
    requestAnimationFrame(() =>
      setTimeout(() => {
        clearTimeout(timer);
        resolve();
      }, 0),
    );
  });
}
