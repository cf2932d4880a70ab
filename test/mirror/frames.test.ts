/**
 * What the agent points at inside a frame is the visitor's node: a point on the mirror is found through the frames
 * (Rebuilder.hit), and the id it gives is found again on the visitor's page through the same frames
 * (capture's nodeOf), as agent clicks and highlights are. A frameset page and nested iframes, the agent on its own
 * origin as in the product.
 */
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { connectPair, mirrorFixture, type MirrorFixture } from '../helpers/mirror-pair.js';

let f: MirrorFixture;

beforeAll(async () => {
  f = await mirrorFixture(resolve('test/corpus'));
});

afterAll(() => f?.close());

/**
 * The centre of the element at the end of `path` (frame selectors, then the element's), in the top page's viewport,
 * and what the visitor's own page finds at that point through its frames.
 */
function visitorTarget(page: Page, path: readonly string[]) {
  return page.evaluate((sels) => {
    let doc: Document = document;
    let [ox, oy] = [0, 0];
    for (const sel of sels.slice(0, -1)) {
      const frame = doc.querySelector<HTMLIFrameElement>(sel)!;
      const box = frame.getBoundingClientRect();
      ox += box.left + frame.clientLeft;
      oy += box.top + frame.clientTop;
      doc = frame.contentDocument!;
    }
    const box = doc.querySelector(sels.at(-1)!)!.getBoundingClientRect();
    const [x, y] = [Math.round(ox + box.left + box.width / 2), Math.round(oy + box.top + box.height / 2)];
    // Found again from the point, as a click would be: through each frame under it.
    let at: Document = document;
    let [ix, iy] = [x, y];
    for (;;) {
      const el = at.elementFromPoint(ix, iy)!;
      if (!/^i?frame$/.test(el.localName)) return { x, y, text: el.textContent };
      const b = el.getBoundingClientRect();
      ix -= b.left + el.clientLeft;
      iy -= b.top + el.clientTop;
      at = (el as HTMLIFrameElement).contentDocument!;
    }
  }, path);
}

describe('pointing into frames', () => {
  const cases = [
    // A cell of the frameset's main frame, an item of its navigation frame.
    {
      page: '/fidelity/frameset.html',
      targets: [
        ['frame[name=main]', 'tbody tr:nth-child(2) td:nth-child(2)'],
        ['frame[name=nav]', 'li:nth-child(3)'],
      ],
    },
    // A badge in the child iframe, a text in the iframe nested in it.
    {
      page: '/fidelity/iframes.html',
      targets: [
        ['#child', '#child-pill'],
        ['#child', '#grandchild', '#gc-text'],
      ],
    },
  ] as const;
  for (const { page: path, targets } of cases) {
    it(`an agent's point on ${path} finds the visitor's node inside its frame`, async () => {
      const context = await f.browser.newContext({ viewport: { width: 1000, height: 700 } });
      try {
        const visitor = await context.newPage();
        const agent = await context.newPage();
        await visitor.goto(f.site.url + path);
        await visitor.waitForFunction(() => (window as any).pageReady === true, undefined, { timeout: 15_000 });
        await agent.goto(`${f.agentSite.url}/mirror.html`);
        const pair = await connectPair(visitor, agent);
        await pair.settled();
        for (const target of targets) {
          const seen = await visitorTarget(visitor, target);
          const { x, y } = seen;
          const hit = await agent.evaluate(
            ([px, py]) => {
              const h = (window as any).__rebuild.hit(px, py);
              return h && { id: h.id as number, text: (h.node as Element).textContent };
            },
            [x, y] as const,
          );
          expect(hit, `nothing found at ${x},${y} on the mirror`).not.toBeNull();
          expect(hit!.text).toBe(seen.text);
          const found = await visitor.evaluate((id) => {
            const node = (window as any).__capture.nodeOf(id) as Element | null;
            return node && { text: node.textContent, top: node.ownerDocument === document };
          }, hit!.id);
          expect(found).toEqual({ text: seen.text, top: false });
        }
      } finally {
        await context.close();
      }
    });
  }
});
