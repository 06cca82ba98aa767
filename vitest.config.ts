import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Bounds every fast-check property's time, shrinking included (see the file).
    setupFiles: ['test/support/fast-check-limits.ts'],
    // The block cache overwrites the memory of blocks it recycles (engine/cache/block-buffers.ts),
    // so a reader that kept a view of one fails its checks instead of passing by luck.
    env: { STATEFN_POISON_RECYCLED_BLOCKS: '1' },
  },
});
