/**
 * Tandem nodes as separate processes (`tandem start`), which a test can kill (SIGKILL: no chance to say
 * anything) or stop (SIGTERM: it drains), and start again on the same port.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';

const BIN = 'packages/cli/bin/tandem.js';

export interface NodeProcess {
  url: string;
  port: number;
  proc: ChildProcess;
  /** What it printed. */
  output(): string;
  /** Sends the signal and waits until the process has exited; its exit code (null when killed). */
  stop(signal: NodeJS.Signals): Promise<number | null>;
}

/** A port free on 127.0.0.1 now. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return typeof address === 'object' && address ? address.port : 0;
}

/** Starts `tandem start` with this environment (serverEnv's) and waits until it serves. */
export async function startNodeProcess(env: Record<string, string>): Promise<NodeProcess> {
  const proc = spawn(process.execPath, [BIN, 'start'], { env: { ...process.env, ...env } });
  let out = '';
  proc.stdout.on('data', (d) => (out += d));
  proc.stderr.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  // A plain wait (this runs in beforeAll too, where expect.poll cannot).
  const deadline = Date.now() + 60_000;
  for (;;) {
    const url = /Agent console:\s+(http:\/\/[^/\s]+)/.exec(out)?.[1];
    if (url) {
      return {
        url,
        port: Number(new URL(url).port),
        proc,
        output: () => out,
        async stop(signal) {
          if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
          return exited;
        },
      };
    }
    if (proc.exitCode !== null || Date.now() > deadline) {
      proc.kill('SIGKILL');
      throw new Error(`tandem start did not come up:\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}
