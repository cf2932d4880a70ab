/**
 * Fidelity corpus: each page is rendered as the visitor sees it and as the
 * agent's mirror draws it, at the same viewport; the screenshots may differ in
 * at most 0.5% of pixels, after the snapshot and again after the page's
 * scripted changes, and after each step of what the visitor does with the
 * pointer and keys where the page says (hover and focus styles). The figure per page is printed. The agent's page is served
 * from another origin than the visitor's, as in the product.
 */
import { readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import pixelmatch from 'pixelmatch';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, FrameLocator, Page } from 'playwright-core';
import { launchBrowser } from '../helpers/browser.js';
import { serveStatic, type StaticServer } from '../helpers/static-server.js';
import { connectPair, serveMirrorPage } from '../helpers/mirror-pair.js';

/** Each page waits on loads and timed attacks; with the corpora side by side on two loaded cores, 60 s was seen to run out. */
const CORPUS_TEST_MS = 120_000;

const CORPUS = resolve('test/corpus');
const VIEWPORT = { width: 1000, height: 700 };
const MAX_DIFF = 0.005;
const pages = [
  ...readdirSync(join(CORPUS, 'fidelity'))
    .filter((f) => f.endsWith('.html'))
    .sort()
    .map((f) => `/fidelity/${f}`),
  '/demo/index.html',
  '/demo/booking.html',
];

let browser: Browser;
let site: StaticServer;
let agentSite: StaticServer;
const figures: Record<string, { snapshot: string; changes: string; acts?: string }> = {};

/** A step of a page's `visitorActs`: a click into a field, then the pointer moved onto an element (paths go through frames). */
interface VisitorAct {
  click?: string[];
  hover?: string[];
}

/** The element at the end of `path`: frame selectors first. */
function locate(page: Page, path: string[]) {
  let scope: Page | FrameLocator = page;
  for (const sel of path.slice(0, -1)) scope = scope.frameLocator(sel);
  return scope.locator(path.at(-1)!);
}

beforeAll(async () => {
  site = await serveStatic(CORPUS);
  // The agent's page on its own origin (another port), as in the product: the mirror can load
  // what any origin may (images, stylesheets), but not what only the visitor's origin can read.
  agentSite = await serveMirrorPage();
  // The demo is part of the corpus, served beside it.
  const demo = await serveStatic(resolve('packages/demo/public'));
  demoUrl = demo.url;
  closeDemo = () => demo.close();
  browser = await launchBrowser(['--force-color-profile=srgb', '--hide-scrollbars', '--font-render-hinting=none']);
});

let demoUrl = '';
let closeDemo: () => Promise<void> = async () => {};

afterAll(async () => {
  // In the corpus's order, whichever page finished first.
  console.table(Object.fromEntries(pages.filter((p) => figures[p]).map((p) => [p, figures[p]])));
  await browser?.close();
  await site?.close();
  await agentSite?.close();
  await closeDemo();
});

/** Requests in flight per page: background images and fonts have no completion flag to poll. */
const inflight = new WeakMap<Page, Set<unknown>>();
function trackRequests(page: Page): void {
  const open = new Set<unknown>();
  inflight.set(page, open);
  page.on('request', (r) => open.add(r));
  page.on('requestfinished', (r) => open.delete(r));
  page.on('requestfailed', (r) => open.delete(r));
}

async function quiet(page: Page): Promise<void> {
  const open = inflight.get(page)!;
  const deadline = Date.now() + 10_000;
  while (open.size > 0 && Date.now() < deadline) await page.waitForTimeout(25);
}

/** Waits until the page's requests, images, stylesheets and fonts are in, in every nested document. */
async function rendered(page: Page, selector?: string): Promise<void> {
  await quiet(page);
  await page.waitForFunction(
    (sel) => {
      const docs: Document[] = [];
      const collect = (d: Document | null | undefined) => {
        if (!d) return;
        docs.push(d);
        for (const f of Array.from(d.querySelectorAll<HTMLIFrameElement>('iframe, frame'))) {
          try {
            collect(f.contentDocument);
          } catch {
            /* cross-origin */
          }
        }
      };
      collect(sel ? (document.querySelector(sel) as HTMLIFrameElement).contentDocument : document);
      return docs.every(
        (d) =>
          Array.from(d.images).every((i) => i.complete) &&
          Array.from(d.querySelectorAll('video')).every((v) => !v.currentSrc || (!v.seeking && v.readyState >= 2)) &&
          Array.from(d.querySelectorAll('link[rel~=stylesheet]')).every((l) => (l as HTMLLinkElement).sheet !== null) &&
          d.fonts.status === 'loaded',
      );
    },
    selector,
    { timeout: 10_000, polling: 50 },
  );
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
}

/** Boxes that are not compared: cross-origin frames, which the mirror shows as a labelled placeholder. */
async function excluded(page: Page) {
  return page.evaluate(() =>
    Array.from(document.querySelectorAll<HTMLIFrameElement>('iframe, frame'))
      .filter((f) => {
        try {
          return f.contentDocument === null;
        } catch {
          return true;
        }
      })
      .map((f) => f.getBoundingClientRect().toJSON() as { x: number; y: number; width: number; height: number }),
  );
}

async function diffRatio(original: Page, mirror: Page): Promise<number> {
  const [a, b] = [PNG.sync.read(await original.screenshot()), PNG.sync.read(await mirror.screenshot())];
  for (const box of await excluded(original)) {
    for (let y = Math.max(0, Math.floor(box.y)); y < Math.min(a.height, box.y + box.height); y++) {
      for (let x = Math.max(0, Math.floor(box.x)); x < Math.min(a.width, box.x + box.width); x++) {
        const i = (y * a.width + x) * 4;
        for (let k = 0; k < 4; k++) b.data[i + k] = a.data[i + k]!;
      }
    }
  }
  const diff = pixelmatch(a.data, b.data, undefined, a.width, a.height, { threshold: 0.1 });
  return diff / (a.width * a.height);
}

/** With TANDEM_SCREENSHOTS=dir, the screenshots of a page that failed are kept there to look at (of every page with TANDEM_SCREENSHOTS_ALL=1). */
async function keepScreenshots(path: string, phase: string, visitor: Page, agent: Page): Promise<void> {
  const dir = process.env.TANDEM_SCREENSHOTS;
  if (!dir) return;
  const name = `${path.replace(/\W+/g, '_')}-${phase}`;
  await visitor.screenshot({ path: join(dir, `${name}-visitor.png`) });
  await agent.screenshot({ path: join(dir, `${name}-agent.png`) });
}

describe('fidelity corpus', () => {
  it('has at least 15 feature pages plus the demo', () => {
    expect(pages.length).toBeGreaterThanOrEqual(17);
  });

  // The pages run side by side, each in its own context: most of each test is waiting for loads,
  // animation frames and the canvas throttle, so one at a time would leave the machine idle.
  for (const path of pages) {
    it.concurrent(
      `mirrors ${path} within ${MAX_DIFF * 100}% of pixels, after the snapshot and after its changes`,
      async ({ expect }) => {
        const context = await browser.newContext({ viewport: VIEWPORT, deviceScaleFactor: 1 });
        try {
          const visitor = await context.newPage();
          const agent = await context.newPage();
          trackRequests(visitor);
          trackRequests(agent);
          const base = path.startsWith('/demo/') ? demoUrl + path.slice(5) : site.url + path;
          await visitor.goto(base);
          // Corpus pages say when their setup is done; the demo's pages have nothing to set up.
          await visitor.waitForFunction(() => (window as any).pageReady === true || !(window as any).runChanges, undefined, { timeout: 15_000 });
          await rendered(visitor);
          await agent.goto(`${agentSite.url}/mirror.html`);
          const pair = await connectPair(visitor, agent);
          await pair.settled();
          await rendered(agent, 'iframe');
          const atSnapshot = await diffRatio(visitor, agent);
          if (atSnapshot > MAX_DIFF || process.env.TANDEM_SCREENSHOTS_ALL) await keepScreenshots(path, 'snapshot', visitor, agent);

          await visitor.evaluate(() => (window as any).runChanges?.());
          // Canvas pixels are re-read on a throttle (500 ms), not on every stroke.
          await visitor.waitForTimeout(600);
          await rendered(visitor);
          await pair.settled();
          await rendered(agent, 'iframe');
          const afterChanges = await diffRatio(visitor, agent);
          figures[path] = { snapshot: `${(atSnapshot * 100).toFixed(3)}%`, changes: `${(afterChanges * 100).toFixed(3)}%` };
          if (afterChanges > MAX_DIFF || process.env.TANDEM_SCREENSHOTS_ALL) await keepScreenshots(path, 'changes', visitor, agent);
          expect(atSnapshot).toBeLessThanOrEqual(MAX_DIFF);
          expect(afterChanges).toBeLessThanOrEqual(MAX_DIFF);

          // What the visitor does with the pointer and keys (hover and focus styles), where the page says.
          const acts = await visitor.evaluate(() => ((window as any).visitorActs ?? []) as VisitorAct[]);
          const afterActs: number[] = [];
          for (const [k, act] of acts.entries()) {
            if (act.click) await locate(visitor, act.click).click();
            if (act.hover) await locate(visitor, act.hover).hover();
            await rendered(visitor);
            await pair.settled();
            await rendered(agent, 'iframe');
            afterActs.push(await diffRatio(visitor, agent));
            if (afterActs[k]! > MAX_DIFF || process.env.TANDEM_SCREENSHOTS_ALL) await keepScreenshots(path, `act${k + 1}`, visitor, agent);
          }
          if (acts.length) figures[path].acts = afterActs.map((r) => `${(r * 100).toFixed(3)}%`).join(' ');
          for (const ratio of afterActs) expect(ratio).toBeLessThanOrEqual(MAX_DIFF);
        } finally {
          await context.close();
        }
      },
      CORPUS_TEST_MS,
    );
  }
});
