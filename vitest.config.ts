import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          sequence: { groupOrder: 0 },
        },
      },
      {
        test: {
          name: 'docker',
          include: ['test/docker/**/*.test.ts'],
          // After the unit tests, with fewer workers: these share one engine and two cores.
          sequence: { groupOrder: 1 },
          testTimeout: 180_000,
          hookTimeout: 180_000,
          // Docker-backed files share one engine; each file uses its own lab instances.
          fileParallelism: true,
          maxWorkers: 2,
          globalSetup: ['test/docker/global-setup.ts'],
        },
      },
    ],
  },
});
