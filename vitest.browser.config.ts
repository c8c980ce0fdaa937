import { defineConfig } from 'vitest/config';

// Browser tests (engine/test/browser): a real engine process and Debian's Chromium. One file at a
// time (each starts an engine with demo data); `npm run test:browser` builds the UI first.
export default defineConfig({
  test: {
    include: ['engine/test/browser/**/*.test.ts'],
    testTimeout: 180_000,
    hookTimeout: 180_000,
    pool: 'forks',
    maxWorkers: 1,
    fileParallelism: false,
    reporters: ['default'],
  },
});
