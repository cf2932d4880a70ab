/**
 * The snapshot built by one parse of markup (rebuild/markup.ts), and large
 * subtrees added later built the same way, must be the same document, with
 * the same node ids, as the one built node by node. Capture runs with short
 * slices, so each page's snapshot also arrives as added subtrees, and each
 * corpus page's scripted changes follow. The pages: the fidelity corpus, the
 * parser-shaped part of the hostile corpus, the demo, and two built by script. Every
 * page of the fidelity and hostile corpora and the demo is captured once and
 * rebuilt both ways side by side; the trees are compared node for node
 * (kind, name, namespace, attributes, text) and so is every id. A page built
 * by script with markup the parser would never produce (a <p> in a <p>, text
 * in a table, adjacent texts, U+0000, <plaintext>...) shows the mending of
 * mismatched parts; one with a <div> in the <head> shows the fallback to the
 * node-by-node build of the whole document.
 */
import { readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext } from 'playwright-core';
import { launchBrowser } from '../helpers/browser.js';
import { serveStatic, type StaticServer } from '../helpers/static-server.js';
import { mirrorBundles } from '../helpers/mirror-pair.js';
import { compareRebuilds, type Comparison } from '../helpers/mirror-compare.js';
import { EventType } from '@tandem/protocol';

/** Each page waits on loads and timed attacks; with the corpora side by side on two loaded cores, 60 s was seen to run out. */
const CORPUS_TEST_MS = 120_000;

const CORPUS = resolve('test/corpus');

/** Markup a script built: every part is something the HTML parser would make differently. */
const TRICKY = `<!DOCTYPE html><html><head><title>tricky &amp; odd</title></head><body>
<div id="host"></div>
<pre id="pre"></pre>
<script>
const host = document.getElementById('host');
const add = (parent, tag, text) => { const el = document.createElement(tag); if (text !== undefined) el.append(text); parent.append(el); return el; };
const p = add(host, 'p', 'outer'); add(p, 'p', 'inner paragraph');
const a = add(host, 'a'); a.href = '#a'; add(a, 'a', 'nested link').href = '#b';
const table = add(host, 'table'); table.append('text in a table'); add(add(add(table, 'tbody'), 'tr'), 'td', 'cell');
const twins = add(host, 'span'); twins.append('one', 'two', '', 'three');
add(host, 'b', 'nul\\u0000inside and a carriage\\rreturn');
host.append(document.createComment('a comment --> with an end'));
const svg = host.appendChild(document.createElementNS('http://www.w3.org/2000/svg', 'svg'));
add(svg, 'div', 'html div inside svg');
const form = add(host, 'form'); add(form, 'form', 'form in a form');
add(host, 'image', 'an image element');
add(host, 'plaintext', 'plain text element');
host.append(document.createElementNS('http://www.w3.org/1999/xhtml', 'DIV'));
document.getElementById('pre').append('\\nstarts with a newline');
const odd = add(host, 'i', 'attributes'); odd.setAttribute('data-quote', 'say "hi" & <bye>\\r\\n'); odd.setAttribute('data-x.y_z', '1');
const list = add(host, 'ul'); add(list, 'li', 'first'); add(add(list, 'li'), 'li', 'li in li');
add(host, 'h2', 'after all that');
window.pageReady = true;
</script></body></html>`;

/** Foreign content as the parser makes it: integration points, <svg> in MathML, <math> in SVG, an HTML iframe in MathML. */
const NAMESPACES = `<!DOCTYPE html><html><head><title>namespaces</title></head><body>
<math><mi><b>bold in mi</b><mglyph></mglyph><malignmark></malignmark></mi><mtext><svg><circle r="2"></circle></svg></mtext></math>
<math><mi><mglyph><svg><mtext><i>mtext in MathML svg</i></mtext></svg></mglyph></mi></math>
<math><annotation-xml encoding="Text/HTML"><iframe srcdoc="<p>framed</p>" width="40" height="20"></iframe><div>html</div></annotation-xml></math>
<math><annotation-xml><svg><foreignObject><p>p in foreignObject</p></foreignObject></svg><mrow>row</mrow></annotation-xml></math>
<svg><desc><b>bold in desc</b></desc><title><i>in title</i></title><math><mi>math in svg</mi></math><g><svg></svg></g></svg>
<script>window.pageReady = true;</script></body></html>`;

const HEAD_DIV = `<!DOCTYPE html><html><head><title>head</title></head><body><p>body text</p>
<script>document.head.append(Object.assign(document.createElement('div'), { textContent: 'a div in the head' })); window.pageReady = true;</script></body></html>`;

/**
 * The hostile pages whose markup is shaped to confuse a parser or a rebuild (namespaces, clobbering, shadow
 * roots, templates, raw text, prefixed names). Every hostile page is mirrored through this path anyway by
 * hostile.test.ts, which shows nothing of it runs; here the point is the same tree, and these are the trees
 * most likely to differ.
 */
const PARSER_SHAPED = /mxss|clobber|shadow|template|mathml|spoof|svg|custom|noscript|style|title|set-handler|link-rel/;

const pages = [
  ...readdirSync(join(CORPUS, 'fidelity'))
    .filter((f) => f.endsWith('.html'))
    .sort()
    .map((f) => `/fidelity/${f}`),
  ...readdirSync(join(CORPUS, 'hostile'))
    .filter((f) => f.endsWith('.html') && PARSER_SHAPED.test(f))
    .sort()
    .map((f) => `/hostile/${f}`),
  '/tricky.html',
  '/head-div.html',
];

let browser: Browser;
let site: StaticServer;
let demo: StaticServer;
let context: BrowserContext;

beforeAll(async () => {
  site = await serveStatic(CORPUS, {
    '/tricky.html': { type: 'text/html', body: TRICKY },
    '/head-div.html': { type: 'text/html', body: HEAD_DIV },
    '/namespaces.html': { type: 'text/html', body: NAMESPACES },
    '/agent.html': { type: 'text/html', body: '<!DOCTYPE html><body></body>' },
  });
  demo = await serveStatic(resolve('packages/demo/public'));
  browser = await launchBrowser(['--host-resolver-rules=MAP attacker.test 127.0.0.1:9']);
  context = await browser.newContext({ viewport: { width: 1000, height: 700 } });
});

afterAll(async () => {
  await browser?.close();
  await site?.close();
  await demo?.close();
});

/** Captures `url` once: the batches, and as "namespace|name" each element of the visitor's body but scripts (the mirror has none), in document order. */
async function capture(url: string): Promise<{ batches: string[]; elements: string[] }> {
  const { capture } = await mirrorBundles();
  const visitor = await context.newPage();
  try {
    await visitor.goto(url);
    await visitor.waitForFunction(() => (window as any).pageReady === true || !(window as any).runChanges, undefined, { timeout: 15_000 });
    await visitor.addScriptTag({ content: capture });
    const elements = await visitor.evaluate(() =>
      Array.from(document.body.querySelectorAll('*:not(script)'), (e) => `${e.namespaceURI}|${e.localName}`),
    );
    const batches = await visitor.evaluate(
      () =>
        new Promise<string[]>((resolve) => {
          const out: string[] = [];
          let done = false;
          const c = (window as any).TandemCapture.startCapture(document, {
            emit: (events: unknown) => out.push(JSON.stringify(events)),
            // Short slices: the snapshot arrives as a keyframe and many added subtrees, as a large page's does.
            sliceMs: 1,
            onSnapshotComplete: () => {
              if (done) return;
              done = true;
              // The page's scripted changes too: added subtrees are parsed the same way.
              void Promise.resolve((window as any).runChanges?.())
                .catch(() => {})
                .then(() => setTimeout(() => (c.stop(), resolve(out)), 300));
            },
          });
        }),
    );
    return { batches, elements };
  } finally {
    await visitor.close();
  }
}

/**
 * Captures `url` once and rebuilds the batches both ways; returns how they differ (nothing, if all is well), and
 * where the snapshot's end came: [batch, event] of each SnapshotEnd event, with each batch's event count.
 */
async function compare(url: string): Promise<Comparison & { ends: [number, number, number][] }> {
  const { rebuild } = await mirrorBundles();
  const { batches } = await capture(url);
  const ends: [number, number, number][] = [];
  batches.forEach((b, i) =>
    (JSON.parse(b) as unknown[][]).forEach((e, j, all) => e[0] === EventType.SnapshotEnd && ends.push([i, j, all.length])),
  );
  const agent = await context.newPage();
  try {
    await agent.goto(`${site.url}/agent.html`);
    await agent.addScriptTag({ content: rebuild });
    return { ...(await agent.evaluate(compareRebuilds, batches)), ends };
  } finally {
    await agent.close();
  }
}

describe('snapshot built by one parse of markup', () => {
  for (const path of pages) {
    it.concurrent(
      `builds ${path} as the node-by-node build does, with the same ids`,
      async ({ expect }) => {
        const result = await compare(site.url + path);
        expect(result.differences).toEqual([]);
        // The snapshot's end: once, the last event of the batch with the last slice; the parse is closed after it.
        expect(result.ends).toHaveLength(1);
        expect(result.ends[0]![1]).toBe(result.ends[0]![2] - 1);
        expect(result.complete).toBe(true);
        expect(result.ids).toBeGreaterThan(5);
        // Only a head the parser cannot keep (a <div> in it) sends the whole document to the node-by-node build.
        expect(result.parsed).toBe(path !== '/head-div.html');
      },
      CORPUS_TEST_MS,
    );
  }

  it("gives every element the namespace the visitor's parser gave it, both ways, and an HTML iframe in MathML its document", async () => {
    const { rebuild } = await mirrorBundles();
    const { batches, elements } = await capture(`${site.url}/namespaces.html`);
    // The page says what it tests: MathML svg, SVG math, HTML below the integration points, a MathML mglyph in mi.
    expect(elements).toEqual(
      expect.arrayContaining([
        'http://www.w3.org/1998/Math/MathML|svg',
        'http://www.w3.org/2000/svg|math',
        'http://www.w3.org/1999/xhtml|iframe',
        'http://www.w3.org/1999/xhtml|b',
        'http://www.w3.org/1998/Math/MathML|mglyph',
        'http://www.w3.org/2000/svg|circle',
      ]),
    );
    const agent = await context.newPage();
    try {
      await agent.goto(`${site.url}/agent.html`);
      await agent.addScriptTag({ content: rebuild });
      const built = await agent.evaluate((batches) => {
        const one = (markup: boolean) => {
          const f = document.createElement('iframe');
          f.setAttribute('sandbox', 'allow-same-origin');
          document.body.append(f);
          const r = new (window as any).TandemRebuild.Rebuilder(f, {}, { markup });
          for (const b of batches) r.apply(JSON.parse(b));
          const body = r.document.body as HTMLElement;
          const frame = body.querySelector('iframe');
          return {
            elements: Array.from(body.querySelectorAll('*:not(script)'), (e) => `${e.namespaceURI}|${e.localName}`),
            framed: frame?.contentDocument?.body?.textContent ?? null,
            framedId: frame?.contentDocument ? (r.idOfNode(frame.contentDocument) ?? null) : null,
          };
        };
        return { parsed: one(true), nodeByNode: one(false) };
      }, batches);
      for (const way of [built.parsed, built.nodeByNode]) {
        expect(way.elements).toEqual(elements);
        expect(way.framed).toBe('framed');
        expect(way.framedId).toBeGreaterThan(1);
      }
    } finally {
      await agent.close();
    }
  });

  it('builds the demo pages the same way', async () => {
    for (const page of ['/index.html', '/booking.html']) {
      const result = await compare(demo.url + page);
      expect(result.differences).toEqual([]);
      expect(result.parsed).toBe(true);
    }
  });
});
