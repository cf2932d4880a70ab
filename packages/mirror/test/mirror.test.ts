/**
 * Capture → JSON → rebuild in real Chromium. A seeded random sequence of DOM
 * changes is applied to a live page; after each batch the rebuilt tree must
 * equal the original. Replay a failure with MIRROR_SEED=<seed>.
 */
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { launchBrowser } from '../../../test/helpers/browser.js';

/** tandemTest.mirrorBody of harness.ts, as the page's code calls it. */
type MirrorBody = (body: unknown[], later?: unknown[]) => { doc: Document; remove: () => void };

let browser: Browser;
let page: Page;
let harness: string;

const PAGE = `<!DOCTYPE html><html><head><title>Mirror test</title><style>.x{color:red}</style></head><body>
<h1 id="title" class="x">Hello <b>mirror</b></h1>
<form><input id="name" value="start"><input id="pw" type="password" value="hunter22"><input id="cb" type="checkbox" checked>
<textarea id="ta">initial</textarea><select id="sel"><option value="a">A</option><option value="b" selected>B</option></select></form>
<p class="secret" title="private title">Secret text <span>inside</span></p>
<svg width="20" height="20"><circle cx="10" cy="10" r="5" fill="blue"/></svg>
<!-- a comment -->
<style id="dyn"></style>
<div id="host"></div>
<div id="arena"><ul><li>one</li><li>two</li></ul><p>para</p></div>
<script>document.getElementById('host').attachShadow({ mode: 'open' }).innerHTML = '<p>in shadow</p><span>x</span>';
document.getElementById('dyn').sheet.insertRule('.from-cssom { color: green }');</script>
</body></html>`;

beforeAll(async () => {
  const out = await build({
    entryPoints: ['packages/mirror/test/harness.ts'],
    bundle: true,
    write: false,
    format: 'iife',
  });
  harness = out.outputFiles[0]!.text;
  browser = await launchBrowser();
  page = await browser.newPage();
  await page.setContent(PAGE);
  await page.addScriptTag({ content: harness });
  await page.waitForFunction(() => (window as any).tandemTest);
});

afterAll(async () => {
  await browser?.close();
});

/** Both trees as canonical strings, computed in the page. */
function trees(on: Page = page): Promise<{ original: string; rebuilt: string }> {
  return on.evaluate(() => {
    const INERT = new Set(['script', 'noscript', 'object', 'embed']);
    // The original is compared as capture must send it: masked where the page says so.
    const mask = (v: string) => v.replace(/\S/g, '*');
    const MASKED_ATTRS = new Set(['value', 'placeholder', 'title', 'alt']);
    function canon(n: Node, rebuilt: boolean, masked = false): string {
      if (n.nodeType === 3) return JSON.stringify(masked && !rebuilt ? mask((n as Text).data) : (n as Text).data);
      if (n.nodeType === 8) {
        const data = (n as Comment).data;
        return rebuilt && INERT.has(data) ? `<${data}/>` : `<!--${data}-->`;
      }
      if (n.nodeType !== 1) return '';
      const el = n as HTMLInputElement;
      if (el.hasAttribute('data-tandem-ignore')) return '';
      if (INERT.has(el.localName)) return `<${el.localName}/>`;
      // The rebuild's own base and style elements.
      if (rebuilt && el.hasAttribute('data-tandem-mirror')) return '';
      const m = !rebuilt && (masked || el.classList.contains('secret') || el.type === 'password');
      const attrs = Array.from(el.attributes)
        .filter((a) => !a.name.startsWith('on'))
        .map((a) => `${a.name}=${JSON.stringify(m && (MASKED_ATTRS.has(a.name) || a.name.startsWith('data-')) ? mask(a.value) : a.value)}`)
        .sort();
      if (el.localName === 'input' || el.localName === 'textarea' || el.localName === 'select') {
        const value = m ? mask(el.value) : el.value;
        attrs.push(el.type === 'checkbox' || el.type === 'radio' ? `:checked=${el.checked}` : `:value=${JSON.stringify(value)}`);
      }
      if (el.localName === 'option') attrs.push(`:selected=${(el as unknown as HTMLOptionElement).selected}`);
      // A <style> is compared by the rules the browser holds (what CSS-in-JS writes), not by its text.
      if (el.localName === 'style') {
        const rules = Array.from((el as unknown as HTMLStyleElement).sheet?.cssRules ?? [], (r) => r.cssText);
        return `<style ${attrs.join(' ')}>${JSON.stringify(rules)}</style>`;
      }
      const kids = el.localName === 'textarea' ? [] : Array.from(el.childNodes).map((c) => canon(c, rebuilt, m));
      const shadow = el.shadowRoot ? `#shadow(${Array.from(el.shadowRoot.childNodes, (c) => canon(c, rebuilt, m)).join('')})` : '';
      return `<${el.localName} ${attrs.join(' ')}>${shadow}${kids.join('')}</${el.localName}>`;
    }
    const t = (window as any).tandemTest;
    return { original: canon(document.documentElement, false), rebuilt: canon(t.rebuilt().documentElement, true) };
  });
}

async function settle(on: Page = page): Promise<void> {
  // Batches flush on the next animation frame, or after 100 ms in the background.
  await on.evaluate(() => new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0))));
}

/**
 * A fresh page holding `html`, mirrored by the harness (`before` runs first, on the page as loaded), handed to `run`
 * once its first snapshot has gone out, and closed after.
 */
async function onMirroredPage(html: string, run: (p: Page) => Promise<void>, before?: (p: Page) => Promise<unknown>): Promise<void> {
  const p = await browser.newPage();
  try {
    await p.setContent(html);
    await before?.(p);
    await p.addScriptTag({ content: harness });
    await p.waitForFunction(() => (window as any).tandemTest?.stats().snapshots > 0);
    await run(p);
  } finally {
    await p.close();
  }
}

/** How many batches have gone on the wire. */
const wireCount = (p: Page) => p.evaluate(() => (window as any).tandemTest.wire().length as number);
/** The batches that went on the wire after the first `n`, as one text. */
const wireSince = (p: Page, n: number) => p.evaluate((k) => ((window as any).tandemTest.wire() as string[]).slice(k).join('\n'), n);

describe('mirror', () => {
  it('rebuilds the snapshot with masking applied at the source', async () => {
    await settle();
    const { rebuilt } = await trees();
    expect(rebuilt).toContain('Hello ');
    expect(rebuilt).toContain('<circle');
    expect(rebuilt).not.toContain('hunter22');
    expect(rebuilt).not.toContain('Secret text');
    expect(rebuilt).not.toContain('private title');
    expect(rebuilt).toContain('"****** **** "');
    const ns = await page.evaluate(() => (window as any).tandemTest.rebuilt().querySelector('circle').namespaceURI);
    expect(ns).toBe('http://www.w3.org/2000/svg');
  });

  it('follows random DOM changes: after every batch the rebuilt tree equals the original', async () => {
    const seed = Number(process.env.MIRROR_SEED ?? Date.now() % 1_000_000);
    const batches = 200;
    for (let b = 0; b < batches; b++) {
      await page.evaluate(
        ({ seed, b }) => {
          let s = (seed * 1000 + b) >>> 0 || 1;
          const rand = () => (s = (s * 1103515245 + 12345) >>> 0) / 2 ** 32;
          const pick = <T>(a: T[]): T => a[Math.floor(rand() * a.length)]!;
          const pickNode = () => pick([arena as Node, ...nodes()]);
          const arena = document.getElementById('arena')!;
          const all = () => [arena, ...Array.from(arena.querySelectorAll('*'))].filter((e) => !(e instanceof SVGElement)) as HTMLElement[];
          const nodes = () => {
            const out: Node[] = [];
            const w = document.createTreeWalker(arena, NodeFilter.SHOW_ELEMENT | NodeFilter.SHOW_TEXT);
            for (let n = w.nextNode(); n; n = w.nextNode()) out.push(n);
            return out;
          };
          const tags = ['div', 'span', 'p', 'ul', 'li', 'b', 'em', 'section'];
          const shadow = document.getElementById('host')!.shadowRoot!;
          const sheet = (document.getElementById('dyn') as HTMLStyleElement).sheet!;
          for (let i = 0; i < 12; i++) {
            const op = Math.floor(rand() * 13);
            const target = pick(all());
            switch (op) {
              case 0: {
                const el = document.createElement(pick(tags));
                el.textContent = `n${b}.${i}`;
                if (rand() < 0.5) el.appendChild(document.createElement(pick(tags))).textContent = 'inner';
                target.insertBefore(el, pick([null, ...Array.from(target.childNodes)]));
                break;
              }
              case 1:
                target.insertBefore(document.createTextNode(`t${b}.${i}`), pick([null, ...Array.from(target.childNodes)]));
                break;
              case 2: {
                const n = pickNode();
                if (n !== arena) n.parentNode?.removeChild(n);
                break;
              }
              case 3: {
                const n = pickNode();
                if (n !== arena && !(n.nodeType === 1 && (n as Element).contains(target)))
                  target.insertBefore(n, pick([null, ...Array.from(target.childNodes)]));
                break;
              }
              case 4:
                target.setAttribute(pick(['class', 'title', 'data-k', 'style']), `v${b}.${i}`);
                break;
              case 5:
                target.removeAttribute(pick(['class', 'title', 'data-k', 'style']));
                break;
              case 6: {
                const texts = nodes().filter((n) => n.nodeType === 3) as Text[];
                if (texts.length) pick(texts).data = `changed ${b}.${i}`;
                break;
              }
              case 7: {
                // Added then removed within one batch: must cost nothing and leave no trace.
                const tmp = document.createElement('i');
                target.appendChild(tmp);
                tmp.remove();
                break;
              }
              case 8: {
                const input = document.getElementById('name') as HTMLInputElement;
                input.value = `typed ${b}.${i}`;
                input.dispatchEvent(new Event('input', { bubbles: true }));
                break;
              }
              case 9:
                // CSS-in-JS style: rules that exist only in the CSSOM.
                if (rand() < 0.6 || sheet.cssRules.length === 0)
                  sheet.insertRule(`.r${b}_${i} { margin: ${i}px }`, Math.floor(rand() * (sheet.cssRules.length + 1)));
                else sheet.deleteRule(Math.floor(rand() * sheet.cssRules.length));
                break;
              case 10: {
                const kids = Array.from(shadow.childNodes);
                if (rand() < 0.5 || kids.length === 0)
                  shadow.insertBefore(document.createElement(pick(tags)), pick([null, ...kids])).textContent = `s${b}.${i}`;
                // eslint-disable-next-line no-dupe-else-if -- a second draw of rand(), not the same condition
                else if (rand() < 0.5) pick(kids).remove();
                else pick(kids).textContent = `shadow text ${b}.${i}`;
                break;
              }
              case 12:
                // A masking rule starts or stops applying to content already sent.
                target.classList.toggle('secret');
                break;
              case 11: {
                const sel = document.getElementById('sel') as HTMLSelectElement;
                sel.selectedIndex = Math.floor(rand() * sel.options.length);
                sel.dispatchEvent(new Event('change', { bubbles: true }));
                break;
              }
            }
          }
        },
        { seed, b },
      );
      await settle();
      const { original, rebuilt } = await trees();
      if (original !== rebuilt) {
        throw new Error(`mirror diverged at batch ${b}; replay with MIRROR_SEED=${seed}\noriginal: ${original}\nrebuilt:  ${rebuilt}`);
      }
    }
    const stats = await page.evaluate(() => (window as any).tandemTest.stats());
    expect(stats.batches).toBeGreaterThanOrEqual(batches);
  });

  it('a snapshot cut into many slices while the page keeps changing still rebuilds the page exactly', async () => {
    const seed = Number(process.env.MIRROR_SEED ?? Date.now() % 1_000_000);
    const big = await browser.newPage();
    try {
      // About 3,000 nodes, and slices of 0.2 ms: the snapshot is cut dozens of times.
      const rows = Array.from(
        { length: 300 },
        (_, i) => `<li class="r${i % 7}" data-i="${i}">row <b>${i}</b> <i>text</i><span>${'x'.repeat(i % 5)}</span></li>`,
      ).join('');
      await big.setContent(`<!DOCTYPE html><html><head><style>.r1{color:red}</style></head><body><div id="top"><p>top</p></div>
        <ul id="list">${rows}</ul><section class="secret">hidden words</section><div id="tail">tail</div></body></html>`);
      await big.evaluate((s) => {
        let state = s >>> 0 || 1;
        const rand = () => (state = (state * 1103515245 + 12345) >>> 0) / 2 ** 32;
        // Everything but the harness's own iframe (the mirror).
        const all = () => Array.from(document.body.querySelectorAll<HTMLElement>('*:not([data-tandem-ignore])'));
        let ticks = 0;
        const mutate = () => {
          for (let k = 0; k < 3; k++) {
            const els = all();
            const el = els[Math.floor(rand() * els.length)]!;
            const other = els[Math.floor(rand() * els.length)]!;
            switch (Math.floor(rand() * 6)) {
              case 0:
                el.appendChild(document.createElement('em')).textContent = `new ${ticks}`;
                break;
              case 1:
                if (el !== document.body && !el.contains(other)) other.insertBefore(el, other.firstChild);
                break;
              case 2:
                if (el.parentElement && el.id === '') el.remove();
                break;
              case 3:
                el.setAttribute('data-t', String(ticks));
                break;
              case 4:
                if (el.firstChild?.nodeType === 3) (el.firstChild as Text).data = `changed ${ticks}`;
                break;
              case 5:
                el.classList.toggle('x');
                break;
            }
          }
          if (++ticks < 400) setTimeout(mutate, 0);
          else (window as any).__mutationsDone = true;
        };
        (window as any).__sliceMs = 0.2;
        setTimeout(mutate, 0);
      }, seed);
      await big.addScriptTag({ content: harness });
      // Generous limits: on a loaded 2-core machine the 400 changes and the sliced snapshot take long.
      await big.waitForFunction(() => (window as any).tandemTest?.stats().snapshots > 0, undefined, { timeout: 90_000 });
      const batches = await big.evaluate(() => (window as any).tandemTest.stats().batches);
      expect(batches, 'the snapshot went out in many slices').toBeGreaterThan(10);
      // Let the page finish its changes, then compare.
      await big.waitForFunction(() => (window as any).__mutationsDone, undefined, { timeout: 90_000 });
      await settle(big);
      await settle(big);
      const { original, rebuilt } = await trees(big);
      if (original !== rebuilt)
        throw new Error(`sliced snapshot diverged; replay with MIRROR_SEED=${seed}\noriginal: ${original}\nrebuilt:  ${rebuilt}`);
    } finally {
      await big.close();
    }
  }, 240_000);

  it('a snapshot whose place is moved away between slices (the child it serialized last) still rebuilds the page exactly', async () => {
    const big = await browser.newPage();
    try {
      const rows = Array.from({ length: 2000 }, (_, i) => `<li data-i="${i}">row <b>${i}</b></li>`).join('');
      await big.setContent(`<!DOCTYPE html><html><body><ul id="list">${rows}</ul><ol id="elsewhere"><li>first</li></ol></body></html>`);
      await big.evaluate(() => {
        const list = document.getElementById('list')!;
        const elsewhere = document.getElementById('elsewhere')!;
        // A task of the page between (nearly) every two slices of capture, as both post messages: each moves the row
        // the last slice sent last (the walk is in it, or stopped after it) to the other list. Only a walk that
        // notices its place has gone goes on with the rows left after it; nothing else would send them.
        const channel = new MessageChannel();
        let moves = 0;
        channel.port1.onmessage = () => {
          const wire: string[] = (window as any).tandemTest.wire();
          const sent = [...wire[wire.length - 1]!.matchAll(/"data-i":"(\d+)"/g)].pop()?.[1];
          const row = sent === undefined ? null : list.querySelector(`[data-i="${sent}"]`);
          if (row) {
            elsewhere.appendChild(row);
            moves++;
          }
          if ((window as any).tandemTest.stats().snapshots === 0) channel.port2.postMessage(0);
          else (window as any).__moves = moves;
        };
        // From when capture has started (its first slice runs as the harness loads).
        const start = () => ((window as any).tandemTest ? channel.port2.postMessage(0) : setTimeout(start, 0));
        start();
        (window as any).__sliceMs = 0.2;
      });
      await big.addScriptTag({ content: harness });
      await big.waitForFunction(() => (window as any).__moves !== undefined, undefined, { timeout: 90_000 });
      await settle(big);
      await settle(big);
      const { original, rebuilt } = await trees(big);
      if (original !== rebuilt) throw new Error(`sliced snapshot diverged\noriginal: ${original}\nrebuilt:  ${rebuilt}`);
      expect(await big.evaluate(() => (window as any).__moves), 'rows the walk had just sent were moved').toBeGreaterThan(5);
    } finally {
      await big.close();
    }
  }, 240_000);

  it('masks what the page adds between two slices of a snapshot, in the part not walked yet, whichever way its records came', async () => {
    const big = await browser.newPage();
    try {
      const rows = Array.from({ length: 400 }, (_, i) => `<li data-i="${i}">row <b>${i}</b> <i>text</i></li>`).join('');
      await big.setContent(`<!DOCTYPE html><html><body><ul id="list">${rows}</ul><div id="tail">tail</div></body></html>`);
      await big.evaluate(() => {
        // Each in a task of its own: the observer's callback takes the records before the next slice looks for them.
        let n = 0;
        const add = () => {
          const p = document.createElement('p');
          p.className = 'secret';
          p.title = `TITLE-CANARY-${n}`;
          p.textContent = `TEXT-CANARY-${n}`;
          document.body.appendChild(p);
          const q = document.createElement('div');
          q.innerHTML = `<section class="secret">NESTED-CANARY-${n}</section>`;
          document.getElementById('tail')!.after(q);
          if (++n < 60) setTimeout(add, 0);
        };
        (window as any).__sliceMs = 0.05;
        setTimeout(add, 0);
      });
      await big.addScriptTag({ content: harness });
      await big.waitForFunction(() => (window as any).tandemTest?.stats().snapshots > 0, undefined, { timeout: 60_000 });
      await settle(big);
      const wire: string[] = await big.evaluate(() => (window as any).tandemTest.wire());
      expect(wire.length, 'the snapshot went out in slices').toBeGreaterThan(5);
      const all = wire.join('\n');
      // The page's additions did reach the mirror, masked.
      expect(all).toContain('"secret"');
      expect(all).not.toMatch(/CANARY/);
    } finally {
      await big.close();
    }
  });

  for (const [how, hide, seen] of [
    ['masks', 'mask', '*******'],
    ['blocks', 'block', '" blocked"'],
  ] as const)
    it(`${how} the rest of an element the page ${how} between two slices, while the walk is inside it`, async () => {
      const big = await browser.newPage();
      try {
        const rows = Array.from({ length: 600 }, (_, i) => `<li data-i="${i}">ROWTEXT <b>${i}</b></li>`).join('');
        await big.setContent(`<!DOCTYPE html><html><body><div id="outer"><ul id="list">${rows}</ul></div><p id="tail">tail</p></body></html>`);
        await big.evaluate((hide) => {
          // Once the walk is inside the list (part of it sent), the page masks the element around it, in a task of its own.
          const check = () => {
            const t = (window as any).tandemTest;
            if (t && t.stats().batches >= 2) {
              (window as any).__maskedAt = t.stats().batches;
              const el = document.getElementById('outer')!;
              if (hide === 'mask') el.className = 'secret';
              else el.setAttribute('data-tandem-block', '');
            } else setTimeout(check, 0);
          };
          (window as any).__sliceMs = 0.05;
          setTimeout(check, 0);
        }, hide);
        await big.addScriptTag({ content: harness });
        await big.waitForFunction(() => (window as any).tandemTest?.stats().snapshots > 0, undefined, { timeout: 60_000 });
        await settle(big);
        const { wire, at } = await big.evaluate(() => ({
          wire: (window as any).tandemTest.wire() as string[],
          at: (window as any).__maskedAt as number,
        }));
        expect(at, 'the page masked the list while the snapshot was being sent').toBeGreaterThan(0);
        expect(wire.length, 'batches after the change').toBeGreaterThan(at);
        // What went out before is the page as it was; everything after the change keeps the rows' text masked.
        for (const batch of wire.slice(at)) expect(batch).not.toContain('ROWTEXT');
        // Masked, the rows still arrived; blocked, the element went again as a box.
        expect(wire.slice(at).join('')).toContain(seen);
      } finally {
        await big.close();
      }
    });

  it('sends nothing of what an element blocked since an earlier snapshot holds, after a new snapshot', () =>
    onMirroredPage(`<!DOCTYPE html><html><body><div id="box"><p id="t">shown</p></div><p>after</p></body></html>`, async (other) => {
      // Blocked after the first snapshot: its text node keeps the id that snapshot gave it. A second snapshot (an
      // agent resyncs) sends the box as a box and never meets the text again.
      await other.evaluate(() => document.getElementById('box')!.setAttribute('data-tandem-block', ''));
      await settle(other);
      await other.evaluate(() => (window as any).tandemTest.capture.snapshot());
      await other.waitForFunction(() => (window as any).tandemTest.stats().snapshots > 1);
      const sent = await wireCount(other);
      await other.evaluate(() => {
        (document.getElementById('t')!.firstChild as Text).data = 'BLOCKEDCANARY';
        document.getElementById('t')!.setAttribute('title', 'BLOCKEDCANARY');
        document.getElementById('t')!.append('BLOCKEDCANARY');
      });
      await settle(other);
      await settle(other);
      expect(await wireSince(other, sent)).not.toContain('BLOCKEDCANARY');
    }));

  it('sends nothing from inside a blocked element after the snapshot: content added, attributes, values, shadow roots', () =>
    onMirroredPage(
      `<!DOCTYPE html><html><body><div id="b" data-tandem-block><span id="deep">x</span></div>
        <input id="i" data-tandem-block value="v"><div id="later"><p id="t">shown</p></div><p id="free">free</p></body></html>`,
      async (other) => {
        const sent = await wireCount(other);
        await other.evaluate(() => {
          const b = document.getElementById('b')!;
          b.insertAdjacentHTML('beforeend', '<p>ADDEDCANARY</p>');
          b.setAttribute('title', 'ATTRCANARY');
          document.getElementById('deep')!.attachShadow({ mode: 'open' }).innerHTML = '<p>SHADOWCANARY</p>';
          const input = document.getElementById('i') as HTMLInputElement;
          input.value = 'VALUECANARY';
          input.dispatchEvent(new Event('input', { bubbles: true }));
          input.setAttribute('placeholder', 'PLACEHOLDERCANARY');
          // Blocked after the snapshot: sent again as a box; what it held keeps its old ids, and must not speak.
          document.getElementById('later')!.setAttribute('data-tandem-block', '');
        });
        await settle(other);
        await other.evaluate(() => {
          (document.getElementById('t')!.firstChild as Text).data = 'TEXTCANARY';
          document.getElementById('t')!.setAttribute('class', 'CLASSCANARY');
          document.getElementById('t')!.append('APPENDCANARY');
          // Beside them, a change that must travel: the batches were sent, only the blocked parts left out.
          document.getElementById('free')!.textContent = 'FREE-CHANGED';
        });
        await settle(other);
        await settle(other);
        const after = await wireSince(other, sent);
        expect(after).toContain('FREE-CHANGED');
        expect(after).toContain(' blocked'); // #later went again, as a box
        for (const canary of ['ADDED', 'ATTR', 'SHADOW', 'VALUE', 'PLACEHOLDER', 'TEXT', 'CLASS', 'APPEND'])
          expect(after).not.toContain(canary + 'CANARY');
      },
    ));

  it('sends a change at the end of the task that made it while its budget lasts (20 at once, 60 a second), then with the frames', () =>
    onMirroredPage(`<!DOCTYPE html><html><body><p id="p">zero</p></body></html>`, async (other) => {
      await settle(other);
      const seen = await other.evaluate(async () => {
        const t = (window as any).tandemTest;
        const p = document.getElementById('p')!;
        /** Sent before this task ended: only microtasks run until then, no frame and no other task. */
        const sentWithin = async (change: () => void) => {
          const before = t.wire().length;
          change();
          for (let i = 0; i < 10; i++) await Promise.resolve();
          return t.wire().length - before;
        };
        const first = await sentWithin(() => (p.textContent = 'one'));
        // Sixty tasks in a row, each with a change, as fast as the page goes: the budget runs out on the way.
        const started = performance.now();
        const channel = new MessageChannel();
        let atOnce = 0;
        for (let n = 1; n <= 60; n++) {
          await new Promise((r) => {
            channel.port1.onmessage = r;
            channel.port2.postMessage(0);
          });
          atOnce += await sentWithin(() => (p.textContent = `change ${n}`));
        }
        return { first, atOnce, ms: performance.now() - started };
      });
      expect(seen.first).toBe(1);
      // What was left of the burst of 20, and what the budget gained back meanwhile (60 a second).
      expect(seen.atOnce).toBeGreaterThanOrEqual(15);
      expect(seen.atOnce).toBeLessThanOrEqual(21 + Math.ceil((seen.ms * 60) / 1000));
      // The rest went with the frames, none lost.
      await settle(other);
      const { original, rebuilt } = await trees(other);
      expect(rebuilt).toBe(original);
      expect(rebuilt).toContain('change 60');
    }));

  it('leaves the WebGL prototypes alone until a canvas is mirrored, then wraps their draws until capture stops', () =>
    onMirroredPage(`<!DOCTYPE html><html><body><p>no canvas here</p></body></html>`, async (other) => {
      const native = () =>
        other.evaluate(() =>
          [
            Object.getOwnPropertyDescriptor(WebGLRenderingContext.prototype, 'clear'),
            Object.getOwnPropertyDescriptor(WebGL2RenderingContext.prototype, 'drawArrays'),
          ].map((d) => Function.prototype.toString.call(d!.value).includes('[native code]')),
        );
      // Most pages have no canvas: building both prototypes cost every capture start 3-5 ms of the page's thread.
      expect(await native()).toEqual([true, true]);
      await other.evaluate(() => document.body.append(document.createElement('canvas')));
      await settle(other);
      expect(await native()).toEqual([false, false]);
      await other.evaluate(() => (window as any).tandemTest.capture.stop());
      expect(await native()).toEqual([true, true]);
    }));

  it('mirrors nodes the page froze (they take no property), and their changes', () =>
    onMirroredPage(
      `<!DOCTYPE html><html><body><ul id="list"><li id="a">one</li></ul><p>after</p></body></html>`,
      async (other) => {
        await other.evaluate(() => {
          (document.getElementById('a')!.firstChild as Text).data = 'one, changed';
          document.getElementById('list')!.append(Object.assign(document.createElement('li'), { textContent: 'two' }));
        });
        await settle(other);
        await settle(other);
        const { original, rebuilt } = await trees(other);
        expect(rebuilt).toBe(original);
        expect(rebuilt).toContain('one, changed');
        // Frozen after a snapshot numbered it, then a new snapshot: the node holds the old id, and is known by the new.
        await other.evaluate(() => {
          Object.freeze(document.getElementById('a'));
          (window as any).tandemTest.capture.snapshot();
        });
        await other.waitForFunction(() => (window as any).tandemTest.stats().snapshots > 1);
        await other.evaluate(() => document.getElementById('a')!.setAttribute('title', 'frozen, changed'));
        await settle(other);
        await settle(other);
        const again = await trees(other);
        expect(again.rebuilt).toBe(again.original);
        expect(again.rebuilt).toContain('frozen, changed');
      },
      (p) =>
        p.evaluate(() => {
          Object.freeze(document.getElementById('list'));
          Object.preventExtensions(document.getElementById('a')!.firstChild);
        }),
    ));

  it('refuses forged element names that would make a live script (the rule holds without the sandbox)', async () => {
    const scripts = await page.evaluate(() => {
      // What a forged capture could send: prefixed names whose local name is "script" or an animation.
      const { doc, remove } = ((window as any).tandemTest as { mirrorBody: MirrorBody }).mirrorBody([
        [
          'svg',
          0,
          ['svg:script', { href: 'data:text/javascript,top.__forged=1' }],
          ['x:script', 0, 'top.__forged=1'],
          ['x:set', { attributeName: 'href', to: 'javascript:top.__forged=1' }],
          ['animate', { attributeName: 'x', values: '1;jav\tascript:alert(1)' }],
        ],
        ['SCRIPT', 0, 'top.__forged=1'],
      ]);
      const found = Array.from(doc.getElementsByTagName('*'))
        .filter((e) => /script|set/i.test(e.localName))
        .map((e) => e.localName);
      const animateValues = doc.querySelector('animate')?.getAttribute('values') ?? null;
      remove();
      return { found, animateValues };
    });
    expect(scripts.found).toEqual([]);
    expect(scripts.animateValues).toBeNull();
  });

  it('keeps the content of elements whose names it refuses (ids in step), never their inert names', async () => {
    const out = await page.evaluate(() => {
      // ids: html 2, head 3, body 4, my:widget 5, its text 6, b 7, its text 8, x:script 9 (text 10), _p 11 (text 12), p 13, its text 14
      const { doc, remove } = ((window as any).tandemTest as { mirrorBody: MirrorBody }).mirrorBody(
        [
          ['my:widget', { class: 'w', onclick: 'top.__forged=1', href: 'javascript:top.__forged=1' }, 'text', ['b', 0, 'bold']],
          ['x:script', 0, 'top.__forged=1'],
          ['Script ', 0, 'top.__forged=1'],
          ['p', 0, 'after'],
        ],
        [
          [
            1,
            {
              tx: [
                [8, 'BOLD'],
                [14, 'AFTER'],
              ],
            },
          ],
        ],
      );
      const body = doc.body.innerHTML;
      remove();
      return body;
    });
    expect(out).toBe('<tandem-unknown class="w">text<b>BOLD</b></tandem-unknown><!--x:script--><!--script --><p>AFTER</p>');
  });

  it('takes relayed data only as an image, for an image attribute that still holds its URL', async () => {
    const out = await page.evaluate(() => {
      const png = 'data:image/png;base64,iVBORw0KGgo=';
      // ids: html 2, head 3, body 4, img 5, img 6, a 7, img 8
      const { doc, remove } = ((window as any).tandemTest as { mirrorBody: MirrorBody }).mirrorBody(
        [
          ['img', { src: 'blob:x1' }],
          ['img', { src: 'blob:x2' }],
          ['a', { href: 'blob:x3' }],
          ['img', { src: 'blob:x4' }],
        ],
        [
          [
            1,
            {
              at: [
                [5, ' relayed', `src\nblob:x1\ndata:text/html;base64,PHNjcmlwdD4=`],
                [6, ' relayed', `src\nblob:other\n${png}`],
                [7, ' relayed', `href\nblob:x3\n${png}`],
                [8, ' relayed', `src\nblob:x4\n${png}`],
              ],
            },
          ],
        ],
      );
      const got = [...Array.from(doc.images).map((i) => i.getAttribute('src')), doc.querySelector('a')!.getAttribute('href')];
      remove();
      return got;
    });
    expect(out).toEqual(['blob:x1', 'blob:x2', 'data:image/png;base64,iVBORw0KGgo=', 'blob:x3']);
  });

  it("builds an external sprite's elements under the rebuild's rules, with ids of their own", async () => {
    const out = await page.evaluate(() => {
      const sprite = [
        [
          'symbol',
          { id: 'a', onload: 'top.__forged=1', ' canvas': '1px,1px,data:image/png;base64,' },
          ['script', 0, 'top.__forged=1'],
          ['rect', { fill: 'url(#g)', width: '5', height: '5' }],
        ],
        ['linearGradient', { id: 'g' }, ['stop', { offset: '0', 'stop-color': 'red' }]],
        ['#shadow', 0, ['script', 0, 'top.__forged=1']],
      ];
      // ids: html 2, head 3, body 4, svg 5, use 6
      const { doc, remove } = ((window as any).tandemTest as { mirrorBody: MirrorBody }).mirrorBody(
        [['svg', 0, ['use', { href: 'file.svg#a' }]]],
        [[1, { at: [[6, ' sprite', `file.svg#a\n${JSON.stringify(sprite)}`]] }]],
      );
      const use = doc.querySelector('use')!;
      const result = {
        href: use.getAttribute('href'),
        scripts: doc.getElementsByTagName('script').length,
        symbol: doc.querySelector('symbol')?.getAttribute('id'),
        onload: doc.querySelector('symbol')?.getAttribute('onload'),
        fill: doc.querySelector('rect')?.getAttribute('fill'),
        gradient: doc.querySelector('linearGradient')?.getAttribute('id'),
      };
      remove();
      return result;
    });
    expect(out.scripts).toBe(0);
    expect(out.onload).toBeNull();
    expect(out.href).toMatch(/^#tandem-sprite-\d+-a$/);
    const prefix = out.href!.slice(1, -1);
    expect(out.symbol).toBe(`${prefix}a`);
    expect(out.fill).toBe(`url(#${prefix}g)`);
    expect(out.gradient).toBe(`${prefix}g`);
  });
});
