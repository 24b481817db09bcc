// The text the CLI prints for the use cases' data (src/cli/render.ts): the same lines `lab up`, `down`, `prune`,
// `status` and `grade --submissions` printed when the commands coordinated the work themselves. The commands
// themselves on a real engine: test/docker/tcp-handshake.test.ts, batch.test.ts, test/docker/engines/pool.test.ts.
import { describe, expect, it } from 'vitest';
import type { PruneReport } from '../../../src/app/down.js';
import type { ClassReport } from '../../../src/app/grade.js';
import { renderClass, renderDown, renderPrune, renderStatus, renderStatusJson, renderUp } from '../../../src/cli/render.js';
import type { LabPlan } from '../../../src/plan/plan.js';

const plan = {
  lab: 'echo',
  instance: 'a',
  image: 'toplab/lab:x',
  networks: [],
  nodes: [
    { name: 'server', container: 'tl-echo-a-server', interfaces: [{ network: 'lan', address: '10.0.1.10' }] },
    { name: 'client', container: 'tl-echo-a-client', interfaces: [{ network: 'lan', address: '10.0.1.20' }] },
  ],
} as unknown as LabPlan;

describe('the CLI renderers', () => {
  it('lab up: the nodes, notes, and failed setup steps as warnings on stderr', () => {
    const r = renderUp({
      dryRun: false,
      lab: 'echo',
      instance: 'a',
      alreadyUp: false,
      seconds: 1.234,
      plan,
      notes: ['lan moved'],
      failures: ['server never listened'],
    });
    expect(r.out).toBe(
      'echo is up (instance a) in 1.2s\n' +
        '  server       lan 10.0.1.10                tl-echo-a-server\n' +
        '  client       lan 10.0.1.20                tl-echo-a-client\n' +
        'note: lan moved\n',
    );
    expect(r.err).toBe('warning: server never listened\nthe lab stays up so you can look: lab exec echo <node> -- <command>\n');
    expect(renderUp({ dryRun: false, lab: 'echo', instance: 'a', alreadyUp: true, seconds: 0, plan, notes: [], failures: [] }).out).toMatch(
      /^echo is already up \(instance a\); nothing changed\.\n/,
    );
  });

  it('lab down over a pool: each engine, what an engine that did not answer keeps, the total', () => {
    const r = renderDown({
      what: 'echo (instance a)',
      removed: { containers: 3, networks: 1 },
      engines: [{ engine: 'e1', containers: 3, networks: 1 }],
      unreachable: [{ engine: 'e2', error: 'engine e2 unreachable' }],
      seconds: 0.5,
    });
    expect(r.out).toBe(
      'engine e1: 3 container(s), 1 network(s)\nremoved echo (instance a) on the engines that answer: 3 container(s), 1 network(s) in 0.50s\n',
    );
    expect(r.err).toBe('error: engine e2 unreachable: anything of echo (instance a) there is left; run this again when it answers\n');
    expect(
      renderDown({ what: 'every toplab lab', removed: { containers: 0, networks: 0 }, engines: [], unreachable: [], seconds: 0 }),
    ).toEqual({
      out: 'every toplab lab: nothing to remove\n',
      err: '',
    });
  });

  it('lab prune: the engine named over a pool only', () => {
    const orphan = {
      lab: 'echo',
      instance: 'a',
      reason: 'its command is gone',
      expired: true,
      engine: 'e1',
    } as PruneReport['removed'][number];
    expect(renderPrune({ removed: [orphan], unreachable: [], failed: [] }, true).out).toBe(
      'removed echo (instance a) on engine e1: its command is gone\n',
    );
    expect(renderPrune({ removed: [orphan], unreachable: [], failed: [] }, false).out).toBe(
      'removed echo (instance a): its command is gone\n',
    );
    expect(renderPrune({ removed: [], unreachable: ['engine e2 unreachable'], failed: [] }, true)).toEqual({
      out: 'no orphans on the engines that answer: nothing to remove\n',
      err: 'error: engine e2 unreachable: its orphans are left; run this again when it answers\n',
    });
  });

  it('lab status: text and JSON, the JSON of a pool with its unreachable engines', () => {
    const r = { pooled: false, instances: [], unreachable: [] };
    expect(renderStatus(r)).toBe('no toplab labs are running\n');
    expect(renderStatusJson(r)).toBe('[]\n');
    const pooled = { pooled: true, instances: [], unreachable: [{ engine: 'e2', error: 'no answer' }] };
    expect(renderStatus(pooled)).toBe(
      'engine e2 unreachable: its instances are not shown (no answer)\nno toplab labs are running on the engines that answer\n',
    );
    expect(JSON.parse(renderStatusJson(pooled))).toEqual({ instances: [], unreachable: [{ engine: 'e2', error: 'no answer' }] });
  });

  it('lab grade --submissions: the summary and the count; over a pool, the engines and what they lost', () => {
    const batch = {
      rows: [
        { student: 'a', score: 3, maxScore: 3, status: 'passed', failedChecks: [], durationMs: 1000 },
        { student: 'b', score: 0, maxScore: 3, status: 'error', failedChecks: [], durationMs: 1000 },
      ],
      results: [],
      durationMs: 2500,
      summaryCsv: 'student,score\n',
      summaryJson: '{}',
    } as unknown as ClassReport['batch'];
    expect(renderClass({ lab: 'echo', outDir: '/o', parallel: 2, batch })).toEqual({
      out: 'student,score\ngraded 2 submission(s) in 2.5s: 1 passed, 0 failed, 1 could not be graded\nsummary: /o/summary.csv and summary.json\n',
      err: '',
    });
    const pool = {
      engines: [{ name: 'e1', slots: 1, graded: 2 }],
      lost: [{ engine: 'e2', reason: 'no answer', atMs: 5 }],
      requeued: [{ student: 'b', from: 'e2', reason: 'lost' }],
      placements: {},
    };
    expect(renderClass({ lab: 'echo', outDir: '/o', batch, pool })).toEqual({
      out: 'student,score\ngraded 2 submission(s) in 2.5s over 1 engine(s): 1 passed, 0 failed, 1 could not be graded\nsummary: /o/summary.csv and summary.json\n',
      err: 'engine e2 was lost: no answer\nre-graded on other engines: b (from e2)\n',
    });
  });
});
