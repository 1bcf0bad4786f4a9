/**
 * The vitest config of a mutation run (scripts/mutation/run.mjs): one package's own tests, from
 * the package directory Stryker runs in, against the TypeScript sources (the `venn-source`
 * condition, as in the root vitest.config.ts). Nothing is built and no CLI is started.
 */
import { defaultServerConditions } from 'vite';
import { defineConfig } from 'vitest/config';

const conditions = ['venn-source', ...defaultServerConditions];
// Tests too slow to run once per mutant, each with the reason (the issue allows a slow
// >65,536-pair test); they still run in `npm test`.
const excluded = (process.env['VENN_MUTATION_EXCLUDE'] ?? '').split(',').filter((name) => name !== '');

export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions, externalConditions: conditions } },
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['**/node_modules/**', ...excluded],
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
