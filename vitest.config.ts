import { defineConfig } from 'vitest/config';
import LongestFirst from './test/helpers/sequencer.js';

export default defineConfig({
  test: {
    include: ['packages/*/test/**/*.test.ts', 'test/**/*.test.ts'],
    globalSetup: ['test/helpers/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Every message the server sends is checked against the protocol's schemas while tests run.
    env: { TANDEM_CHECK_OUTBOUND: '1' },
    // Two cores: browser tests get one each.
    maxWorkers: 2,
    // The longest files start first, so that both workers are busy until the end.
    sequence: { sequencer: LongestFirst },
  },
});
