import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { relevantLines } from '../../../src/checks/observed.js';
import { PROGRAMS_DIR } from '../../../src/deploy/node-layout.js';
import { PROGRAMS_DIR_IN_NODE } from '../../../src/exercise/output-lines.js';
import { checkError, checkExit, checkOutput } from '../../../src/checks/output.js';
import { checkTeardown } from '../../../src/checks/teardown.js';
import { emptyObservations, type Observations, type ProgramObservation } from '../../../src/exercise/observations.js';
import { launchThen, runToken, waitForOutput } from '../../../src/exercise/programs.js';
import { startAndWait } from '../../../src/exercise/start.js';
import { resolveStep, type StepOfKind } from '../../../src/lab/resolve.js';
import { decodePcap } from '../../../src/observe/pcap.js';
import { ROOT } from '../../helpers/cli.js';
import { localLab } from '../../helpers/local-runtime.js';

const refused = readFileSync(join(ROOT, 'test/fixtures/outputs/node-econnrefused.stderr'), 'utf8');

function withProgram(p: Partial<ProgramObservation>): Observations {
  const obs = emptyObservations();
  obs.programs.client = { node: 'client', kind: 'program', stdout: '', stderr: '', timedOut: false, running: false, droppedBytes: 0, ...p };
  return obs;
}

describe('what a program said went wrong', () => {
  it('picks the lines of a Node crash that name the error, not its last line', () => {
    expect(relevantLines(refused)).toEqual(['Error: connect ECONNREFUSED 127.0.0.1:9000', "code: 'ECONNREFUSED',"]);
    expect(relevantLines('starting\nconnected\ndone\n', 2)).toEqual(['connected', 'done']);
    expect(relevantLines('x'.repeat(500)).map((l) => l.length)).toEqual([201]);
    expect(relevantLines(Array.from({ length: 50 }, (_, i) => `error ${i}`).join('\n'))).toHaveLength(4);
  });

  it("says where in the student's own source an error was thrown, from Node's source-mapped stack", () => {
    const crash = readFileSync(join(ROOT, 'test/fixtures/outputs/node-typeerror-source-mapped.stderr'), 'utf8');
    expect(relevantLines(crash)).toEqual(["TypeError: Cannot read properties of undefined (reading 'text') (at server.ts:10:33)"]);
    // No frame of the program's own: nothing added (Node's own frames, an npm package's).
    expect(relevantLines(refused)).toEqual(['Error: connect ECONNREFUSED 127.0.0.1:9000', "code: 'ECONNREFUSED',"]);
    expect(
      relevantLines('Error: boom\n    at f (/opt/toplab/programs/node_modules/yaml/dist/x.js:1:2)\n    at node:internal/x:1:1\n'),
    ).toEqual(['Error: boom']);
    expect(PROGRAMS_DIR_IN_NODE).toBe(PROGRAMS_DIR);
  });

  it('takes the error thrown, not the source line Node quotes above it (`throw new Error(...)` names an Error too)', () => {
    const thrown = readFileSync(join(ROOT, 'test/fixtures/outputs/node-throw-error-source-mapped.stderr'), 'utf8');
    expect(relevantLines(thrown)).toEqual(['Error: PORT must be 1234, got 9000 (at server.ts:4:26)']);
    // The checks quote the first of them: the error and where, never the excerpt.
    const obs = withProgram({ stderr: thrown, exitCode: 1 });
    expect(checkExit({ program: 'client', code: 0 }, obs).evidence).toContain(
      'client stderr: "Error: PORT must be 1234, got 9000 (at server.ts:4:26)"',
    );
  });

  it('shows the ECONNREFUSED line in the output, exit and error checks', () => {
    const obs = withProgram({ stderr: refused, exitCode: 1 });
    expect(checkExit({ program: 'client', code: 0 }, obs).evidence).toContain(
      'client stderr: "Error: connect ECONNREFUSED 127.0.0.1:9000"',
    );
    expect(checkOutput({ program: 'client', equals: 'one\ntwo\nthree' }, obs).evidence).toContain(
      'client stderr: "Error: connect ECONNREFUSED 127.0.0.1:9000"',
    );
    expect(checkError({ program: 'client', errno: 'ECONNRESET' }, obs).evidence).toContain(
      'client printed: "Error: connect ECONNREFUSED 127.0.0.1:9000"',
    );
  });
});

describe('a SYN refused with RST is not a connection closed', () => {
  const obs = emptyObservations({ server: ['10.77.251.10'], client: ['10.77.251.20'] });
  obs.captures.w = { node: 'server', packets: decodePcap(readFileSync(join(ROOT, 'test/fixtures/pcap/tcp-closed-port.pcap'))) };

  it('says there was no connection to close', () => {
    const v = checkTeardown({ capture: 'w', port: 9001 }, obs);
    expect(v.passed).toBe(false);
    expect(v.message).toBe(
      'there was no connection to close: the SYN to 10.77.251.10 (server) port 9001 was refused with a RST from 10.77.251.10 (server) (nothing was listening there), so the connection was never opened.',
    );
  });

  it('does not take a refused SYN for a reset connection', () => {
    expect(checkTeardown({ capture: 'w', port: 9001, reset: 'required' }, obs).passed).toBe(false);
  });

  it('says the side that should close did not (tcp-missing-ack.pcap: no FIN)', () => {
    const missing = emptyObservations({ server: ['10.77.251.10'], client: ['10.77.251.20'] });
    missing.captures.w = { node: 'server', packets: decodePcap(readFileSync(join(ROOT, 'test/fixtures/pcap/tcp-missing-ack.pcap'))) };
    expect(checkTeardown({ capture: 'w', initiator: 'client' }, missing).message).toBe(
      'no FIN at all: client did not close the connection before the capture ended.',
    );
  });
});

describe('a wait for output that ends because the program ended', () => {
  const work = mkdtempSync(join(tmpdir(), 'toplab-wait-output-'));
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('says it ended, with its exit code and output, not that the time ran out', async () => {
    const running = localLab();
    const spec = {
      name: 'server',
      container: 'local',
      runDir: work,
      argv: ['sh', '-c', 'echo starting; echo "Error: listen EADDRINUSE: address already in use :::9000" >&2; exit 1'],
      token: runToken(),
      env: {},
    };
    await launchThen(running, spec, 'true', 10_000);
    const r = await waitForOutput(running, spec, /^listening/m, 10_000);
    // Why the wait ended: the program's exit (a wait that ran out says `timeout`, with the program running).
    expect(r.outcome).toBe('exited');
    expect(r.outcome === 'exited' ? r.state.exitCode : undefined).toBe(1);
    expect(r.outcome === 'exited' ? relevantLines(r.state.stderr) : []).toEqual([
      'Error: listen EADDRINUSE: address already in use :::9000',
    ]);
  });

  it('a start that never became ready shows the error line of the crash, not its last lines', async () => {
    const running = localLab();
    const fixture = join(ROOT, 'test/fixtures/outputs/node-econnrefused.stderr');
    const spec = {
      name: 'client',
      container: 'local',
      runDir: work,
      argv: ['sh', '-c', `cat '${fixture}' >&2; exit 1`],
      token: runToken(),
      env: {},
    };
    const started = startAndWait(running, resolveStep({ start: 'client', ready: { tcp: 1, timeout: 10 } }, 0) as StepOfKind<'start'>, spec);
    await expect(started).rejects.toThrow(
      /^client exited with code 1 before it was ready \(a TCP socket listening on port 1 in node \); it printed:\n {4}Error: connect ECONNREFUSED 127\.0\.0\.1:9000\n {4}code: 'ECONNREFUSED',$/,
    );
  }, 30_000);
});
