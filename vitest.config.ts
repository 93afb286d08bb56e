import { defineConfig } from 'vitest/config';

// The lab is one set of real hosts: inside a project, files run one after another. The
// projects are the lanes of test/support/lanes.ts (`npm test`), which runs hosts-a beside
// hosts-b: they share no lab host. A plain `vitest run` runs every file one at a time.
// hosts-b: the scenarios no hosts-a file touches (docs/lab.md, "Lanes").
const HOSTS_B = [
  'ha',
  'lost-leader',
  'repo-types',
  'standby-repos',
  'multi',
  'schedule-lock',
  'trixie',
  'forky',
  'patroni-site',
  'mixed',
  'repo-target-time',
  'cron-recipes',
  'rocky',
  'adopt',
  'scale',
].map((name) => `test/integration/${name}.test.ts`);
const shared = { fileParallelism: false, testTimeout: 120_000, hookTimeout: 600_000 };

export default defineConfig({
  test: {
    globalSetup: ['test/global-setup.ts'],
    projects: [
      {
        test: {
          ...shared,
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          // A plan key of their own (test/support/plan-key-env.ts).
          setupFiles: ['test/support/plan-key-env.ts'],
        },
      },
      { test: { ...shared, name: 'lab', include: ['test/lab/**/*.test.ts'] } },
      { test: { ...shared, name: 'hosts-a', include: ['test/integration/**/*.test.ts'], exclude: HOSTS_B } },
      { test: { ...shared, name: 'hosts-b', include: HOSTS_B } },
    ],
  },
});
