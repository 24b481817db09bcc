import { existsSync, readdirSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import { UsageError } from '../errors.js';
import { renderSelftest, runSelftest, selftestCases, selftestJson, uncoveredChecks, type SelftestReport } from '../grade/selftest.js';
import { loadLab } from '../lab/load.js';
import type { Lab } from '../lab/model.js';
import { labsDir } from '../paths.js';
import { INSTANCE_PATTERN } from '../plan/plan.js';
import { useColor } from '../report/terminal.js';
import { writeOutput } from './args.js';
import { engine, image, progress } from './engine.js';

/** `lab selftest`'s options, as declared in src/cli/program.ts. */
export interface SelftestOptions {
  case?: string;
  parallel?: string;
  format: 'terminal' | 'json';
  output?: string;
  results?: string;
  instance?: string;
}

/** `lab selftest`: grades each lab's reference and mistakes and compares them with their declarations. */
export async function selftestCommand(positionals: string[], values: SelftestOptions, ctx: { signal?: AbortSignal } = {}): Promise<number> {
  const parallel = values.parallel === undefined ? Math.max(1, availableParallelism()) : Number(values.parallel);
  if (!Number.isInteger(parallel) || parallel < 1 || parallel > 64)
    throw new UsageError(`--parallel must be a whole number from 1 to 64, not '${values.parallel ?? ''}'`);
  if (values.instance !== undefined && !INSTANCE_PATTERN.test(values.instance))
    throw new UsageError(`'${values.instance}' is not a valid instance name: use lower-case letters, digits and hyphens (at most 32)`);

  const labs: Lab[] = (positionals.length > 0 ? positionals : allLabs()).map((ref) => loadLab(ref));
  if (labs.length === 0) throw new UsageError(`no labs in ${labsDir()}`);
  const planned = labs.map((lab) => {
    let cases = selftestCases(lab);
    if (values.case !== undefined) {
      const only = cases.filter((c) => c.name === values.case);
      if (only.length === 0)
        throw new UsageError(`${lab.name} has no case '${values.case}' (cases: ${cases.map((c) => c.name).join(', ')})`);
      cases = only;
    }
    return { lab, cases };
  });

  const runtime = await engine();
  const tag = await image(runtime);
  const total = planned.reduce((n, p) => n + p.cases.length, 0);
  progress(`selftest: ${total} case(s) of ${planned.length} lab(s), ${Math.min(parallel, total)} at a time`);
  const report: SelftestReport = await runSelftest(planned, {
    runtime,
    image: tag,
    parallel,
    ...(ctx.signal ? { signal: ctx.signal } : {}),
    ...(values.instance !== undefined ? { instance: values.instance } : {}),
    ...(values.results !== undefined ? { artifactsDir: resolve(values.results) } : {}),
    onRow: (r) => progress(`${r.lab} ${r.case}: ${r.ok ? 'ok' : `MISMATCH: ${r.mismatch ?? ''}`} (${(r.durationMs / 1000).toFixed(1)}s)`),
  });
  const json = JSON.stringify(selftestJson(report), null, 2) + '\n';
  if (values.output !== undefined) writeOutput(values.output, json);
  process.stdout.write(values.format === 'json' ? json : renderSelftest(report, { color: useColor(process.stdout) }));
  // Not a failure, but worth knowing before publishing: a check no mistake fails may be one that cannot fail.
  if (values.case === undefined) {
    for (const { lab, cases } of planned) {
      const uncovered = uncoveredChecks(lab, cases);
      if (uncovered.length > 0) {
        process.stderr.write(
          `note: ${lab.name}: no mistake fails ${uncovered.join(', ')}: nothing shows ${uncovered.length === 1 ? 'this check' : 'these checks'} can fail (add a mistake under mistakes/ that does)\n`,
        );
      }
    }
  }
  if (report.ok) return 0;
  // 4 only when the tool could not grade a case; a mistake folder with nothing to grade is the lab's mismatch.
  return report.rows.some((r) => !r.ok && r.status === 'error') ? 4 : 1;
}

function allLabs(): string[] {
  const dir = labsDir();
  return existsSync(dir)
    ? readdirSync(dir)
        .filter((d) => existsSync(join(dir, d, 'lab.yaml')))
        .sort()
        .map((d) => join(dir, d))
    : [];
}
