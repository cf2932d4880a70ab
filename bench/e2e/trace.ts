/**
 * --trace-visitor: where the visitor page's main thread spends a Tandem snapshot. A Chrome trace of the visitor's
 * renderer (devtools.timeline events and V8's sampling profiler) from the agent's join to the end of the CPU
 * window; --trace-agent: the same for the in-page agent view (rebuild and layout). Summed two ways: trace events by self time (script, style, layout, GC, paint…) and JavaScript
 * functions by self time from the profiler's samples. For finding what to make cheaper, not a target.
 */
import type { Browser, Page } from 'playwright-core';
import { writeFileSync } from 'node:fs';
import { printTable } from '../load/report.js';

const CATEGORIES = [
  'devtools.timeline',
  'disabled-by-default-devtools.timeline',
  'v8',
  'v8.execute',
  'disabled-by-default-v8.cpu_profiler',
  'disabled-by-default-v8.gc',
  'disabled-by-default-devtools.timeline.stack',
  'disabled-by-default-devtools.timeline.invalidationTracking',
];

/**
 * TANDEM_TRACE_LIGHT=1: trace events only, without the sampling profiler, stacks and invalidation tracking, which
 * make scripts and GC look several times longer than they are. For the lengths of tasks, not for what is in them.
 */
const LIGHT = ['devtools.timeline', 'disabled-by-default-devtools.timeline', 'v8', 'disabled-by-default-v8.gc'];

export async function startTrace(browser: Browser, page: Page): Promise<void> {
  const categories = process.env.TANDEM_TRACE_LIGHT === '1' ? LIGHT : CATEGORIES;
  await browser.startTracing(page, { categories, screenshots: false });
}

interface TraceEvent {
  name: string;
  ph: string;
  ts: number;
  dur?: number;
  pid: number;
  tid: number;
  id?: string;
  args?: { name?: string; data?: ProfileData & { frames?: { processId: number }[] } };
}
interface ProfileData {
  cpuProfile?: {
    nodes?: { id: number; parent?: number; callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number } }[];
    samples?: number[];
  };
  timeDeltas?: number[];
}

/** Stops the trace, optionally writes it (open it in Chrome's Performance panel), and prints both summaries. */
export async function stopTrace(browser: Browser, file: string | undefined, who = 'visitor'): Promise<void> {
  const buf = await browser.stopTracing();
  if (file) writeFileSync(file, buf);
  summarizeTrace(buf, who);
}

/** Both summaries of a trace (also for a kept file: `summarizeTrace(readFileSync(file))`). */
export function summarizeTrace(buf: Buffer, who = 'visitor'): void {
  const events = (JSON.parse(buf.toString('utf8')) as { traceEvents: TraceEvent[] }).traceEvents;
  // Tracing is browser-wide (the agent's renderer is in it too): the traced page's process is named when tracing starts.
  const pid = events.find((e) => e.name === 'TracingStartedInBrowser')?.args?.data?.frames?.[0]?.processId;
  const main = events.find((e) => e.ph === 'M' && e.name === 'thread_name' && e.args?.name === 'CrRendererMain' && e.pid === pid);
  if (!main) {
    console.error(`trace: no renderer main thread found for the ${who}`);
    return;
  }
  printEventSelfTimes(
    events.filter((e) => e.pid === main.pid && e.tid === main.tid),
    who,
  );
  // The profiler's chunks come from its own thread; the main thread's profile is the one its Profile event names.
  const profile = events.find((e) => e.name === 'Profile' && e.pid === main.pid && e.tid === main.tid)?.id;
  printFunctionSelfTimes(
    events.filter((e) => e.pid === main.pid && e.name === 'ProfileChunk' && e.id === profile),
    who,
  );
}

function printEventSelfTimes(onMain: TraceEvent[], who: string): void {
  const complete = onMain.filter((e) => e.ph === 'X' && e.dur !== undefined).sort((a, b) => a.ts - b.ts || b.dur! - a.dur!);
  const self = new Map<string, number>();
  const stack: { e: TraceEvent; end: number; child: number }[] = [];
  const close = (upTo: number) => {
    while (stack.length && stack.at(-1)!.end <= upTo) {
      const top = stack.pop()!;
      self.set(top.e.name, (self.get(top.e.name) ?? 0) + top.e.dur! - top.child);
      if (stack.length) stack.at(-1)!.child += top.e.dur!;
    }
  };
  for (const e of complete) {
    close(e.ts);
    stack.push({ e, end: e.ts + e.dur!, child: 0 });
  }
  close(Infinity);
  const total = complete.filter((e) => e.name === 'RunTask').reduce((n, e) => n + e.dur!, 0);
  const rows = [...self]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 18)
    .map(([name, us]) => [name, (us / 1000).toFixed(1), ((100 * us) / Math.max(1, total)).toFixed(1)]);
  printTable(`== ${who} main thread by trace event, self time (RunTask total ${(total / 1000).toFixed(0)} ms) ==`, ['event', 'ms', '%'], rows);
}

function printFunctionSelfTimes(events: TraceEvent[], who: string): void {
  const nodes = new Map<number, string>();
  const counts = new Map<string, number>();
  let samples = 0;
  for (const e of events) {
    if (e.name !== 'ProfileChunk') continue;
    const d = e.args?.data;
    for (const n of d?.cpuProfile?.nodes ?? []) {
      const f = n.callFrame;
      const url = f.url ?? '';
      const file = url.slice(url.lastIndexOf('/') + 1);
      nodes.set(n.id, `${f.functionName || '(anonymous)'}${file ? ` ${file}:${f.lineNumber + 1}` : ''}`);
    }
    const s = d?.cpuProfile?.samples ?? [];
    const dt = d?.timeDeltas ?? [];
    for (let i = 0; i < s.length; i++) {
      const name = nodes.get(s[i]!) ?? `node ${s[i]}`;
      // Each sample stands for the time since the previous one.
      const us = Math.max(0, dt[i] ?? 0);
      counts.set(name, (counts.get(name) ?? 0) + us);
      samples += us;
    }
  }
  const rows = [...counts]
    .filter(([name]) => name !== '(idle)')
    .sort((a, b) => b[1] - a[1])
    .slice(0, 25)
    .map(([name, us]) => [name.slice(0, 90), (us / 1000).toFixed(1)]);
  printTable(
    `== ${who} main thread by function, self time from samples (${(samples / 1000).toFixed(0)} ms sampled incl. idle) ==`,
    ['function', 'ms'],
    rows,
  );
}
