/**
 * `tandem start`, `tandem agent create`, `tandem key create`: all against the
 * same data directory (TANDEM_DATA_DIR, default ./data).
 */
import { Command } from 'commander';
import { createAgent, createApiKey, loadConfig, openSqliteStore, startServer } from '@tandem/server';

const program = new Command('tandem').description('Self-hosted co-browsing').showHelpAfterError();

program
  .command('start')
  .description('Start the server (one process: memory bus, SQLite file under TANDEM_DATA_DIR)')
  .option('-p, --port <port>', 'port to listen on (PORT, default 8080)')
  .action(async (opts: { port?: string }) => {
    const config = loadConfig();
    if (opts.port) config.port = Number(opts.port);
    const server = await startServer(config);
    const base = server.url;
    console.log(`Tandem is running.
  Agent console:  ${base}/console/
  Demo site:      ${base}/demo/
  REST API:       ${base}/api/v1/openapi.json
  Data:           ${config.dataDir}`);
    const stop = async (signal: string) => {
      console.log(`${signal}: shutting down`);
      await server.close();
      process.exit(0);
    };
    process.once('SIGINT', () => void stop('SIGINT'));
    process.once('SIGTERM', () => void stop('SIGTERM'));
  });

const agent = program.command('agent').description('Manage agents');
agent
  .command('create')
  .description('Create an agent who can sign in to the console')
  .requiredOption('--email <email>')
  .requiredOption('--password <password>')
  .option('--name <name>')
  .option('--admin', 'give the agent the admin role')
  .action(async (opts: { email: string; password: string; name?: string; admin?: boolean }) => {
    const store = await openSqliteStore(loadConfig().dataDir);
    try {
      const a = await createAgent(store, { ...opts, role: opts.admin ? 'admin' : 'agent' });
      console.log(`Created agent ${a.email} (${a.role}).`);
    } finally {
      await store.close();
    }
  });

const key = program.command('key').description('Manage API keys for the REST API');
key
  .command('create')
  .description('Create an API key and print it (shown only once)')
  .option('--name <name>', 'what the key is for', 'default')
  .action(async (opts: { name: string }) => {
    const store = await openSqliteStore(loadConfig().dataDir);
    try {
      console.log(await createApiKey(store, opts.name));
    } finally {
      await store.close();
    }
  });

program.parseAsync().catch((err: unknown) => {
  console.error(`tandem: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
