// What `ps` in a node shows for a lab program (launchThen): the wrapper's arguments and the program's command
// line, not the wrapper's whole script text. Run here for real with sh, through a runtime that runs each exec
// on this machine (test/helpers/local-runtime.ts).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { launchThen, processState, runToken, signalAndWait, type LaunchSpec } from '../../../src/exercise/programs.js';
import { localLab } from '../../helpers/local-runtime.js';

const work = mkdtempSync(join(tmpdir(), 'toplab-launch-ps-'));
const running = localLab();
const spec: LaunchSpec = {
  name: 'server',
  container: 'local',
  runDir: join(work, 'runs'),
  argv: ['sleep', '30'],
  token: runToken(),
  fresh: true,
  env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' },
};
afterAll(async () => {
  await signalAndWait(running, spec, 'KILL', 5000);
  rmSync(work, { recursive: true, force: true });
}, 30_000);

const cmdline = (pid: number): string[] => readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').slice(0, -1);
const parentOf = (pid: number): number => Number(readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ')[1]);

describe('a launched program as ps shows it', () => {
  it("the wrapper's command line is `sh -s --` and its arguments, ending with the program's own", async () => {
    await launchThen(
      running,
      spec,
      `i=0; while [ ! -s ${spec.runDir}/server/${spec.token}/pid ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i+1)); done`,
      15_000,
    );
    const pid = (await processState(running, spec)).pid;
    expect(pid).toBeGreaterThan(0);
    expect(cmdline(pid ?? 0)).toEqual(['sleep', '30']);
    const wrapper = cmdline(parentOf(pid ?? 0));
    expect(wrapper).toEqual(['sh', '-s', '--', join(work, 'runs', 'server'), '1048576', spec.token, '1', 'sleep', '30']);
    expect(wrapper.join(' ')).not.toContain('The wrapper every lab program');
  });
});
