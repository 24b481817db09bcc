// The use cases behind `lab up`, `exec`, `check`, `grade`, `graph`, `down` and `status` (src/app/), against the
// in-memory engine and simulated programs: what each returns, what it leaves on the engine, and `error` (never
// `failed`) for what the tool could not finish. Until these were functions, the same behaviour was reachable only
// by running the CLI (src/cli/commands.ts printed it). The commands on a real engine:
// test/docker/tcp-handshake.test.ts (up, exec, check, down) and test/docker/grade.test.ts, batch.test.ts (grade).
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkLab } from '../../../src/app/check.js';
import { pruneOrphans, takeDown } from '../../../src/app/down.js';
import type { EngineAccess } from '../../../src/app/engine-access.js';
import { instanceName, subnetPoolsOf } from '../../../src/app/engine-access.js';
import { execHint, execTarget } from '../../../src/app/exec.js';
import { gradeClass, gradeOne } from '../../../src/app/grade.js';
import { labGraph } from '../../../src/app/graph.js';
import { keepResults, resultsDir } from '../../../src/app/results.js';
import { statusOf } from '../../../src/app/status.js';
import { upLab } from '../../../src/app/up.js';
import { PROGRAM_USER } from '../../../src/deploy/node-layout.js';
import { UsageError } from '../../../src/errors.js';
import { interfaceOf } from '../../../src/lab/interfaces.js';
import type { MemoryRuntime } from '../../fakes/memory-runtime.js';
import { engineFor, gradedLab, WORKING } from '../../helpers/graded-lab.js';

const { tmp, labDir, lab } = gradedLab('toplab-use-cases-');
const IMAGE = 'toplab/lab:test';
const POOLS = subnetPoolsOf(undefined, {});

/** The local engine as a use case reaches it, counting the connections asked for. */
function local(engine: MemoryRuntime): EngineAccess & { connections: number } {
  const access = {
    connections: 0,
    connect: () => {
      access.connections++;
      return Promise.resolve(engine);
    },
    connectWithImage: () => {
      access.connections++;
      return Promise.resolve({ runtime: engine, tag: IMAGE });
    },
  };
  return access;
}

const nodeNames = (engine: MemoryRuntime): string[] =>
  [...engine.containers.values()]
    .filter((c) => c.labels['org.toplab.role'] === 'node')
    .map((c) => c.name)
    .sort();

let n = 0;
const fresh = (): string => `uc${n++}`;

describe('upLab', () => {
  it('returns what it deployed: each node with its container and addresses, which are the ones on the engine', async () => {
    const engine = engineFor();
    const instance = fresh();
    const r = await upLab({ lab, instance, engines: local(engine), subnetPools: POOLS });
    if (r.dryRun) throw new Error('not a dry run');
    expect([r.lab, r.instance, r.alreadyUp, r.failures]).toEqual(['graded', instance, false, []]);
    expect(r.plan.nodes.map((x) => [x.name, x.container]).sort()).toEqual([
      ['client', `tl-graded-${instance}-client`],
      ['server', `tl-graded-${instance}-server`],
    ]);
    expect(nodeNames(engine)).toEqual([`tl-graded-${instance}-client`, `tl-graded-${instance}-server`]);
    // A named instance takes its subnet from the pool, and the report says where that differs from lab.yaml.
    const lan = r.plan.networks.find((x) => x.name === 'lan');
    expect(lan?.subnet).not.toBe('10.0.1.0/24');
    expect(r.notes.join('\n')).toContain('10.0.1.0/24');
    // The second time it finds the instance up and creates nothing.
    const creates = engine.callsOf('createContainer').length;
    const again = await upLab({ lab, instance, engines: local(engine), subnetPools: POOLS });
    expect(again.dryRun === false && again.alreadyUp).toBe(true);
    expect(engine.callsOf('createContainer')).toHaveLength(creates);
  });

  it('returns the setup steps that failed and leaves the instance up to look at', async () => {
    const engine = engineFor({ ...WORKING, server: { runsMs: Infinity } });
    const instance = fresh();
    const r = await upLab({ lab, instance, engines: local(engine), subnetPools: POOLS });
    expect(r.dryRun === false && r.failures.length).toBe(1);
    expect(r.dryRun === false && r.failures[0]).toMatch(/server/);
    expect(nodeNames(engine)).toHaveLength(2);
  });

  it('with dryRun returns the plan and asks for no engine', async () => {
    const engine = engineFor();
    const access = local(engine);
    const r = await upLab({ lab, instance: 'dry', engines: access, subnetPools: POOLS, dryRun: true });
    expect(r.dryRun && r.plan.nodes.map((x) => x.container).sort()).toEqual(['tl-graded-dry-client', 'tl-graded-dry-server']);
    expect([access.connections, engine.calls.length]).toEqual([0, 0]);
  });
});

describe('execTarget and execHint', () => {
  it("names the node's container in the running instance, as the programs' user; --privileged its observer, as root", async () => {
    const engine = engineFor();
    const instance = fresh();
    await upLab({ lab, instance, engines: local(engine), subnetPools: POOLS });
    const named = (name: string): string | undefined => [...engine.containers.values()].find((c) => c.name === name)?.id;
    const t = await execTarget({ lab, node: 'server', instance, engines: local(engine) });
    expect([t.container, t.user, t.env, t.privileged]).toEqual([
      named(`tl-graded-${instance}-server`),
      PROGRAM_USER,
      { HOME: '/home/student' },
      false,
    ]);
    expect(t.container).toBeDefined();
    const p = await execTarget({ lab, node: 'server', instance, engines: local(engine), privileged: true });
    const observer = named(`tl-graded-${instance}-server-observer`);
    expect(observer).toBeDefined();
    expect([p.container, p.user, p.env, p.privileged]).toEqual([observer, undefined, { HOME: '/root' }, true]);
  });

  it('refuses a node the lab lacks, --user with --privileged, and an instance that is not up (naming `lab up` for it)', async () => {
    const engine = engineFor();
    const engines = local(engine);
    await expect(execTarget({ lab, node: 'srever', instance: 'x', engines })).rejects.toThrow(
      /has no node 'srever'.*nodes: server, client/,
    );
    await expect(execTarget({ lab, node: 'server', instance: 'x', engines, privileged: true, user: 'root' })).rejects.toThrow(UsageError);
    const down = execTarget({ lab, node: 'server', instance: 'x', engines });
    await expect(down).rejects.toThrow('graded (instance x) is not up');
    await expect(execTarget({ lab, node: 'server', instance: 'x', engines })).rejects.toMatchObject({
      hint: 'run `lab up graded --instance x` first',
    });
  });

  it('hints at a command that could not run, and at --privileged for a refused permission', () => {
    const t = { runtime: engineFor(), lab: 'graded', instance: 'x', node: 'server', container: 'c', env: {}, privileged: false };
    expect(execHint(t, ['nope'], 127, '')).toBe("'nope' could not be run in node server");
    expect(execHint(t, ['tcpdump', '-i', 'eth0'], 1, "tcpdump: eth0: You don't have permission to capture on that device")).toBe(
      'nodes have no capabilities; tools like tcpdump need --privileged: lab exec graded --instance x --privileged server -- tcpdump -i eth0',
    );
    expect(execHint({ ...t, privileged: true }, ['tcpdump'], 1, 'Operation not permitted')).toBeUndefined();
    expect(execHint(t, ['true'], 0, '')).toBeUndefined();
  });
});

describe('checkLab', () => {
  it("grades the lab's reference outside a workspace, says so, and keeps the instance up", async () => {
    const engine = engineFor();
    const instance = fresh();
    const said: string[] = [];
    const r = await checkLab({
      lab: labDir,
      cwd: tmp,
      instance,
      engines: local(engine),
      subnetPools: POOLS,
      results: join(tmp, 'results'),
      keepResults: 20,
      onProgress: (l) => said.push(l),
    });
    expect([r.target.kind, r.result.status, r.result.score, r.result.reference]).toEqual(['reference', 'passed', 3, true]);
    expect(said[0]).toMatch(/^grading the lab's own reference files in .*, not yours/);
    expect(nodeNames(engine)).toHaveLength(2);
  });

  it("a failing engine is the result `error`, with the engine's message; no lab named outside a workspace is a UsageError", async () => {
    const engine = engineFor();
    engine.fail({ method: 'createNetwork', error: new Error('the engine ran out of networks') });
    const base = { cwd: tmp, engines: local(engine), subnetPools: POOLS, results: join(tmp, 'results'), keepResults: 20 };
    const r = await checkLab({ ...base, lab: labDir, instance: fresh() });
    expect([r.result.status, r.result.score]).toEqual(['error', 0]);
    expect(r.result.message).toContain('the engine ran out of networks');
    await expect(checkLab({ ...base, instance: fresh() })).rejects.toThrow(UsageError);
  });
});

/** A class: `a` and `c` hand in both programs, `b` only the server (its client is graded as absent). */
function classFolder(): string {
  const dir = mkdtempSync(join(tmp, 'class-'));
  for (const [student, files] of Object.entries({ a: ['server.ts', 'client.ts'], b: ['server.ts'], c: ['server.ts', 'client.ts'] })) {
    mkdirSync(join(dir, student));
    for (const f of files) writeFileSync(join(dir, student, f), 'console.log("student");\n');
  }
  return dir;
}

describe('gradeOne and gradeClass', () => {
  it('gradeClass returns each submission its result, writes the summaries, and leaves nothing on the engine', async () => {
    const engine = engineFor();
    const outDir = join(tmp, 'class-out');
    const r = await gradeClass({
      lab,
      submissions: classFolder(),
      parallel: 2,
      outDir,
      format: 'json',
      engines: local(engine),
      subnetPools: POOLS,
      keepResults: 20,
    });
    expect(r.batch.rows.map((x) => [x.student, x.status, x.score])).toEqual([
      ['a', 'passed', 3],
      ['b', 'failed', 1],
      ['c', 'passed', 3],
    ]);
    expect(r.batch.results.map((x) => x.submission)).toEqual(['a', 'b', 'c']);
    expect([r.outDir, r.parallel]).toEqual([outDir, 2]);
    expect(readFileSync(join(outDir, 'summary.csv'), 'utf8')).toBe(r.batch.summaryCsv);
    expect(engine.leftovers()).toEqual({ containers: [], networks: [] });
  });

  it('gradeClass stopped part-way: every submission is `error` (none failed, none passed) and nothing is left', async () => {
    const stop = new AbortController();
    // The batch is stopped as the first student's server is launched.
    const engine = engineFor(WORKING, [
      {
        match: (c) => {
          if (c.cmd[3] === 'toplab-launch' && !stop.signal.aborted) stop.abort(new Error('stopped'));
          return false;
        },
        reply: {},
      },
    ]);
    const r = await gradeClass({
      lab,
      submissions: classFolder(),
      parallel: 1,
      outDir: join(tmp, 'class-stopped'),
      format: 'json',
      engines: local(engine),
      subnetPools: POOLS,
      keepResults: 20,
      signal: stop.signal,
    });
    expect(stop.signal.aborted).toBe(true);
    expect(r.batch.rows.map((x) => [x.student, x.status])).toEqual([
      ['a', 'error'],
      ['b', 'error'],
      ['c', 'error'],
    ]);
    expect(engine.leftovers()).toEqual({ containers: [], networks: [] });
  });

  it('gradeClass refuses a folder that is not there', async () => {
    const engine = engineFor();
    await expect(
      gradeClass({ lab, submissions: join(tmp, 'none'), format: 'json', engines: local(engine), subnetPools: POOLS, keepResults: 20 }),
    ).rejects.toThrow('no folder');
    expect(engine.calls).toEqual([]);
  });

  it("gradeOne: the submission's result, its instance removed; a failing engine is `error` with a result, not a throw", async () => {
    const engine = engineFor();
    const submission = join(classFolder(), 'a');
    const base = { lab, submission, engines: local(engine), subnetPools: POOLS, results: join(tmp, 'grade-results'), keepResults: 20 };
    const r = await gradeOne({ ...base, instance: fresh() });
    expect([r.status, r.score, r.submission]).toEqual(['passed', 3, submission]);
    expect(engine.leftovers()).toEqual({ containers: [], networks: [] });
    engine.fail({ method: 'createNetwork', error: new Error('the engine ran out of networks') });
    const broken = await gradeOne({ ...base, instance: fresh() });
    expect([broken.status, broken.submission]).toEqual(['error', submission]);
    expect(broken.message).toContain('the engine ran out of networks');
    expect(engine.leftovers()).toEqual({ containers: [], networks: [] });
  });
});

describe('labGraph', () => {
  it("draws lab.yaml's addresses, or with an instance that instance's own", async () => {
    const engine = engineFor();
    const instance = fresh();
    const up = await upLab({ lab, instance, engines: local(engine), subnetPools: POOLS });
    if (up.dryRun) throw new Error('not a dry run');
    const declared = await labGraph({ lab, engines: local(engine) });
    expect(declared.definition.networks.lan?.subnet).toBe('10.0.1.0/24');
    const running = await labGraph({ lab, instance, engines: local(engine) });
    const planned = up.plan.nodes.find((x) => x.name === 'server')?.interfaces[0]?.address;
    expect(running.definition.networks.lan?.subnet).toBe(up.plan.networks[0]?.subnet);
    expect(interfaceOf(running.definition.nodes.server?.interfaces.lan ?? '').ipv4).toBe(planned);
    await expect(labGraph({ lab, instance: 'not-up', engines: local(engine) })).rejects.toThrow('graded (instance not-up) is not up');
  });
});

describe('statusOf, takeDown and pruneOrphans on the local engine', () => {
  it('lists the instance up, takes it down by its lab folder (the lab named as its file names it), then finds nothing', async () => {
    const engine = engineFor();
    const instance = fresh();
    await upLab({ lab, instance, engines: local(engine), subnetPools: POOLS });
    const st = await statusOf({ lab: labDir, instance, engines: local(engine) });
    expect([st.pooled, st.unreachable, st.instances.map((i) => [i.lab, i.instance, i.nodes.length])]).toEqual([
      false,
      [],
      [['graded', instance, 2]],
    ]);
    const r = await takeDown({ lab: labDir, instance, engines: local(engine) });
    expect([r.what, r.removed, r.unreachable]).toEqual([`graded (instance ${instance})`, { containers: 2, networks: 1 }, []]);
    expect((await statusOf({ engines: local(engine) })).instances).toEqual([]);
    expect((await takeDown({ lab: labDir, instance, engines: local(engine) })).removed).toEqual({ containers: 0, networks: 0 });
    expect(await pruneOrphans({ engines: local(engine) })).toEqual({ removed: [], unreachable: [], failed: [] });
  });
});

describe('results folders and options', () => {
  it('resultsDir keeps the newest `keep - 1` runs of the lab beside the new one, and names it by the time', () => {
    const base = join(tmp, 'runs');
    const labRuns = join(base, 'graded');
    for (const [i, name] of ['r1', 'r2', 'r3'].entries()) {
      mkdirSync(join(labRuns, name), { recursive: true });
      utimesSync(join(labRuns, name), 1000 + i, 1000 + i);
    }
    const dir = resultsDir(base, 'graded', 'x', 2, new Date('2026-01-02T03:04:05.678Z'));
    expect(dir).toBe(join(labRuns, 'x-2026-01-02_03-04-05'));
    expect(readdirSync(labRuns)).toEqual(['r3']);
  });

  it('keepResults reads TOPLAB_KEEP_RESULTS, 20 when unset or not a whole number from 1; instanceName refuses what Docker cannot name', () => {
    expect([keepResults({}), keepResults({ TOPLAB_KEEP_RESULTS: '5' }), keepResults({ TOPLAB_KEEP_RESULTS: '0' })]).toEqual([20, 5, 20]);
    expect(instanceName(undefined)).toBe('default');
    expect(() => instanceName('Bad_Name')).toThrow(UsageError);
    expect(subnetPoolsOf('10.64.0.0/10', { TOPLAB_SUBNET_POOL: '10.128.0.0/9' }).pool).toBe('10.64.0.0/10');
  });
});
