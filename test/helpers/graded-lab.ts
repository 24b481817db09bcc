/**
 * A two-node echo lab (`graded`: a server that must listen on TCP 9000, a client that must print `hello`) written
 * to a temp folder, for unit tests of grading and the use cases on the in-memory engine (test/fakes). Call
 * `gradedLab` at a test file's top level: it points the compile cache into the folder for the file's tests and
 * removes the folder after them.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, vi } from 'vitest';
import { loadLab } from '../../src/lab/load.js';
import { MemoryRuntime, type ExecRule } from '../fakes/memory-runtime.js';
import { NodePrograms, SETTLED, type ProgramBehaviour } from '../fakes/node-programs.js';

const LAB = `name: graded
title: A graded echo
networks: { lan: { subnet: 10.0.1.0/24 } }
nodes:
  server: { interfaces: { lan: 10.0.1.10 } }
  client: { interfaces: { lan: 10.0.1.20 } }
programs:
  server: { node: server, source: server.ts, env: { PORT: "9000" } }
  client: { node: client, source: client.ts }
exercise:
  - start: server
    ready: { tcp: 9000, timeout: 1 }
  - run: client
    timeout: 1
checks:
  - { id: listen, points: 1, socket: { node: server, tcp: 9000, state: LISTEN } }
  - { id: echo, points: 2, output: { program: client, equals: hello } }
`;

/** The programs of a right submission: the server listens on 9000 and keeps running, the client prints hello. */
export const WORKING: Record<string, ProgramBehaviour> = {
  server: { runsMs: Infinity, listens: { tcp: 9000 } },
  client: { stdout: 'hello\n', runsMs: 20 },
};

/** The lab, loaded, in a new temp folder `tmp` (prefix: the folder's name's start). */
export function gradedLab(prefix: string): { tmp: string; labDir: string; lab: ReturnType<typeof loadLab> } {
  const tmp = mkdtempSync(join(tmpdir(), prefix));
  beforeAll(() => void vi.stubEnv('TOPLAB_CACHE_DIR', join(tmp, 'cache')));
  afterAll(() => {
    vi.unstubAllEnvs();
    rmSync(tmp, { recursive: true, force: true });
  });
  const labDir = join(tmp, 'graded');
  mkdirSync(labDir);
  writeFileSync(join(labDir, 'lab.yaml'), LAB);
  for (const f of ['server.ts', 'client.ts']) writeFileSync(join(labDir, f), 'export {};\n');
  return { tmp, labDir, lab: loadLab(labDir) };
}

/** An in-memory engine whose nodes run these programs (`first`: rules answered before theirs). */
export function engineFor(behaviours: Record<string, ProgramBehaviour> = WORKING, first: ExecRule[] = [], createMs = 0): MemoryRuntime {
  const engine = new MemoryRuntime({ createMs });
  engine.script(...first, ...new NodePrograms(engine, behaviours).rules(), SETTLED);
  return engine;
}
