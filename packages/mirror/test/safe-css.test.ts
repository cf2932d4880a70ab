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

  it('keeps comments and strings as they are: an unclosed quote in them swallows nothing', () => {
    const comment = `/* never url("javascript:x) here */.a{color:red}.b{background:url("x.png")}.c{color:blue}`;
    expect(safeCss(comment)).toBe(comment);
    const string = `.a::before{content:"url('javascript:"}.b{color:red}.c::after{content:'it'}`;
    expect(safeCss(string)).toBe(string);
    // A string ends at a line's end: what follows is a rule, and its url is one.
    expect(safeCss('.a{content:"open\n}.b{background:url(javascript:x)}')).toBe('.a{content:"open\n}.b{background:none}');
    // A quote in an unquoted url opens no string (the browser reads a bad url to its ")").
    expect(safeCss('.x{background:url(a"b)} .y{background:url(javascript:evil)} .z{content:"c"}')).toBe(
      '.x{background:url(a"b)} .y{background:none} .z{content:"c"}',
    );
    // A quoted url ends at a line's end too, and an unquoted one at its first unescaped ")".
    expect(safeCss('.a{background:url("javascript:x\n}\n.b{color:red}')).toBe('.a{background:none}\n.b{color:red}');
    expect(safeCss('.a{background:url(javascript:a\\)b)}.b{color:red}')).toBe('.a{background:none}.b{color:red}');
    expect(safeCss('.a{background:url(LiveScript:x)}')).toBe('.a{background:none}');
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
    // Comments, strings and urls by the hundred thousand: each is read once.
    safeCss(`url(javascript:x) ${'/*'.repeat(100_000)} ${'"'.repeat(200_000)} ${'url('.repeat(100_000)}`);
    expect(performance.now() - t).toBeLessThan(2000);
  });
});
