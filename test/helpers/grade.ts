import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { labelFilter } from '../../src/plan/labels.js';
import { DockerRuntime } from '../../src/runtime/docker/docker-runtime.js';
import { lab, ROOT } from './cli.js';

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
  const r = await lab(['grade', labName, '--submission', submission, '--format', 'json'], { timeoutMs: 170_000 });
  let report: JsonReport;
  try {
    report = JSON.parse(r.stdout) as JsonReport;
  } catch {
    throw new Error(`lab grade ${labName} --submission ${submission}: not JSON (exit ${r.code}):\n${r.stdout}\n${r.stderr}`);
  }
  expect(await runtime.listContainers(labelFilter(labName, report.instance)), 'containers left behind').toEqual([]);
  expect(await runtime.listNetworks(labelFilter(labName, report.instance)), 'networks left behind').toEqual([]);
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
