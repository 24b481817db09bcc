import type { GradeResult } from '../report/result.js';
import type { LabStanding, Progression } from './api.js';
import type { AttemptRow, StudentRow, WorkshopRow } from './store.js';

/**
 * Ordered lab lists (docs/workshop.md, "Labs in order"). A workshop names its labs in order; each student works
 * on one at a time (`students.lab`), with its own instance, files and attempts. `reached` is the furthest lab
 * (index) the student has been on.
 *
 * - `ordered` (the default): a student may go back to any lab up to the furthest reached, and forward to the
 *   next one once they have passed the furthest reached (any attempt with status `passed`).
 * - `free`: a student may open any of the labs, in any order.
 * - The instructor may move a student to any lab of the workshop in either mode.
 */

/** The workshop's labs, in order. */
export function labsOf(w: Pick<WorkshopRow, 'labs'>): string[] {
  return JSON.parse(w.labs) as string[];
}

/** May the student (not the instructor) go to lab index `to`? Pure: `passed(i)` says whether lab i has a passed attempt. */
export function mayOpen(progression: Progression, reached: number, to: number, passed: (index: number) => boolean): boolean {
  if (progression === 'free') return true;
  return to <= reached || (to === reached + 1 && passed(reached));
}

/** Every lab of the workshop for one student: where they are, what is open, their attempts and last result on each. */
export function standings(
  w: Pick<WorkshopRow, 'labs' | 'progression'>,
  s: Pick<StudentRow, 'lab' | 'reached'>,
  attemptsOn: (lab: string) => AttemptRow[],
): LabStanding[] {
  const labs = labsOf(w);
  const rows = labs.map((name) => {
    const attempts = attemptsOn(name);
    const last = attempts.find((a) => a.status !== 'running');
    const result = last?.result ? (JSON.parse(last.result) as Partial<GradeResult>) : undefined;
    return {
      name,
      current: name === s.lab,
      passed: attempts.some((a) => a.status === 'passed'),
      attempts: attempts.length,
      lastScore: last?.score ?? null,
      maxScore: last?.max_score ?? null,
      lastStatus: last && last.status !== 'running' ? last.status : null,
      failing: Array.isArray(result?.checks) ? result.checks.filter((c) => c.status !== 'passed').map((c) => c.id) : [],
    };
  });
  const reached = Math.max(s.reached, labs.indexOf(s.lab));
  return rows.map((r, i) => ({ ...r, open: mayOpen(w.progression, reached, i, (k) => rows[k]?.passed ?? false) }));
}

/** Why a student may not move to `lab`, or undefined when they may (the instructor always may, within the workshop's labs). */
export function moveProblem(
  w: Pick<WorkshopRow, 'labs' | 'progression'>,
  s: Pick<StudentRow, 'lab' | 'reached'>,
  lab: string,
  byInstructor: boolean,
  attemptsOn: (lab: string) => AttemptRow[],
): { status: number; code: string; message: string } | undefined {
  const labs = labsOf(w);
  if (!labs.includes(lab))
    return { status: 400, code: 'unknown-lab', message: `'${lab}' is not one of this workshop's labs (${labs.join(', ')})` };
  if (byInstructor) return undefined;
  const st = standings(w, s, attemptsOn);
  if (st.find((x) => x.name === lab)?.open) return undefined;
  const reached = Math.max(s.reached, labs.indexOf(s.lab));
  const gate = labs[reached] ?? labs[0] ?? '';
  return {
    status: 403,
    code: 'lab-locked',
    message: `'${lab}' opens once you have passed '${gate}' (labs go in order in this workshop): press Check on '${gate}' until it passes, or ask your instructor to move you`,
  };
}
