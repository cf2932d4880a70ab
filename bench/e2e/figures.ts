/**
 * The end-to-end figures, from what the visitor's and the agent's pages noted
 * (harness/e2e-visitor.ts, harness/e2e-agent-watch.ts): pure functions, tested
 * in test/bench/e2e-figures.test.ts.
 */
import { loadLine, percentile } from '../load/report.js';
import type { E2eVisitorState } from '../harness/e2e-visitor.js';
import type { WatchState } from '../harness/e2e-agent-watch.js';

export type E2eKind = 'tandem' | 'rrweb';

/** html, head and body: what an empty document has at most. */
export const BLANK_ELEMENTS = 3;

export interface SnapshotRun {
  /** From the visitor receiving the request for a snapshot to the first agent frame showing the top screenful (laid out). */
  firstScreenMs: number;
  /** ... to the last batch of the snapshot applied and laid out on the agent. */
  completeMs: number;
  /** ... to the last snapshot message handed to the visitor's socket. */
  lastSentMs: number;
  /** The visitor's main-thread CPU (CDP ThreadTime delta) over the window around the snapshot, less the page's idle CPU over as long. */
  cpuMs: number;
  /** The delta itself, and the idle CPU taken off it (the page's idle rate, measured before, times the window). */
  rawCpuMs: number;
  idleCpuMs: number;
  /** That window, wall clock. */
  windowMs: number;
  longestTaskMs: number;
  longTaskSupported: boolean;
  /** Snapshot messages as they went on the socket (Playwright framesent): count and payload bytes. */
  messages: number;
  bytes: number;
  visitorElements: number;
  agentElements: number;
  agentHeight: number;
  load: string;
}

export interface ChurnRun {
  seconds: number;
  opsPerS: number;
  ticks: number;
  ticksSeen: number;
  lagP50: number;
  lagP95: number;
  lagMax: number;
  /** Median lag over the first and the last second of the churn: growing means falling behind. */
  lagFirstS: number;
  lagLastS: number;
  upstreamBytesPerS: number;
  messagesPerS: number;
  /**
   * Where the lag goes, per tick: on the visitor (tick written -> the first message handed to its socket after it),
   * through the server (-> that message reaching the agent page's socket), on the agent (-> the mirror showing the
   * tick). Null where the two pages' messages could not be paired.
   */
  legs: LagLegs | null;
  load: string;
}

/** One leg of the lag, p50 / p95 / max (ms), and its median over the ticks whose whole lag was at or over the p95. */
export interface Leg {
  p50: number;
  p95: number;
  max: number;
  worst: number;
}

export interface LagLegs {
  visitor: Leg;
  server: Leg;
  agent: Leg;
}

/** A message the visitor's page sent, as Playwright saw it. */
export interface Framed {
  at: number;
  bytes: number;
  binary: boolean;
}

/** One snapshot: the agent's first screenful and complete page, the visitor's last message, long tasks and bytes. */
export function snapshotFigures(
  v: E2eVisitorState,
  a: WatchState,
  kind: E2eKind,
  frames: Framed[],
  visitorElements: number,
  viewportHeight: number,
  cpu: { ms: number; rawMs: number; idleMs: number; windowMs: number },
  verbose: boolean,
): SnapshotRun {
  const s = v.snapshotAt;
  const sent = v.sent.filter((m) => m.binary === (kind === 'tandem') && m.at >= s);
  const lastSent = sent.at(-1)?.at ?? NaN;
  const finalSample = a.samples.at(-1)!;
  // Frames of the snapshot: after it started, with more elements than the blank document the mirror had before (the
  // viewer may create its iframe only after the snapshot started; a blank document has html, head and body at most).
  const blank = Math.max(BLANK_ELEMENTS, a.samples.filter((x) => x[0] < s).at(-1)?.[2] ?? 0);
  const built = a.samples.filter((x) => x[0] >= s && x[2] > blank);
  // The top screenful: the first laid-out frame whose body is as tall as the viewport (or as the whole page, if that is shorter).
  const screen = Math.min(viewportHeight, finalSample[1]);
  const first = built.find((x) => x[1] >= screen) ?? finalSample;
  // The complete page: the first frame with the settled mirror's element count and height (later frames may only change attributes).
  const complete = built.find((x) => x[1] === finalSample[1] && x[2] === finalSample[2]) ?? finalSample;
  if (verbose)
    console.error(
      `    ${kind}: agent frames [ms after snapshot start, body height, elements]`,
      JSON.stringify(a.samples.map(([t, h, n]) => [t - s, h, n])),
      'sent [ms, size, binary]',
      JSON.stringify(v.sent.map((m) => [m.at - s, m.size, m.binary])),
    );
  const during = v.longTasks.filter(([start, d]) => start <= lastSent && start + d >= s);
  if (verbose)
    console.error('    long tasks [start after snapshot, ms]', JSON.stringify(during.map(([t, d]) => [Math.round(t - s), Math.round(d)])));
  const snapFrames = frames.filter((f) => f.binary === (kind === 'tandem'));
  return {
    firstScreenMs: first[0] - s,
    completeMs: complete[0] - s,
    lastSentMs: lastSent - s,
    cpuMs: cpu.ms,
    rawCpuMs: cpu.rawMs,
    idleCpuMs: cpu.idleMs,
    windowMs: cpu.windowMs,
    longestTaskMs: during.reduce((m, [, d]) => Math.max(m, d), 0),
    longTaskSupported: v.longTaskSupported,
    messages: snapFrames.length,
    bytes: snapFrames.reduce((n, f) => n + f.bytes, 0),
    visitorElements,
    agentElements: finalSample[2],
    agentHeight: finalSample[1],
    load: loadLine(),
  };
}

/**
 * Per tick: from the visitor writing it to the agent's mirror first showing it (or a later tick). With `pages`
 * (what the visitor's socket sent, what reached the agent's), the lag is also split into legs at the first message of
 * the stream's kind (binary for Tandem, text for rrweb) the visitor sent after the tick. A DOM frame is found on the
 * agent's side by its place in the stream (frame-key.ts): a frame the server skipped for an agent that fell behind
 * splits no tick. Text messages are paired by count from the end (the relay forwards them one for one; what differs
 * is before the churn).
 */
export function churnFigures(
  ticks: number[],
  seen: [number, number][],
  made: { ops: number; seconds: number },
  frames: Framed[],
  kind: E2eKind,
  pages?: { sent: E2eVisitorState['sent']; received: WatchState['received'] },
): ChurnRun {
  const lags: number[] = [];
  const byTime: [number, number][] = [];
  const split: [number, number, number, number][] = [];
  const binary = kind === 'tandem';
  const sent = (pages?.sent ?? []).filter((m) => m.binary === binary);
  const received = (pages?.received ?? []).filter(([, b]) => b === binary);
  const byFrame = new Map<string, number>();
  for (const [at, , frame] of received) if (frame !== undefined && !byFrame.has(frame)) byFrame.set(frame, at);
  const shift = received.length - sent.length;
  const arrival = (k: number): number | undefined => {
    const frame = sent[k]!.frame;
    return frame !== undefined ? byFrame.get(frame) : binary ? undefined : received[k + shift]?.[0];
  };
  let j = 0;
  let k = 0;
  for (let i = 1; i <= ticks.length; i++) {
    while (j < seen.length && seen[j]![0] < i) j++;
    if (j >= seen.length) break;
    const written = ticks[i - 1]!;
    const lag = seen[j]![1] - written;
    lags.push(lag);
    byTime.push([written - ticks[0]!, lag]);
    while (k < sent.length && sent[k]!.at < written) k++;
    const arrived = k < sent.length ? arrival(k) : undefined;
    if (arrived !== undefined) split.push([lag, sent[k]!.at - written, arrived - sent[k]!.at, seen[j]![1] - arrived]);
  }
  const sorted = [...lags].sort((x, y) => x - y);
  const med = (xs: number[]) =>
    percentile(
      [...xs].sort((x, y) => x - y),
      50,
    );
  const total = ticks.at(-1)! - ticks[0]! || 1;
  const upstream = frames.filter((f) => f.binary === binary);
  return {
    seconds: made.seconds,
    opsPerS: made.ops / made.seconds,
    ticks: ticks.length,
    ticksSeen: lags.length,
    lagP50: percentile(sorted, 50),
    lagP95: percentile(sorted, 95),
    lagMax: sorted.at(-1) ?? NaN,
    lagFirstS: med(byTime.filter(([t]) => t < 1000).map(([, l]) => l)),
    lagLastS: med(byTime.filter(([t]) => t > total - 1000).map(([, l]) => l)),
    upstreamBytesPerS: upstream.reduce((n, f) => n + f.bytes, 0) / made.seconds,
    messagesPerS: upstream.length / made.seconds,
    legs: split.length ? legsOf(split, percentile(sorted, 95)) : null,
    load: loadLine(),
  };
}

function legsOf(split: [number, number, number, number][], p95: number): LagLegs {
  const leg = (n: 1 | 2 | 3): Leg => {
    const all = split.map((s) => s[n]).sort((x, y) => x - y);
    const worst = split
      .filter((s) => s[0] >= p95)
      .map((s) => s[n])
      .sort((x, y) => x - y);
    return { p50: percentile(all, 50), p95: percentile(all, 95), max: all.at(-1)!, worst: percentile(worst, 50) };
  };
  return { visitor: leg(1), server: leg(2), agent: leg(3) };
}
