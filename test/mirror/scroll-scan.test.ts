/**
 * The scroll scan after a snapshot (capture/index.ts, scanScrolls) on a page of
 * closed <details>: it must find the scrolled elements the visitor can see and
 * must not make the browser lay out what it does not render. Reading the offset
 * of an element in a closed <details> lays that subtree out for the read and
 * drops it again at the next frame; the scan reads in slices, a frame apart, so
 * on the 1.6 MB benchmark page (182 closed <details>) that cost a layout and a
 * paint of the whole page every frame for two seconds, more than the snapshot.
 * Counted here with Chromium's own LayoutCount, not timed.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { launchBrowser } from '../helpers/browser.js';
import { mirrorBundles } from '../helpers/mirror-pair.js';

const CLOSED = 60;
const PAGE = `<!doctype html><html><head><style>
.box { height: 60px; overflow: auto; } .box p { height: 30px; margin: 0; }
</style></head><body>
<div class="box" id="seen">${'<p>row</p>'.repeat(10)}</div>
<details open><summary>open</summary><div class="box" id="in-open">${'<p>row</p>'.repeat(10)}</div></details>
${Array.from({ length: CLOSED }, (_, i) => `<details><summary>closed ${i}</summary>${'<div><span>item</span> <a href="#">link</a></div>'.repeat(40)}<div class="box" id="in-closed-${i}">${'<p>row</p>'.repeat(10)}</div></details>`).join('\n')}
</body></html>`;

let browser: Browser;
let page: Page;

beforeAll(async () => {
  browser = await launchBrowser();
  page = await browser.newPage();
});
afterAll(async () => {
  await browser?.close();
});

it('finds the scrolled elements the visitor sees, and lays out no closed <details> to do it', async () => {
  await page.setContent(PAGE);
  // Scrolled before capture starts, as a page restores its panes: one visible, one in an open <details>, and
  // one in each closed <details> (scrolled while open, then closed).
  await page.evaluate((closed) => {
    for (let i = 0; i < closed; i++) {
      const d = document.querySelectorAll('details')[i + 1]!;
      d.open = true;
      document.getElementById(`in-closed-${i}`)!.scrollTop = 45;
      d.open = false;
    }
    document.getElementById('seen')!.scrollTop = 30;
    document.getElementById('in-open')!.scrollTop = 60;
  }, CLOSED);
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => setTimeout(r, 50))));

  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Performance.enable');
  const layouts = async () => (await cdp.send('Performance.getMetrics')).metrics.find((m) => m.name === 'LayoutCount')!.value;

  await page.addScriptTag({ content: (await mirrorBundles()).capture });
  const before = await layouts();
  // 1 ms slices: the scan takes many frames, as it does on a large page.
  const scrolls = await page.evaluate(
    () =>
      new Promise<{ id: string; top: number }[]>((resolve) => {
        const found: [number, number, number][] = [];
        let quietFrames = 0;
        let last = 0;
        const capture = (window as any).TandemCapture.startCapture(document, {
          sliceMs: 1,
          emit: (events: unknown[][]) => {
            last = performance.now();
            for (const e of events) if (e[0] === 3) found.push(e.slice(1) as [number, number, number]);
          },
        });
        const tick = () => {
          quietFrames = performance.now() - last > 300 ? quietFrames + 1 : 0;
          if (quietFrames > 5) {
            // Ids are known once the snapshot is done; it is, long before the scan ends.
            const idOf = new Map([...document.querySelectorAll('.box')].map((el) => [capture.idOf(el), el.id]));
            resolve(found.map(([id, , top]) => ({ id: idOf.get(id) ?? String(id), top })));
          } else requestAnimationFrame(tick);
        };
        requestAnimationFrame(tick);
      }),
  );
  const during = (await layouts()) - before;

  expect(scrolls).toContainEqual({ id: 'seen', top: 30 });
  expect(scrolls).toContainEqual({ id: 'in-open', top: 60 });
  // An element the browser does not render is not read; it shows unscrolled on the agent until it scrolls.
  expect(scrolls.filter((s) => s.id.startsWith('in-closed'))).toEqual([]);
  // Reading a closed <details>' subtree lays it out once per slice: dozens here. Unread, the page lays out a
  // handful of times (the snapshot's own reads, and frames).
  expect(during).toBeLessThan(8);
});
