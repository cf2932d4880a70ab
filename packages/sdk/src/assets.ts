import { fileURLToPath } from 'node:url';

/** Built bundles: tandem.js (the loader) and tandem-session.js (loaded when a session starts). */
export const sdkDistDir = fileURLToPath(new URL('../dist/', import.meta.url));
