/**
 * The order test files start in: the longest first, so that the two workers finish together
 * instead of one running a long file alone at the end (longest-processing-time-first).
 *
 * Vitest's own order is the last run's durations where its cache has them (not on CI's fresh
 * clone) and file size otherwise, and size says little here: the mirror corpora are short
 * files that run dozens of pages, the CLI's test starts Node a dozen times. So the files known
 * to be long carry a weight, rough seconds on the 2-core machine; every other file follows in
 * Vitest's order. Refresh the weights when a file grows a lot:
 *   npx vitest run --reporter=json --outputFile=/tmp/times.json
 */
import { BaseSequencer, type TestSpecification } from 'vitest/node';

export const WEIGHTS: Record<string, number> = {
  'test/mirror/hostile.test.ts': 100,
  'test/cli/cli.test.ts': 65,
  'test/e2e/crash.test.ts': 45,
  'test/mirror/fidelity.test.ts': 40,
  'test/e2e/console.test.ts': 35,
  'test/e2e/viewer-fit.test.ts': 40,
  'test/e2e/audit.test.ts': 33,
  'test/e2e/modes.test.ts': 45,
  'test/e2e/embed.test.ts': 27,
  'test/e2e/network.test.ts': 22,
  'test/e2e/agents.test.ts': 30,
  'test/e2e/cluster-faults.test.ts': 24,
  'test/e2e/session.test.ts': 20,
  'test/e2e/ink.test.ts': 20,
  'test/e2e/site-tools.test.ts': 20,
  'test/e2e/watch-tools.test.ts': 18,
  'test/server/backpressure.test.ts': 18,
  'test/server/auth.test.ts': 21,
  'test/server/fuzz.test.ts': 21,
  'packages/mirror/test/mirror.test.ts': 19,
  'test/e2e/upscope.test.ts': 16,
  'test/server/webhooks.test.ts': 15,
  'test/sdk/loader.test.ts': 15,
  'test/e2e/continuity.test.ts': 13,
  'test/e2e/masking.test.ts': 12,
  'test/server/tickets.test.ts': 12,
  'test/server/store.test.ts': 11,
  'test/e2e/presence.test.ts': 11,
  'test/sdk/visitor-ui.test.ts': 10,
  'test/e2e/too-slow.test.ts': 10,
  'packages/protocol/test/conformance.test.ts': 9,
};

export default class LongestFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const root = this.ctx.config.root.replace(/\/$/, '');
    const weight = (f: TestSpecification) => WEIGHTS[f.moduleId.slice(root.length + 1)] ?? 0;
    // A stable sort: files without a weight keep Vitest's order among themselves.
    return (await super.sort(files)).sort((a, b) => weight(b) - weight(a));
  }
}
