/**
 * A visitor page and an agent page in one browser, joined by capture → JSON →
 * rebuild, without the server: for tests of the mirror's own fidelity and
 * safety. Batches are forwarded in order through the test process, as the
 * relay would.
 */
import { build } from 'esbuild';
import { resolve } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { launchBrowser } from './browser.js';
import { serveStatic, type StaticServer } from './static-server.js';

let bundles: Promise<{ capture: string; rebuild: string }> | null = null;

/** The capture and rebuild entry points, bundled once per test file. */
export function mirrorBundles(): Promise<{ capture: string; rebuild: string }> {
  bundles ??= (async () => {
    const one = async (contents: string) =>
      (await build({ stdin: { contents, resolveDir: process.cwd(), loader: 'ts' }, bundle: true, write: false, format: 'iife' })).outputFiles[0]!
        .text;
    return {
      capture: await one("import { startCapture } from '@tandem/mirror/capture'; (window as any).TandemCapture = { startCapture };"),
      rebuild: await one("import { Rebuilder } from '@tandem/mirror/rebuild'; (window as any).TandemRebuild = { Rebuilder };"),
    };
  })();
  return bundles;
}

/** The agent-side page: a full-viewport sandboxed iframe the rebuild draws into. */
export const MIRROR_PAGE = `<!DOCTYPE html><html><head><style>html,body{margin:0;height:100%;overflow:hidden}
iframe{position:fixed;inset:0;width:100%;height:100%;border:0;display:block}</style></head>
<body><iframe sandbox="allow-same-origin" data-tandem-view></iframe></body></html>`;

/** The agent's side on an origin of its own (another port than the visitor's site), as in the product. */
export function serveMirrorPage(): Promise<StaticServer> {
  return serveStatic(resolve('test/corpus/no-such-dir'), { '/mirror.html': { type: 'text/html', body: MIRROR_PAGE } });
}

/** A test file's browser, the visitor's site (`root`, `routes`) and the agent's mirror page on another origin. */
export interface MirrorFixture {
  browser: Browser;
  site: StaticServer;
  agentSite: StaticServer;
  close(): Promise<void>;
}

export async function mirrorFixture(root: string, routes: Parameters<typeof serveStatic>[1] = {}): Promise<MirrorFixture> {
  const [site, agentSite, browser] = await Promise.all([serveStatic(root, routes), serveMirrorPage(), launchBrowser()]);
  return {
    browser,
    site,
    agentSite,
    async close() {
      await browser.close();
      await site.close();
      await agentSite.close();
    },
  };
}

export interface MirrorPair {
  /** Resolves once every batch emitted so far has been applied on the agent side. */
  settled(): Promise<void>;
  batches: string[];
}

/**
 * Starts capture on `visitor` (already at its page, as `window.__capture`) and rebuilds into `agent`
 * (already at a MIRROR_PAGE, as `window.__rebuild`). `wire` sees every batch as it would travel.
 */
export async function connectPair(visitor: Page, agent: Page, options: { mask?: unknown } = {}): Promise<MirrorPair> {
  const { capture, rebuild } = await mirrorBundles();
  await agent.addScriptTag({ content: rebuild });
  await agent.evaluate(() => {
    const frame = document.querySelector('iframe')!;
    const r = new (window as any).TandemRebuild.Rebuilder(frame);
    (window as any).__rebuild = r;
    (window as any).applyBatch = (json: string) => r.apply(JSON.parse(json));
  });
  const batches: string[] = [];
  let chain = Promise.resolve();
  await visitor.exposeBinding('__tandemEmit', (_source, json: string) => {
    batches.push(json);
    chain = chain.then(() => agent.evaluate((j) => (window as any).applyBatch(j), json));
    // A batch emitted while the test closes its pages fails with nobody waiting: marked handled here,
    // while `settled()` still awaits the same promise and so still fails on a batch that did not apply.
    chain.catch(() => {});
  });
  await visitor.addScriptTag({ content: capture });
  await visitor.evaluate((mask) => {
    (window as any).__capture = (window as any).TandemCapture.startCapture(document, {
      mask,
      emit: (events: unknown) => (window as any).__tandemEmit(JSON.stringify(events)),
    });
  }, options.mask ?? {});
  return {
    batches,
    async settled() {
      // One animation frame (plus the background fallback) flushes capture's batch; work
      // that goes on in slices (the scroll scan after a snapshot) may need several, and a
      // loaded machine stretches them: wait until a whole round brings no new batch.
      // Resources relayed as data (blob: images, sprites) arrive later than the elements they belong to.
      for (let round = 0; round < 20; round++) {
        const seen = batches.length;
        const reading = await visitor.evaluate(
          () =>
            new Promise<number>((r) =>
              requestAnimationFrame(() => setTimeout(() => r((window as any).__capture?.relays?.().pending ?? 0), 120)),
            ),
        );
        await chain;
        if (batches.length === seen && reading === 0) return;
      }
    },
  };
}
