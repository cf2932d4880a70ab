/**
 * What a person would see go wrong on a screen, checked in the real browser: axe-core's serious and
 * critical findings, and controls that are clipped by the window, cut, wrapped or over one another.
 */
import { readFileSync } from 'node:fs';
import type { Page } from 'playwright-core';

const AXE = readFileSync('node_modules/axe-core/axe.min.js', 'utf8');

/** axe-core's serious and critical findings inside `include` (never the visitor's page a viewer shows). */
export async function axeProblems(page: Page, include: string[]): Promise<string[]> {
  if (!(await page.evaluate(() => 'axe' in window))) await page.addScriptTag({ content: AXE });
  return page.evaluate(async (include) => {
    const result = await (window as any).axe.run({ include: include.map((s) => [s]) }, { resultTypes: ['violations'] });
    return (result.violations as { id: string; impact: string; nodes: { target: string[] }[] }[])
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
  }, include);
}

/**
 * Every visible element `selector` matches: inside the window (`bottom`: its bottom edge too), no
 * button's text cut or wrapped, none over another (one inside another is fine); and at least
 * `min` of them, so that a screen that lost its controls does not pass.
 */
export async function layoutProblems(
  page: Page,
  selector: string,
  { min, bottom = false }: { min: number; bottom?: boolean },
): Promise<string[]> {
  return page.evaluate(
    ({ selector, min, bottom }) => {
      const problems: string[] = [];
      const vw = document.documentElement.clientWidth;
      const vh = document.documentElement.clientHeight;
      const boxes = [...document.querySelectorAll<HTMLElement>(selector)]
        .filter((el) => el.getClientRects().length > 0 && getComputedStyle(el).visibility !== 'hidden')
        .map((el) => ({
          name: `${el.tagName.toLowerCase()}${el.id ? `#${el.id}` : ''}.${el.className || ''}[${(el.getAttribute('aria-label') ?? el.textContent ?? '').trim().slice(0, 20)}]`,
          el,
          r: el.getBoundingClientRect(),
        }));
      for (const b of boxes) {
        if (b.r.left < -0.5 || b.r.right > vw + 0.5 || b.r.top < -0.5 || (bottom && b.r.bottom > vh + 0.5))
          problems.push(`${b.name} clipped: ${b.r.left}–${b.r.right} of ${vw}, ${b.r.top}–${b.r.bottom} of ${vh}`);
        if (b.el.localName === 'button' && b.el.scrollWidth > b.el.clientWidth + 1) problems.push(`${b.name} text cut`);
        if (b.el.localName === 'button' && b.r.height > 40) problems.push(`${b.name} wraps (${b.r.height}px high)`);
      }
      for (let i = 0; i < boxes.length; i++)
        for (let j = i + 1; j < boxes.length; j++) {
          const a = boxes[i]!;
          const b = boxes[j]!;
          if (a.el.contains(b.el) || b.el.contains(a.el)) continue;
          const w = Math.min(a.r.right, b.r.right) - Math.max(a.r.left, b.r.left);
          const h = Math.min(a.r.bottom, b.r.bottom) - Math.max(a.r.top, b.r.top);
          if (w > 0.5 && h > 0.5) problems.push(`${a.name} overlaps ${b.name}`);
        }
      if (boxes.length < min) problems.push(`only ${boxes.length} controls visible`);
      return problems;
    },
    { selector, min, bottom },
  );
}
