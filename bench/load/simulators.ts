/** The coordinator's side of the simulator processes: fork them, talk to them, wait for them with a limit. */
import { fork, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import type { FromSimulator, ToSimulator } from './messages.js';
import { within } from './report.js';

export interface SimulatorHandle {
  child: ChildProcess;
  send(msg: ToSimulator): void;
  /** The next message of kind `t` from this simulator; a `fatal` or an exit rejects it. */
  next<T extends FromSimulator['t']>(t: T, timeoutMs: number): Promise<Extract<FromSimulator, { t: T }>>;
  kill(): void;
}

export function forkSimulator(root: string, index: number): SimulatorHandle {
  const child = fork(join(root, 'bench/load/simulator.ts'), [], {
    cwd: root,
    execArgv: ['--import', 'tsx'],
    // Its stdout goes to our stderr: the bench's stdout holds the tables only.
    stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
  });
  child.stdout!.pipe(process.stderr);
  const inbox: FromSimulator[] = [];
  let waiters: { t: string; resolve: (m: FromSimulator) => void; reject: (e: Error) => void }[] = [];
  let failure: Error | null = null;
  const fail = (e: Error) => {
    failure ??= e;
    for (const w of waiters) w.reject(e);
    waiters = [];
  };
  child.on('message', (m: FromSimulator) => {
    if (m.t === 'fatal') return fail(new Error(`simulator ${index}: ${m.error}`));
    const w = waiters.find((x) => x.t === m.t);
    if (w) {
      waiters = waiters.filter((x) => x !== w);
      w.resolve(m);
    } else inbox.push(m);
  });
  child.on('exit', (code, signal) => fail(new Error(`simulator ${index} exited (${code ?? signal})`)));
  return {
    child,
    send: (msg) => child.connected && child.send(msg),
    next<T extends FromSimulator['t']>(t: T, timeoutMs: number) {
      const i = inbox.findIndex((m) => m.t === t);
      if (i >= 0) return Promise.resolve(inbox.splice(i, 1)[0] as Extract<FromSimulator, { t: T }>);
      if (failure) return Promise.reject(failure);
      return within(
        timeoutMs,
        `simulator ${index}: ${t}`,
        new Promise<Extract<FromSimulator, { t: T }>>((resolve, reject) =>
          waiters.push({ t, resolve: resolve as (m: FromSimulator) => void, reject }),
        ),
      );
    },
    kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
  };
}
