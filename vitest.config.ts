import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          sequence: { groupOrder: 0 },
          // Most of the suite's time is waiting on real processes (the wrapper, the waits, the idle rule run
          // with sh), not CPU: four files at once on two cores took the suite from 82 s to 35 s (one worker,
          // vitest's default for two CPUs, before).
          maxWorkers: 4,
        },
      },
      {
        test: {
          name: 'docker',
          include: ['test/docker/**/*.test.ts'],
          exclude: ['test/docker/scale/**', 'test/docker/engines/**'],
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
      {
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          // A real Chromium against a real `lab serve` on the engine: after the Docker tests, before scale.
          sequence: { groupOrder: 2 },
          testTimeout: 300_000,
          hookTimeout: 300_000,
          fileParallelism: false,
          maxWorkers: 1,
          globalSetup: ['test/e2e/global-setup.ts'],
        },
      },
      {
        test: {
          name: 'docker-scale',
          include: ['test/docker/scale/**/*.test.ts'],
          // Fifty instances load the engine and both cores: run last and alone, so they slow no other test.
          sequence: { groupOrder: 3 },
          testTimeout: 600_000,
          hookTimeout: 600_000,
          fileParallelism: false,
          maxWorkers: 1,
          globalSetup: ['test/docker/global-setup.ts'],
        },
      },
      {
        test: {
          name: 'docker-engines',
          include: ['test/docker/engines/**/*.test.ts'],
          // Three Docker engines in containers: after the other Docker tests, alone, so they slow no other test.
          sequence: { groupOrder: 4 },
          testTimeout: 600_000,
          hookTimeout: 600_000,
          fileParallelism: false,
          maxWorkers: 1,
          globalSetup: ['test/docker/global-setup.ts'],
        },
      },
    ],
  },
});
