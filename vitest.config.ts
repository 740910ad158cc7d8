import { defineConfig } from 'vitest/config';

// `weir` and `weir/testing` (the tests import the package as a team does) resolve to src/, never to a
// build in dist/: the `weir-source` export condition of package.json (tsconfig.json's
// customConditions does the same for tsc). Tests run in Vite's server environment, hence `ssr`;
// the other conditions are Vite's defaults for it.
const ssr = { resolve: { conditions: ['weir-source', 'module', 'node', 'development|production'] } };

export default defineConfig({
  test: {
    projects: [
      {
        ssr,
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          // Some unit tests start the CLI as a process (tsx compiles it first): seconds on a loaded
          // 2-core machine, more than vitest's 5 s default (seen: init.test.ts at load 7.5).
          testTimeout: 30_000,
        },
      },
      {
        ssr,
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts', 'test/faults/**/*.test.ts'],
          globalSetup: ['test/helpers/global-setup.ts'],
          // Integration files share one broker on a 2-core machine: run them one at a time.
          fileParallelism: false,
          testTimeout: 120_000,
          hookTimeout: 180_000,
        },
      },
    ],
  },
});
