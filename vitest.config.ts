import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Records which kind of Qdrant (emulator, real node, real cluster) each test ran against.
    setupFiles: ['test/helpers/target-usage-setup.ts'],
    // Bundles src/ with ncc (cached) for the tests that run the entry points as processes.
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // End-to-end tests start servers and child processes: a couple at a time is what 2 cores bear.
    maxWorkers: 2,
  },
});
