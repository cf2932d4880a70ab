/**
 * The end-to-end part of the mirror benchmark: a real Tandem server node (a
 * `tandem start` child process on 127.0.0.1), the visitor's page with the real
 * SDK (loader and session bundle from that node, consent given) on the bench's
 * static origin, and the agent in the real console on the node's origin. Beside
 * it rrweb 2.2.2 through a plain WebSocket relay (relay.ts), and the browser
 * loading the same page itself. See bench/README.md ("End to end").
 */
import { randomBytes } from 'node:crypto';
import type { Browser, BrowserContext, CDPSession, Page, WebSocket as PwWebSocket } from 'playwright-core';
import { ADMIN, startNode, type ServerNode } from '../load/nodes.js';
import { loadLine, progress, sleep, within } from '../load/report.js';
import type { E2eVisitor } from '../harness/e2e-visitor.js';
import type { WatchState } from '../harness/e2e-agent-watch.js';
import { startRelay, type Relay } from './relay.js';
import { BLANK_ELEMENTS, churnFigures, snapshotFigures, type ChurnRun, type E2eKind, type Framed, type SnapshotRun } from './figures.js';
import { startTrace, stopTrace } from './trace.js';

export type { ChurnRun, E2eKind, SnapshotRun } from './figures.js';

export interface E2ePage {
  key: 'generated' | 'booking';
  /** The page as the browser loads it by itself (and as rrweb's visitor has it). */
  url: string;
  /** Path on the static server of the same page with Tandem's snippet pointing at the node, and how to make it. */
  tandemPath: string;
  tandemHtml(node: string): string;
}

export interface E2eOptions {
  root: string;
  runs: number;
  /** 0: no churn. */
  churnSeconds: number;
  churnIntervalMs: number;
  churnPerTick: number;
  seed: number;
  viewport: { width: number; height: number };
  staticOrigin: string;
  /** Where the static server takes the Tandem pages. */
  extraPages: Map<string, string>;
  bundles: { visitorTandem: string; visitorRrweb: string; agentRrweb: string; watch: string };
  /** Registers a kill for the watchdog; returns its removal. */
  track(kill: () => void): () => void;
  /** Called with each page's results as soon as they are in (the tables are printed then, not only at the end). */
  onPage(r: E2ePageResults): void;
  verbose: boolean;
  /**
   * --trace-visitor: trace a Tandem snapshot and print where the visitor's main thread spent it; a file name also keeps
   * the trace. An extra run before the measured ones: tracing makes the traced page's work several times longer, and
   * that run's figures (a CPU ratio among them) are not counted.
   */
  traceVisitor?: { file?: string };
}

export interface NativeRun {
  /** From navigation start: first contentful paint, and the frame after the load event and a forced layout. */
  fcpMs: number;
  loadedMs: number;
  elements: number;
  height: number;
  load: string;
}

export interface E2ePageResults {
  page: E2ePage;
  snapshot: Record<E2eKind, SnapshotRun[]>;
  churn: Partial<Record<E2eKind, ChurnRun>>;
  native: NativeRun[];
}

const QUIET_MS = 800;
const POLL_MS = 100;

const metricsOf = (r: { metrics: { name: string; value: number }[] }): Record<string, number> =>
  Object.fromEntries(r.metrics.map((m) => [m.name, m.value]));

/** Every message the page sends on sockets whose path starts with `path`, as Playwright sees them (outside the page). */
function watchFrames(page: Page, path: string): Framed[] {
  const frames: Framed[] = [];
  page.on('websocket', (ws: PwWebSocket) => {
    if (!new URL(ws.url()).pathname.startsWith(path)) return;
    ws.on('framesent', (f) =>
      frames.push({
        at: Date.now(),
        bytes: typeof f.payload === 'string' ? Buffer.byteLength(f.payload) : f.payload.length,
        binary: typeof f.payload !== 'string',
      }),
    );
  });
  return frames;
}

const visitorProgress = (p: Page, kind: E2eKind) =>
  p.evaluate((binary) => (window as unknown as { __e2e: E2eVisitor }).__e2e.progress(binary), kind === 'tandem');
const visitorState = (p: Page) => p.evaluate(() => (window as unknown as { __e2e: E2eVisitor }).__e2e.state);
const watchState = (p: Page) => p.evaluate(() => (window as unknown as { __watch: { state: WatchState } }).__watch.state);

/** Waits (bounded) until the snapshot has started and been sent, and the visitor's socket has been quiet for QUIET_MS. */
async function visitorSettled(visitor: Page, kind: E2eKind, limitMs: number): Promise<void> {
  const deadline = Date.now() + limitMs;
  for (;;) {
    const v = await within(10_000, 'visitor progress', visitorProgress(visitor, kind));
    if (v.snapshotAt && v.sent && Date.now() - v.lastAt >= QUIET_MS) return;
    if (Date.now() > deadline)
      throw new Error(`${kind}: the snapshot was not sent within ${limitMs} ms (started: ${!!v.snapshotAt}, messages: ${v.sent})`);
    await sleep(POLL_MS);
  }
}

/** Waits (bounded) until the agent's mirror has been quiet for QUIET_MS after it was built. */
async function agentSettled(agent: Page, kind: E2eKind, limitMs: number): Promise<void> {
  const deadline = Date.now() + limitMs;
  for (;;) {
    const a = await within(10_000, 'agent state', watchState(agent));
    // Built: the last laid-out frame holds more than a blank document. Not "a second frame": a small page's snapshot
    // may be applied at once, before the watcher found the mirror's document, which then shows a single frame.
    if ((a.samples.at(-1)?.[2] ?? 0) > BLANK_ELEMENTS && Date.now() - a.lastMutation >= QUIET_MS) return;
    if (Date.now() > deadline) throw new Error(`${kind}: the agent's mirror did not settle within ${limitMs} ms (frames: ${a.samples.length})`);
    await sleep(POLL_MS);
  }
}

/** The churn on the visitor's page, with the agent watching the tick counter; sampling of layout is off meanwhile. */
async function churn(o: E2eOptions, visitor: Page, agent: Page, frames: Framed[], kind: E2eKind, run: number): Promise<ChurnRun> {
  await agent.evaluate(() => (window as unknown as { __watch: { setSampling(on: boolean): void } }).__watch.setSampling(false));
  frames.length = 0;
  await visitor.evaluate(([seed, interval, perTick]) => (window as unknown as { __e2e: E2eVisitor }).__e2e.churnStart(seed, interval, perTick), [
    o.seed * 1000 + run,
    o.churnIntervalMs,
    o.churnPerTick,
  ] as const);
  await sleep(o.churnSeconds * 1000);
  const made = await within(
    10_000,
    'churn stop',
    visitor.evaluate(() => (window as unknown as { __e2e: E2eVisitor }).__e2e.churnStop()),
  );
  const { ticks } = await within(10_000, 'visitor state', visitorState(visitor));
  // The agent may still be behind: it gets a bounded while to show the last tick.
  const deadline = Date.now() + 5_000;
  let watched = await within(10_000, 'agent state', watchState(agent));
  while (Date.now() < deadline && (watched.ticks.at(-1)?.[0] ?? 0) < ticks.length) {
    await sleep(POLL_MS);
    watched = await within(10_000, 'agent state', watchState(agent));
  }
  // Frames sent after the last tick belong to the churn too (the capture flushes on the next frame).
  await sleep(300);
  // Read again once all of it has arrived: the last frames of the churn are paired too (figures.ts).
  const { sent } = await within(10_000, 'visitor state', visitorState(visitor));
  const { received } = await within(10_000, 'agent state', watchState(agent));
  return churnFigures(ticks, watched.ticks, made, frames, kind, { sent, received });
}

async function tandemAgentPage(ctx: BrowserContext, node: ServerNode, watch: string): Promise<Page> {
  const agent = await ctx.newPage();
  agent.setDefaultTimeout(20_000);
  await agent.goto(`${node.url}/console/`, { timeout: 30_000 });
  const which = await within(
    20_000,
    'console sign-in or code box',
    Promise.race([agent.waitForSelector('#email').then(() => 'sign-in'), agent.waitForSelector('#code').then(() => 'code')]),
  );
  if (which === 'sign-in') {
    await agent.fill('#email', ADMIN.email);
    await agent.fill('#password', ADMIN.password);
    await agent.click('button[type=submit]');
    await agent.waitForSelector('#code');
  }
  // Evaluated rather than added as a script tag: the console's CSP allows no inline script, and DevTools evaluation is not bound by it.
  await agent.evaluate(watch);
  await agent.evaluate(() => (window as unknown as { __watch: { arm(s: string): void } }).__watch.arm('iframe[data-tandem-view]'));
  return agent;
}

async function visitorPage(
  ctx: BrowserContext,
  url: string,
  bundle: string,
  path: string,
): Promise<{ page: Page; cdp: CDPSession; frames: Framed[] }> {
  const page = await ctx.newPage();
  page.setDefaultTimeout(20_000);
  const frames = watchFrames(page, path);
  const cdp = await ctx.newCDPSession(page);
  await cdp.send('Performance.enable');
  await page.goto(url, { waitUntil: 'load', timeout: 30_000 });
  await page.evaluate(bundle);
  return { page, cdp, frames };
}

const threadTime = async (cdp: CDPSession) => {
  const m = metricsOf(await within(10_000, 'Performance.getMetrics', cdp.send('Performance.getMetrics')));
  return { thread: m.ThreadTime! * 1000, at: m.Timestamp! * 1000 };
};

/** How long the visitor's page is watched idle, polled as during the snapshot, before the agent joins. */
const IDLE_MS = 1_000;

/**
 * The visitor page's main-thread CPU per ms of wall time while nothing happens (the recorder waiting for an
 * agent, the browser's own upkeep, the bench's polling at the same rate as during the snapshot): subtracted from the
 * snapshot's window, which holds QUIET_MS of waiting and the polling too, so the figure is what the snapshot costs.
 */
async function idleRate(v: { page: Page; cdp: CDPSession }, kind: E2eKind): Promise<number> {
  const t0 = await threadTime(v.cdp);
  const until = Date.now() + IDLE_MS;
  while (Date.now() < until) {
    await within(10_000, 'visitor progress', visitorProgress(v.page, kind));
    await sleep(POLL_MS);
  }
  const t1 = await threadTime(v.cdp);
  return Math.max(0, (t1.thread - t0.thread) / (t1.at - t0.at));
}

async function tandemRun(
  o: E2eOptions,
  browser: Browser,
  agentCtx: BrowserContext,
  node: ServerNode,
  p: E2ePage,
  run: number,
  withChurn: boolean,
): Promise<{ snapshot: SnapshotRun; churn?: ChurnRun }> {
  const ctx = await browser.newContext({ viewport: o.viewport });
  let agent: Page | null = null;
  try {
    const v = await visitorPage(ctx, `${o.staticOrigin}${p.tandemPath}`, o.bundles.visitorTandem, '/ws/visitor');
    // The visitor asks for help and consents; the session bundle comes from the node.
    await v.page.evaluate(() => (window as unknown as { Tandem(cmd: string): void }).Tandem('startSession'));
    await v.page.click('tandem-ui [data-action=accept]');
    const code = await (await v.page.waitForSelector('tandem-ui [data-code]')).getAttribute('data-code');
    agent = await tandemAgentPage(agentCtx, node, o.bundles.watch);
    await agent.fill('#code', code ?? '');
    await sleep(300);
    const idle = await idleRate(v, 'tandem');
    // The extra run (-1) of --trace-visitor, not counted.
    const trace = o.traceVisitor && run < 0;
    if (trace) await startTrace(browser, v.page);
    const m0 = await threadTime(v.cdp);
    // Joining makes the server ask the visitor for a snapshot (resync): the capture starts then.
    await agent.click('button[type=submit]');
    const result = await finishRun(o, v, agent, 'tandem', m0, idle, run, withChurn);
    if (trace) await stopTrace(browser, o.traceVisitor?.file);
    return result;
  } finally {
    await agent?.close().catch(() => {});
    await ctx.close().catch(() => {});
  }
}

/**
 * The end of a run, the same for both recorders: waits for the visitor to have sent its snapshot (the CPU
 * window ends there) and for the agent to have drawn it, then reads the figures, and the churn if asked.
 */
async function finishRun(
  o: E2eOptions,
  v: Awaited<ReturnType<typeof visitorPage>>,
  agent: Page,
  kind: E2eKind,
  m0: Awaited<ReturnType<typeof threadTime>>,
  idle: number,
  run: number,
  withChurn: boolean,
): Promise<{ snapshot: SnapshotRun; churn?: ChurnRun }> {
  await visitorSettled(v.page, kind, 60_000);
  const m1 = await threadTime(v.cdp);
  await agentSettled(agent, kind, 60_000);
  const elements = await v.page.evaluate(() => (window as unknown as { __e2e: E2eVisitor }).__e2e.elements());
  const windowMs = m1.at - m0.at;
  const raw = m1.thread - m0.thread;
  const cpu = { ms: Math.max(0, raw - idle * windowMs), rawMs: raw, idleMs: idle * windowMs, windowMs };
  const snapshot = snapshotFigures(
    await visitorState(v.page),
    await watchState(agent),
    kind,
    v.frames,
    elements,
    o.viewport.height,
    cpu,
    o.verbose,
  );
  return { snapshot, churn: withChurn ? await churn(o, v.page, agent, v.frames, kind, run) : undefined };
}

async function rrwebRun(
  o: E2eOptions,
  browser: Browser,
  relay: Relay,
  p: E2ePage,
  run: number,
  withChurn: boolean,
): Promise<{ snapshot: SnapshotRun; churn?: ChurnRun }> {
  const ctx = await browser.newContext({ viewport: o.viewport });
  const agentCtx = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
  try {
    const v = await visitorPage(ctx, p.url, o.bundles.visitorRrweb, '/visitor');
    await within(
      10_000,
      'relay (visitor)',
      v.page.evaluate((url) => (window as unknown as { __e2eConnect(u: string): Promise<void> }).__e2eConnect(url), relay.socketUrl('visitor')),
    );
    const agent = await agentCtx.newPage();
    agent.setDefaultTimeout(20_000);
    await agent.goto(`${relay.origin}/agent.html`, { timeout: 30_000 });
    await agent.evaluate(o.bundles.watch);
    await agent.evaluate(() => (window as unknown as { __watch: { arm(s: string): void } }).__watch.arm('.replayer-wrapper iframe'));
    await sleep(300);
    const idle = await idleRate(v, 'rrweb');
    const m0 = await threadTime(v.cdp);
    // The relay tells the visitor to start recording once the agent is there.
    await within(
      10_000,
      'relay (agent)',
      agent.evaluate(
        (url) => (window as unknown as { __e2eAgent: { connect(u: string): Promise<void> } }).__e2eAgent.connect(url),
        relay.socketUrl('agent'),
      ),
    );
    return await finishRun(o, v, agent, 'rrweb', m0, idle, run, withChurn);
  } finally {
    await agentCtx.close().catch(() => {});
    await ctx.close().catch(() => {});
  }
}

/** In the page before anything of it runs: first contentful paint, and one frame after the load event and a forced layout. */
const NATIVE_SCRIPT = `(() => {
  const r = (window.__native = {});
  new PerformanceObserver((l) => { for (const e of l.getEntries()) if (e.name === 'first-contentful-paint') r.fcp = e.startTime; }).observe({ type: 'paint', buffered: true });
  addEventListener('load', () => {
    r.height = document.body.offsetHeight;
    requestAnimationFrame(() => { r.loaded = performance.now(); r.elements = document.getElementsByTagName('*').length; });
  });
})();`;

async function nativeRun(o: E2eOptions, browser: Browser, p: E2ePage): Promise<NativeRun> {
  const ctx = await browser.newContext({ viewport: o.viewport });
  try {
    await ctx.addInitScript({ content: NATIVE_SCRIPT });
    const page = await ctx.newPage();
    await page.goto(p.url, { waitUntil: 'load', timeout: 30_000 });
    const r = await within(
      15_000,
      'native load',
      page
        .waitForFunction(() => (window as unknown as { __native: { loaded?: number; fcp?: number } }).__native.loaded !== undefined, null, {
          timeout: 15_000,
        })
        .then(() =>
          page.evaluate(() => (window as unknown as { __native: { loaded: number; fcp?: number; elements: number; height: number } }).__native),
        ),
    );
    return { fcpMs: r.fcp ?? NaN, loadedMs: r.loaded, elements: r.elements, height: r.height, load: loadLine() };
  } finally {
    await ctx.close().catch(() => {});
  }
}

export async function runE2e(browser: Browser, pages: E2ePage[], o: E2eOptions): Promise<E2ePageResults[]> {
  let node: ServerNode | null = null;
  let relay: Relay | null = null;
  const untrack: (() => void)[] = [];
  try {
    progress('e2e: starting a Tandem node and the rrweb relay');
    node = await startNode(o.root, { TANDEM_SECRET: randomBytes(32).toString('base64url'), TANDEM_ALLOWED_ORIGINS: o.staticOrigin }, 90_000);
    const n = node;
    untrack.push(o.track(() => n.child.kill('SIGKILL')));
    relay = await startRelay(o.bundles.agentRrweb);
    for (const p of pages) o.extraPages.set(p.tandemPath, p.tandemHtml(node.url));
    // One agent context for every Tandem run: the console signs in once (the sign-in is throttled per account).
    const agentCtx = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
    const results: E2ePageResults[] = [];
    try {
      for (const p of pages) {
        const r: E2ePageResults = { page: p, snapshot: { tandem: [], rrweb: [] }, churn: {}, native: [] };
        if (o.traceVisitor) {
          progress(`  e2e ${p.key}: a traced Tandem run, not counted`);
          await tandemRun(o, browser, agentCtx, node, p, -1, false);
        }
        for (let run = 0; run < o.runs; run++) {
          const started = Date.now();
          // The churn runs in the first run of each page only: it costs 2 x its length.
          const withChurn = run === 0 && o.churnSeconds > 0;
          const order = (['tandem', 'rrweb', 'native'] as const).map((_, i, all) => all[(i + run) % all.length]!);
          for (const kind of order) {
            if (kind === 'native') r.native.push(await nativeRun(o, browser, p));
            else {
              const res =
                kind === 'tandem'
                  ? await tandemRun(o, browser, agentCtx, node, p, run, withChurn)
                  : await rrwebRun(o, browser, relay, p, run, withChurn);
              r.snapshot[kind].push(res.snapshot);
              if (res.churn) r.churn[kind] = res.churn;
            }
          }
          progress(`  e2e ${p.key}: run ${run + 1}/${o.runs} done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
        }
        results.push(r);
        o.onPage(r);
      }
    } finally {
      await agentCtx.close().catch(() => {});
    }
    return results;
  } finally {
    await relay?.close();
    await node?.stop();
    for (const u of untrack) u();
  }
}
