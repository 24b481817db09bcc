// Ctrl-C while a grading instance is still being created: removeActiveInstances (what the CLI's signal handler
// runs before it exits) must not return while a creation is in flight, or the container that creation makes
// is left behind. An in-memory engine stands in for Docker so the timing is exact.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { InterruptedError } from '../../src/errors.js';
import { gradeSubmission, gradingInterrupted, removeActiveInstances } from '../../src/grade/session.js';
import { loadLab } from '../../src/lab/load.js';
import { scaffoldLab } from '../../src/lab/scaffold.js';
import type { ContainerSpec, ExecResult, NetworkSpec, ResourceSummary, Runtime } from '../../src/runtime/runtime.js';

const tmp = mkdtempSync(join(tmpdir(), 'toplab-interrupt-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Containers and networks by id with their labels; creating a container takes `createMs`. */
class MemoryEngine implements Runtime {
  containers = new Map<string, Record<string, string>>();
  networks = new Map<string, Record<string, string>>();
  creating = 0;
  private next = 0;
  constructor(private readonly createMs: number) {}
  private match(labels: Record<string, string>, filters: string[]): boolean {
    return filters.every((f) => {
      const [k = '', v] = f.split('=');
      return labels[k] === v;
    });
  }
  async copyFiles(): Promise<void> {}
  async ping(): Promise<void> {}
  async usedSubnets(): Promise<string[]> {
    return [];
  }
  async ensureHostRules(): Promise<void> {}
  async removeHostRules(): Promise<void> {}
  async createNetwork(spec: NetworkSpec): Promise<void> {
    this.networks.set(`n${this.next++}`, spec.labels);
  }
  async createContainer(spec: ContainerSpec): Promise<string> {
    this.creating++;
    await new Promise((r) => setTimeout(r, this.createMs));
    const id = `c${this.next++}`;
    this.containers.set(id, spec.labels);
    this.creating--;
    return id;
  }
  async exec(container: string): Promise<ExecResult> {
    throw new Error(`no such container: ${container}`);
  }
  async execAttached(): Promise<number | null> {
    return null;
  }
  async readFile(): Promise<Buffer | undefined> {
    return undefined;
  }
  async listContainers(filters: string[]): Promise<ResourceSummary[]> {
    return [...this.containers].filter(([, l]) => this.match(l, filters)).map(([id, labels]) => ({ id, name: id, labels }));
  }
  async listNetworks(filters: string[]): Promise<ResourceSummary[]> {
    return [...this.networks].filter(([, l]) => this.match(l, filters)).map(([id, labels]) => ({ id, name: id, labels }));
  }
  async removeContainers(ids: string[]): Promise<void> {
    for (const id of ids) this.containers.delete(id);
  }
  async removeNetworks(ids: string[]): Promise<void> {
    for (const id of ids) this.networks.delete(id);
  }
}

describe('an interrupted grading (removeActiveInstances)', () => {
  it('waits for containers still being created, so nothing is left, and the grading reports neither pass nor fail', async () => {
    const dir = join(tmp, 'demo');
    for (const [path, text] of Object.entries(scaffoldLab('demo', { schemaPath: 'x' }))) {
      mkdirSync(dirname(join(dir, path)), { recursive: true });
      writeFileSync(join(dir, path), text);
    }
    const lab = loadLab(dir);
    const engine = new MemoryEngine(150);
    const grading = gradeSubmission(lab, dir, { runtime: engine, image: 'toplab/lab:test', instance: 'grade-int' });
    grading.catch(() => undefined);
    // Ctrl-C while both containers are being created.
    for (let i = 0; i < 200 && engine.creating === 0; i++) await new Promise((r) => setTimeout(r, 5));
    expect(engine.creating).toBeGreaterThan(0);
    await removeActiveInstances(5_000);
    // The signal handler exits here: nothing may be in flight, nothing left.
    expect(engine.creating).toBe(0);
    expect([...engine.containers.keys(), ...engine.networks.keys()]).toEqual([]);
    await expect(grading).rejects.toBeInstanceOf(InterruptedError);
    // No grading starts after an interruption.
    expect(gradingInterrupted()).toBe(true);
    await expect(gradeSubmission(lab, dir, { runtime: engine, image: 'toplab/lab:test', instance: 'grade-int2' })).rejects.toBeInstanceOf(InterruptedError);
    expect(engine.containers.size).toBe(0);
  });
});
