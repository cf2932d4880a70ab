/**
 * Rewrites the binary DOM frame fixtures (fixtures/frames/*.bin) from their
 * descriptions beside them (*.json: the header and the DomEvent[] it carries).
 * Not run by the tests, which read the committed bytes: run it by hand after
 * changing a description, or when the frame format changes on purpose, and
 * commit the result as the visible decision it is.
 *
 *   npx tsx packages/protocol/test/write-frames.ts [name…]   (default: every description)
 *
 * Gzip and deflate output depend on the zlib build, so only rewrite the frames
 * you mean to change: the conformance test never re-compresses, it checks that
 * the committed bytes decompress to the description. A deflate piece that is
 * not a keyframe is written after the frame its description names (`after`),
 * in that frame's context.
 */
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { constants, createDeflateRaw, gzipSync, type DeflateRaw } from 'node:zlib';
import { FrameFlag, encodeFrame, type DomEvent, type FrameHeader } from '../src/index.js';

const dir = new URL('./fixtures/frames/', import.meta.url);
const all = readdirSync(dir)
  .filter((f) => f.endsWith('.json'))
  .map((f) => f.slice(0, -'.json'.length));
const names = process.argv.length > 2 ? process.argv.slice(2) : all;

interface Description {
  header: FrameHeader;
  events: DomEvent[];
  /** A deflate piece that is not a keyframe continues the context of this frame's stream. */
  after?: string;
}

/** Each deflate frame's context as it stands after the frame, for the frames `after` it. */
const contexts = new Map<string, DeflateRaw>();

/** The next sync-flushed piece of `context`. */
async function piece(context: DeflateRaw, bytes: Uint8Array): Promise<Buffer> {
  const parts: Buffer[] = [];
  const take = (c: Buffer) => parts.push(c);
  context.on('data', take);
  context.write(bytes);
  await new Promise<void>((resolve) => context.flush(constants.Z_SYNC_FLUSH, () => resolve()));
  context.off('data', take);
  return Buffer.concat(parts);
}

const describe = (name: string) => JSON.parse(readFileSync(new URL(`${name}.json`, dir), 'utf8')) as Description;
// A frame after another is written after it (and its context), whatever the names' order.
const written = new Set<string>();
const order = (name: string): string[] => {
  const after = describe(name).after;
  return [...(after && !written.has(after) ? order(after) : []), name];
};

for (const name of names.flatMap(order)) {
  if (written.has(name)) continue;
  written.add(name);
  const { header, events, after } = describe(name);
  const json = new TextEncoder().encode(JSON.stringify(events));
  let payload: Uint8Array = json;
  if (header.flags & FrameFlag.Gzip) payload = gzipSync(json, { level: 9 });
  if (header.flags & FrameFlag.Deflate) {
    const context = header.flags & FrameFlag.Keyframe ? createDeflateRaw({ level: 9 }) : contexts.get(after ?? '');
    if (!context) throw new Error(`${name}: a deflate piece that is not a keyframe names the frame it comes after`);
    payload = await piece(context, json);
    contexts.set(name, context);
  }
  writeFileSync(new URL(`${name}.bin`, dir), encodeFrame(header, payload));
  console.log(`${name}.bin: ${payload.length} bytes of payload`);
}
