import { defaultServerConditions } from 'vite';
import { defineConfig } from 'vitest/config';
import type { Reporter, TestModule } from 'vitest/node';

// Workspace packages export their TypeScript sources under the "venn-source" condition, so tests
// run against src/ without a build; Node at run time resolves dist/ through "import".
const conditions = ['venn-source', ...defaultServerConditions];

/** Ends the run with one plain `N passed, N failed` line, readable by tools that parse logs. */
class SummaryLine implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    const counts = { passed: 0, failed: 0, skipped: 0, pending: 0 };
    for (const module of testModules) {
      for (const test of module.children.allTests()) {
        const state = test.result().state;
        if (state === 'passed') counts.passed++;
        else if (state === 'failed') counts.failed++;
        else if (state === 'skipped') counts.skipped++;
        else counts.pending++;
      }
    }
    const pending = counts.pending > 0 ? ` (${counts.pending} without a result)` : '';
    process.stdout.write(`\nvitest: ${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped${pending}\n`);
  }
}

export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions, externalConditions: conditions } },
  test: {
    include: ['packages/*/test/**/*.test.ts', 'test/**/*.test.ts'],
    reporters: ['default', new SummaryLine()],
    // Builds packages/node and bundles the CLI once, for the tests that run it as a process.
    globalSetup: ['test/global-setup.ts'],
    // Property tests (fast-check) start from a fixed seed; FC_SEED changes it (the file says how).
    setupFiles: ['test/fast-check-seed.ts'],
    // Two files at a time even on a two-core machine (the default would be one): most files wait
    // on real daemons, sockets and child processes rather than on the CPU.
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
