/**
 * The viewer's warm-up (rebuild/warm.ts): a made-up page built in a hidden
 * frame before the first snapshot. The made-up page must be a snapshot as
 * capture sends a large one (a keyframe whose <body> stays open, then
 * slices), or it warms other code than a real one runs: built by the parse
 * and node by node it gives the same document and ids, and its slices
 * continue the parse. The warm-up leaves nothing behind in the page that ran
 * it, goes one batch per step, and a real rebuild after it is unchanged.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { build } from 'esbuild';
import { launchBrowser } from '../helpers/browser.js';
import { serveStatic, type StaticServer } from '../helpers/static-server.js';
import { mirrorBundles } from '../helpers/mirror-pair.js';
import { compareRebuilds } from '../helpers/mirror-compare.js';
import { EventType } from '@tandem/protocol';

let browser: Browser;
let site: StaticServer;
let page: Page;
/** Errors the agent's page threw (a timer of a removed frame's rebuild, say): there must be none. */
const pageErrors: string[] = [];

beforeAll(async () => {
  site = await serveStatic('test/corpus', {
    '/agent.html': { type: 'text/html', body: '<!DOCTYPE html><body><p id="own">the page</p></body>' },
  });
  browser = await launchBrowser();
  page = await browser.newPage();
  page.on('pageerror', (e) => pageErrors.push(e.message));
  await page.goto(`${site.url}/agent.html`);
  await page.addScriptTag({ content: (await mirrorBundles()).rebuild });
  const warm = await build({
    stdin: {
      contents:
        "import { warmRebuild, madeUpSnapshot } from '@tandem/mirror/warm'; (window as any).TandemWarm = { warmRebuild, madeUpSnapshot };",
      resolveDir: process.cwd(),
      loader: 'ts',
    },
    bundle: true,
    write: false,
    format: 'iife',
  });
  await page.addScriptTag({ content: warm.outputFiles[0]!.text });
}, 60_000);

/** The made-up page's batches as JSON, made in the agent's page (the rebuild's modules need a DOM). */
function madeUp(cards: number, perSlice: number): Promise<string[]> {
  return page.evaluate(([c, p]) => ((window as any).TandemWarm.madeUpSnapshot(c, p) as unknown[]).map((b) => JSON.stringify(b)), [
    cards,
    perSlice,
  ] as const);
}

afterAll(async () => {
  await browser?.close();
  await site?.close();
});

describe('the made-up page of the warm-up', () => {
  it('is a sliced snapshot: built by the parse and node by node, the same document and ids; its slices continue the parse', async () => {
    const batches = await madeUp(40, 5);
    expect((JSON.parse(batches[0]!) as unknown[][])[0]![0]).toBe(EventType.Snapshot);
    expect(JSON.parse(batches.at(-1)!)).toEqual([[EventType.SnapshotEnd]]);
    const result = await page.evaluate(compareRebuilds, batches);
    expect(result.differences).toEqual([]);
    expect(result.parsed).toBe(true);
    // Every card after the keyframe's five continued the parse, and the end closed it.
    expect(result.streamed).toBe(35);
    expect(result.complete).toBe(true);
    expect(result.ids).toBeGreaterThan(40 * 40);
  });
});

describe('warmRebuild', () => {
  it('goes one batch per step, leaves no frame and nothing else behind, and a rebuild after it is the same', async () => {
    const out = await page.evaluate(async () => {
      const before = document.body.innerHTML;
      // The comparisons above left their frames: counted from here.
      const frames = document.querySelectorAll('iframe').length;
      let steps = 0;
      let framesDuring = 0;
      await (window as any).TandemWarm.warmRebuild(document.body, (run: () => void) => {
        steps++;
        framesDuring = Math.max(framesDuring, document.querySelectorAll('iframe').length - frames);
        setTimeout(run, 0);
      });
      return { steps, framesDuring, framesAfter: document.querySelectorAll('iframe').length - frames, same: document.body.innerHTML === before };
    });
    // A keyframe, 7 slices and the end: 9 batches, each in a step of its own, in one hidden frame.
    expect(out).toEqual({ steps: 9, framesDuring: 1, framesAfter: 0, same: true });
    // The real rebuild afterwards: the made-up page again, compared both ways as above.
    const again = await page.evaluate(compareRebuilds, await madeUp(12, 4));
    expect(again.differences).toEqual([]);
    expect(again.parsed).toBe(true);
  });

  it('stops where it is asked to: the frame goes, the promise resolves', async () => {
    const out = await page.evaluate(async () => {
      const frames = document.querySelectorAll('iframe').length;
      let asked = 0;
      let steps = 0;
      await (window as any).TandemWarm.warmRebuild(
        document.body,
        (run: () => void) => {
          steps++;
          setTimeout(run, 0);
        },
        () => ++asked > 3,
      );
      return { steps, asked, framesAfter: document.querySelectorAll('iframe').length - frames };
    });
    // Three batches built, the fourth step stopped it.
    expect(out).toEqual({ steps: 4, asked: 4, framesAfter: 0 });
    // Stopped with the parse open: past the rebuild's idle close (1.5 s) and a scroll restore, nothing throws.
    await page.waitForTimeout(2_000);
    expect(pageErrors).toEqual([]);
  });

  it('a warm-up that fails (a frame that cannot be built in) resolves all the same and removes its frame', async () => {
    const out = await page.evaluate(async () => {
      // A host in a document without a window: its frame never gets a document to build in.
      const doc = document.implementation.createHTMLDocument('');
      await (window as any).TandemWarm.warmRebuild(doc.body);
      return doc.querySelectorAll('iframe').length;
    });
    expect(out).toBe(0);
  });
});
