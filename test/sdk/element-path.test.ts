/**
 * The element paths the visitor's page reports for the audit trail, in a real
 * browser: names the page's authors chose (tags, ids, classes, places), never
 * text, values or other attributes; nothing of a masked or blocked element but
 * its tag and place; ids and classes that carry numbers left out; through
 * shadow roots and frames; cut to the protocol's length, always of the shape
 * the server accepts.
 */
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { MAX_ELEMENT_PATH_CHARS } from '@tandem/protocol';
import { ElementPath } from '@tandem/protocol/schema';
import { launchBrowser } from '../helpers/browser.js';

let browser: Browser;
let page: Page;
let script: string;

beforeAll(async () => {
  browser = await launchBrowser();
  const contents = `
    import { startCapture } from '@tandem/mirror/capture';
    import { elementPath } from './packages/sdk/src/session/element-path.ts';
    (window as any).pathOf = (el: Element, mask: unknown) => {
      const capture = startCapture(document, { mask: mask as never, emit: () => {} });
      try {
        return elementPath(el, (e) => capture.protection(e));
      } finally {
        capture.stop();
      }
    };`;
  const out = await build({ stdin: { contents, resolveDir: process.cwd(), loader: 'ts' }, bundle: true, write: false, format: 'iife' });
  script = out.outputFiles[0]!.text;
  page = await browser.newPage();
});

afterAll(() => browser?.close());

/** The path of the element the expression `find` gives (or resolves to) in a page of `html`. */
async function pathIn(html: string, find: string, mask: unknown = {}): Promise<string> {
  await page.setContent(`<!DOCTYPE html><html><body>${html}</body></html>`);
  await page.addScriptTag({ content: script });
  const el = await page.evaluateHandle(find);
  return page.evaluate(([e, m]) => (window as any).pathOf(e, m), [el, mask] as const);
}

const SHAPE = new RegExp((ElementPath as { pattern?: string }).pattern!);

describe('element paths', () => {
  it('tags, ids, classes and places; an id starts the path', async () => {
    const html = `<main class="page wide extra"><form id="booking"><div class="row"><input name="a"><input name="b" class="field"></div></form></main>`;
    expect(await pathIn(html, "document.querySelector('[name=b]')")).toBe('form#booking > div.row > input.field:nth-of-type(2)');
    expect(await pathIn(html, "document.querySelector('[name=a]')")).toBe('form#booking > div.row > input:nth-of-type(1)');
    // Two classes at most; no html segment above the body.
    expect(await pathIn(html, "document.querySelector('main')")).toBe('body > main.page.wide');
  });

  it('never text, values or attributes; ids and classes with a run of digits or odd characters are left out', async () => {
    const html = `<section id="acct-99887766" class="user-4111111111111111 ok" title="SECRET-TITLE">
      <p id="a@b.c" data-x="SECRET-DATA">SECRET-TEXT <input value="SECRET-VALUE" placeholder="SECRET-PH" class="name_field"></p></section>`;
    const path = await pathIn(html, "document.querySelector('input')");
    expect(path).toBe('body > section.ok > p > input.name_field');
    for (const secret of ['SECRET', '9988', '4111', '@']) expect(path).not.toContain(secret);
  });

  it('a masked or blocked element gives its tag and place only, and so does everything inside it', async () => {
    const html = `<form id="pay"><div class="card-box" data-tandem-mask id="cardbox"><label class="lbl">Card</label><input id="card-number" class="cc"><input id="cvc"></div>
      <div id="hidden-part" class="secret" data-tandem-block><span class="inner">x</span></div><input type="password" id="pw" class="pw"></form>`;
    expect(await pathIn(html, "document.getElementById('cvc')")).toBe('form#pay > div:nth-of-type(1) > input:nth-of-type(2)');
    expect(await pathIn(html, "document.getElementById('hidden-part')")).toBe('form#pay > div:nth-of-type(2)');
    expect(await pathIn(html, "document.getElementById('pw')")).toBe('form#pay > input');
    // A site's own masking rule, pushed from its settings or init, counts the same.
    expect(await pathIn(`<div id="wrap"><p id="note" class="n">x</p></div>`, "document.getElementById('note')", { selectors: ['.n'] })).toBe(
      'div#wrap > p',
    );
  });

  it('goes through open shadow roots and same-origin frames', async () => {
    const path = await pathIn(
      `<div id="host-wrap"><x-widget class="widget"></x-widget></div>`,
      `(() => { const h = document.querySelector('x-widget'); const r = h.attachShadow({ mode: 'open' });
        r.innerHTML = '<div class="inside"><button class="go">Go</button></div>'; return r.querySelector('button'); })()`,
    );
    expect(path).toBe('div#host-wrap > x-widget.widget / div.inside > button.go');
    const framed = await pathIn(
      `<iframe id="frame" srcdoc="<p class='in'><b>x</b></p>"></iframe>`,
      `new Promise((r) => { const f = document.getElementById('frame'); const b = () => f.contentDocument?.querySelector('b');
        if (b()) r(b()); else f.onload = () => r(b()); })`,
    );
    expect(framed).toBe('iframe#frame / body > p.in > b');
  });

  it('is cut to the protocol’s length, and always has the shape the server accepts', async () => {
    const long = 'c'.repeat(40);
    let html = '<i class="leaf">x</i>';
    for (let i = 0; i < 40; i++) html = `<div class="${long} ${long}x">${html}</div>`;
    const path = await pathIn(html, "document.querySelector('.leaf')");
    expect(path.length).toBeLessThanOrEqual(MAX_ELEMENT_PATH_CHARS);
    expect(path.startsWith('… > ')).toBe(true);
    expect(path.endsWith('> i.leaf')).toBe(true);
    expect(path).toMatch(SHAPE);
    for (const p of ['form#booking > div.row > input.field:nth-of-type(2)', 'div#host-wrap > x-widget.widget / div.inside > button.go'])
      expect(p).toMatch(SHAPE);
  });
});
