import { defineConfig } from 'vitest/config';

// Two projects: fast tests run in parallel; end-to-end files (a real discord.js client against the local
// Discord) run one at a time, since the machines have two cores and each e2e file starts a whole bot.
export default defineConfig({
  test: {
    testTimeout: 20_000,
    hookTimeout: 30_000,
    projects: [
      {
        extends: true,
        test: { name: 'unit', include: ['test/**/*.test.ts'], exclude: ['test/e2e/**', 'test/hardening/**', 'node_modules/**'] },
      },
      {
        extends: true,
        test: { name: 'e2e', include: ['test/e2e/**/*.test.ts'], fileParallelism: false },
      },
      {
        // The hardening suite (fuzz, Discord faults, secrets) also starts whole bots: one file at a time.
        extends: true,
        test: { name: 'hardening', include: ['test/hardening/**/*.test.ts'], fileParallelism: false },
      },
    ],
  },
});
