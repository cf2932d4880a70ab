/**
 * The stylesheets' hover and focus pseudo-classes, as the mirror rewrites them (state-css.ts). What the rewritten
 * rules match, and that they stay valid, is shown in Chromium by the fidelity corpus (hover-focus.html); here, the
 * text: what is rewritten and what is left alone.
 */
import { describe, expect, it } from 'vitest';
import { sheetCss, stateCss } from '../src/rebuild/state-css.js';

describe('stateCss', () => {
  it('says each state as its attribute, also inside :not(), :is(), :has() and :host()', () => {
    expect(stateCss('a:hover > .sub { display: block; }')).toBe('a[data-tandem-hover] > .sub { display: block; }');
    expect(stateCss('input:focus, form:focus-within, button:focus-visible { x: y }')).toBe(
      'input[data-tandem-focus], form[data-tandem-focus-within], button[data-tandem-focus-visible] { x: y }',
    );
    expect(stateCss(':host(:hover) { } li:not(:HOVER) { } :is(a:Focus) { } label:has(+ input:focus) { }')).toBe(
      ':host([data-tandem-hover]) { } li:not([data-tandem-hover]) { } :is(a[data-tandem-focus]) { } label:has(+ input[data-tandem-focus]) { }',
    );
    expect(stateCss('@media (min-width: 600px) { .menu li:hover .sub { display: flex; } }')).toBe(
      '@media (min-width: 600px) { .menu li[data-tandem-hover] .sub { display: flex; } }',
    );
  });

  it('leaves strings, longer names, pseudo-elements and the hover media feature alone', () => {
    const kept = [
      '.q::after { content: "say a:hover or b:focus"; }',
      ".q::before { content: 'a:focus-within \\' b:hover'; }",
      // A state after a pseudo-element: an attribute selector there is invalid and would drop the whole rule.
      '.keep, .keep::-webkit-scrollbar-thumb:hover { color: green; }',
      'x-card::part(label):hover { color: red; }',
      '::-webkit-scrollbar-thumb:vertical:hover { } ::-webkit-scrollbar-button:horizontal:decrement:hover { }',
      'x-a::part(a):focus-visible:hover { } x-a::part(a):hover:not(:focus) { }',
      '@media (hover:hover) { a { color: red; } } @media (any-hover: hover) { b { x: y; } }',
      '.x:hover-card, .y:focused { }',
      '.plain { color: red; }',
    ];
    for (const css of kept) expect(stateCss(css)).toBe(css);
    // An escaped colon is part of a name (Tailwind's variants): only the real state after it is rewritten.
    expect(stateCss('.md\\:hover\\:bg-blue-500:hover, .ok { }')).toBe('.md\\:hover\\:bg-blue-500[data-tandem-hover], .ok { }');
    expect(stateCss('.\\[\\&\\:hover\\]\\:underline:hover { }')).toBe('.\\[\\&\\:hover\\]\\:underline[data-tandem-hover] { }');
    // Inside ::slotted() the compound is the slotted element's: rewritten.
    expect(stateCss('::slotted(button:hover) { }')).toBe('::slotted(button[data-tandem-hover]) { }');
    // A comment is left as it is, and an apostrophe in it opens no string (a sheet read from its text keeps them).
    expect(stateCss("/* don't :hover */ a:hover { } /* it's */ b:focus { }")).toBe(
      "/* don't :hover */ a[data-tandem-hover] { } /* it's */ b[data-tandem-focus] { }",
    );
    // A string does not hide what follows it.
    expect(stateCss('a[title="x:hover"]:hover { }')).toBe('a[title="x:hover"][data-tandem-hover] { }');
  });

  it('ends a string at its line, as the browser does: the rules after an unclosed one are rewritten', () => {
    expect(stateCss('.q::after { content: "open\n}\na:hover { color: red }\nb::after { content: "x" }')).toBe(
      '.q::after { content: "open\n}\na[data-tandem-hover] { color: red }\nb::after { content: "x" }',
    );
  });

  it('reads back at most twice the sheet: a hostile sheet of states deep in one compound costs milliseconds, not seconds', () => {
    // Each state here sits 20,000 pseudo-classes after a pseudo-element: read back in full, 160 KB held the page for 25 s.
    const hostile = '::x' + ':a'.repeat(20_000) + ':hover'.repeat(20_000);
    const t = performance.now();
    const out = stateCss(hostile);
    // A generous bound for a loaded machine: it takes about 20 ms.
    expect(performance.now() - t).toBeLessThan(2_000);
    expect(out.length).toBeGreaterThanOrEqual(hostile.length);
  });

  it('is applied after the sanitizing rules, which still hold', () => {
    expect(sheetCss('a:hover { background: url(javascript:evil) }')).toBe('a[data-tandem-hover] { background: none }');
  });
});
