/**
 * The mirror's targets (issue 13), each marked MET / NOT MET with the load
 * average of the runs it comes from. In-page figures are medians from
 * mirror.bench.ts; end-to-end ones from bench/e2e/.
 */
import { loadavg } from 'node:os';
import { fmtInt, met, printTable } from './load/report.js';
import { nativeLoaded, snap } from './e2e/report.js';
import type { E2ePageResults } from './e2e/measure.js';

export interface InPageFigures {
  /** Tandem's agent view (rebuild + layout) / the browser's own parse + layout of the same HTML, both from memory. */
  agentVsNative: number;
  /** The same, each to the first frame after its layout. */
  agentVsNativeFrame: number;
  /** Tandem's build on a page not prepared as the console prepares itself (a viewer that connects at once) / the prepared native one. */
  agentVsNativeCold: number;
  /** rrweb's snapshot JSON bytes / Tandem's. */
  rawRatio: number;
  /** Capture alone, in-page: rrweb's record time / Tandem's, and rrweb's / the floor's (harness/visitor-floor.ts). */
  captureRatio: number;
  floorRatio: number;
  /** Tandem's snapshot messages, each gzipped at level 6 by the bench (used only when the end-to-end part, which counts the SDK's own bytes, did not run). */
  gzip: number;
  load: string;
}

export interface TargetInput {
  key: 'generated' | 'booking';
  title: string;
  inPage?: InPageFigures;
  e2e?: E2ePageResults;
  /** The page's HTML with its stylesheets inline, gzip -6. */
  pageGzip: number;
  /**
   * The load average when the bench started, before its own browser, node and servers: whether the machine
   * was quiet. During the runs the bench itself keeps two cores busy (a load of about 3), so that figure
   * cannot say whether anything else competed.
   */
  startLoad: string;
}

const x = (n: number) => (Number.isFinite(n) ? `${n.toFixed(2)}x` : 'n/a');
const ms = (n: number) => (Number.isFinite(n) ? n.toFixed(n >= 100 ? 0 : 1) : 'n/a');
const load1 = (load: string) => Number(load.split(' ')[0]);
const shortLoad = (load: string) => load.split(' ').slice(0, 3).join(' ');
const NOT_RUN = (part: string) => `not measured (${part} not run)`;

export function printTargets(t: TargetInput): void {
  const rows: string[][] = [];
  const e = t.e2e;
  const worstLoad = (runs: { load: string }[]) => runs.reduce((m, r) => (load1(r.load) > load1(m) ? r.load : m), runs[0]?.load ?? 'n/a');

  // 1. Visitor CPU for a full snapshot, compression included, in every run.
  if (e && e.snapshot.tandem.length && e.snapshot.rrweb.length) {
    const ratios = e.snapshot.tandem.map((s, i) => (e.snapshot.rrweb[i]?.cpuMs ?? NaN) / s.cpuMs);
    rows.push([
      'visitor main-thread CPU, full snapshot incl. compression (e2e)',
      `Tandem ${ms(snap(e, 'tandem', (s) => s.cpuMs))} ms, rrweb ${ms(snap(e, 'rrweb', (s) => s.cpuMs))} ms; rrweb/Tandem per run ${ratios.map(x).join(' ')}`,
      '>= 10x less than rrweb, every run',
      shortLoad(worstLoad(e.snapshot.tandem)),
      met(ratios.every((r) => r >= 10)),
    ]);
  } else rows.push(['visitor main-thread CPU, full snapshot incl. compression', '', '>= 10x less than rrweb, every run', '', NOT_RUN('e2e')]);
  // What any design that numbers the page's nodes from script could reach: the floor, against rrweb, in the same run.
  if (t.inPage)
    rows.push([
      '  (info) capture alone, in-page: rrweb / Tandem; rrweb / the floor (one walk numbering and reading every node)',
      `${x(t.inPage.captureRatio)}; floor ${x(t.inPage.floorRatio)}`,
      '',
      shortLoad(t.inPage.load),
      '',
    ]);

  // 2. No task over 50 ms during a snapshot, on a quiet machine.
  if (e && e.snapshot.tandem.length) {
    const worst = Math.max(...e.snapshot.tandem.map((s) => s.longestTaskMs));
    const load = worstLoad(e.snapshot.tandem);
    const supported = e.snapshot.tandem.every((s) => s.longTaskSupported);
    rows.push([
      'longest main-thread task during a snapshot, GC included (e2e, worst run)',
      supported ? `${ms(worst)} ms (0: none over 50 ms)` : 'longtask unsupported',
      'none over 50 ms, load average < 1 (at the start)',
      `${shortLoad(load)} (at the start ${shortLoad(t.startLoad)})`,
      load1(t.startLoad) >= 1 ? 'not measured: machine busy' : met(supported && worst <= 50),
    ]);
  } else rows.push(['longest main-thread task during a snapshot', '', 'none over 50 ms, load average < 1', '', NOT_RUN('e2e')]);

  // 3. The agent's view against the browser's own parse and layout.
  if (t.inPage)
    rows.push([
      'agent build + layout / browser parse + layout of the same HTML (in-page)',
      `${x(t.inPage.agentVsNative)} (to the next frame: ${x(t.inPage.agentVsNativeFrame)}; Tandem cold: ${x(t.inPage.agentVsNativeCold)})`,
      '<= 1.1x',
      shortLoad(t.inPage.load),
      met(t.inPage.agentVsNative <= 1.1),
    ]);
  else rows.push(['agent build + layout / browser parse + layout of the same HTML', '', '<= 1.1x', '', NOT_RUN('in-page')]);
  if (e && e.native.length) {
    const loaded = nativeLoaded(e);
    const first = snap(e, 'tandem', (s) => s.firstScreenMs);
    const complete = snap(e, 'tandem', (s) => s.completeMs);
    rows.push([
      'first screenful on the agent (e2e, from snapshot start) / browser loading the page (to load + layout)',
      `${ms(first)} / ${ms(loaded)} ms = ${x(first / loaded)}`,
      '<= 0.5x',
      shortLoad(worstLoad(e.snapshot.tandem)),
      met(first / loaded <= 0.5),
    ]);
    rows.push([
      '  (info) complete page on the agent (e2e) / browser loading the page',
      `${ms(complete)} / ${ms(loaded)} ms = ${x(complete / loaded)}`,
      '',
      shortLoad(worstLoad(e.snapshot.tandem)),
      '',
    ]);
  } else rows.push(['first screenful on the agent / browser loading the page', '', '<= 0.5x', '', NOT_RUN('e2e')]);

  // 4. Bytes.
  if (e && e.snapshot.tandem.length) {
    const wire = snap(e, 'tandem', (s) => s.bytes);
    rows.push([
      "snapshot bytes compressed, as sent (e2e) / the page's own HTML (+ CSS) gzip -6",
      `${fmtInt(wire)} / ${fmtInt(t.pageGzip)} B = ${x(wire / t.pageGzip)}`,
      '<= 1x',
      shortLoad(worstLoad(e.snapshot.tandem)),
      met(wire <= t.pageGzip),
    ]);
  } else if (t.inPage)
    rows.push([
      "snapshot bytes, gzip -6 per message (in-page) / the page's own HTML (+ CSS) gzip -6",
      `${fmtInt(t.inPage.gzip)} / ${fmtInt(t.pageGzip)} B = ${x(t.inPage.gzip / t.pageGzip)}`,
      '<= 1x',
      shortLoad(t.inPage.load),
      met(t.inPage.gzip <= t.pageGzip),
    ]);
  if (t.inPage)
    rows.push([
      'snapshot bytes raw JSON: rrweb / Tandem (in-page)',
      x(t.inPage.rawRatio),
      '>= 3x fewer than rrweb',
      shortLoad(t.inPage.load),
      met(t.inPage.rawRatio >= 3),
    ]);
  else rows.push(['snapshot bytes raw JSON: rrweb / Tandem', '', '>= 3x fewer than rrweb', '', NOT_RUN('in-page')]);

  // 5. Keeping up with 1,000 changes/s.
  const c = e?.churn.tandem;
  if (c)
    rows.push([
      'agent behind the visitor at 1,000 changes/s (e2e, max lag over the churn)',
      `max ${ms(c.lagMax)} ms (p50 ${ms(c.lagP50)}, p95 ${ms(c.lagP95)}); ${fmtInt(c.ticksSeen)} of ${fmtInt(c.ticks)} ticks seen`,
      '<= 100 ms',
      shortLoad(c.load),
      met(c.lagMax <= 100 && c.ticksSeen === c.ticks),
    ]);
  else rows.push(['agent behind the visitor at 1,000 changes/s', '', '<= 100 ms', '', NOT_RUN('e2e churn')]);

  printTable(
    `== Targets (issue 13), ${t.title}${t.key === 'generated' ? '' : ': for reference, the targets are set for the 1.6 MB page'} ==`,
    ['target', 'measured', 'target', 'load avg (1, 5, 15 min)', 'status'],
    rows,
  );
  const runs = e ? `; end-to-end figures are medians of ${e.snapshot.tandem.length} run(s)` : '';
  console.log(
    `load average now: ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}${runs}`,
  );
}
