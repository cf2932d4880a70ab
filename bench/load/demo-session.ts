/**
 * A typical demo session's upstream: a real server node, headless Chromium, a
 * scripted visitor on the demo (fills the form, scrolls, changes page twice)
 * and an agent watching in the console. Counted: every message the visitor's
 * page sends on its Tandem WebSocket. Beside it, rrweb 2.2.2 records the same
 * session in the same page; what a relay would send of it is each event as JSON.
 */
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { build } from 'esbuild';
import type { Browser, Page } from 'playwright-core';
import { FrameFlag, readFrameHeader } from '@tandem/protocol';
import { launchBrowser } from '../../test/helpers/browser.js';
import { prng } from '../prng.js';
import { ADMIN, startNode, type ServerNode } from './nodes.js';
import { loadLine, progress, sleep, within } from './report.js';
import { wireBytes } from './traffic.js';

export interface DemoResult {
  seconds: number;
  pages: number;
  tandem: { messages: number; bytes: number; wireBytes: number; largest: number; keyframes: number };
  rrweb: { messages: number; bytes: number; largest: number; fullSnapshots: number };
  load: string;
}

/** In the visitor's page: rrweb's record, started on each page of the tab once the bench says so. */
const RRWEB_SOURCE = `
import { record } from 'rrweb';
const w = window;
w.__rrwebStart = () => {
  sessionStorage.setItem('__benchRrweb', '1');
  record({
    // Tandem's own bar is not the site's page: neither side should pay for it.
    blockSelector: 'tandem-ui',
    emit(event) {
      const bytes = new TextEncoder().encode(JSON.stringify(event)).length;
      w.__rrwebSent(bytes, event.type);
    },
  });
};
if (window === window.top && sessionStorage.getItem('__benchRrweb') === '1') {
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', () => w.__rrwebStart());
  else w.__rrwebStart();
}
`;

async function rrwebBundle(root: string): Promise<string> {
  const out = await build({
    stdin: { contents: RRWEB_SOURCE, resolveDir: join(root, 'bench'), loader: 'js' },
    bundle: true,
    write: false,
    minify: true,
    format: 'iife',
    target: ['chrome100'],
    logLevel: 'error',
    absWorkingDir: root,
  });
  return out.outputFiles[0]!.text;
}

/** Waits until the agent's view shows `selector` in the rebuilt page. */
function inView(agent: Page, selector: string, timeout = 20_000) {
  return agent.waitForFunction(
    (sel) => !!document.querySelector<HTMLIFrameElement>('iframe[data-tandem-view]')?.contentDocument?.querySelector(sel),
    selector,
    { timeout, polling: 50 },
  );
}

export async function runDemoSession(o: { root: string; seconds: number; track: (kill: () => void) => () => void }): Promise<DemoResult> {
  // Every run, from the sources (under a second): bundles left from an earlier build would be measured instead.
  progress('building browser bundles (node scripts/build.mjs)...');
  execFileSync(process.execPath, ['scripts/build.mjs'], { cwd: o.root, stdio: ['ignore', 2, 2], timeout: 180_000 });
  const rrweb = await rrwebBundle(o.root);
  let node: ServerNode | null = null;
  let browser: Browser | null = null;
  const untrack: (() => void)[] = [];
  try {
    node = await startNode(o.root, { TANDEM_SECRET: randomBytes(32).toString('base64url') }, 90_000);
    const n = node;
    untrack.push(
      o.track(() => {
        n.child.kill('SIGKILL');
        rmSync(n.dataDir, { recursive: true, force: true });
      }),
    );
    browser = await launchBrowser();
    const b = browser;
    // Playwright ends the browser with this process; closing it here is for an orderly watchdog.
    untrack.push(o.track(() => void b.close().catch(() => {})));
    const visitorCtx = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const agentCtx = await browser.newContext({ viewport: { width: 1400, height: 900 } });
    const visitor = await visitorCtx.newPage();
    const agent = await agentCtx.newPage();
    visitor.setDefaultTimeout(20_000);
    agent.setDefaultTimeout(20_000);

    const tandem = { messages: 0, bytes: 0, wireBytes: 0, largest: 0, keyframes: 0 };
    visitor.on('websocket', (ws) => {
      if (!new URL(ws.url()).pathname.startsWith('/ws/visitor')) return;
      ws.on('framesent', (f) => {
        const bytes = typeof f.payload === 'string' ? Buffer.byteLength(f.payload) : f.payload.length;
        tandem.messages++;
        tandem.bytes += bytes;
        tandem.wireBytes += wireBytes(bytes);
        tandem.largest = Math.max(tandem.largest, bytes);
        if (typeof f.payload !== 'string' && (readFrameHeader(new Uint8Array(f.payload))?.flags ?? 0) & FrameFlag.Keyframe) tandem.keyframes++;
      });
    });
    const rr = { messages: 0, bytes: 0, largest: 0, fullSnapshots: 0 };
    await visitorCtx.exposeBinding('__rrwebSent', (_source, bytes: number, type: number) => {
      rr.messages++;
      rr.bytes += bytes;
      rr.largest = Math.max(rr.largest, bytes);
      if (type === 2) rr.fullSnapshots++;
    });
    await visitorCtx.addInitScript({ content: rrweb });

    // The visitor asks for help and consents; the agent signs in and joins with the code.
    await visitor.goto(`${node.url}/demo/booking.html`, { timeout: 30_000 });
    await visitor.click('#get-help');
    await visitor.click('tandem-ui [data-action=accept]');
    const code = await (await visitor.waitForSelector('tandem-ui [data-code]')).getAttribute('data-code');
    await agent.goto(`${node.url}/console/`, { timeout: 30_000 });
    await agent.fill('#email', ADMIN.email);
    await agent.fill('#password', ADMIN.password);
    await agent.click('button[type=submit]');
    await agent.fill('#code', code ?? '');
    await agent.click('button[type=submit]');
    await inView(agent, '#booking-form');
    // From here both recorders run: Tandem's count already holds its first keyframe, rrweb's starts with its full snapshot.
    await visitor.evaluate(() => (window as unknown as { __rrwebStart(): void }).__rrwebStart());
    const t0 = Date.now();
    const end = t0 + o.seconds * 1000;
    const at = (fraction: number) => t0 + fraction * o.seconds * 1000;
    const rand = prng(7);
    /** The pointer wanders until `deadline`, as a reading visitor's does. */
    const wander = async (deadline: number) => {
      while (Date.now() < deadline - 300) {
        await visitor.mouse.move(100 + rand() * 1000, 100 + rand() * 600, { steps: 4 + Math.floor(rand() * 8) });
        await sleep(Math.min(deadline - Date.now(), 200 + rand() * 600));
      }
    };
    const scroll = async (dy: number, steps: number) => {
      for (let i = 0; i < steps && Date.now() < end; i++) {
        await visitor.mouse.wheel(0, dy);
        await sleep(120);
      }
    };
    let pages = 1;

    progress('  demo: filling the form');
    await visitor.click('#name');
    await visitor.keyboard.type('Alex Traveler', { delay: 110 });
    await visitor.click('#email');
    await visitor.keyboard.type('alex@example.com', { delay: 110 });
    await visitor.fill('#date', '2026-07-14');
    await visitor.selectOption('#seat', { index: 1 });
    await visitor.click('#notes');
    await visitor.keyboard.type('Window seat, please', { delay: 100 });
    await visitor.mouse.move(640, 400, { steps: 5 });
    await scroll(150, 6);
    await wander(at(0.25));
    await scroll(-150, 6);
    await wander(at(0.35));

    progress('  demo: first page change (results)');
    await visitor.click('header a[href="results.html"]');
    await visitor.waitForURL(/results\.html/);
    pages++;
    await inView(agent, '#results-title');
    await visitor.mouse.move(640, 400, { steps: 5 });
    await scroll(200, 8);
    await wander(at(0.55));
    await scroll(200, 6);
    await wander(at(0.7));

    progress('  demo: second page change (booking a flight)');
    await visitor.click('#select-2');
    await visitor.waitForURL(/booking\.html\?flight=2/);
    pages++;
    await inView(agent, '#booking-form');
    await visitor.click('#name');
    await visitor.keyboard.type('Alex T.', { delay: 120 });
    await visitor.check('#terms');
    await wander(end);
    const seconds = (Date.now() - t0) / 1000;
    // The last batches (the capture flushes on the next frame, rrweb's binding is a round trip) belong to the session.
    await sleep(500);
    const load = loadLine();
    await within(10_000, 'browser close', browser.close());
    browser = null;
    return { seconds, pages, tandem, rrweb: rr, load };
  } finally {
    if (browser) await within(10_000, 'browser close', browser.close()).catch(() => {});
    await node?.stop();
    for (const u of untrack) u();
  }
}
