import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Bounds every fast-check property's time, shrinking included (see the file).
    setupFiles: ['test/support/fast-check-limits.ts'],
  },
});
