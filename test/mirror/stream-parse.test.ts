/**
 * A sliced snapshot parsed as one document (rebuild/stream.ts): the first
 * slice leaves the elements at its end open, the later slices' additions to
 * them continue the parse. Each case here is a snapshot and later slices
 * written by hand, so the cut falls exactly where the parse could go wrong:
 * a text after a text, a <p> added to an open <p>, a second <li> in an <li>,
 * a <body> inside a <div>, additions to elements that are not open, a
 * removal between two slices. Each is rebuilt by the parse and node by node
 * (test/helpers/mirror-compare.ts): the documents and every id must be the
 * same, and the cases that can continue the parse must have done so.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { PNG } from 'pngjs';
import { launchBrowser } from '../helpers/browser.js';
import { serveStatic, type StaticServer } from '../helpers/static-server.js';
import { mirrorBundles } from '../helpers/mirror-pair.js';
import { compareRebuilds } from '../helpers/mirror-compare.js';
import { prng as rng } from '../../bench/prng.js';

type Node = string | ['#', string] | [string, Record<string, string> | 0, ...Node[]];

let browser: Browser;
let site: StaticServer;
let page: Page;

beforeAll(async () => {
  site = await serveStatic('test/corpus', { '/agent.html': { type: 'text/html', body: '<!DOCTYPE html><body></body>' } });
  browser = await launchBrowser();
  page = await browser.newPage();
  await page.goto(`${site.url}/agent.html`);
  await page.addScriptTag({ content: (await mirrorBundles()).rebuild });
  // A rebuilder in a fresh frame of the agent's page (its document: rebuilder.document), for the tests that look at one.
  await page.evaluate(() => {
    (window as any).freshRebuilder = (css = '') => {
      const f = document.createElement('iframe');
      f.setAttribute('sandbox', 'allow-same-origin');
      f.style.cssText = css;
      document.body.append(f);
      return new (window as any).TandemRebuild.Rebuilder(f);
    };
  });
});

afterAll(async () => {
  await browser?.close();
  await site?.close();
});

/** Ids in pre-order from `first`, as capture gives them; elements with a `k` attribute are noted under that name. */
function number(node: Node, first: number, names: Map<string, number>): number {
  let next = first + 1;
  if (Array.isArray(node) && node[0] !== '#') {
    const attrs = node[1] as Record<string, string> | 0;
    if (attrs && attrs.k) names.set(attrs.k, first);
    for (let i = 2; i < node.length; i++) next = number(node[i] as Node, next, names);
  }
  return next;
}

/**
 * A snapshot of `body`'s children and later slices, each a list of
 * [parent's k, node] appended at its end, or a raw batch.
 */
function session(body: Node[], slices: ([string, Node, number?][] | Record<string, unknown>)[]): string[] {
  const names = new Map<string, number>();
  const root: Node = ['html', 0, ['head', 0, ['title', 0, 'streamed']], ['body', { k: 'body' }, ...body]];
  let next = number(root, 1, names);
  const batches = [
    [[0, { url: 'http://page.test/', base: 'http://page.test/', title: 't', quirks: false, width: 800, height: 600, firstId: 1, root }]],
  ];
  for (const slice of slices) {
    if (!Array.isArray(slice)) {
      batches.push([[1, slice]] as never);
      continue;
    }
    const adds = slice.map(([parent, node, before]) => {
      const firstId = next;
      next = number(node, next, names);
      return [names.get(parent) ?? -1, before ?? 0, firstId, node];
    });
    batches.push([[1, { a: adds }]] as never);
  }
  return batches.map((b) => JSON.stringify(b));
}

/** Elements a script may nest in any way: the parser's special cases (implied ends, tables, foreign content, formatting) among plain blocks. */
const TAGS = [
  'div',
  'div',
  'span',
  'p',
  'p',
  'li',
  'ul',
  'a',
  'b',
  'i',
  'table',
  'tbody',
  'tr',
  'td',
  'select',
  'option',
  'svg',
  'h1',
  'h2',
  'button',
  'form',
  'pre',
  'em',
  'section',
  'body',
  'nobr',
  'textarea',
  'dd',
  'dt',
];

function randomTree(r: () => number, depth: number): Node[] {
  const out: Node[] = [];
  const n = Math.floor(r() * 4) + (depth < 2 ? 2 : 0);
  for (let i = 0; i < n; i++) {
    const x = r();
    if (x < 0.28) out.push(r() < 0.1 ? (r() < 0.5 ? '' : 'nul\0text') : `text ${Math.floor(r() * 100)}${r() < 0.2 ? ' & <' : ''}`);
    else if (x < 0.33) out.push(['#', 'comment']);
    else {
      const tag = TAGS[Math.floor(r() * TAGS.length)]!;
      out.push([tag, r() < 0.3 ? { class: `c${i}` } : 0, ...(depth < 6 ? randomTree(r, depth + 1) : [])]);
    }
  }
  return out;
}

/**
 * A tree cut at `cuts` points of its pre-order, as capture's walk cuts a
 * sliced snapshot: the snapshot has every node before the first cut, each
 * later slice adds the next nodes as subtrees appended to parents sent before.
 */
function sliced(body: Node[], cuts: number[]): string[] {
  const root: Node = ['html', 0, ['head', 0, ['title', 0, 'random']], ['body', 0, ...body]];
  const ids = new Map<Node, number>();
  const parents = new Map<Node, Node>();
  const order: Node[] = [];
  const visit = (n: Node, parent: Node | null) => {
    // Strings are values: each text is boxed so equal texts stay apart.
    ids.set(n, order.length + 1);
    order.push(n);
    if (parent) parents.set(n, parent);
    if (Array.isArray(n) && n[0] !== '#') for (let i = 2; i < n.length; i++) visit(n[i] as Node, n);
  };
  const boxed = (n: Node): Node =>
    typeof n === 'string'
      ? Object(n)
      : Array.isArray(n) && n[0] !== '#'
        ? ([n[0], n[1], ...n.slice(2).map((c) => boxed(c as Node))] as Node)
        : n;
  const tree = boxed(root);
  visit(tree, null);
  const part = (n: Node, hi: number): Node => {
    if (!Array.isArray(n)) return String(n);
    if (n[0] === '#') return n;
    const kids = n
      .slice(2)
      .filter((c) => ids.get(c as Node)! < hi)
      .map((c) => part(c as Node, hi));
    return [n[0], n[1], ...kids] as Node;
  };
  const bounds = [...cuts.filter((c) => c > 3 && c <= order.length).sort((a, b) => a - b), order.length + 1];
  const batches: unknown[] = [
    [
      [
        0,
        {
          url: 'http://page.test/',
          base: 'http://page.test/',
          title: 't',
          quirks: false,
          width: 800,
          height: 600,
          firstId: 1,
          root: part(tree, bounds[0]!),
        },
      ],
    ],
  ];
  for (let k = 0; k + 1 < bounds.length; k++) {
    const [lo, hi] = [bounds[k]!, bounds[k + 1]!];
    const adds: unknown[] = [];
    for (let id = lo; id < hi; id++) {
      const n = order[id - 1]!;
      const parent = parents.get(n)!;
      if (ids.get(parent)! < lo) adds.push([ids.get(parent), 0, id, part(n, hi)]);
    }
    if (adds.length) batches.push([[1, { a: adds }]]);
  }
  return batches.map((b) => JSON.stringify(b));
}

async function check(batches: string[]) {
  return page.evaluate(compareRebuilds, batches);
}

describe('a sliced snapshot continues one parse', () => {
  it('continues open elements down to the innermost, closing the complete ones, texts kept apart', async () => {
    const batches = session(
      [['main', { k: 'main' }, ['section', { k: 'section' }, ['h2', 0, 'Title'], ['p', { k: 'p' }, 'first text']]]],
      [
        [
          ['p', 'second text, apart from the first'],
          ['p', ['span', { class: 's' }, 'span']],
          ['section', ['p', 0, 'next paragraph']],
          ['section', ['div', { k: 'div' }, ['ul', { k: 'ul' }, ['li', { k: 'li' }, 'one']]]],
          ['main', ['aside', { k: 'aside' }, 'aside']],
        ],
        // The aside is open now (the li was closed as the slice went up to <main>).
        [
          ['aside', ' and more'],
          ['main', ['div', 0, 'two']],
          ['body', ['footer', { k: 'footer' }, 'the end & <more>']],
        ],
      ],
    );
    const r = await check(batches);
    expect(r.differences).toEqual([]);
    expect(r.parsed).toBe(true);
    expect(r.streamed).toBe(8);
  });

  // Each: a snapshot ending in an open element, and a slice the parser would put elsewhere or cannot take.
  const cases: [string, Node[], [string, Node, number?][][], number][] = [
    ['a <p> added to an open <p>', [['div', 0, ['p', { k: 'p' }, 'outer']]], [[['p', ['p', 0, 'inner']]], [['p', ' after']]], 0],
    ['an <li> added to an open <li>', [['ul', 0, ['li', { k: 'li' }, 'first']]], [[['li', ['li', 0, 'nested']]]], 0],
    ['an <h2> added to an open <h1>', [['h1', { k: 'h' }, 'heading']], [[['h', ['h2', 0, 'sub']]]], 0],
    ['a <button> added to an open <button>', [['button', { k: 'b' }, 'press']], [[['b', ['button', 0, 'inner']]]], 0],
    ['an <a> in an <a> (an <a> is never left open)', [['a', { href: '#x', k: 'a' }, 'link']], [[['a', ['a', { href: '#y' }, 'inner']]]], 0],
    [
      'a <body> added inside a <div> (its attributes must not reach the real body)',
      [['div', { k: 'd' }, 'text']],
      [[['d', ['body', { class: 'smuggled', style: 'color:red' }, 'in a body']]]],
      1,
    ],
    [
      'additions to a table (never left open)',
      [['table', 0, ['tbody', { k: 'tb' }, ['tr', 0, ['td', 0, 'cell']]]]],
      [[['tb', ['tr', 0, ['td', 0, 'two']]]]],
      0,
    ],
    ['text added to a <select>', [['select', { k: 's' }, ['option', 0, 'one']]], [[['s', ['option', 0, 'two']]]], 0],
    ['children of an <svg>', [['svg', { k: 'svg' }, ['circle', { r: '4' }]]], [[['svg', ['rect', { width: '3' }]]]], 0],
    ['an element the parser reads as another (<image>), then its children', [['div', 0, ['image', { k: 'im' }, 'x']]], [[['im', 'more']]], 0],
    ['an uppercase HTML name at the end', [['div', 0, ['DIV', { k: 'up' }, 'x']]], [[['up', ['b', 0, 'bold']]]], 0],
    [
      'an addition to an element that is not open (made through the DOM), then to one that is (the parse goes on)',
      [
        ['div', { k: 'early' }, 'e'],
        ['div', { k: 'late' }, 'l'],
      ],
      [
        [
          ['early', ['span', 0, 'late child of early']],
          ['late', ['span', 0, 'x']],
        ],
      ],
      1,
    ],
    [
      'the rest of an <a> the first slice ended in, then the open element around it',
      [['div', { k: 'd' }, ['a', { k: 'a', href: '#x' }, 'link']]],
      [
        [['a', ' and more']],
        [
          ['d', ['span', 0, 'after the link']],
          ['body', ['p', 0, 'last']],
        ],
      ],
      2,
    ],
    ['a <pre> (its first newline)', [['pre', { k: 'pre' }]], [[['pre', '\nline']]], 0],
    ['a text with U+0000 at the end, then a text', [['div', { k: 'd' }, 'nul\0here']], [[['d', 'after']]], 1],
    [
      'a text added through the DOM at the end of an open element (before an id it does not hold), then a text written there',
      [['div', { k: 'd' }, ['p', { k: 'p' }, 'in p']]],
      [[['d', 'AAA', 99999]], [['d', 'BBB']]],
      1,
    ],
    ['a <basefont> at the end (void to the parser)', [['div', 0, ['basefont', { k: 'bf' }]]], [[['bf', 'x']], [['body', ['p', 0, 'after']]]], 1],
  ];
  for (const [name, body, slices, streamed] of cases) {
    it(`builds ${name} as the node-by-node build does`, async () => {
      const r = await check(session(body, slices));
      expect(r.differences).toEqual([]);
      expect(r.parsed).toBe(true);
      expect(r.streamed).toBe(streamed);
    });
  }

  it('random trees a script could build, cut at random points, come out as the node-by-node build makes them', async () => {
    let streamed = 0;
    for (let seed = 1; seed <= 100; seed++) {
      const r = rng(seed);
      const body = randomTree(r, 0);
      const cuts = Array.from({ length: 1 + Math.floor(r() * 6) }, () => Math.floor(r() * 120));
      const result = await check(sliced(body, cuts));
      expect(result.differences, `seed ${seed}`).toEqual([]);
      streamed += result.streamed;
    }
    // Most trees hold a <p> in a <p> or a table somewhere; the parse still goes on in many slices.
    expect(streamed).toBeGreaterThan(15);
  });

  it('an element in a <title> or <textarea> whose attribute says "</title>" cannot end it early: no markup of its value is parsed', async () => {
    const inject = (tag: string) =>
      `</${tag}><template shadowrootmode=open><h1>ATTACKER</h1><img src=http://attacker.test/shadow-img></template><img src=http://attacker.test/img>`;
    const requests: string[] = [];
    const listen = (r: { url(): string }) => void (/attacker\.test/.test(r.url()) && requests.push(r.url()));
    page.on('request', listen);
    try {
      for (const tag of ['title', 'textarea']) {
        // In the first slice, then in a slice written into the open <div>.
        const inSnapshot = session([['div', { k: 'd' }, [tag, 0, ['i', { class: inject(tag) }]]]], []);
        const inSlice = session([['div', { k: 'd' }, 'x']], [[['d', [tag, 0, ['i', { class: inject(tag) }]]]], [['d', ['p', 0, 'more']]]]);
        for (const batches of [inSnapshot, inSlice]) {
          const r = await check(batches);
          expect(r.differences).toEqual([]);
          const hosts = await page.evaluate(() =>
            // The two documents this check built (the page keeps those of the tests before).
            Array.from(document.querySelectorAll('iframe'))
              .slice(-2)
              .map((f) => {
                const doc = f.contentDocument!;
                return [doc.querySelector('[k=d]')?.shadowRoot ?? null, doc.body.attributes.length, doc.querySelectorAll('h1').length];
              }),
          );
          for (const [shadow, bodyAttrs, h1] of hosts) expect([shadow, bodyAttrs, h1]).toEqual([null, 1, 0]);
        }
      }
      await new Promise((r) => setTimeout(r, 300));
      expect(requests).toEqual([]);
    } finally {
      page.off('request', listen);
    }
  });

  it('a slice with a removal or a change ends the parse first; the document is complete after it', async () => {
    const names = new Map<string, number>();
    number(['html', 0, ['head', 0, ['title', 0, 'streamed']], ['body', { k: 'body' }, ['div', { k: 'd' }, ['p', { k: 'p' }, 'x']]]], 1, names);
    const batches = session(
      [['div', { k: 'd' }, ['p', { k: 'p' }, 'x']]],
      [[['p', ['b', 0, 'streamed']]], { r: [names.get('p')], a: [[names.get('d'), 0, 100, ['i', 0, 'built']]] }, [['body', ['p', 0, 'after']]]],
    );
    const r = await check(batches);
    expect(r.differences).toEqual([]);
    expect(r.streamed).toBe(1);
    const complete = await page.evaluate((b) => {
      const rb = (window as any).freshRebuilder();
      rb.apply(JSON.parse(b[0]!));
      rb.apply(JSON.parse(b[1]!));
      const during = rb.document.readyState;
      rb.apply(JSON.parse(b[2]!));
      return [during, rb.document.readyState];
    }, batches);
    expect(complete).toEqual(['loading', 'complete']);
  });

  it('a first slice the parser made something else of (mended at once) leaves no document open', async () => {
    const batches = session(
      [
        ['div', 0, ['p', 0, 'outer', ['p', 0, 'inner']]],
        ['div', { k: 'd' }, 'last'],
      ],
      [[['d', ['span', 0, 'more']]]],
    );
    const r = await check(batches);
    expect(r.differences).toEqual([]);
    expect(r.streamed).toBe(0);
    const state = await page.evaluate((b) => {
      const rb = (window as any).freshRebuilder();
      rb.apply(JSON.parse(b[0]!));
      return rb.document.readyState as string;
    }, batches);
    expect(state).toBe('complete');
  });

  it("the snapshot's end closes the parse at once, after its last slice is in", async () => {
    const batches = session([['div', { k: 'd' }, 'x']], [[['d', ['p', 0, 'first']]], [['d', ['p', 0, 'last']]]]);
    const states = await page.evaluate((b) => {
      const rb = (window as any).freshRebuilder();
      rb.apply(JSON.parse(b[0]!));
      rb.apply(JSON.parse(b[1]!));
      const during = rb.document.readyState;
      // The last slice, with the end of the snapshot in the same batch, as capture sends it.
      rb.apply([...JSON.parse(b[2]!), [6]]);
      return [during, rb.document.readyState, rb.streamedAdditions, rb.document.body.textContent];
    }, batches);
    expect(states).toEqual(['loading', 'complete', 2, 'xfirstlast']);
  });

  it('a parse no slice continues closes by itself, and the mirror is drawn while it is open', async () => {
    const batches = session([['div', { k: 'd', style: 'height:300px;background:rgb(0, 128, 0)' }, 'x']], [[['d', ['p', 0, 'more']]]]);
    await page.evaluate((b) => {
      document.body.style.margin = '0';
      const rb = (window as any).freshRebuilder('position:fixed;left:0;top:0;width:400px;height:400px;border:0');
      for (const x of b) rb.apply(JSON.parse(x));
      (window as any).streamDoc = rb.document;
    }, batches);
    const state = () => page.evaluate(() => (window as any).streamDoc.readyState as string);
    expect(await state()).toBe('loading');
    const shot = PNG.sync.read(await page.screenshot({ clip: { x: 0, y: 0, width: 400, height: 400 } }));
    // Inside the green block (the body's 8 px margin, then the text line): green while the parse is open.
    const at = (x: number, y: number) => Array.from(shot.data.subarray((y * shot.width + x) * 4, (y * shot.width + x) * 4 + 3));
    expect(at(200, 150)).toEqual([0, 128, 0]);
    await expect.poll(state, { timeout: 5000 }).toBe('complete');
  });
});
