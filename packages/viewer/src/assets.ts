import { fileURLToPath } from 'node:url';

/** The standalone watch page and its bundle, served at /watch. */
export const watchDirs = [fileURLToPath(new URL('../public/', import.meta.url)), fileURLToPath(new URL('../dist/', import.meta.url))];
