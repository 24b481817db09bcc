import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { PROBE_KIND_MODULES } from '../../../src/exercise/probe-kinds/registry.js';
import { labSchemaJson } from '../../../src/lab/lab-schema.js';
import { loadLab } from '../../../src/lab/load.js';
import { DEFAULTS, resolveLab, resolveStep } from '../../../src/lab/resolve.js';
import type { LabFile } from '../../../src/lab/model.js';
import { labsDir } from '../../../src/paths.js';

type Node = { description?: string; properties?: Record<string, Node>; allOf?: { then: { properties: Record<string, Node> } }[] };
const schema = JSON.parse(labSchemaJson()) as { properties: Record<string, Node>; $defs: Record<string, Node> };
const step = schema.$defs.step!;
const stepOptions = (key: string): Record<string, Node> =>
  step.allOf?.find((a) => JSON.stringify(a).includes(`"required":["${key}"]`))?.then.properties ?? {};
const described = (n: Node | undefined): string => n?.description ?? '';

/**
 * Every default the lab format documents, next to the constant resolveLab applies. The hand-written model once
 * said the readiness timeout was 10 s while the schema, the docs and the step runner used 20 s: a default
 * written in two places drifts, so the schema's sentence and the code's constant are held together here.
 */
const DOCUMENTED: [where: string, text: string, pattern: RegExp, value: unknown][] = [
  ['passMark', described(schema.properties.passMark), /\(default (\S+)\)/, DEFAULTS.passMark],
  ['start.ready.timeout', described(stepOptions('start').ready?.properties?.timeout), /\(default (\d+)\)/, DEFAULTS.readyTimeoutS],
  ['run.timeout', described(stepOptions('run').timeout), /\(default (\d+)\)/, DEFAULTS.runTimeoutS],
  ['command.timeout', described(step.properties?.command?.properties?.timeout), /\(default (\d+)\)/, DEFAULTS.commandTimeoutS],
  ['command.privileged', described(step.properties?.command?.properties?.privileged), /\(default (\w+)\)/, DEFAULTS.commandPrivileged],
  ['wait.timeout', described(step.properties?.wait?.properties?.timeout), /\(default (\d+)\)/, DEFAULTS.waitTimeoutS],
  ['probe.timeout', described(step.properties?.probe?.properties?.timeout), /\(default (\d+);/, DEFAULTS.probeTimeoutS],
  [
    'probe.timeout (traceroute)',
    described(step.properties?.probe?.properties?.timeout),
    /traceroute (\d+)\)/,
    PROBE_KIND_MODULES.traceroute.timeoutS,
  ],
  ['probe.kind', described(step.properties?.probe?.properties?.kind), /(\w+): [^;]*\(default\)/, DEFAULTS.probeKind],
  ['probe.count', described(step.properties?.probe?.properties?.count), /\(default (\d+)\)/, DEFAULTS.pingCount],
  ['probe.size', described(step.properties?.probe?.properties?.size), /\(default (\d+)\)/, DEFAULTS.pingSize],
  ['probe.family', described(step.properties?.probe?.properties?.family), /(\d) \(default\)/, DEFAULTS.family],
  ['capture.interface', described(step.properties?.capture?.properties?.interface), /\(default: (\w+)\)/, DEFAULTS.captureInterface],
  ['capture.snaplen', described(step.properties?.capture?.properties?.snaplen), /\(default (\d+)/, DEFAULTS.snaplen],
  ['wait.state (tcp, unix)', described(step.properties?.wait?.properties?.state), /\(default (\w+) for tcp and unix/, DEFAULTS.socketState],
  ['wait.state (udp)', described(step.properties?.wait?.properties?.state), /, (\w+) for udp\)/, DEFAULTS.udpSocketState],
  ['stop.signal', described(stepOptions('stop').signal), /\(default (\w+)\)/, DEFAULTS.stopSignal],
];

describe('resolveLab applies each documented default once', () => {
  for (const [where, text, pattern, value] of DOCUMENTED) {
    it(`${where}: the schema's "default" is the one applied`, () => {
      const m = pattern.exec(text);
      expect(m, `${where}: no default in "${text}"`).not.toBeNull();
      expect(m?.[1]).toBe(String(value));
    });
  }

  it('gives a capture its interface and snapshot length, so the step runner reads them from the resolved step', () => {
    expect(resolveStep({ capture: { name: 'c', node: 'n' } }, 2)).toEqual({
      kind: 'capture',
      index: 2,
      name: 'c',
      node: 'n',
      interface: 'any',
      snaplen: 65535,
    });
    expect(resolveStep({ capture: { name: 'c', node: 'n', interface: 'eth0', snaplen: 96 } }, 0)).toMatchObject({
      interface: 'eth0',
      snaplen: 96,
    });
  });

  it('names each step kind and fills in the defaults', () => {
    expect(resolveStep({ start: 'server', ready: { tcp: 9000 } }, 0)).toEqual({
      kind: 'start',
      index: 0,
      program: 'server',
      name: 'server',
      ready: { tcp: 9000 },
      readyTimeoutS: 20,
    });
    expect(resolveStep({ run: 'client', name: 'c2', timeout: 5 }, 1)).toEqual({
      kind: 'run',
      index: 1,
      program: 'client',
      name: 'c2',
      timeoutS: 5,
    });
    expect(resolveStep({ command: { name: 'x', node: 'n', run: 'true' } }, 2)).toEqual({
      kind: 'command',
      index: 2,
      name: 'x',
      node: 'n',
      run: 'true',
      privileged: false,
      timeoutS: 10,
    });
    expect(resolveStep({ probe: { name: 't', node: 'c', kind: 'traceroute', target: 's' } }, 3)).toMatchObject({
      kind: 'probe',
      probe: 'traceroute',
      timeoutS: 30,
      family: 4,
    });
    expect(resolveStep({ probe: { name: 'p', node: 'c' } }, 4)).toMatchObject({ kind: 'probe', probe: 'sockets', timeoutS: 10 });
    expect(resolveStep({ wait: { node: 's', udp: 53 } }, 6)).toEqual({
      kind: 'wait',
      index: 6,
      node: 's',
      udp: 53,
      state: 'UNCONN',
      timeoutS: 10,
    });
    expect(resolveStep({ wait: { node: 's', tcp: 80 } }, 7)).toMatchObject({ state: 'LISTEN' });
    expect(resolveStep({ wait: { output: 'server', matches: 'x', timeout: 2 } }, 8)).toEqual({
      kind: 'wait',
      index: 8,
      output: 'server',
      matches: 'x',
      timeoutS: 2,
    });
    expect(resolveStep({ stop: 'server' }, 5)).toEqual({ kind: 'stop', index: 5, target: 'server', signal: 'TERM' });
  });

  it('resolves every lab of labs/: a kind on every step and check, the pass mark and the maximum score', () => {
    for (const name of readdirSync(labsDir())) {
      const lab = loadLab(name);
      expect(
        lab.steps.map((s) => s.kind),
        name,
      ).toEqual(
        lab.def.exercise.map((s) =>
          Object.keys(s).find((k) => ['start', 'run', 'command', 'capture', 'probe', 'wait', 'stop'].includes(k)),
        ),
      );
      expect(
        lab.checks.every((c) => c.kind in (lab.def.checks.find((d) => d.id === c.id) ?? {})),
        name,
      ).toBe(true);
      expect(lab.passMark, name).toBe(lab.def.passMark ?? 1);
      expect(lab.maxScore, name).toBe(lab.def.checks.reduce((s, c) => s + c.points, 0));
    }
  });

  it('gives everything read after loading: name, title and topology as written, programs, modules and submission files defaulted', () => {
    const file: LabFile = {
      name: 'tiny',
      title: 'Tiny',
      networks: { lan: { subnet: '10.0.0.0/24' } },
      nodes: { a: { interfaces: { lan: '10.0.0.2' } } },
      exercise: [{ command: { name: 'c', node: 'a', run: 'true' } }],
      checks: [{ id: 'ran', points: 2, exit: { program: 'c', code: 0 } }],
    };
    const lab = resolveLab(file);
    expect(lab).toMatchObject({ name: 'tiny', title: 'Tiny', networks: file.networks, nodes: file.nodes, programs: {}, modules: [] });
    expect(lab.submissionFiles).toEqual([]);
    expect('summary' in lab).toBe(false);
    // A check without a title is titled by its id; the maximum score is the sum of the points.
    expect(lab.checks.map((c) => [c.id, c.title, c.points])).toEqual([['ran', 'ran', 2]]);
    expect(lab.maxScore).toBe(2);
    const programs = { server: { node: 'a', source: 'server.ts' }, client: { node: 'a', source: 'client.ts' } };
    expect(resolveLab({ ...file, programs }).submissionFiles).toEqual(['server.ts', 'client.ts']);
    expect(resolveLab({ ...file, programs, submission: { files: ['client.ts', 'answers.txt'] } }).submissionFiles).toEqual([
      'client.ts',
      'answers.txt',
    ]);
    expect(resolveLab({ ...file, summary: 'S', modules: ['yaml'] })).toMatchObject({ summary: 'S', modules: ['yaml'] });
  });
});
