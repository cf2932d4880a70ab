import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, startServer, type TandemServer } from '@tandem/server';

export const ADMIN = { email: 'agent@example.test', password: 'correct horse battery', name: 'Admin' };

export interface TestServer extends TandemServer {
  dataDir: string;
  stop(): Promise<void>;
}

/** A real server on a free port of 127.0.0.1, with its own data directory. */
export async function startTestServer(env: Record<string, string> = {}): Promise<TestServer> {
  const dataDir = mkdtempSync(join(tmpdir(), 'tandem-test-'));
  const config = loadConfig({
    PORT: '0',
    HOST: '127.0.0.1',
    TANDEM_DATA_DIR: dataDir,
    TANDEM_ADMIN_EMAIL: ADMIN.email,
    TANDEM_ADMIN_PASSWORD: ADMIN.password,
    TANDEM_LOG_LEVEL: 'warn',
    ...env,
  });
  const server = await startServer(config, { print: () => {}, logger: false });
  return {
    ...server,
    dataDir,
    async stop() {
      await server.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
