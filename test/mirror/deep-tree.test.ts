/**
 * No tree deeper than MAX_TREE_DEPTH reaches the agent's renderer. A chain of
 * about 3,000 nested blocks crashes a Chromium renderer as it lays them out, and
 * the rebuild's recursion ends in a RangeError long before 50,000 (then the
 * viewer asked for the same snapshot again and again). Capture sends nothing
 * below the bound; the rebuild cuts what a client that is not our capture
 * sends, keeps the ids of everything after the cut, and survives.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { MAX_TREE_DEPTH } from '@tandem/protocol';
import { launchBrowser } from '../helpers/browser.js';
import { MIRROR_PAGE, connectPair, mirrorBundles } from '../helpers/mirror-pair.js';

let browser: Browser;
beforeAll(async () => {
  browser = await launchBrowser();
});
afterAll(() => browser?.close());

/** An agent page with a Rebuilder on its mirror frame, fed events as a client would send them. */
async function agentPage(): Promise<{ page: Page; crashed: () => boolean; errors: string[] }> {
  const page = await browser.newPage();
  let crashed = false;
  const errors: string[] = [];
  page.on('crash', () => (crashed = true));
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.setContent(MIRROR_PAGE);
  await page.addScriptTag({ content: (await mirrorBundles()).rebuild });
  await page.evaluate(() => {
    const frame = document.querySelector('iframe')!;
    const rebuilder = new (window as any).TandemRebuild.Rebuilder(frame);
    (window as any).apply = (events: unknown[]) => rebuilder.apply(events);
    // Deep trees are made here: too deep to pass through page.evaluate's serialization.
    (window as any).chain = (depth: number) => {
      let node: unknown = 'bottom';
      for (let i = 0; i < depth; i++) node = ['div', 0, node];
      return node;
    };
  });
  return { page, crashed: () => crashed, errors };
}

/** How deep the mirror's elements nest under its body (body at 2), and its #after paragraph's text. */
function mirrorState(page: Page) {
  return page.evaluate(() => {
    const doc = document.querySelector('iframe')!.contentDocument!;
    let deepest = 0;
    const stack: [Element, number][] = [[doc.documentElement, 1]];
    while (stack.length) {
      const [el, d] = stack.pop()!;
      deepest = Math.max(deepest, d);
      for (const c of el.children) stack.push([c, d + 1]);
    }
    return { deepest, after: doc.getElementById('after')?.textContent ?? null, height: doc.body.offsetHeight };
  });
}

/** A snapshot whose body holds `depth` nested <div>s (none when 0), then <p id=after>; made in the page. */
function applySnapshot(page: Page, depth: number): Promise<void> {
  return page.evaluate((d) => {
    const w = window as any;
    const body: unknown[] = ['body', 0];
    if (d) body.push(w.chain(d));
    body.push(['p', { id: 'after' }, 'after']);
    const root = ['html', 0, ['head', 0], body];
    w.apply([[0, { url: 'http://x.test/', base: 'http://x.test/', title: '', quirks: false, width: 800, height: 600, firstId: 2, root }]]);
  }, depth);
}

it('a snapshot 3,000 and 50,000 elements deep from a hostile client: cut at the bound, ids after the cut kept, the agent’s page alive', async () => {
  for (const depth of [3_000, 50_000]) {
    const { page, crashed, errors } = await agentPage();
    // Ids in pre-order from 2: html 2, head 3, body 4, the chain's first div 5 … its text 5 + depth, #after 6 + depth, its text 7 + depth.
    await applySnapshot(page, depth);
    const state = await mirrorState(page);
    expect(state.deepest).toBeLessThanOrEqual(MAX_TREE_DEPTH + 1);
    expect(state.deepest).toBeGreaterThanOrEqual(MAX_TREE_DEPTH);
    expect(state.after).toBe('after');
    // The text after the cut still has its id: a change to it lands.
    await page.evaluate((id) => (window as any).apply([[1, { tx: [[id, 'after, changed']] }]]), 7 + depth);
    expect((await mirrorState(page)).after).toBe('after, changed');
    await page.screenshot();
    expect(crashed()).toBe(false);
    expect(errors).toEqual([]);
    await page.close();
  }
});

it('additions that would nest ever deeper, each 400 elements deep at the bottom of the last, stop at the bound', async () => {
  const { page, crashed, errors } = await agentPage();
  await applySnapshot(page, 0);
  // The body is id 4; each addition hangs 400 divs under the deepest div of the one before.
  let parent = 4;
  let next = 100;
  for (let k = 0; k < 10; k++) {
    await page.evaluate(([p, first]) => (window as any).apply([[1, { a: [[p, 0, first, (window as any).chain(400)]] }]]), [parent, next]);
    parent = next + 399;
    next += 401;
  }
  const state = await mirrorState(page);
  expect(state.deepest).toBeLessThanOrEqual(MAX_TREE_DEPTH + 1);
  expect(state.after).toBe('after');
  await page.screenshot();
  expect(crashed()).toBe(false);
  expect(errors).toEqual([]);
  await page.close();
});

it('capture sends nothing below the bound, and the mirror of a 1,000-deep page shows what comes after it', async () => {
  const visitor = await browser.newPage();
  const agent = await browser.newPage();
  await visitor.setContent('<!doctype html><body><div id="chain"></div><p id="after">after</p></body>');
  await visitor.evaluate(() => {
    let el = document.getElementById('chain')!;
    for (let i = 0; i < 1_000; i++) el = el.appendChild(document.createElement('div'));
    el.textContent = 'bottom';
  });
  await agent.setContent(MIRROR_PAGE);
  const pair = await connectPair(visitor, agent);
  await pair.settled();
  // The deepest array in what capture sent (the document element at 1).
  const sentDepth = Math.max(
    ...pair.batches.map((json) => {
      let depth = 0;
      let deepest = 0;
      for (const ch of json)
        if (ch === '[') deepest = Math.max(deepest, ++depth);
        else if (ch === ']') depth--;
      return deepest;
    }),
  );
  // The events array, the event, the snapshot's root: three brackets above the document element.
  expect(sentDepth - 3).toBeLessThanOrEqual(MAX_TREE_DEPTH + 1);
  const state = await mirrorState(agent);
  expect(state.after).toBe('after');
  expect(state.deepest).toBeLessThanOrEqual(MAX_TREE_DEPTH + 1);
  await visitor.close();
  await agent.close();
});
