/**
 * Visitor-page side of the benchmark, bundled once per recorder (Tandem, rrweb,
 * none) so the page only ever carries the recorder being measured. Exposes
 * `window.__bench` for mirror.bench.ts to drive with page.evaluate.
 */

import { startChurn, type Churn } from './churn.js';

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
  /** The snapshot's messages as the text that would be sent; JSON.stringify of each by default. */
  encode?(messages: unknown[][]): string[];
  /**
   * What else the recorder's page pays for the snapshot on its main thread in the product, beyond the capture: the
   * end-to-end CPU figure holds it, the capture-alone one does not (see visitor-tandem.ts).
   */
  afterwards?(messages: unknown[][]): { handOffMs: number; scanMs: number };
}

export interface SnapshotResult {
  /** performance.now() from just before the recorder is started until the full snapshot was emitted. */
  ms: number;
  /** Until the start call returned (rrweb sets up its observers after emitting the snapshot). */
  returnedMs: number;
  /** JSON.stringify of the snapshot messages, i.e. the last step before they can be sent. */
  stringifyMs: number;
  /** Recorder.afterwards, timed each in a task of its own; null for a recorder without it. */
  handOffMs: number | null;
  scanMs: number | null;
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
  let churn: Churn | null = null;

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
    // `done` resolved in the recorder's last task: encoding here, in a microtask of that task, made it one long
    // task with the bench's own packing and JSON (about 50 ms), counted as the recorder's longest. A task of its own.
    await wait(0);

    const s0 = performance.now();
    const strings = recorder.encode ? recorder.encode(messages) : messages.map((m) => JSON.stringify(m));
    const stringifyMs = performance.now() - s0;
    await wait(0);
    const after = recorder.afterwards?.(messages) ?? null;

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
      handOffMs: after?.handOffMs ?? null,
      scanMs: after?.scanMs ?? null,
      messages: strings,
      longestTaskMs: during.reduce((m, t) => Math.max(m, t.duration), 0),
      longTasks: during.length,
      longTaskSupported,
      elements: document.getElementsByTagName('*').length,
    };
  }

  /** Changes `perTick` nodes every `intervalMs` (churn.ts), counting what the recorder emits meanwhile. */
  function churnStart(seed: number, intervalMs: number, perTick: number): void {
    changeMessages = 0;
    changeChars = 0;
    churn = startChurn(seed, intervalMs, perTick);
  }

  function churnStop(): ChurnResult {
    const made = churn?.stop() ?? { ops: 0, seconds: 0 };
    churn = null;
    return { ...made, messages: changeMessages, chars: changeChars };
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
