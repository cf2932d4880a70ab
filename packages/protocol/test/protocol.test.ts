import { describe, expect, it } from 'vitest';
import { FrameFlag, FrameType, encodeFrame, errors, framePayload, isJsonMessage, negotiateVersion, readFrameHeader } from '../src/index.js';
import { validateAgentMessage, validatePresenceMessage, validateVisitorMessage } from '../src/schema/index.js';

describe('DOM frames', () => {
  it('round-trips the header and leaves the payload untouched', () => {
    const payload = new TextEncoder().encode('[[1,{}]]');
    const bytes = encodeFrame({ type: FrameType.Dom, flags: FrameFlag.Keyframe | FrameFlag.Gzip, seq: 4_000_000_001 }, payload);
    expect(readFrameHeader(bytes)).toEqual({ type: FrameType.Dom, flags: 3, seq: 4_000_000_001 });
    expect(framePayload(bytes)).toEqual(payload);
    expect(isJsonMessage(bytes)).toBe(false);
  });

  it('keeps its byte layout (a change of format must be a visible decision)', () => {
    const bytes = encodeFrame({ type: FrameType.Dom, flags: FrameFlag.Keyframe, seq: 258 }, new Uint8Array([0x5b, 0x5d]));
    expect(Array.from(bytes)).toEqual([1, 1, 0, 0, 1, 2, 0x5b, 0x5d]);
  });

  it('refuses what is not a DOM frame', () => {
    expect(readFrameHeader(new Uint8Array([1, 0, 0]))).toBeNull();
    expect(readFrameHeader(new Uint8Array([2, 0, 0, 0, 0, 0]))).toBeNull();
    expect(readFrameHeader(new Uint8Array([1, 0x80, 0, 0, 0, 0]))).toBeNull();
    expect(readFrameHeader(new Uint8Array([1, 16, 0, 0, 0, 0]))).toBeNull();
    // Packed (8) is a known flag, alone or with deflate.
    expect(readFrameHeader(new Uint8Array([1, 8 | 4, 0, 0, 0, 0]))).toEqual({ type: 1, flags: 12, seq: 0 });
    // A payload is gzipped on its own or a piece of the stream's deflate context, never both.
    expect(readFrameHeader(new Uint8Array([1, FrameFlag.Gzip | FrameFlag.Deflate, 0, 0, 0, 0]))).toBeNull();
    expect(readFrameHeader(new Uint8Array([1, FrameFlag.Keyframe | FrameFlag.Deflate, 0, 0, 0, 7]))).toEqual({ type: 1, flags: 5, seq: 7 });
    expect(isJsonMessage(new TextEncoder().encode('{"t":"x"}'))).toBe(true);
  });
});

describe('control message validators', () => {
  const problem = (r: { ok: boolean; problem?: string }) => (r.ok ? null : r.problem);

  it('accept the messages of their channel', () => {
    expect(validateVisitorMessage({ t: 'hello', versions: [1] })).toEqual({ ok: true, msg: { t: 'hello', versions: [1] } });
    expect(problem(validateVisitorMessage({ t: 'end' }))).toBeNull();
    expect(problem(validateAgentMessage({ t: 'pointer', x: 10, y: 20.5 }))).toBeNull();
    expect(problem(validateAgentMessage({ t: 'leave', end: true }))).toBeNull();
    expect(problem(validateAgentMessage({ t: 'action', id: 1, a: { k: 'type', node: 5, text: 'hi' } }))).toBeNull();
  });

  it('say what is wrong with the rest', () => {
    expect(problem(validateVisitorMessage({ t: 'pointer', x: 1, y: 1 }))).toBe('unknown message type');
    expect(problem(validateVisitorMessage('end'))).toBe('expected an object');
    expect(problem(validateAgentMessage({ t: 'pointer', x: 'a', y: 1 }))).toMatch(/^x: /);
    expect(problem(validateAgentMessage({ t: 'pointer', x: Infinity, y: 1 }))).toMatch(/^x: /);
    expect(problem(validateAgentMessage({ t: 'pointer', x: 1, y: 1, z: 2 }))).toBe('unexpected field "z"');
    expect(problem(validateAgentMessage({ t: 'hello', versions: new Array(100).fill(1) }))).toMatch(/^versions: /);
    expect(problem(validateAgentMessage({ t: 'action', id: 1, a: { k: 'type', node: 5, text: '' } }))).not.toBeNull();
  });

  it('never take a name from Object.prototype for a message type, an action, or a field', () => {
    const names = Object.getOwnPropertyNames(Object.prototype);
    expect(names).toContain('__proto__');
    for (const validate of [validateVisitorMessage, validateAgentMessage, validatePresenceMessage]) {
      for (const name of names) {
        expect(problem(validate(JSON.parse(`{"t":${JSON.stringify(name)}}`)))).toBe('unknown message type');
        // As a key: JSON.parse makes an own property even of "__proto__".
        expect(problem(validate(JSON.parse(`{"t":"hello","versions":[1],${JSON.stringify(name)}:{}}`)))).not.toBeNull();
      }
    }
    for (const name of names) {
      expect(problem(validateAgentMessage({ t: 'action', id: 1, a: { k: name, node: 1 } }))).not.toBeNull();
      expect(problem(validateAgentMessage({ t: 'requestMode', mode: name }))).not.toBeNull();
      expect(problem(validateVisitorMessage(JSON.parse(`{"t":"identity","identity":{${JSON.stringify(name)}:"x"}}`)))).not.toBeNull();
    }
  });
});

describe('versions and errors', () => {
  it('negotiates the highest common version', () => {
    expect(negotiateVersion([1, 7])).toBe(1);
    expect(negotiateVersion([7])).toBeNull();
  });

  it('gives every error a status and a sentence', () => {
    for (const [code, e] of Object.entries(errors)) {
      expect(code).toMatch(/^TDM_[A-Z_]+$/);
      expect(e.status).toBeGreaterThanOrEqual(400);
      expect(e.message).toMatch(/^[A-Z].+\.$/);
    }
  });
});
