import { fileURLToPath } from 'node:url';

/** Absolute path of the demo site's static files, served by the server at /demo/. */
export const demoDir = fileURLToPath(new URL('../public/', import.meta.url));
