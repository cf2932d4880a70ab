/**
 * Visitor-page side of the benchmark, bundled once per recorder (Tandem, rrweb,
 * none) so the page only ever carries the recorder being measured. Exposes
 * `window.__bench` for mirror.bench.ts to drive with page.evaluate.
 */

import { prng } from '../prng.js';

/** What a recorder entry (visitor-tandem.ts, visitor-rrweb.ts) provides. */
export interface Recorder {
  name: string;
  /**
   * Starts recording. `snapshotDone` is called once with the messages of the
   * first full snapshot, as they would be sent (one array per message), the
   * moment the recorder has emitted all of it. Every later emit goes to
   * `change`, already turned into the JSON string that would be sent.
   * Returns a function that stops the recorder.
   */
  start(snapshotDone: (messages: unknown[][]) => void, change: (json: string) => void): () => void;
}

export interface SnapshotResult {
  /** performance.now() from just before the recorder is started until the full snapshot was emitted. */
  ms: number;
  /** Until the start call returned (rrweb sets up its observers after emitting the snapshot). */
  returnedMs: number;
  /** JSON.stringify of the snapshot messages, i.e. the last step before they can be sent. */
  stringifyMs: number;
  /** The messages as JSON strings: exactly what travels. */
  messages: string[];
  /** Longest 'longtask' entry overlapping the snapshot (0 when none was over 50 ms). */
  longestTaskMs: number;
  longTasks: number;
  longTaskSupported: boolean;
  /** Elements in the visitor's document. */
  elements: number;
}

export interface ChurnResult {
  ops: number;
  seconds: number;
  /** Change messages emitted by the recorder during the churn, and their JSON bytes (UTF-16 length). */
  messages: number;
  chars: number;
}

const wait = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function within<T>(ms: number, what: string, p: Promise<T>): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what}: no result within ${ms} ms`)), ms);
    p.then(
      (v) => (clearTimeout(timer), resolve(v)),
      // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- passes p's own rejection on unchanged
      (e) => (clearTimeout(timer), reject(e)),
    );
  });
}

export function install(recorder: Recorder | null): void {
  let stop: (() => void) | null = null;
  let changeMessages = 0;
  let changeChars = 0;
  let churnTimer: ReturnType<typeof setInterval> | null = null;
  let churnOps = 0;
  let churnStarted = 0;

  async function snapshot(): Promise<SnapshotResult> {
    if (!recorder) throw new Error('no recorder on this page');
    const tasks: PerformanceEntry[] = [];
    let longTaskSupported = PerformanceObserver.supportedEntryTypes?.includes('longtask') ?? false;
    const observer = new PerformanceObserver((list) => tasks.push(...list.getEntries()));
    try {
      observer.observe({ type: 'longtask', buffered: true });
    } catch {
      longTaskSupported = false;
    }

    let t1 = 0;
    let messages: unknown[][] = [];
    let resolveDone!: () => void;
    const done = new Promise<void>((r) => (resolveDone = r));
    // The page is idle and laid out, as when a visitor starts a session after reading a while.
    await new Promise((r) => requestAnimationFrame(r));
    await new Promise((r) => requestAnimationFrame(r));

    // Started from a task of the page (as a click or a socket message would), not from the
    // DevTools evaluation itself: Chromium reports no long tasks for the latter.
    let t0 = 0;
    let returned = 0;
    const rec = recorder;
    setTimeout(() => {
      t0 = performance.now();
      stop = rec.start(
        (m) => {
          t1 = performance.now();
          messages = m;
          resolveDone();
        },
        (json) => {
          changeMessages++;
          changeChars += json.length;
        },
      );
      returned = performance.now();
    }, 0);
    await within(30_000, `${recorder.name} snapshot`, done);

    const s0 = performance.now();
    const strings = messages.map((m) => JSON.stringify(m));
    const stringifyMs = performance.now() - s0;

    // Long task entries are delivered after the task ends: give them time to arrive.
    await new Promise((r) => requestAnimationFrame(r));
    await wait(250);
    tasks.push(...observer.takeRecords());
    observer.disconnect();
    const during = tasks.filter((t) => t.startTime <= t1 && t.startTime + t.duration >= t0);
    return {
      ms: t1 - t0,
      returnedMs: returned - t0,
      stringifyMs,
      messages: strings,
      longestTaskMs: during.reduce((m, t) => Math.max(m, t.duration), 0),
      longTasks: during.length,
      longTaskSupported,
      elements: document.getElementsByTagName('*').length,
    };
  }

  /**
   * Changes `perTick` nodes every `intervalMs`, like a page with live prices and
   * availability: a deterministic mix of text edits (short texts such as prices,
   * counts and labels, replaced by text of the same length), attribute changes,
   * inserted badges and their removal (inserts and removes balance, so the page
   * keeps its size). The changes are chosen not to move the rest of the page:
   * on a tall page, anything that shifts what follows makes Chromium re-walk the
   * whole tree every frame (PrePaint), the page alone then saturates the main
   * thread and a recorder's own cost can no longer be seen.
   */
  function churnStart(seed: number, intervalMs: number, perTick: number, kinds = [0, 1, 2, 3]): void {
    const rnd = prng(seed);
    const pick = <T>(list: T[]): T => list[Math.floor(rnd() * list.length)]!;
    const body = document.body;
    const texts: Text[] = [];
    const walker = document.createTreeWalker(body, NodeFilter.SHOW_TEXT);
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      const parent = n.parentElement?.localName;
      const data = (n as Text).data.trim();
      if (parent && !/^(script|style|option|textarea|select|title)$/.test(parent) && data.length > 0 && data.length <= 40) texts.push(n as Text);
    }
    const elements = Array.from(body.querySelectorAll<HTMLElement>('*')).filter((e) => !/^(script|style)$/.test(e.localName));
    const containers = Array.from(body.querySelectorAll<HTMLElement>('div, li, p, section, label, td, span')).filter(
      (e) => !e.closest('svg, select, button, script'),
    );
    const inserted: Element[] = [];
    let counter = 0;
    const words = ['Only 1 left', 'Price dropped', 'Booked 3 times today', 'New', 'Free cancellation', 'Updated'];
    const DIGITS = '0123456789';
    const LETTERS = 'abcdefghijklmnopqrstuvwxyz';
    /** The same text with each digit, and one letter in four, replaced: same length, same shape. */
    const edit = (s: string) => s.replace(/[0-9]/g, () => pick([...DIGITS])).replace(/[a-z]/g, (c) => (rnd() < 0.25 ? pick([...LETTERS]) : c));

    function op(): void {
      const kind = kinds[Math.floor(rnd() * kinds.length)]!;
      counter++;
      if (kind === 0 && texts.length) {
        const t = pick(texts);
        t.data = edit(t.data);
      } else if (kind === 1) {
        const el = pick(elements);
        const which = Math.floor(rnd() * 3);
        if (which === 0) el.classList.toggle('bench-highlight');
        else if (which === 1) el.setAttribute('data-bench', String(counter));
        else el.setAttribute('aria-busy', counter % 2 ? 'true' : 'false');
      } else if (kind === 2 || inserted.length === 0) {
        const span = document.createElement('span');
        span.className = 'badge bench-badge';
        // Out of the flow, as badges and tooltips are: nothing else on the page moves.
        span.setAttribute('style', 'position:absolute;top:0;right:0');
        span.textContent = `${pick(words)} ${counter}`;
        pick(containers).appendChild(span);
        inserted.push(span);
      } else {
        inserted.shift()!.remove();
      }
      churnOps++;
    }

    churnOps = 0;
    changeMessages = 0;
    changeChars = 0;
    churnStarted = performance.now();
    churnTimer = setInterval(() => {
      for (let i = 0; i < perTick; i++) op();
    }, intervalMs);
  }

  function churnStop(): ChurnResult {
    if (churnTimer !== null) clearInterval(churnTimer);
    churnTimer = null;
    return { ops: churnOps, seconds: (performance.now() - churnStarted) / 1000, messages: changeMessages, chars: changeChars };
  }

  (window as unknown as { __bench: unknown }).__bench = {
    recorder: recorder?.name ?? 'none',
    snapshot,
    churnStart,
    churnStop,
    stop() {
      stop?.();
      stop = null;
    },
  };
}
