import { gunzipSync } from 'node:zlib';
import { FrameFlag, framePayload, readFrameHeader } from '@tandem/protocol';

/** The text a recorded WebSocket frame carries, DOM frames decompressed. */
export function frameText(payload: string | Buffer): string {
  if (typeof payload === 'string') return payload;
  const bytes = new Uint8Array(payload);
  const header = readFrameHeader(bytes);
  if (!header) return payload.toString('utf8');
  const body = Buffer.from(framePayload(bytes));
  return (header.flags & FrameFlag.Gzip ? gunzipSync(body) : body).toString('utf8');
}
