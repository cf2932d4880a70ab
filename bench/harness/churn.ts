/**
 * The churn of the mirror benchmark: `perTick` changes every `intervalMs`, like a
 * page with live prices and availability. Shared by the in-page visitor harness
 * (visitor.ts) and the end-to-end one (e2e-visitor.ts).
 */
import { prng } from '../prng.js';

export interface Churn {
  /** Stops the churn; how many changes it made, over how many seconds. */
  stop(): { ops: number; seconds: number };
}

/**
 * A deterministic mix of text edits (short texts such as prices, counts and
 * labels, replaced by text of the same length), attribute changes, inserted
 * badges and their removal (inserts and removes balance, so the page keeps its
 * size). The changes are chosen not to move the rest of the page: on a tall
 * page, anything that shifts what follows makes Chromium re-walk the whole tree
 * every frame (PrePaint), the page alone then saturates the main thread and a
 * recorder's own cost can no longer be seen. Nodes inside `[data-bench-skip]`
 * (the end-to-end tick counter) are never touched. `onTick` runs after each
 * tick's changes.
 */
export function startChurn(seed: number, intervalMs: number, perTick: number, onTick?: () => void, kinds = [0, 1, 2, 3]): Churn {
  const rnd = prng(seed);
  const pick = <T>(list: T[]): T => list[Math.floor(rnd() * list.length)]!;
  const body = document.body;
  const skipped = (n: Node) => !!(n instanceof Element ? n : n.parentElement)?.closest('[data-bench-skip]');
  const texts: Text[] = [];
  const walker = document.createTreeWalker(body, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const parent = n.parentElement?.localName;
    const data = (n as Text).data.trim();
    if (parent && !/^(script|style|option|textarea|select|title)$/.test(parent) && data.length > 0 && data.length <= 40 && !skipped(n))
      texts.push(n as Text);
  }
  const elements = Array.from(body.querySelectorAll<HTMLElement>('*')).filter((e) => !/^(script|style)$/.test(e.localName) && !skipped(e));
  const containers = Array.from(body.querySelectorAll<HTMLElement>('div, li, p, section, label, td, span')).filter(
    (e) => !e.closest('svg, select, button, script') && !skipped(e),
  );
  const inserted: Element[] = [];
  let counter = 0;
  const words = ['Only 1 left', 'Price dropped', 'Booked 3 times today', 'New', 'Free cancellation', 'Updated'];
  const DIGITS = '0123456789';
  const LETTERS = 'abcdefghijklmnopqrstuvwxyz';
  /** The same text with each digit, and one letter in four, replaced: same length, same shape. */
  const edit = (s: string) => s.replace(/[0-9]/g, () => pick([...DIGITS])).replace(/[a-z]/g, (c) => (rnd() < 0.25 ? pick([...LETTERS]) : c));

  let ops = 0;
  function op(): void {
    const kind = kinds[Math.floor(rnd() * kinds.length)]!;
    counter++;
    if (kind === 0 && texts.length) {
      const t = pick(texts);
      t.data = edit(t.data);
    } else if (kind === 1) {
      const el = pick(elements);
      const which = Math.floor(rnd() * 3);
      if (which === 0) el.classList.toggle('bench-highlight');
      else if (which === 1) el.setAttribute('data-bench', String(counter));
      else el.setAttribute('aria-busy', counter % 2 ? 'true' : 'false');
    } else if (kind === 2 || inserted.length === 0) {
      const span = document.createElement('span');
      span.className = 'badge bench-badge';
      // Out of the flow, as badges and tooltips are: nothing else on the page moves.
      span.setAttribute('style', 'position:absolute;top:0;right:0');
      span.textContent = `${pick(words)} ${counter}`;
      pick(containers).appendChild(span);
      inserted.push(span);
    } else {
      inserted.shift()!.remove();
    }
    ops++;
  }

  const started = performance.now();
  const timer = setInterval(() => {
    for (let i = 0; i < perTick; i++) op();
    onTick?.();
  }, intervalMs);
  return {
    stop() {
      clearInterval(timer);
      return { ops, seconds: (performance.now() - started) / 1000 };
    },
  };
}
