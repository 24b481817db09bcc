import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { labelFilter } from '../../src/plan/labels.js';
import { DockerRuntime } from '../../src/runtime/docker/docker-runtime.js';
import { removeInstance } from '../../src/deploy/down.js';
import { lab, ROOT, uniqueInstance, type CliResult } from './cli.js';

export interface JsonReport {
  status: string;
  score: number;
  maxScore: number;
  instance: string;
  message?: string;
  checks: { id: string; status: string; points: number; maxPoints: number; message: string; evidence: string[] }[];
  steps?: { description: string; status: string; message?: string }[];
}

export interface Graded {
  code: number | null;
  report: JsonReport;
  ms: number;
  /** Check id → passed / failed / skipped. */
  statuses: Record<string, string>;
  /** Ids of the checks that did not pass, in report order. */
  failed: string[];
}

const runtime = await DockerRuntime.connect();

/**
 * `lab grade <lab> --submission <folder>` as an instructor runs it (each grade in its own fresh instance),
 * then asserts that the instance left nothing behind in the engine.
 */
export async function gradeFolder(labName: string, submission: string): Promise<Graded> {
  // Our own instance name, so the instance is removed here even if the CLI had to be killed.
  const instance = uniqueInstance('g');
  let r: CliResult;
  try {
    r = await lab(['grade', labName, '--submission', submission, '--instance', instance, '--format', 'json'], { timeoutMs: 170_000 });
  } finally {
    const left = await runtime.listContainers(labelFilter(labName, instance));
    if (left.length > 0 || (await runtime.listNetworks(labelFilter(labName, instance))).length > 0) await removeInstance(runtime, labName, instance);
    expect(left, 'containers left behind').toEqual([]);
  }
  let report: JsonReport;
  try {
    report = JSON.parse(r.stdout) as JsonReport;
  } catch {
    throw new Error(`lab grade ${labName} --submission ${submission}: not JSON (exit ${r.code}):\n${r.stdout}\n${r.stderr}`);
  }
  expect(report.instance).toBe(instance);
  expect(await runtime.listNetworks(labelFilter(labName, instance)), 'networks left behind').toEqual([]);
  const statuses = Object.fromEntries(report.checks.map((c) => [c.id, c.status]));
  const failed = report.checks.filter((c) => c.status !== 'passed').map((c) => c.id);
  return { code: r.code, report, ms: r.ms, statuses, failed };
}

/** The reference programs: the lab folder itself as the submission. */
export function gradeReference(labName: string): Promise<Graded> {
  return gradeFolder(labName, `labs/${labName}`);
}

export function gradeMistake(labName: string, mistake: string): Promise<Graded> {
  return gradeFolder(labName, `labs/${labName}/mistakes/${mistake}`);
}

/** The mistake folders a lab ships. */
export function mistakesOf(labName: string): string[] {
  return readdirSync(join(ROOT, 'labs', labName, 'mistakes'), { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => d.name)
    .sort();
}

/** A readable dump of a report for assertion messages. */
export function explain(g: Graded): string {
  const checks = g.report.checks.map((c) => `  ${c.status.padEnd(7)} ${c.id}: ${c.message}${c.evidence.length ? '\n            ' + c.evidence.join('\n            ') : ''}`);
  const steps = (g.report.steps ?? []).filter((s) => s.status !== 'ok').map((s) => `  step failed: ${s.description}: ${s.message ?? ''}`);
  return [`exit ${g.code}, ${g.report.score}/${g.report.maxScore}, ${g.ms} ms`, ...checks, ...steps, g.report.message ?? ''].join('\n');
}
