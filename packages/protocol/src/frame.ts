/**
 * Binary DOM frames: what a visitor sends and agents receive, forwarded by the
 * server without decoding the payload.
 *
 *   byte 0     frame type (FrameType.Dom)
 *   byte 1     flags (FrameFlag bits)
 *   bytes 2-5  sequence number, uint32 big-endian, per visitor stream
 *   bytes 6-   payload: UTF-8 JSON of DomEvent[] (in dom-pack.ts's packed form when
 *              FrameFlag.Packed), gzip when FrameFlag.Gzip, the next piece of the
 *              stream's deflate context when FrameFlag.Deflate
 *
 * A stream starts with a keyframe (a full snapshot) at sequence 0 and counts up
 * by one. A receiver that sees a gap drops frames until the next keyframe and
 * asks for one. JSON control messages are text frames and always begin with
 * "{" (0x7b), which no frame type uses, so one byte tells the two apart.
 */
export const FrameType = { Dom: 1 } as const;

export const FrameFlag = {
  /** The payload starts with a full snapshot; the stream restarts here. */
  Keyframe: 1,
  /** The payload is gzip-compressed, on its own. */
  Gzip: 2,
  /**
   * The payload is the next piece of the stream's one raw-deflate context (RFC 1951), ending in a
   * sync flush (00 00 FF FF), so it inflates completely given the pieces before it. The context
   * starts empty at each keyframe (and at the stream's start) and only Deflate pieces pass through
   * it, in sequence order. Never together with Gzip.
   */
  Deflate: 4,
  /**
   * The JSON is in the packed form of dom-pack.ts: repeated tag names and attribute names and values as
   * indexes into the stream's string table, which starts empty at each keyframe. The compression worker
   * sends it (with Deflate); the main-thread fallback, and the small changes the SDK sends as they are on a busy page, do not.
   */
  Packed: 8,
} as const;

export const FRAME_HEADER_BYTES = 6;
const JSON_FIRST_BYTE = 0x7b;

export interface FrameHeader {
  type: number;
  flags: number;
  seq: number;
}

export function encodeFrame(header: FrameHeader, payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(FRAME_HEADER_BYTES + payload.length);
  out[0] = header.type;
  out[1] = header.flags;
  new DataView(out.buffer).setUint32(2, header.seq >>> 0);
  out.set(payload, FRAME_HEADER_BYTES);
  return out;
}

/** Reads the header only; returns null when the bytes are not a DOM frame. */
export function readFrameHeader(bytes: Uint8Array): FrameHeader | null {
  if (bytes.length < FRAME_HEADER_BYTES || bytes[0] !== FrameType.Dom) return null;
  const flags = bytes[1]!;
  // A flag not known here: the payload cannot be read. (Written out here rather than as a constant: a constant
  // computed from FrameFlag would stay in the visitor's session bundle, which only writes frames.)
  if (flags & ~(FrameFlag.Keyframe | FrameFlag.Gzip | FrameFlag.Deflate | FrameFlag.Packed)) return null;
  if (flags & FrameFlag.Gzip && flags & FrameFlag.Deflate) return null;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return { type: bytes[0], flags, seq: view.getUint32(2) };
}

export function framePayload(bytes: Uint8Array): Uint8Array {
  return bytes.subarray(FRAME_HEADER_BYTES);
}

/** True when a message on the bus or a socket is a JSON control message. */
export function isJsonMessage(bytes: Uint8Array): boolean {
  return bytes[0] === JSON_FIRST_BYTE;
}

/** The pieces of a payload (deflate or inflate output, in chunks) as one array. */
export function concatBytes(parts: readonly Uint8Array[]): Uint8Array<ArrayBuffer> {
  let length = 0;
  for (const p of parts) length += p.length;
  const out = new Uint8Array(length);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
