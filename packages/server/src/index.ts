export { startServer, type TandemServer, type StartOptions } from './app.js';
export { loadConfig, type ServerConfig } from './config.js';
export { openSqliteStore } from './store/sqlite.js';
export type { Store } from './store/store.js';
export { createAgent } from './auth/agents.js';
export { createApiKey } from './auth/api-keys.js';
