/** The end-to-end tables of the mirror benchmark (stdout), each with the load average beside its figures. */
import { fmtInt, loadLine, printTable } from '../load/report.js';
import type { ChurnRun, E2eKind, E2ePageResults, SnapshotRun } from './measure.js';
import type { LagLegs } from './figures.js';

export function median(values: number[]): number {
  if (!values.length) return NaN;
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

const ms = (n: number) => (Number.isFinite(n) ? n.toFixed(n >= 100 ? 0 : 1) : 'n/a');
/** One leg of a churn's lag (figures.ts LagLegs), for a table cell. */
const legText = (c: ChurnRun, leg: keyof LagLegs) => {
  const l = c.legs?.[leg];
  return l ? `${ms(l.p50)} / ${ms(l.p95)} / ${ms(l.max)}; ${ms(l.worst)}` : 'n/a';
};
const x = (n: number) => (Number.isFinite(n) ? `${n.toFixed(2)}x` : 'n/a');
const loads = (runs: { load: string }[]) => [...new Set(runs.map((r) => r.load.split(' ').slice(0, 3).join(' ')))].join(' | ');

/** The median of one figure of a page's snapshot runs. */
export const snap = (r: E2ePageResults, k: E2eKind, f: (s: SnapshotRun) => number) => median(r.snapshot[k].map(f));
export const nativeLoaded = (r: E2ePageResults) => median(r.native.map((n) => n.loadedMs));

export function printE2e(r: E2ePageResults, churnSeconds: number): void {
  const t = (f: (s: SnapshotRun) => number) => snap(r, 'tandem', f);
  const rr = (f: (s: SnapshotRun) => number) => snap(r, 'rrweb', f);
  const fcp = median(r.native.map((n) => n.fcpMs));
  const loaded = nativeLoaded(r);
  const perRun = (k: E2eKind, f: (s: SnapshotRun) => number) => r.snapshot[k].map((s) => ms(f(s))).join(' ');
  const rows: string[][] = [
    [
      'first screenful on the agent (ms)',
      ms(t((s) => s.firstScreenMs)),
      ms(rr((s) => s.firstScreenMs)),
      `FCP ${ms(fcp)}`,
      'from snapshot start on the visitor; native: from navigation start',
    ],
    ['  / native load + layout', x(t((s) => s.firstScreenMs) / loaded), x(rr((s) => s.firstScreenMs) / loaded), x(fcp / loaded), ''],
    [
      'complete page on the agent (ms)',
      ms(t((s) => s.completeMs)),
      ms(rr((s) => s.completeMs)),
      `load ${ms(loaded)}`,
      'last snapshot batch applied and laid out; native: load event + layout',
    ],
    ['  / native load + layout', x(t((s) => s.completeMs) / loaded), x(rr((s) => s.completeMs) / loaded), '1.00x', ''],
    ['last snapshot message sent (ms)', ms(t((s) => s.lastSentMs)), ms(rr((s) => s.lastSentMs)), '', 'from snapshot start, on the visitor'],
    [
      'visitor main-thread CPU over the snapshot (ms)',
      ms(t((s) => s.cpuMs)),
      ms(rr((s) => s.cpuMs)),
      '',
      `ThreadTime delta less the page's idle CPU; per run: Tandem ${perRun('tandem', (s) => s.cpuMs)}; rrweb ${perRun('rrweb', (s) => s.cpuMs)}`,
    ],
    [
      '  raw delta / idle CPU taken off (ms)',
      `${ms(t((s) => s.rawCpuMs))} / ${ms(t((s) => s.idleCpuMs))}`,
      `${ms(rr((s) => s.rawCpuMs))} / ${ms(rr((s) => s.idleCpuMs))}`,
      '',
      `idle: the page's CPU per ms, watched for 1 s before the agent joins (polled as during the snapshot), times the window`,
    ],
    [
      '  window of that delta (ms)',
      ms(t((s) => s.windowMs)),
      ms(rr((s) => s.windowMs)),
      '',
      'from before the agent joins to 800 ms (quiet) after the last snapshot message',
    ],
    [
      'longest task during the snapshot (ms)',
      ms(t((s) => s.longestTaskMs)),
      ms(rr((s) => s.longestTaskMs)),
      '',
      `median; worst run: Tandem ${ms(Math.max(...r.snapshot.tandem.map((s) => s.longestTaskMs)))}, rrweb ${ms(Math.max(...r.snapshot.rrweb.map((s) => s.longestTaskMs)))}`,
    ],
    ['snapshot on the wire (messages)', fmtInt(t((s) => s.messages)), fmtInt(rr((s) => s.messages)), '', 'Playwright framesent'],
    [
      'snapshot on the wire (bytes)',
      fmtInt(t((s) => s.bytes)),
      fmtInt(rr((s) => s.bytes)),
      '',
      'Tandem: its frames as sent (compressed); rrweb: JSON text',
    ],
    [
      'elements: visitor / agent (last run)',
      `${fmtInt(r.snapshot.tandem.at(-1)?.visitorElements ?? NaN)} / ${fmtInt(r.snapshot.tandem.at(-1)?.agentElements ?? NaN)}`,
      `${fmtInt(r.snapshot.rrweb.at(-1)?.visitorElements ?? NaN)} / ${fmtInt(r.snapshot.rrweb.at(-1)?.agentElements ?? NaN)}`,
      fmtInt(r.native.at(-1)?.elements ?? NaN),
      `body height on the agent: Tandem ${fmtInt(r.snapshot.tandem.at(-1)?.agentHeight ?? NaN)} px, rrweb ${fmtInt(r.snapshot.rrweb.at(-1)?.agentHeight ?? NaN)} px, native ${fmtInt(r.native.at(-1)?.height ?? NaN)} px`,
    ],
  ];
  printTable(
    `== End to end, ${r.page.key} page: visitor -> server -> agent on loopback (medians of ${r.snapshot.tandem.length} runs) ==`,
    ['measure', 'Tandem', 'rrweb relay', 'native', 'notes'],
    rows,
  );
  console.log(
    `load average per run (1, 5, 15 min): Tandem ${loads(r.snapshot.tandem)}; rrweb ${loads(r.snapshot.rrweb)}; native ${loads(r.native)}; now ${loadLine()}`,
  );

  const c = r.churn;
  if (!c.tandem && !c.rrweb) return;
  const f = (k: E2eKind, g: (c: ChurnRun) => string) => (c[k] ? g(c[k]) : 'n/a');
  printTable(
    `== End to end churn, ${r.page.key} page: 1,000 changes/s for ${churnSeconds} s with the agent watching (first run) ==`,
    ['measure', 'Tandem', 'rrweb relay', 'notes'],
    [
      ['changes made per s', f('tandem', (x) => fmtInt(x.opsPerS)), f('rrweb', (x) => fmtInt(x.opsPerS)), '1,000 asked'],
      [
        'ticks seen by the agent / written',
        f('tandem', (x) => `${fmtInt(x.ticksSeen)} / ${fmtInt(x.ticks)}`),
        f('rrweb', (x) => `${fmtInt(x.ticksSeen)} / ${fmtInt(x.ticks)}`),
        'one tick per 10 ms; unseen: not shown 5 s after the churn',
      ],
      [
        'lag p50 (ms)',
        f('tandem', (x) => ms(x.lagP50)),
        f('rrweb', (x) => ms(x.lagP50)),
        'visitor writes the tick -> the agent mirror shows it',
      ],
      ['lag p95 (ms)', f('tandem', (x) => ms(x.lagP95)), f('rrweb', (x) => ms(x.lagP95)), ''],
      ['lag max (ms)', f('tandem', (x) => ms(x.lagMax)), f('rrweb', (x) => ms(x.lagMax)), ''],
      ...(['visitor', 'server', 'agent'] as const).map((leg) => [
        `  of which ${leg === 'visitor' ? 'on the visitor' : leg === 'server' ? 'through the server' : 'on the agent'}: p50 / p95 / max; worst ticks`,
        f('tandem', (x) => legText(x, leg)),
        f('rrweb', (x) => legText(x, leg)),
        leg === 'visitor'
          ? 'tick -> next message sent; worst: median over the ticks at or over the lag p95'
          : leg === 'server'
            ? "-> at the agent page's socket"
            : '-> the mirror shows it',
      ]),
      [
        'lag, first second -> last second (median ms)',
        f('tandem', (x) => `${ms(x.lagFirstS)} -> ${ms(x.lagLastS)}`),
        f('rrweb', (x) => `${ms(x.lagFirstS)} -> ${ms(x.lagLastS)}`),
        'growing: falling behind',
      ],
      [
        'upstream (payload bytes/s)',
        f('tandem', (x) => fmtInt(x.upstreamBytesPerS)),
        f('rrweb', (x) => fmtInt(x.upstreamBytesPerS)),
        "Playwright framesent, the visitor page's socket",
      ],
      ['upstream (messages/s)', f('tandem', (x) => fmtInt(x.messagesPerS)), f('rrweb', (x) => fmtInt(x.messagesPerS)), ''],
    ],
  );
  console.log(`load average (1, 5, 15 min): Tandem ${f('tandem', (x) => x.load)}; rrweb ${f('rrweb', (x) => x.load)}`);
}
