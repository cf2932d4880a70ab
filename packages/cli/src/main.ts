/**
 * `tandem start`, `tandem agent create|disable`, `tandem key create`, `tandem
 * site create`, `tandem audit verify`, `tandem secret replace`: all against the
 * same store (DATABASE_URL, else the data directory TANDEM_DATA_DIR, default ./data).
 */
import { Command } from 'commander';
import {
  changeAgent,
  createAgent,
  createApiKey,
  createSite,
  ensureSites,
  forgetSecretFingerprint,
  loadConfig,
  openStore,
  startServer,
  verifyAuditChain,
  type Store,
} from '@tandem/server';

/** Runs a command against the configured store (DATABASE_URL, else the data directory's), closing it after. */
async function withStore<T>(run: (store: Store) => Promise<T>): Promise<T> {
  const config = loadConfig();
  const store = await openStore(config);
  try {
    // As a start would (under its lock): a key or site made before the first start sees the configured sites.
    await store.exclusively(() => ensureSites(store, config.siteKeys));
    return await run(store);
  } finally {
    await store.close();
  }
}

const program = new Command('tandem').description('Self-hosted co-browsing').showHelpAfterError();

program
  .command('start')
  .description(
    'Start a node: by default one process with a memory bus and the SQLite file under TANDEM_DATA_DIR; a cluster node with REDIS_URL and DATABASE_URL',
  )
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
  Data:           ${config.databaseUrl ? 'PostgreSQL (DATABASE_URL)' : config.dataDir}
  Live state:     ${config.redisUrl ? 'Redis (REDIS_URL): any node of the cluster serves any client' : 'in this process'}`);
    // Nodes that share a database but not Redis do not see each other's live sessions: each would end the others'.
    if (config.databaseUrl && !config.redisUrl)
      console.log('  DATABASE_URL without REDIS_URL: run one node only this way; a cluster needs REDIS_URL too.');
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
    const store = await openStore(loadConfig());
    try {
      const a = await createAgent(store, { ...opts, role: opts.admin ? 'admin' : 'agent' });
      console.log(`Created agent ${a.email} (${a.role}).`);
    } finally {
      await store.close();
    }
  });

agent
  .command('disable')
  .description('Disable an agent: signed out at once, and cannot sign in again')
  .requiredOption('--email <email>')
  .action((opts: { email: string }) =>
    withStore(async (store) => {
      const found = await store.findAgentByEmail(opts.email.trim().toLowerCase());
      if (!found) throw new Error(`No agent has the email ${opts.email}.`);
      // The running server refuses the agent's requests at once; its open sockets last until they reconnect.
      await changeAgent(store, found.id, { disabled: true });
      console.log(`Disabled agent ${found.email}.`);
    }),
  );

const key = program.command('key').description('Manage API keys for the REST API');
key
  .command('create')
  .description('Create an API key for one site (or, with --admin, for every site) and print it (shown only once)')
  .option('--name <name>', 'what the key is for', 'default')
  .option('--site <key>', 'the site the key belongs to')
  .option('--admin', 'a key for every site, and for adding sites and agents')
  .action((opts: { name: string; site?: string; admin?: boolean }) =>
    withStore(async (store) => {
      if (!opts.site === !opts.admin) throw new Error('Give either --site <key> or --admin.');
      console.log(await createApiKey(store, opts.name, opts.site ? { siteKey: opts.site } : { admin: true }));
    }),
  );

const site = program.command('site').description('Manage the sites the SDK may use');
site
  .command('create')
  .description('Add a site; its pages may start sessions with its key')
  .requiredOption('--key <key>', 'the site key pages pass to init')
  .option('--name <name>')
  .action((opts: { key: string; name?: string }) =>
    withStore(async (store) => {
      const created = await createSite(store, opts.key, opts.name);
      console.log(`Created site ${created.key} (${created.name}).`);
    }),
  );

const audit = program.command('audit').description('The audit trail of what agents did');
audit
  .command('verify')
  .description('Check the hash chain of every session’s audit trail (or one); exits non-zero naming each entry changed, deleted or moved')
  .option('--session <id>', 'only this session')
  .action(async (opts: { session?: string }) => {
    const store = await openStore(loadConfig());
    try {
      const ids = opts.session ? [opts.session] : await store.auditSessionIds();
      let entries = 0;
      const broken: string[] = [];
      for (const id of ids) {
        const check = await verifyAuditChain(store, id);
        if (!check.ok) broken.push(`session ${id}: ${check.problem}.`);
        else if (check.entries === 0) broken.push(`session ${id}: no audit entries (an unknown session, or its whole trail was deleted).`);
        else entries += check.entries;
      }
      if (broken.length > 0) {
        for (const line of broken) console.error(`tandem: audit FAILED for ${line}`);
        console.error(`tandem: ${broken.length} of ${ids.length} audit chain(s) do not verify.`);
        process.exitCode = 1;
        return;
      }
      console.log(`Verified ${ids.length} audit chain(s), ${entries} entries: none was changed, deleted or moved.`);
    } finally {
      await store.close();
    }
  });

const secret = program.command('secret').description('The server secret (TANDEM_SECRET or <data dir>/secret.key)');
secret
  .command('replace')
  .description('Let the next start record a new server secret: stop every node first, then start them all with the new one')
  .action(() =>
    withStore(async (store) => {
      const had = await forgetSecretFingerprint(store);
      console.log(
        had
          ? 'The store forgot its server secret: the next node to start records its own, and every other node must have that one.'
          : 'The store had recorded no server secret yet: the next start records one.',
      );
    }),
  );

program.parseAsync().catch((err: unknown) => {
  console.error(`tandem: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
