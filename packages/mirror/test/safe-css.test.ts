/**
 * The rebuild's CSS neutralizer (sanitize.ts, safeCss): what it replaces, and that the CSS around it keeps its
 * meaning. That nothing of a hostile page runs on the agent is shown in Chromium by the hostile corpus
 * (test/mirror/hostile.test.ts); here, the text.
 */
import { describe, expect, it } from 'vitest';
import { safeCss } from '../src/rebuild/sanitize.js';

describe('safeCss', () => {
  it('replaces a script url() whole, quoted or not, with the parentheses and quotes inside it', () => {
    expect(safeCss('a { background: url(javascript:evil) }')).toBe('a { background: none }');
    expect(safeCss(`a { background: url( "javascript:alert('x()')" ) red }`)).toBe('a { background: none red }');
    expect(safeCss(`a { background: url('VBScript:msgbox("a)")') }`)).toBe('a { background: none }');
    expect(safeCss(`a { background: url("javascript:a\\")b") }`)).toBe('a { background: none }');
    // Unquoted, a "(" makes it a bad url that ends at the first ")": the rest stays as the visitor's browser read it.
    expect(safeCss('a { background: url(javascript:alert(1)) }')).toBe('a { background: none) }');
  });

  it('loads nothing in its place, not even through an @import', () => {
    expect(safeCss('@import url("javascript:alert(1)"); @import "ok.css"; .a { color: red }')).toBe(
      '@import none; @import "ok.css"; .a { color: red }',
    );
  });

  it('leaves the rules after it in a minified sheet as they were', () => {
    const sheet = `.a{background:url("javascript:x()");color:red}.b{color:blue}.c{background:url(/ok.png)}`;
    expect(safeCss(sheet)).toBe('.a{background:none;color:red}.b{color:blue}.c{background:url(/ok.png)}');
  });

  it('leaves other urls, and text that only names a scheme, alone', () => {
    const css = `.a{background:url("/img/javascript.png")}.b::after{content:"javascript: ok"}`;
    expect(safeCss(css)).toBe(css);
  });

  it('disarms expression(), behavior and -moz-binding', () => {
    expect(safeCss('a { width: expression(alert(1)); behavior: url(x.htc); -moz-binding: url(x.xml#b) }')).toBe(
      'a { width: invalid(alert(1)); invalid: url(x.htc); invalid: url(x.xml#b) }',
    );
  });

  it('takes linear time on a hostile sheet', () => {
    const sheet = `a{b:url("javascript:${'\\'.repeat(200_000)}`;
    const t = performance.now();
    safeCss(sheet + '(' + ')'.repeat(100_000));
    expect(performance.now() - t).toBeLessThan(1000);
  });
});
