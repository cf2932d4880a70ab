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

  const before = await layouts();
  const scrolls = await scrolledAtSnapshot(page, '.box');
  const during = (await layouts()) - before;

  expect(scrolls).toContainEqual({ id: 'seen', top: 30 });
  expect(scrolls).toContainEqual({ id: 'in-open', top: 60 });
  // An element the browser does not render is not read; it shows unscrolled on the agent until it scrolls.
  expect(scrolls.filter((s) => s.id.startsWith('in-closed'))).toEqual([]);
  // Reading a closed <details>' subtree lays it out once per slice: dozens here. Unread, the page lays out a
  // handful of times (the snapshot's own reads, and frames).
  expect(during).toBeLessThan(8);
});

const CSS_PAGE = `<!doctype html><html><head><style>
@import url("data:text/css,.imported%7Boverflow:auto%7D");
p { height: 30px; margin: 0; } div { height: 60px; }
@media screen { @supports (display: grid) { .in-media { overflow-y: scroll; } } }
@layer base { .in-layer { overflow: hidden; } }
.later { overflow: visible; }
.carousel { overflow-x: hidden; white-space: nowrap; width: 100px; } .carousel span { display: inline-block; width: 80px; }
.by-var { --o: auto; overflow-y: var(--o); }
.by-all { overflow: auto; height: 60px; } .by-all > section { all: inherit; }
</style></head><body>
<div class="imported" data-k="imported">${'<p>row</p>'.repeat(6)}</div>
<div class="in-media" data-k="in-media">${'<p>row</p>'.repeat(6)}</div>
<div class="in-layer" data-k="in-layer">${'<p>row</p>'.repeat(6)}</div>
<div style="OVERFLOW: auto" data-k="inline">${'<p>row</p>'.repeat(6)}</div>
<div class="later" data-k="cssom">${'<p>row</p>'.repeat(6)}</div>
<div class="carousel" data-k="carousel">${'<span>s</span>'.repeat(6)}</div>
<div class="by-var" data-k="by-var">${'<p>row</p>'.repeat(6)}</div>
<div class="by-all"><section data-k="by-all">${'<p>row</p>'.repeat(6)}</section></div>
<textarea data-k="textarea" rows="2">${'line\n'.repeat(20)}</textarea>
<select data-k="list-box" size="2">${'<option>row</option>'.repeat(20)}</select>
<select data-k="multiple" multiple>${'<option>row</option>'.repeat(20)}</select>
<input data-k="long-input" style="width: 60px" value="${'a long value '.repeat(10)}">
<section id="host" style="display:block;height:60px"></section>
</body></html>`;

it('finds scroll containers however their overflow is set: @import, @media, @supports, @layer, var(), `all`, style attribute, CSSOM, UA, shadow roots', async () => {
  await page.setContent(CSS_PAGE);
  await page.evaluate(() => {
    // A rule inserted through the CSSOM: it never appears in a <style>'s text.
    document.styleSheets[0]!.insertRule('.later { overflow: auto }', document.styleSheets[0]!.cssRules.length);
    const root = document.getElementById('host')!.attachShadow({ mode: 'open' });
    const sheet = new CSSStyleSheet();
    sheet.replaceSync(':host { overflow: auto } :host(.x) > .pane, :host .pane { overflow: auto; height: 40px } p { height: 30px; margin: 0 }');
    root.adoptedStyleSheets = [sheet];
    root.innerHTML = `<div class="pane" data-k="shadow-pane">${'<p>row</p>'.repeat(6)}</div>${'<p>row</p>'.repeat(6)}`;
    document.getElementById('host')!.dataset.k = 'host';
    for (const el of [...document.querySelectorAll<HTMLElement>('[data-k]'), root.querySelector<HTMLElement>('[data-k]')!]) {
      el.scrollTop = 25;
      el.scrollLeft = 25;
    }
  });
  const scrolls = await scrolledAtSnapshot(page, '[data-k]');
  expect(scrolls.map((s) => s.id).sort()).toEqual(
    [
      'by-all',
      'by-var',
      'carousel',
      'cssom',
      'host',
      'imported',
      'in-layer',
      'in-media',
      'inline',
      'list-box',
      'long-input',
      'multiple',
      'shadow-pane',
      'textarea',
    ].sort(),
  );
});

it('reads every element where the CSS cannot tell (nested rules), and still finds them', async () => {
  await page.setContent(`<!doctype html><style>.outer { & .inner { overflow: auto; height: 60px } } p { height: 30px; margin: 0 }</style>
    <div class="outer"><div class="inner" data-k="nested">${'<p>row</p>'.repeat(6)}</div></div>`);
  await page.evaluate(() => (document.querySelector('[data-k]')!.scrollTop = 40));
  expect(await scrolledAtSnapshot(page, '[data-k]')).toEqual([{ id: 'nested', top: 40 }]);
});

/**
 * Starts capture on the page (1 ms slices: the scan takes many frames, as on a large page) and returns the
 * scroll events it sent until it went quiet, each named by the `data-k` or id of the element, found with
 * `marked` in the document and its open shadow roots.
 */
async function scrolledAtSnapshot(p: Page, marked: string): Promise<{ id: string; top: number }[]> {
  await p.evaluate(() => new Promise((r) => requestAnimationFrame(() => setTimeout(r, 50))));
  await p.addScriptTag({ content: (await mirrorBundles()).capture });
  return p.evaluate(
    (selector) =>
      new Promise<{ id: string; top: number }[]>((resolve) => {
        const found: [number, number, number][] = [];
        let quietFrames = 0;
        let last = 0;
        const capture = (window as any).TandemCapture.startCapture(document, {
          sliceMs: 1,
          emit: (events: unknown[][]) => {
            last = performance.now();
            for (const e of events) if (e[0] === 3 && e[1] !== 1) found.push(e.slice(1) as [number, number, number]);
          },
        });
        const tick = () => {
          quietFrames = performance.now() - last > 300 ? quietFrames + 1 : 0;
          if (quietFrames <= 5) return requestAnimationFrame(tick);
          // Ids are known once the snapshot is done; it is, long before the scan ends.
          const shadows = [...document.querySelectorAll('*')].flatMap((el) =>
            el.shadowRoot ? [...el.shadowRoot.querySelectorAll(selector)] : [],
          );
          const els = [...document.querySelectorAll<HTMLElement>(selector), ...shadows] as HTMLElement[];
          const idOf = new Map(els.map((el) => [capture.idOf(el), el.dataset.k ?? el.id]));
          capture.stop();
          resolve(found.map(([id, , top]) => ({ id: idOf.get(id) ?? String(id), top })));
        };
        requestAnimationFrame(tick);
      }),
    marked,
  );
}
