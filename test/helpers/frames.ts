import { gunzipSync } from 'node:zlib';
import { FrameFlag, Unpacker, framePayload, readFrameHeader } from '@tandem/protocol';
import { StreamInflate } from '../../packages/viewer/src/inflate.js';

/** What a Deflate piece reads as when its context is unknown (a socket that joined the stream after its keyframe). */
export const UNREADABLE = '(a deflate piece without its context)';

/**
 * Reads one socket's frames, in the order it sent or received them, to text: DOM frames decompressed.
 * Deflate pieces need the pieces before them since their keyframe (FrameFlag.Deflate), as in the viewer,
 * so each socket direction needs a reader of its own. Packed frames (FrameFlag.Packed) are unpacked with the
 * stream's string table, as in the viewer, so a text that travels as an index reads as itself; the wire carries
 * no string the unpacked text lacks.
 */
export function frameReader(): (payload: string | Buffer) => string {
  let inflate: StreamInflate | null = new StreamInflate();
  let unpacker = new Unpacker();
  const unpack = (text: string) => {
    try {
      return JSON.stringify(unpacker.unpack(JSON.parse(text)));
    } catch {
      return text;
    }
  };
  return (payload) => {
    if (typeof payload === 'string') return payload;
    const bytes = new Uint8Array(payload);
    const header = readFrameHeader(bytes);
    if (!header) return payload.toString('utf8');
    const body = Buffer.from(framePayload(bytes));
    if (header.flags & FrameFlag.Keyframe) {
      inflate = new StreamInflate();
      unpacker = new Unpacker();
    }
    if (header.flags & FrameFlag.Gzip) return gunzipSync(body).toString('utf8');
    if (!(header.flags & FrameFlag.Deflate)) return body.toString('utf8');
    let text: string;
    try {
      if (!inflate) return UNREADABLE;
      text = Buffer.from(inflate.piece(body)).toString('utf8');
    } catch {
      inflate = null;
      return UNREADABLE;
    }
    return header.flags & FrameFlag.Packed ? unpack(text) : text;
  };
}

/** Every frame of one socket direction, read in order. */
export function frameTexts(payloads: readonly (string | Buffer)[]): string[] {
  const read = frameReader();
  return payloads.map((p) => read(p));
}
