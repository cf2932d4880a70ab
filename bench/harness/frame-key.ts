/**
 * A DOM frame's place in its visitor's stream, read from the frame header (PROTOCOL.md): how many keyframes the
 * stream had up to it, and its sequence number. The visitor and the agent harness each note it for every binary
 * message, so the bench pairs what was sent with what arrived frame by frame, even where the server skipped frames
 * for an agent that fell behind. Undefined for anything that is not a DOM frame.
 */
import { FrameFlag, readFrameHeader } from '@tandem/protocol';

export function frameKeyer(): (data: unknown) => string | undefined {
  let keyframes = 0;
  return (data) => {
    const bytes =
      data instanceof ArrayBuffer
        ? new Uint8Array(data)
        : ArrayBuffer.isView(data)
          ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
          : null;
    const header = bytes && readFrameHeader(bytes);
    if (!header) return undefined;
    if (header.flags & FrameFlag.Keyframe) keyframes++;
    return `${keyframes}:${header.seq}`;
  };
}
