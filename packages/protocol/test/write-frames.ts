/**
 * Rewrites the binary DOM frame fixtures (fixtures/frames/*.bin) from their
 * descriptions beside them (*.json: the header and the DomEvent[] it carries).
 * Not run by the tests, which read the committed bytes: run it by hand after
 * changing a description, or when the frame format changes on purpose, and
 * commit the result as the visible decision it is.
 *
 *   npx tsx packages/protocol/test/write-frames.ts [name…]   (default: every description)
 *
 * Gzip output depends on the zlib build, so only rewrite the frames you mean to
 * change: the conformance test never re-compresses, it checks that the committed
 * bytes decompress to the description.
 */
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { FrameFlag, encodeFrame, type DomEvent, type FrameHeader } from '../src/index.js';

const dir = new URL('./fixtures/frames/', import.meta.url);
const all = readdirSync(dir)
  .filter((f) => f.endsWith('.json'))
  .map((f) => f.slice(0, -'.json'.length));
const names = process.argv.length > 2 ? process.argv.slice(2) : all;

for (const name of names) {
  const { header, events } = JSON.parse(readFileSync(new URL(`${name}.json`, dir), 'utf8')) as { header: FrameHeader; events: DomEvent[] };
  const json = new TextEncoder().encode(JSON.stringify(events));
  const payload = header.flags & FrameFlag.Gzip ? gzipSync(json, { level: 9 }) : json;
  writeFileSync(new URL(`${name}.bin`, dir), encodeFrame(header, payload));
  console.log(`${name}.bin: ${payload.length} bytes of payload`);
}
