/**
 * Size budgets and bundle boundaries, checked on the built files (sizes are
 * deterministic, so this is a test, not a benchmark).
 */
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';

const gz = (file: string) => gzipSync(readFileSync(file), { level: 9 }).length;
const LOADER = 'packages/sdk/dist/tandem.js';
const SESSION = 'packages/sdk/dist/tandem-session.js';
const COMPRESS = 'packages/sdk/dist/tandem-compress.js';

describe('visitor bundles', () => {
  it('the loader stays within 3 KB gzipped', () => {
    const size = gz(LOADER);
    console.log(`loader: ${size} B gzipped`);
    expect(size).toBeLessThanOrEqual(3 * 1024);
  });

  it('the capture bundle stays within 25 KB gzipped', () => {
    const size = gz(SESSION);
    console.log(`capture (session) bundle: ${size} B gzipped`);
    expect(size).toBeLessThanOrEqual(25 * 1024);
  });

  it('the compression worker stays within 6 KB gzipped; fflate lives there, not in the session bundle', () => {
    const size = gz(COMPRESS);
    console.log(`compression worker: ${size} B gzipped`);
    expect(size).toBeLessThanOrEqual(6 * 1024);
    // fflate's table of error messages marks it.
    expect(readFileSync(COMPRESS, 'utf8')).toContain('invalid block type');
    expect(readFileSync(COMPRESS, 'utf8')).not.toContain('MutationObserver');
    expect(readFileSync(SESSION, 'utf8')).not.toContain('invalid block type');
  });

  it('the loader carries no capture code, and the capture bundle no rebuild, viewer or server code', () => {
    const loader = readFileSync(LOADER, 'utf8');
    expect(loader).not.toContain('MutationObserver');
    const session = readFileSync(SESSION, 'utf8');
    expect(session).toContain('MutationObserver');
    // Markers of the rebuild (its sandbox check), the viewer and the server.
    expect(session).not.toContain('allow-scripts');
    expect(session).not.toContain('tandem-overlay');
    expect(session).not.toContain('fastify');
  });
});
