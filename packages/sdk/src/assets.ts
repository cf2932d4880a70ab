import { fileURLToPath } from 'node:url';

/** Built bundles: tandem.js (the loader), tandem-session.js (loaded when a session starts) and tandem-compress.js (its worker). */
export const sdkDistDir = fileURLToPath(new URL('../dist/', import.meta.url));
