import { defineConfig } from 'vitest/config';

// The lab is one set of real hosts shared by every integration suite, so files run
// one after another; unit tests are quick enough that this costs nothing.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 600_000,
    globalSetup: ['test/global-setup.ts'],
  },
});
