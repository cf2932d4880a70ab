import { fileURLToPath } from 'node:url';

/** The console's page and its built bundle, served at /console/. */
export const consoleDirs = [fileURLToPath(new URL('../public/', import.meta.url)), fileURLToPath(new URL('../dist/', import.meta.url))];
