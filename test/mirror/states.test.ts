/**
 * The visitor's hover and focus on the mirror (rebuild/states.ts), beyond what the fidelity corpus's pixels show
 * (hover-focus.html): what travels for them and what never does, and that the page cannot break the lookup.
 */
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { connectPair, mirrorFixture, type MirrorFixture, type MirrorPair } from '../helpers/mirror-pair.js';

const PAGE = `<!doctype html><html><head><style>
  body { margin: 0; font: 16px sans-serif; }
  .row { display: block; height: 80px; }
  .row:hover { background: rgb(255, 0, 0); }
  input:focus { background: rgb(0, 0, 255); }
</style></head><body>
<div class="row" id="a">A</div>
<!-- A form whose named control shadows the form's own shadowRoot and getBoundingClientRect. -->
<form class="row" id="clobbered"><input name="shadowRoot" id="named"><input name="getBoundingClientRect"></form>
<label for="far" class="row" id="lab">A label for a field further down</label>
<input id="secret" type="password" value="hunter22">
<input id="far">
<div data-tandem-block><input id="inside-blocked"></div>
<div data-tandem-ignore><input id="ignored"></div>
<!-- Left out of the mirror and over the page, as the SDK's own panel is. -->
<div data-tandem-ignore id="panel" style="position: fixed; right: 0; top: 0; width: 200px; height: 60px; background: #eee">Panel</div>
<div id="host"></div>
<div id="widget"></div>
<script>document.getElementById('host').attachShadow({ mode: 'open' }).innerHTML = '<input id="in-shadow">';</script>
<script>document.getElementById('widget').attachShadow({ mode: 'open' }).innerHTML =
  '<div data-tandem-ignore style="position: fixed; left: 0; bottom: 0; width: 200px; height: 60px; background: #eee">' +
  '<div data-tandem-ignore>A panel in a panel, in a shadow root</div></div>';</script>
</body></html>`;

let f: MirrorFixture;

beforeAll(async () => {
  f = await mirrorFixture(resolve('test/corpus/no-such-dir'), { '/states.html': { type: 'text/html', body: PAGE } });
});

afterAll(() => f?.close());

/** The mirror's elements carrying a state attribute, by id. */
function marked(agent: Page, attr: string): Promise<string[]> {
  return agent.evaluate(
    (a) => Array.from(document.querySelector('iframe')!.contentDocument!.querySelectorAll(`[${a}]`), (el) => el.id || el.localName),
    attr,
  );
}

/** The Focus events ([7, id, visible]) of every batch so far. */
function focusEvents(pair: MirrorPair): unknown[][] {
  return pair.batches.flatMap((b) => (JSON.parse(b) as unknown[][]).filter((e) => e[0] === 7));
}

describe('hover and focus on the mirror', () => {
  let visitor: Page;
  let agent: Page;
  let pair: MirrorPair;

  beforeAll(async () => {
    const context = await f.browser.newContext({ viewport: { width: 800, height: 600 } });
    visitor = await context.newPage();
    agent = await context.newPage();
    await visitor.goto(`${f.site.url}/states.html`);
    await agent.goto(`${f.agentSite.url}/mirror.html`);
    pair = await connectPair(visitor, agent, { mask: {} });
    await pair.settled();
  });

  it('hovers what is under the visitor pointer, through a form whose controls shadow its properties, a label with its control; nothing once the pointer leaves the page', async () => {
    await visitor.mouse.move(100, 40);
    await pair.settled();
    await expect.poll(() => marked(agent, 'data-tandem-hover')).toEqual(['html', 'body', 'a']);
    // Over the form: the lookup goes through the prototypes, so the named controls change nothing.
    await visitor.mouse.move(400, 120);
    await pair.settled();
    await expect.poll(() => marked(agent, 'data-tandem-hover')).toEqual(['html', 'body', 'clobbered']);
    expect(
      await agent.evaluate(
        () => getComputedStyle(document.querySelector('iframe')!.contentDocument!.getElementById('clobbered')!).backgroundColor,
      ),
    ).toBe('rgb(255, 0, 0)');
    // A label: the browser hovers its control with it, wherever that is.
    await visitor.mouse.move(100, 200);
    await pair.settled();
    const onVisitor = await visitor.evaluate(() => Array.from(document.querySelectorAll(':hover'), (el) => el.id || el.localName));
    expect(onVisitor).toEqual(['html', 'body', 'lab', 'far']);
    await expect.poll(() => marked(agent, 'data-tandem-hover')).toEqual(onVisitor);
    await visitor.mouse.move(400, 120);
    await pair.settled();
    // A finger lifted says pointerout to nowhere too, but the browser keeps what it touched hovered: kept.
    const out = (pointerType: string) =>
      visitor.evaluate(
        (type) =>
          document
            .getElementById('clobbered')!
            .dispatchEvent(new PointerEvent('pointerout', { bubbles: true, relatedTarget: null, pointerType: type })),
        pointerType,
      );
    await out('touch');
    await pair.settled();
    expect(await marked(agent, 'data-tandem-hover')).toEqual(['html', 'body', 'clobbered']);
    // Off the page: the visitor's mouse goes out of the window, the mirror hovers nothing and hides the pointer.
    await out('mouse');
    await pair.settled();
    await expect.poll(() => marked(agent, 'data-tandem-hover')).toEqual([]);
    expect(pair.batches.some((b) => b.includes('[5,-1,-1]'))).toBe(true);
  });

  it('over an element left out of the mirror (the SDK panel), hovers the element around it, not what lies under it on the mirror', async () => {
    await visitor.mouse.move(700, 30);
    await pair.settled();
    const onVisitor = await visitor.evaluate(() => Array.from(document.querySelectorAll(':hover'), (el) => el.id || el.localName));
    expect(onVisitor).toEqual(['html', 'body', 'panel']);
    // Row A lies under the panel: the mirror, which has no panel, would hover it.
    await expect.poll(() => marked(agent, 'data-tandem-hover')).toEqual(['html', 'body']);
    await visitor.mouse.move(500, 30);
    await pair.settled();
    await expect.poll(() => marked(agent, 'data-tandem-hover')).toEqual(['html', 'body', 'a']);
    // Left out inside a shadow root, and inside another left out: the mirror hovers the host, as the visitor's page does.
    await visitor.mouse.move(100, 570);
    await pair.settled();
    const inWidget = await visitor.evaluate(() => Array.from(document.querySelectorAll(':hover'), (el) => el.id || el.localName));
    expect(inWidget).toEqual(['html', 'body', 'widget']);
    await expect.poll(() => marked(agent, 'data-tandem-hover')).toEqual(inWidget);
  });

  it('a tap on a touch screen, which moves no pointer before it, hovers what was touched as the visitor’s browser does', async () => {
    const context = await f.browser.newContext({ viewport: { width: 800, height: 600 }, hasTouch: true, isMobile: true });
    try {
      const touched = await context.newPage();
      const mirror = await context.newPage();
      await touched.goto(`${f.site.url}/states.html`);
      await mirror.goto(`${f.agentSite.url}/mirror.html`);
      const touchPair = await connectPair(touched, mirror, { mask: {} });
      await touchPair.settled();
      await touched.touchscreen.tap(100, 40);
      await touchPair.settled();
      const onVisitor = await touched.evaluate(() => Array.from(document.querySelectorAll(':hover'), (el) => el.id || el.localName));
      expect(onVisitor).toEqual(['html', 'body', 'a']);
      await expect.poll(() => marked(mirror, 'data-tandem-hover')).toEqual(onVisitor);
      expect(touchPair.batches.some((b) => b.includes('[5,100,40]'))).toBe(true);
    } finally {
      await context.close();
    }
  });

  it('names the focused field, a masked one too but never its value; nothing inside a blocked element or the SDK panel', async () => {
    await visitor.click('#secret');
    await pair.settled();
    await expect.poll(() => marked(agent, 'data-tandem-focus')).toEqual(['secret']);
    expect(await marked(agent, 'data-tandem-focus-within')).toEqual(['html', 'body', 'secret']);
    expect(await marked(agent, 'data-tandem-focus-visible')).toEqual(['secret']);
    expect(pair.batches.join('')).not.toContain('hunter22');

    // In a shadow root with no focus rule of its own: the browser's ring, which the mirror's document rule cannot reach.
    await visitor.click('#host >> #in-shadow');
    await pair.settled();
    const ring = (doc: Document) => getComputedStyle(doc.getElementById('host')!.shadowRoot!.getElementById('in-shadow')!).outlineStyle;
    expect(await visitor.evaluate(`(${String(ring)})(document)`)).toBe('auto');
    await expect.poll(() => agent.evaluate(`(${String(ring)})(document.querySelector('iframe').contentDocument)`)).toBe('auto');

    await visitor.focus('#inside-blocked');
    await pair.settled();
    await expect.poll(() => marked(agent, 'data-tandem-focus')).toEqual([]);
    await visitor.focus('#ignored');
    await visitor.focus('#named');
    await pair.settled();
    await visitor.focus('#ignored');
    await pair.settled();
    await expect.poll(() => marked(agent, 'data-tandem-focus-within')).toEqual([]);
    // Each move told once, as [0, 0] where the mirror has nothing to show.
    const events = focusEvents(pair);
    expect(events.at(-1)).toEqual([7, 0, 0]);
    expect(events.filter((e) => e[1] !== 0).map((e) => e[2])).toEqual([1, 1, 1]);
  });

  it('a hostile stream’s positions and ids change nothing else', async () => {
    const before = await agent.evaluate(() => document.querySelector('iframe')!.contentDocument!.body.innerHTML);
    await agent.evaluate(() => {
      const r = (window as any).__rebuild;
      r.apply([
        [5, 'x', {}],
        [5, 1e308, -Infinity],
        [5, 10, 10, '__proto__'],
        [5, 10, 10, { a: 1 }],
        [5, 10, 10, 999999],
        [7, '__proto__', 1],
        [7, { a: 1 }, 'x'],
        [7, 999999, 1],
        [5, 10, 10],
      ]);
      // A flood of focus moves in one batch: only the last counts.
      const body = r.idOfNode(document.querySelector('iframe')!.contentDocument!.body);
      r.apply(Array.from({ length: 50_000 }, (_, i) => [7, i % 2 ? body : 999_999, 1]));
    });
    await agent.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
    // The last position is a real one: hovered as any.
    expect(await marked(agent, 'data-tandem-hover')).toEqual(['html', 'body', 'a']);
    expect(await marked(agent, 'data-tandem-focus')).toEqual(['body']);
    const after = await agent.evaluate(() => document.querySelector('iframe')!.contentDocument!.body.innerHTML);
    const plain = (html: string) => html.replace(/ data-tandem-[a-z-]+=""/g, '');
    expect(plain(after)).toBe(plain(before));
  });
});
