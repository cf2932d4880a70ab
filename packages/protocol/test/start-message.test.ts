import { describe, expect, it } from 'vitest';
import { limits, parseStartMessage, startMessage } from '../src/index.js';

describe('the start message', () => {
  it('is made from a code, and read back to the same code', () => {
    expect(startMessage('482913')).toBe('{start:482913}');
    expect(parseStartMessage(startMessage('482913'))).toBe('482913');
    expect(parseStartMessage('{start:000000}')).toBe('000000');
  });

  it('follows the configured code length (the default is the server’s)', () => {
    expect(limits.codeLength).toBe(6);
    expect(parseStartMessage('{start:123456789}', 9)).toBe('123456789');
    expect(parseStartMessage('{start:123456789}')).toBeNull();
    expect(parseStartMessage('{start:123456}', 9)).toBeNull();
    expect(parseStartMessage('{start:1234}', 4)).toBe('1234');
  });

  it('accepts exactly ^\\{start:\\d{N}\\}$: nothing before, after or inside', () => {
    for (const text of [
      '',
      '{start:}',
      '{start:12345}',
      '{start:1234567}',
      ' {start:123456}',
      '{start:123456} ',
      '{start:123456}\n',
      '\n{start:123456}',
      '{start: 123456}',
      '{start :123456}',
      '{ start:123456}',
      '{start:123 456}',
      '{start:123-456}',
      '{Start:123456}',
      '{START:123456}',
      '[start:123456]',
      '{start:123456',
      'start:123456}',
      '{start:12345a}',
      '{start:abcdef}',
      '{start:+12345}',
      '{start:-12345}',
      '{start:1e5000}',
      'please {start:123456}',
      '{start:123456} thanks',
      '{start:123456}{start:123456}',
      // Digits of other scripts: Arabic-Indic, Devanagari, full-width, and mathematical bold.
      '{start:١٢٣٤٥٦}',
      '{start:१२३४५६}',
      '{start:１２３４５６}',
      '{start:𝟏𝟐𝟑𝟒𝟓𝟔}',
      // Look-alikes around the digits: a zero-width space, a non-breaking space, a full-width brace.
      '{start:123456\u200b}',
      '{start:\u00a0123456}',
      '｛start:123456｝',
    ]) {
      expect(parseStartMessage(text), JSON.stringify(text)).toBeNull();
    }
  });

  it('refuses what is not a string, and lengths that are not lengths', () => {
    expect(parseStartMessage(123456 as unknown as string)).toBeNull();
    expect(parseStartMessage(null as unknown as string)).toBeNull();
    expect(parseStartMessage('{start:}', 0)).toBeNull();
    expect(parseStartMessage('{start:1}', 1.5)).toBeNull();
    expect(parseStartMessage('{start:1}', -1)).toBeNull();
  });
});
