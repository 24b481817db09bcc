import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CHECK_KINDS } from '../../../src/checks/registry.js';
import { LabValidationError, formatProblem } from '../../../src/errors.js';
import { loadLab, parseLabText } from '../../../src/lab/load.js';
import { ROOT } from '../../helpers/cli.js';

const everythingDir = join(ROOT, 'test/fixtures/labs/everything');
const everything = readFileSync(join(everythingDir, 'lab.yaml'), 'utf8');

function problemsOf(text: string): string[] {
  const dir = mkdtempSync(join(tmpdir(), 'toplab-test-'));
  cpSync(everythingDir, dir, { recursive: true });
  const file = join(dir, 'lab.yaml');
  writeFileSync(file, text);
  try {
    parseLabText(text, file);
  } catch (e) {
    if (!(e instanceof LabValidationError)) throw e;
    return e.problems.map((p) => formatProblem({ ...p, file: 'lab.yaml' }));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return [];
}

/** The lab with its exercise and checks replaced. */
function withParts(exercise: string, checks: string): string {
  const head = everything.slice(0, everything.indexOf('exercise:'));
  return `${head}exercise:\n${exercise}\nchecks:\n${checks}\n`;
}

describe('the step and check syntax (docs/lab-format.md)', () => {
  it('accepts a lab using every step kind and every check kind', () => {
    const lab = loadLab(everythingDir);
    const kinds = new Set(
      lab.def.exercise.map((s) => Object.keys(s).find((k) => ['start', 'run', 'command', 'capture', 'probe', 'wait', 'stop'].includes(k))),
    );
    expect([...kinds].sort()).toEqual(['capture', 'command', 'probe', 'run', 'start', 'stop', 'wait']);
    const checkKinds = new Set(lab.def.checks.map((c) => Object.keys(c).find((k) => !['id', 'points', 'title', 'hint'].includes(k))));
    expect([...checkKinds].sort()).toEqual(CHECK_KINDS.map((k) => k.name).sort());
  });

  it('every YAML example in docs/lab-format.md is valid where it stands', () => {
    const full = readFileSync(join(ROOT, 'docs/lab-format.md'), 'utf8');
    const doc = full.slice(full.indexOf('## Exercise and checks'));
    const blocks = [...doc.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1] ?? '');
    expect(blocks.length).toBeGreaterThan(15);
    for (const block of blocks) {
      if (block.startsWith('exercise:') || block.startsWith('submission:')) continue;
      const isStep = /^- (start|run|command|capture|stop|probe|wait)\b/.test(block);
      // Steps are checked inside a valid exercise; checks after the lab's own.
      const lines = block
        .split('\n')
        .filter((l) => l.trim() !== '' && !/^\s*#/.test(l))
        .join('\n');
      const text = isStep
        ? withParts(
            everything.slice(everything.indexOf('exercise:\n') + 10, everything.indexOf('checks:')).replace(/\n$/, '') +
              '\n' +
              lines.replace(/^/gm, '  '),
            '  - { id: x, points: 1, exit: { program: client, code: 0 } }',
          )
        : withParts(
            everything.slice(everything.indexOf('exercise:\n') + 10, everything.indexOf('checks:')).replace(/\n$/, ''),
            lines.replace(/^/gm, '  '),
          );
      const problems = problemsOf(text).filter(
        (p) =>
          !/already used|already started|already taken|duplicate check id|is neither a running program|unknown (node|capture|probe|program run)|not on network|is not listed|not a program started/.test(
            p,
          ),
      );
      expect(problems, block).toEqual([]);
    }
  });

  it('names what is wrong in a step, where it is', () => {
    expect(problemsOf(withParts('  - strat: server', '  - { id: x, points: 1, exit: { program: client, code: 0 } }'))).toEqual([
      'lab.yaml:18:5: exercise.0: unknown key `strat` in step 1; did you mean `start`?',
      'lab.yaml:18:5: exercise.0: step 1 should have exactly one of `start`, `run`, `command`, `capture`, `probe`, `wait`, `stop`',
      'lab.yaml:20:42: checks.0.exit.program: unknown program run or command `client`',
    ]);
    expect(
      problemsOf(withParts('  - start: server\n    timeout: 5', '  - { id: x, points: 1, exit: { program: server, code: 0 } }')),
    ).toEqual(['lab.yaml:19:5: exercise.0: unknown key `timeout` in step 1']);
    expect(
      problemsOf(
        withParts(
          '  - { start: server, run: client }',
          '  - { id: x, points: 1, exit: { program: server, code: 0 }, output: { program: server, equals: x } }',
        ),
      ),
    ).toEqual([
      'lab.yaml:18:5: exercise.0: step 1 should have exactly one of `start`, `run`, `command`, `capture`, `probe`, `wait`, `stop`; found `start` and `run`',
      expect.stringMatching(
        /^lab.yaml:20:5: checks.0: check 1 should have exactly one of `socket`, .*`answer`(, `[a-z-]+`)*; found `output` and `exit`$/,
      ),
    ]);
    expect(
      problemsOf(withParts('  - command: { name: c, node: client }', '  - { id: x, points: 1, exit: { program: c, code: 0 } }')),
    ).toEqual(['lab.yaml:18:14: exercise.0.command: step 1 should have exactly one of `run`, `file`']);
  });

  it("refuses an answer's `expect.mac` of a node's own address (its neighbour table never holds it: the check could never pass)", () => {
    const problems = problemsOf(
      withParts(
        ['  - start: server', '  - probe: { name: n, node: client, kind: neighbours }'].join('\n'),
        '  - { id: m, points: 1, answer: { from: server, expect: { mac: { node: client, of: client, probe: n } } } }',
      ),
    );
    expect(problems).toEqual([
      "lab.yaml:21:84: checks.0.answer.expect.mac.of: `of` must be another node than `client`: a node's neighbour table never holds its own address",
    ]);
  });

  it('says a probe of the wrong kind is of the wrong kind (it was called unknown)', () => {
    const problems = problemsOf(
      withParts(
        ['  - start: server', '  - probe: { name: socks, node: client, kind: sockets }'].join('\n'),
        '  - { id: m, points: 1, answer: { from: server, expect: { mac: { node: client, of: server, probe: socks } } } }',
      ),
    );
    expect(problems).toEqual([
      'lab.yaml:21:99: checks.0.answer.expect.mac.probe: the probe `socks` is a sockets probe; this needs a neighbours probe',
    ]);
  });

  it('refuses `idle` on a wait for a socket, where the idle rule does not apply (it was accepted and ignored)', () => {
    const problems = problemsOf(
      withParts(
        ['  - start: server', '  - wait: { node: client, tcp: 9000, idle: 2 }'].join('\n'),
        '  - { id: a, points: 1, exit: { program: server, code: 0 } }',
      ),
    );
    expect(problems).toEqual([
      'lab.yaml:19:44: exercise.1.wait.idle: `idle` goes with a wait for a program (`exit` or `output`), not a socket: it would be ignored here',
    ]);
  });

  it("checks each step kind's own rules (the kinds' `lint`, src/exercise/step-kinds/)", () => {
    const problems = problemsOf(
      withParts(
        [
          '  - start: server',
          '    ready: { stdout: "(" }',
          '  - capture: { name: server, node: client, command: capture.txt, snaplen: 96 }',
          '  - probe: { name: p, node: client, kind: sockets, port: 9000, count: 2 }',
          '  - probe: { name: q, node: client, kind: ping, target: server, network: nowhere }',
          '  - wait: { node: client, tcp: 9000, udp: 53 }',
          '  - wait: { output: server }',
          '  - wait: { exit: server, matches: "[" }',
          '  - capture: { name: wire, node: client }',
          '  - stop: wire',
          '    signal: KILL',
        ].join('\n'),
        '  - { id: a, points: 1, exit: { program: server, code: 0 } }',
      ),
    );
    expect(problems).toEqual([
      'lab.yaml:19:22: exercise.0.ready.stdout: not a valid regular expression: Invalid regular expression: /(/m: Unterminated group',
      "lab.yaml:20:22: exercise.1.capture.name: the name `server` is already a program's or command's name",
      'lab.yaml:20:75: exercise.1.capture.snaplen: `snaplen` comes from the command file `capture.txt`; leave it out',
      'lab.yaml:21:58: exercise.2.probe.port: `port` is only for lsof probes',
      'lab.yaml:21:71: exercise.2.probe.count: `count` is only for ping and traceroute probes',
      'lab.yaml:22:74: exercise.3.probe.network: node `server` is not on network `nowhere` (known: `lan`, `far`)',
      'lab.yaml:23:11: exercise.4.wait: give one of `tcp`, `udp` or `unix`',
      'lab.yaml:24:11: exercise.5.wait: say what to wait for: `matches: <regular expression>`',
      'lab.yaml:25:36: exercise.6.wait.matches: `matches` goes with `output: <program>`',
      'lab.yaml:25:36: exercise.6.wait.matches: not a valid regular expression: Invalid regular expression: /[/m: Unterminated character class',
      'lab.yaml:28:13: exercise.8.signal: `signal` is for programs; a capture is stopped with SIGINT so it flushes',
    ]);
  });

  it('checks references between steps and checks', () => {
    const problems = problemsOf(
      withParts(
        [
          '  - start: server',
          '  - run: client',
          '  - run: client',
          '  - capture: { name: wire, node: sever }',
          '  - probe: { name: t, node: client, kind: traceroute }',
          '  - wait: { exit: clinet }',
          '  - stop: nothing',
        ].join('\n'),
        [
          '  - { id: a, points: 1, handshake: { capture: wier, client: client, server: server, port: 1 } }',
          '  - { id: b, points: 1, output: { program: client, contains: x, equals: y } }',
          '  - { id: c, points: 1, answer: { file: nope.txt, expect: { hops: t } } }',
          '  - { id: d, points: 1, socket: { node: server, tcp: 1, program: client } }',
        ].join('\n'),
      ),
    );
    expect(problems).toEqual([
      'lab.yaml:20:10: exercise.2.run: the name `client` is already used by step 2; give each run its own `name`',
      'lab.yaml:21:34: exercise.3.capture.node: unknown node `sever`; did you mean `server`?',
      'lab.yaml:22:12: exercise.4.probe: a traceroute probe needs `target`: the node to reach',
      'lab.yaml:23:19: exercise.5.wait.exit: `clinet` is not a program started (and still running) at an earlier step (known: `server`)',
      'lab.yaml:24:11: exercise.6.stop: `nothing` is neither a running program nor a capture started at an earlier step (known: `server`, `wire`)',
      'lab.yaml:26:47: checks.0.handshake.capture: unknown capture `wier`; did you mean `wire`?',
      'lab.yaml:27:33: checks.1.output: give exactly one of `equals`, `contains` or `matches`',
      'lab.yaml:28:41: checks.2.answer.file: `nope.txt` is not listed under `submission.files`, so a student could not submit it',
      expect.stringMatching(/^lab\.yaml:28:41: checks\.2\.answer\.file: `nope\.txt` does not exist in /),
      'lab.yaml:29:66: checks.3.socket.program: `client` is not a program started in the background (known: `server`)',
    ]);
  });
});
