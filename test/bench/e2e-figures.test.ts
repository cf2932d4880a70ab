/** The end-to-end mirror benchmark's figures (bench/e2e/figures.ts), from hand-made notes of the two pages. */
import { describe, expect, it } from 'vitest';
import { churnFigures, snapshotFigures } from '../../bench/e2e/figures.js';
import type { E2eVisitorState } from '../../bench/harness/e2e-visitor.js';
import type { WatchState } from '../../bench/harness/e2e-agent-watch.js';

const visitor = (over: Partial<E2eVisitorState>): E2eVisitorState => ({
  snapshotAt: 1000,
  sent: [],
  longTasks: [],
  longTaskSupported: true,
  ticks: [],
  ...over,
});
const agent = (samples: WatchState['samples']): WatchState => ({
  samples,
  ticks: [],
  lastMutation: 0,
  mutations: 0,
  documents: 1,
  received: [],
});
const cpu = { ms: 10, rawMs: 12, idleMs: 2, windowMs: 100 };

describe('snapshotFigures', () => {
  const v = visitor({
    sent: [
      { at: 900, size: 30, binary: false }, // a control message before the snapshot
      { at: 1050, size: 5000, binary: true },
      { at: 1200, size: 4000, binary: true },
    ],
    longTasks: [
      [500, 300], // ended before the snapshot
      [1100, 70],
      [1300, 400], // started after the last snapshot message
    ],
  });

  it('takes the first screenful from the first frame of the snapshot as tall as the viewport, not from the blank document', () => {
    const a = agent([
      [990, 800, 3], // the blank document before the snapshot: as tall as the viewport, but empty
      [1010, 800, 3], // still blank, after the start
      [1100, 500, 40], // the top of the page, shorter than the viewport
      [1150, 2400, 400], // the first screenful
      [1400, 9000, 2000], // the whole page
      [1600, 9000, 2000], // an attribute changed later: not the complete page
    ]);
    const r = snapshotFigures(v, a, 'tandem', [], 2000, 800, cpu, false);
    expect(r.firstScreenMs).toBe(150);
    expect(r.completeMs).toBe(400);
    expect(r.lastSentMs).toBe(200);
    expect(r.longestTaskMs).toBe(70);
    expect(r.agentElements).toBe(2000);
  });

  it('does not take the blank document of a mirror iframe made after the snapshot started for a screenful', () => {
    const a = agent([
      [1020, 800, 3], // the viewer made its iframe once the agent joined: blank, as tall as the viewport
      [1300, 2400, 400],
      [1500, 9000, 2000],
    ]);
    const r = snapshotFigures(v, a, 'tandem', [], 2000, 800, cpu, false);
    expect(r.firstScreenMs).toBe(300);
    expect(r.completeMs).toBe(500);
  });

  it('takes a page shorter than the viewport as a screenful once it is all there', () => {
    const a = agent([
      [990, 800, 3],
      [1100, 300, 50],
      [1200, 600, 120],
    ]);
    const r = snapshotFigures(v, a, 'tandem', [], 120, 800, cpu, false);
    expect(r.firstScreenMs).toBe(200);
    expect(r.completeMs).toBe(200);
  });

  it("counts the snapshot's bytes of the recorder's own kind of message", () => {
    const frames = [
      { at: 1, bytes: 30, binary: false },
      { at: 2, bytes: 5000, binary: true },
      { at: 3, bytes: 4000, binary: true },
    ];
    const a = agent([[1100, 900, 10]]);
    expect(snapshotFigures(v, a, 'tandem', frames, 10, 800, cpu, false)).toMatchObject({ messages: 2, bytes: 9000 });
    const rrweb = visitor({ sent: [{ at: 1100, size: 30, binary: false }] });
    expect(snapshotFigures(rrweb, a, 'rrweb', frames, 10, 800, cpu, false)).toMatchObject({ messages: 1, bytes: 30, lastSentMs: 100 });
  });
});

describe('churnFigures', () => {
  it('gives each tick the time until the agent showed it or a later one, and counts the ticks never shown', () => {
    // Ticks written every 10 ms from t = 0.
    const ticks = [0, 10, 20, 30, 40];
    const seen: [number, number][] = [
      [0, -50], // the counter before the churn
      [1, 5], // tick 1 after 5 ms
      [3, 45], // ticks 2 and 3 arrived together: 35 and 25 ms
      // ticks 4 and 5 never shown
    ];
    const r = churnFigures(ticks, seen, { ops: 50, seconds: 0.05 }, [{ at: 0, bytes: 500, binary: true }], 'tandem');
    expect(r.ticks).toBe(5);
    expect(r.ticksSeen).toBe(3);
    expect(r.lagMax).toBe(35);
    expect(r.lagP50).toBe(25);
    expect(r.opsPerS).toBe(1000);
    expect(r.upstreamBytesPerS).toBe(10_000);
    expect(r.legs).toBeNull();
  });

  const ticks = [0, 10, 20];
  const seen: [number, number][] = [
    [1, 30],
    [2, 41],
    [3, 100],
  ];

  it("splits each tick's lag into the visitor's, the server's and the agent's part, pairing DOM frames by their place in the stream", () => {
    const sent = [
      { at: -500, size: 20, binary: false }, // a control message: not the stream's kind
      { at: -400, size: 9000, binary: true, frame: '1:0' }, // the snapshot
      { at: -300, size: 900, binary: true, frame: '1:1' }, // skipped by the server: the agent never got it
      { at: 4, size: 50, binary: true, frame: '1:2' },
      { at: 15, size: 50, binary: true, frame: '1:3' },
      { at: 60, size: 50, binary: true, frame: '1:4' },
    ];
    const received: [number, boolean, string?][] = [
      [-390, true, '1:0'],
      [8, true, '1:2'],
      [-1, false], // text from the server: not the stream's kind
      [25, true, '1:3'],
      [90, true, '1:4'],
    ];
    const r = churnFigures(ticks, seen, { ops: 30, seconds: 0.03 }, [], 'tandem', { sent, received });
    // Lags 30, 31, 80. Tick 1: sent at 4 (4), arrived at 8 (4), shown at 30 (22); tick 2: 5, 10, 16; tick 3: 40, 30, 10.
    expect(r.legs!.visitor).toEqual({ p50: 5, p95: 40, max: 40, worst: 40 });
    expect(r.legs!.server).toEqual({ p50: 10, p95: 30, max: 30, worst: 30 });
    expect(r.legs!.agent).toEqual({ p50: 16, p95: 22, max: 22, worst: 10 });
  });

  it('a frame that never reached the agent splits no tick; text messages are paired from the end', () => {
    const sent = [
      { at: 4, size: 50, binary: true, frame: '1:2' },
      { at: 15, size: 50, binary: true, frame: '1:3' }, // skipped: tick 2 is not split
      { at: 60, size: 50, binary: true, frame: '1:4' },
    ];
    const received: [number, boolean, string?][] = [
      [8, true, '1:2'],
      [90, true, '1:4'],
    ];
    const r = churnFigures(ticks, seen, { ops: 30, seconds: 0.03 }, [], 'tandem', { sent, received });
    expect(r.legs!.visitor.max).toBe(40);
    expect([r.legs!.visitor.p50, r.legs!.server.p50, r.legs!.agent.p50]).toEqual([4, 4, 10]);
    const text = churnFigures(ticks, seen, { ops: 30, seconds: 0.03 }, [], 'rrweb', {
      sent: sent.map(({ at, size }) => ({ at, size, binary: false })),
      received: [
        [-50, false], // before the churn: only the agent's side has it
        [8, false],
        [25, false],
        [90, false],
      ],
    });
    expect(text.legs!.server).toEqual({ p50: 10, p95: 30, max: 30, worst: 30 });
  });
});
