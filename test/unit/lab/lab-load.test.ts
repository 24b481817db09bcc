import { cpSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LabValidationError, formatProblem } from '../../../src/errors.js';
import { loadLab, parseLabText, readLabName } from '../../../src/lab/load.js';
import { labsDir } from '../../../src/paths.js';

function problemsOf(text: string): string[] {
  const dir = mkdtempSync(join(tmpdir(), 'toplab-test-'));
  cpSync(join(labsDir(), 'tcp-handshake'), dir, { recursive: true });
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

const good = `name: t
title: T
networks:
  lan: { subnet: 10.0.1.0/24 }
nodes:
  server: { interfaces: { lan: 10.0.1.10 } }
  client: { interfaces: { lan: 10.0.1.20 } }
programs:
  server: { node: server, source: server.ts }
exercise:
  - start: server
    ready: { tcp: 9000 }
checks:
  - { id: listen, points: 1, socket: { node: server, tcp: 9000, state: LISTEN } }
`;

describe('loading lab files', () => {
  it('loads the tcp-handshake lab', () => {
    const lab = loadLab('tcp-handshake');
    expect(lab.def.name).toBe('tcp-handshake');
    expect(Object.keys(lab.def.nodes)).toEqual(['server', 'client']);
    expect(lab.def.checks.map((c) => c.id)).toEqual(['listen', 'handshake', 'established-server', 'established-client', 'echo', 'close']);
  });

  it('accepts a minimal valid lab', () => {
    expect(problemsOf(good)).toEqual([]);
  });

  it('points at an unknown key with its line and column', () => {
    expect(
      problemsOf(good.replace('  server: { interfaces: { lan: 10.0.1.10 } }', '  server: { interfaces: { lan: 10.0.1.10 }, colour: red }')),
    ).toEqual(['lab.yaml:6:45: nodes.server: unknown key `colour` in node `server`']);
  });

  it('says what the idle rule takes, whatever is given instead: a number of seconds, or false', () => {
    const withIdle = (v: string): string[] => problemsOf(good.replace('ready: { tcp: 9000 }', `ready: { tcp: 9000, idle: ${v} }`));
    const hint = 'a number of seconds (more than 0, at most 60), or false to turn the idle rule off';
    expect(withIdle('false')).toEqual([]);
    expect(withIdle('2')).toEqual([]);
    // `true` used to read "must be equal to constant", and "yes" "should be a number or true or false".
    expect(withIdle('true')).toEqual([`lab.yaml:12:31: exercise.0.ready.idle: should be ${hint}, not true`]);
    expect(withIdle('yes')).toEqual([`lab.yaml:12:31: exercise.0.ready.idle: should be ${hint}, not the text "yes"`]);
  });

  it('reports every problem at once, each where it is', () => {
    const text = good.replace('lan: 10.0.1.20', 'lan: 10.0.2.20').replace('node: server, source', 'node: sever, source');
    expect(problemsOf(text)).toEqual([
      "lab.yaml:7:32: nodes.client.interfaces.lan: 10.0.2.20 is outside lan's subnet 10.0.1.0/24",
      'lab.yaml:9:19: programs.server.node: unknown node `sever`; did you mean `server`?',
    ]);
  });

  it('says plainly when the file is empty, a list, or not YAML', () => {
    expect(problemsOf('')).toEqual([
      'lab.yaml:1:1: (top level): the file is empty; a lab file is a map with name, title, networks, nodes, exercise and checks',
    ]);
    expect(problemsOf('- a\n- b\n')[0]).toContain('must be a map of keys');
    expect(problemsOf('name: [unclosed\n')[0]).toMatch(/^lab\.yaml:\d+:\d+: \(top level\): YAML syntax: /);
  });
});

describe('readLabName (lab down: the name alone, unvalidated)', () => {
  function nameOf(text: string): string | undefined {
    const dir = mkdtempSync(join(tmpdir(), 'toplab-test-'));
    try {
      writeFileSync(join(dir, 'lab.yaml'), text);
      return readLabName(join(dir, 'lab.yaml'));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  it('reads the name of every lab in labs/ as loadLab does', () => {
    const labs = readdirSync(labsDir(), { withFileTypes: true }).filter((d) => existsSync(join(labsDir(), d.name, 'lab.yaml')));
    expect(labs.length).toBeGreaterThan(5);
    for (const lab of labs) {
      const file = join(labsDir(), lab.name, 'lab.yaml');
      expect(readLabName(file)).toBe(loadLab(file).def.name);
    }
  });

  it('reads a top-level name, quoted or not, with a comment, whatever else the file holds', () => {
    expect(nameOf('title: x\nname: "web-1"  # the lab\nnodes: 3\n')).toBe('web-1');
    expect(nameOf("name: 'a1'\n")).toBe('a1');
    // Only column 0 is the top level: an indented `name:` (a program's, a block scalar's line) is not the lab's.
    expect(nameOf('summary: |\n  name: other\nname: mine\nprograms:\n  p: { name: x }\n')).toBe('mine');
  });

  it('parses the YAML when the line alone cannot say: a flow mapping, an anchor, a name continued on the next line', () => {
    expect(nameOf('{ title: t, name: flow-lab }\n')).toBe('flow-lab');
    expect(nameOf('name: &n anchored\n')).toBe('anchored');
    // A plain scalar goes on over indented lines: this name is "half more", not a lab name.
    expect(nameOf('name: half\n  more\n')).toBeUndefined();
  });

  it('gives nothing for a name the schema refuses, a missing name, or a file that is not there', () => {
    expect(nameOf('name: Not_A_Name\n')).toBeUndefined();
    expect(nameOf('title: no name\n')).toBeUndefined();
    expect(readLabName('/nonexistent/lab.yaml')).toBeUndefined();
  });
});
