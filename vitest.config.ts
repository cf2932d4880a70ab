import { defineConfig } from 'vitest/config';
import LongestFirst from './test/helpers/sequencer.js';

export default defineConfig({
  test: {
    include: ['packages/*/test/**/*.test.ts', 'test/**/*.test.ts'],
    globalSetup: ['test/helpers/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // expect.poll's own default is one second. An agent's action crosses two browsers, two
    // server nodes and Redis; on this 2-core machine with both workers busy that took longer
    // in CI (modes, two nodes: the Vue form was still at 'Late arrival' when the second ran out).
    // A poll only waits as long as it must, so a longer bound costs passing tests nothing.
    expect: { poll: { timeout: 10_000 } },
    // Every message the server sends is checked against the protocol's schemas while tests run.
    env: { TANDEM_CHECK_OUTBOUND: '1' },
    // Two cores: browser tests get one each.
    maxWorkers: 2,
    // A worker runs its files one after another in one process, importing the server's modules
    // once, not once per file (about two seconds each). No test changes the environment, stubs
    // a module or keeps state in one; each file starts its own servers and browser.
    isolate: false,
    // Tests marked concurrent (the mirror corpora's pages) run five at a time within their file.
    // Ten made the hostile corpus alone faster still (76 s against 95 s, loaded machine), but takes
    // CPU from the timing-sensitive file (crash, network) the other worker runs meanwhile.
    maxConcurrency: 5,
    // The longest files start first, so that both workers are busy until the end.
    sequence: { sequencer: LongestFirst },
  },
});
