// Text renderers of the use cases' data (src/app/): what `lab up`, `down`, `prune`, `status`, `list`,
// `validate` and `grade --submissions` print. Pure: data in, text out; src/cli/commands.ts writes it.
import { formatProblem } from '../errors.js';
import type { ClassReport } from '../app/grade.js';
import type { LabEntry, LabValidation } from '../app/labs.js';
import type { PruneReport, TakeDownReport } from '../app/down.js';
import type { StatusReport } from '../app/status.js';
import type { UpReport } from '../app/up.js';
import type { LabPlan } from '../plan/plan.js';
import { join } from 'node:path';

/** Text for stdout and for stderr. */
export interface Printout {
  out: string;
  err: string;
}

function describeNodes(plan: LabPlan): string {
  const lines = plan.nodes.map(
    (n) =>
      `  ${n.name.padEnd(12)} ${n.interfaces
        .map((i) => `${i.network} ${i.address}`)
        .join(', ')
        .padEnd(28)} ${n.container}`,
  );
  return lines.join('\n') + '\n';
}

/** `lab up` (not a dry run): the instance's nodes and notes; failed setup steps as warnings on stderr. */
export function renderUp(r: Extract<UpReport, { dryRun: false }>): Printout {
  let out = r.alreadyUp
    ? `${r.lab} is already up (instance ${r.instance}); nothing changed.\n`
    : `${r.lab} is up (instance ${r.instance}) in ${r.seconds.toFixed(1)}s\n`;
  out += describeNodes(r.plan);
  for (const note of r.notes) out += `note: ${note}\n`;
  let err = '';
  for (const f of r.failures) err += `warning: ${f}\n`;
  if (r.failures.length > 0) err += `the lab stays up so you can look: lab exec ${r.lab} <node> -- <command>\n`;
  return { out, err };
}

/** `lab down`: what each engine removed, what was left on engines that did not answer, the totals. */
export function renderDown(r: TakeDownReport): Printout {
  let out = '';
  if (r.engines.length > 0)
    out += r.engines.map((x) => `engine ${x.engine}: ${x.containers} container(s), ${x.networks} network(s)`).join('\n') + '\n';
  // An engine that did not answer may hold some of it: said, and the exit code says the work is not complete.
  let err = '';
  for (const u of r.unreachable) err += `error: ${u.error}: anything of ${r.what} there is left; run this again when it answers\n`;
  const where = r.unreachable.length > 0 ? ' on the engines that answer' : '';
  if (r.removed.containers === 0 && r.removed.networks === 0) out += `${r.what}: nothing to remove${where}\n`;
  else
    out += `removed ${r.what}${where}: ${r.removed.containers} container(s), ${r.removed.networks} network(s) in ${r.seconds.toFixed(2)}s\n`;
  return { out, err };
}

/** `lab prune`: each orphan removed; engines that did not answer or failed, on stderr. */
export function renderPrune(r: PruneReport, pooled: boolean): Printout {
  let out = '';
  let err = '';
  if (r.removed.length === 0)
    out += `no orphans${r.unreachable.length + r.failed.length > 0 ? ' on the engines that answer' : ''}: nothing to remove\n`;
  for (const o of r.removed)
    out += `removed ${o.lab} (instance ${o.instance})${pooled && o.engine !== undefined ? ` on engine ${o.engine}` : ''}: ${o.reason}\n`;
  for (const u of r.unreachable) err += `error: ${u}: its orphans are left; run this again when it answers\n`;
  for (const f of r.failed) err += `error: engine ${f.engine}: ${f.error}\n`;
  return { out, err };
}

/** `lab status` as text: each instance, its networks and nodes; engines that did not answer first. */
export function renderStatus(r: StatusReport): string {
  let out = '';
  // Instances on an engine that does not answer cannot be listed: say which engine, and why.
  for (const u of r.unreachable) out += `engine ${u.engine} unreachable: its instances are not shown (${u.error})\n`;
  if (r.instances.length === 0) return out + `no toplab labs are running${r.unreachable.length > 0 ? ' on the engines that answer' : ''}\n`;
  for (const st of r.instances) {
    out += `${st.lab} (instance ${st.instance})${st.engine !== undefined ? ` on engine ${st.engine}` : ''}${st.orphan ? `  ORPHAN: ${st.orphan.reason}; \`lab prune\` removes it` : ''}\n`;
    for (const n of st.networks) {
      const subnets = [n.subnet, n.subnet6].filter((x) => x !== undefined).join(' ');
      const declared = [n.declaredSubnet, n.declaredSubnet6].filter((x) => x !== undefined).join(' ');
      out += `  network ${n.name.padEnd(12)} ${subnets.padEnd(28)} (declared ${declared})\n`;
    }
    for (const c of st.nodes) {
      const addrs = c.interfaces.map((i) => [i.network, i.address, i.address6].filter((x) => x !== undefined).join(' ')).join(', ');
      out += `  ${c.name.padEnd(12)} ${(c.running ? 'running' : 'stopped').padEnd(8)} ${addrs.padEnd(28)} ${c.container}\n`;
    }
  }
  return out;
}

/** `lab status --json`: the list on the local engine; with a pool, the instances and the engines that did not answer. */
export function renderStatusJson(r: StatusReport): string {
  return JSON.stringify(r.pooled ? { instances: r.instances, unreachable: r.unreachable } : r.instances, null, 2) + '\n';
}

/** `lab list`: JSON, the names alone, or a table of names and titles (`labsDir` named when there is none). */
export function renderList(labs: LabEntry[], how: { json?: boolean | undefined; names?: boolean | undefined; labsDir: string }): string {
  if (how.json)
    return (
      JSON.stringify(
        labs.map((l) => ({ name: l.name, title: l.title ?? null, file: l.file, valid: l.valid })),
        null,
        2,
      ) + '\n'
    );
  if (how.names) return labs.map((l) => `${l.name}\n`).join('');
  if (labs.length === 0) return `no labs in ${how.labsDir}\n`;
  const width = Math.max(...labs.map((l) => l.name.length));
  return labs.map((l) => `${l.name.padEnd(width)}  ${l.valid ? (l.title ?? '') : `(invalid: run \`lab validate ${l.name}\`)`}\n`).join('');
}

/** `lab validate`: `file: ok` on stdout; each problem (file:line:col first, as editors read them) on stderr. */
export function renderValidation(results: LabValidation[]): Printout {
  let out = '';
  let err = '';
  for (const r of results) {
    if (r.problems.length > 0) {
      for (const p of r.problems) err += formatProblem(p) + '\n';
      err += `${r.ref}: ${r.problems.length} problem${r.problems.length === 1 ? '' : 's'}\n`;
    } else if (r.mistakeProblems.length > 0) {
      for (const m of r.mistakeProblems) err += `${m.dir}: ${m.problem}\n`;
      err += `${r.ref}: ${r.mistakeProblems.length} problem${r.mistakeProblems.length === 1 ? '' : 's'} in its mistakes\n`;
    } else out += `${r.file ?? r.ref}: ok\n`;
  }
  return { out, err };
}

/** `lab grade --submissions`: summary.csv and a count on stdout; over a pool, lost engines and re-graded submissions on stderr. */
export function renderClass(r: ClassReport): Printout {
  const { batch } = r;
  const count = (status: string): number => batch.rows.filter((x) => x.status === status).length;
  let err = '';
  for (const l of r.pool?.lost ?? []) err += `engine ${l.engine} was lost: ${l.reason}\n`;
  if (r.pool && r.pool.requeued.length > 0)
    err += `re-graded on other engines: ${r.pool.requeued.map((q) => `${q.student} (from ${q.from})`).join(', ')}\n`;
  const over = r.parallel === undefined ? ` over ${r.pool?.engines.length ?? 0} engine(s)` : '';
  const out =
    batch.summaryCsv +
    `graded ${batch.rows.length} submission(s) in ${(batch.durationMs / 1000).toFixed(1)}s${over}: ${count('passed')} passed, ${count('failed')} failed, ${count('error')} could not be graded\nsummary: ${join(r.outDir, 'summary.csv')} and summary.json\n`;
  return { out, err };
}
