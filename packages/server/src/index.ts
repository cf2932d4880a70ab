export { startServer, type TandemServer, type StartOptions } from './app.js';
export { loadConfig, type ServerConfig } from './config.js';
export { openSqliteStore } from './store/sqlite.js';
export type { Store } from './store/store.js';
export { changeAgent, createAgent } from './auth/agents.js';
export { createSite, ensureSites } from './sites.js';
export { createApiKey, type ApiKeyScope } from './auth/api-keys.js';
export { verifyAuditChain } from './audit/trail.js';
