import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { privilegedCommand } from '../../../src/app/exec.js';
import { completionScript } from '../../../src/cli/completion.js';
import { commandShapes, helpTexts, parseCommandLine, type Invocation } from '../../../src/cli/program.js';
import { UsageError } from '../../../src/errors.js';
import { defaultBatchParallel } from '../../../src/grade/batch.js';
import { REPORT_FORMATS } from '../../../src/report/registry.js';
import { parseEnginesText } from '../../../src/engines/engines-file.js';
import { parseLabText, resolveLabFile } from '../../../src/lab/load.js';
import { ROOT } from '../../helpers/cli.js';

/** Parses without printing; throws when the command line asked for help or the version instead. */
function parsed(argv: string[], env: Record<string, string | undefined> = {}): Invocation {
  const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
  for (const [k, v] of Object.entries(env)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  try {
    const r = parseCommandLine(argv, () => undefined);
    if (!('command' in r)) throw new Error(`printed help, exit ${r.exitCode}`);
    return r;
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}

/** The usage error a command line gets (or undefined when it parses). */
function refusal(argv: string[]): UsageError | undefined {
  try {
    parseCommandLine(argv, () => undefined);
    return undefined;
  } catch (e) {
    if (e instanceof UsageError) return e;
    throw e;
  }
}

function printed(argv: string[]): { text: string; exitCode: number } {
  let text = '';
  const r = parseCommandLine(argv, (t) => (text += t));
  if ('command' in r) throw new Error(`ran ${r.command} instead of printing`);
  return { text, exitCode: r.exitCode };
}

// Environment variables that are options' defaults: unset so the table does not depend on the machine.
const CLEAN = {
  TOPLAB_ENGINES: undefined,
  TOPLAB_SUBNET_POOL: undefined,
  TOPLAB_DATA: undefined,
  TOPLAB_PORT: undefined,
  TOPLAB_PUBLIC_URL: undefined,
};

describe('argv → command and options (no process spawned)', () => {
  const table: [string[], { command: string; args: Record<string, unknown>; options: Record<string, unknown> }][] = [
    [['list'], { command: 'list', args: {}, options: {} }],
    [['list', '--json'], { command: 'list', args: {}, options: { json: true } }],
    [['up', 'tcp-handshake'], { command: 'up', args: { lab: 'tcp-handshake' }, options: { instance: 'default' } }],
    [
      ['up', 'tcp-handshake', '--dry-run', '--instance', 'x1', '--subnet-pool', '10.200.0.0/16'],
      { command: 'up', args: { lab: 'tcp-handshake' }, options: { instance: 'x1', dryRun: true, subnetPool: '10.200.0.0/16' } },
    ],
    [['up', '--instance=x2', 'tcp-handshake'], { command: 'up', args: { lab: 'tcp-handshake' }, options: { instance: 'x2' } }],
    [
      ['exec', 'tcp-handshake', '--instance', 'x', 'server', '--', 'df', '-h'],
      { command: 'exec', args: { lab: 'tcp-handshake', node: 'server', command: ['df', '-h'] }, options: { instance: 'x', tty: true } },
    ],
    [
      ['exec', 'tcp-handshake', 'client', '-T', '--user', 'root', '--', 'sh', '-c', 'echo --help --instance y'],
      {
        command: 'exec',
        args: { lab: 'tcp-handshake', node: 'client', command: ['sh', '-c', 'echo --help --instance y'] },
        options: { instance: 'default', tty: false, user: 'root' },
      },
    ],
    [
      ['exec', 'l', 'n', '--privileged', '--', '--version'],
      {
        command: 'exec',
        args: { lab: 'l', node: 'n', command: ['--version'] },
        options: { instance: 'default', tty: true, privileged: true },
      },
    ],
    [['init', 'tcp-handshake'], { command: 'init', args: { lab: 'tcp-handshake', dir: undefined }, options: {} }],
    [['init', 'tcp-handshake', 'ws'], { command: 'init', args: { lab: 'tcp-handshake', dir: 'ws' }, options: {} }],
    [['check'], { command: 'check', args: { lab: undefined }, options: { instance: 'default', format: 'terminal' } }],
    [
      ['check', '--submission', 'alice'],
      { command: 'check', args: { lab: undefined }, options: { instance: 'default', format: 'terminal', submission: 'alice' } },
    ],
    [
      ['check', 'tcp-handshake', '--format', 'json', '-o', 'r.json', '-v', '--ladder-format', 'ascii', '--subnet-pool', '10.9.0.0/16'],
      {
        command: 'check',
        args: { lab: 'tcp-handshake' },
        options: { instance: 'default', format: 'json', output: 'r.json', verbose: true, ladderFormat: 'ascii', subnetPool: '10.9.0.0/16' },
      },
    ],
    [
      ['grade', 'udp-echo', '--submissions', 'class', '--parallel', '4', '--format', 'gradescope', '--output', 'out'],
      {
        command: 'grade',
        args: { lab: 'udp-echo' },
        options: { submissions: 'class', parallel: '4', format: 'gradescope', output: 'out' },
      },
    ],
    [['status'], { command: 'status', args: { lab: undefined }, options: { format: 'terminal' } }],
    [
      ['status', 'tcp-handshake', '--json'],
      { command: 'status', args: { lab: 'tcp-handshake' }, options: { format: 'terminal', json: true } },
    ],
    [['down', '--all'], { command: 'down', args: { lab: undefined }, options: { instance: 'default', all: true } }],
    [['down', 'tcp-handshake', '--instance', 'b'], { command: 'down', args: { lab: 'tcp-handshake' }, options: { instance: 'b' } }],
    [['prune'], { command: 'prune', args: {}, options: {} }],
    [['validate', 'a', 'b/lab.yaml'], { command: 'validate', args: { labs: ['a', 'b/lab.yaml'] }, options: {} }],
    [
      ['graph', 'traceroute', '--format', 'dot', '--instance', 'default'],
      { command: 'graph', args: { lab: 'traceroute' }, options: { format: 'dot', instance: 'default' } },
    ],
    [
      ['ladder', 'w.pcap', '--between', '10.0.1.20', '10.0.1.10:9000'],
      {
        command: 'ladder',
        args: { capture: 'w.pcap', endpoints: ['10.0.1.20', '10.0.1.10:9000'] },
        options: { between: true, format: 'terminal' },
      },
    ],
    [['selftest'], { command: 'selftest', args: { labs: [] }, options: { format: 'terminal' } }],
    [['new', 'dns', '--title', 'Asking DNS'], { command: 'new', args: { name: 'dns' }, options: { title: 'Asking DNS' } }],
    [['image', 'build', '--builder', 'offline'], { command: 'image build', args: {}, options: { builder: 'offline' } }],
    [['image', 'prune'], { command: 'image prune', args: {}, options: {} }],
    [['engines'], { command: 'engines list', args: {}, options: { format: 'terminal' } }],
    [['engines', '--format', 'json'], { command: 'engines list', args: {}, options: { format: 'json' } }],
    [
      ['engines', 'drain', 'e2', '--engines', 'pool.yaml'],
      { command: 'engines drain', args: { name: 'e2' }, options: { engines: 'pool.yaml' } },
    ],
    [
      ['--engines', 'pool.yaml', 'up', 'tcp-handshake'],
      { command: 'up', args: { lab: 'tcp-handshake' }, options: { instance: 'default', engines: 'pool.yaml' } },
    ],
    [
      ['up', 'tcp-handshake', '--engines=pool.yaml'],
      { command: 'up', args: { lab: 'tcp-handshake' }, options: { instance: 'default', engines: 'pool.yaml' } },
    ],
    [
      ['serve', '--port', '0', '--origin', 'https://a.example', '--origin', 'https://b.example', '--remove-on-exit'],
      {
        command: 'serve',
        args: {},
        options: {
          port: '0',
          host: '127.0.0.1',
          warm: '2',
          idle: '30',
          terminalKeep: '5',
          origin: ['https://a.example', 'https://b.example'],
          removeOnExit: true,
        },
      },
    ],
    [
      ['workshop', 'create', 'tcp-handshake,udp-echo', '--capacity', '2', '--data', 'd'],
      {
        command: 'workshop create',
        args: { labs: 'tcp-handshake,udp-echo' },
        options: { data: 'd', capacity: '2', ends: '+3h', warm: '2' },
      },
    ],
    [
      ['workshop', 'export', 'ABC123', '--format', 'junit', '-o', 'x.xml'],
      { command: 'workshop export', args: { workshop: 'ABC123' }, options: { format: 'junit', output: 'x.xml' } },
    ],
    [
      ['workshop', 'export', 'ABC123', '--lab', 'udp-echo'],
      { command: 'workshop export', args: { workshop: 'ABC123' }, options: { format: 'csv', lab: 'udp-echo' } },
    ],
    [['completion', 'bash'], { command: 'completion', args: { shell: 'bash' }, options: {} }],
  ];
  for (const [argv, expected] of table) {
    it(`lab ${argv.join(' ')}`, () => {
      expect(parsed(argv, CLEAN)).toEqual(expected);
    });
  }

  it('takes an option default from its environment variable, and the flag over it', () => {
    expect(parsed(['up', 'x'], { ...CLEAN, TOPLAB_ENGINES: 'env.yaml' }).options.engines).toBe('env.yaml');
    expect(parsed(['up', 'x', '--engines', 'flag.yaml'], { ...CLEAN, TOPLAB_ENGINES: 'env.yaml' }).options.engines).toBe('flag.yaml');
    expect(parsed(['check', 'x'], { ...CLEAN, TOPLAB_SUBNET_POOL: '10.7.0.0/16' }).options.subnetPool).toBe('10.7.0.0/16');
  });

  it("never reads --engines or any option after -- (it is the command's)", () => {
    const inv = parsed(['exec', 'l', 'n', '--', 'echo', '--engines', 'y'], CLEAN);
    expect(inv.options.engines).toBeUndefined();
    expect(inv.args.command).toEqual(['echo', '--engines', 'y']);
  });
});

describe('what the parser refuses, with our message and a usage hint (exit code 2)', () => {
  it('unknown options, on every command (lab list --bogus is not silently ignored)', () => {
    for (const argv of [
      ['list', '--bogus'],
      ['status', '--colour'],
      ['check', 'tcp-handshake', '--colour'],
      ['validate', 'x', '--strict'],
    ]) {
      const e = refusal(argv);
      expect(e, argv.join(' ')).toBeInstanceOf(UsageError);
      expect(e?.exitCode).toBe(2);
      expect(e?.message).toMatch(new RegExp(`^unknown option '${argv[argv.length - 1] ?? ''}' for lab ${argv[0] ?? ''}`));
      expect(e?.message).not.toMatch(/TypeError|ERR_PARSE_ARGS|To specify a positional argument/);
      expect(e?.hint).toBe(`see \`lab ${argv[0] ?? ''} --help\``);
    }
  });

  it('a mistyped option gets a "did you mean"', () => {
    expect(refusal(['check', 'tcp-handshake', '--verbsoe'])?.message).toMatch(/did you mean `--verbose`\?/);
  });

  it('an unknown command, with "did you mean" when one is close', () => {
    expect(refusal(['lsit'])?.message).toBe("unknown command 'lsit'; did you mean `lab list`?");
    expect(refusal(['frobnicate'])?.message).toBe("unknown command 'frobnicate'");
    expect(refusal(['frobnicate'])?.hint).toBe('run `lab help` for the commands');
  });

  it('lab foo --help for a command that does not exist is an error, not the general help', () => {
    for (const argv of [
      ['foo', '--help'],
      ['foo', '-h'],
      ['help', 'foo'],
    ])
      expect(refusal(argv)?.message, argv.join(' ')).toMatch(/^unknown command 'foo'/);
  });

  it('a value an option does not take, a missing argument, an extra one', () => {
    expect(refusal(['check', 'x', '--format', 'xml'])?.message).toMatch(
      /'xml' is invalid.*terminal, json, junit, gradescope, classroom, tap/,
    );
    expect(refusal(['up'])?.message).toBe('which lab? e.g. lab up tcp-handshake');
    expect(refusal(['init'])?.message).toBe('which lab? e.g. lab init tcp-handshake');
    expect(refusal(['init', 'a', 'b', 'c'])?.message).toMatch(/^lab init: too many arguments/);
    expect(refusal(['list', 'extra'])?.message).toMatch(/^lab list: too many arguments/);
    expect(refusal(['--engines'])?.message).toMatch(/--engines <file>' argument missing/);
    expect(refusal(['image'])?.message).toBe('which image command? lab image build, lab image prune');
    expect(refusal(['completion', 'tcsh'])?.message).toMatch(/'tcsh' is invalid.*bash, zsh, fish/);
  });

  it("lab exec without -- says where the command goes (its -h is never toplab's help)", () => {
    const e = refusal(['exec', 'tcp-handshake', 'server', 'df', '-h']);
    expect(e?.message).toMatch(/^put the command after --/);
    expect(refusal(['exec', 'tcp-handshake', 'server', '--'])?.message).toMatch(/^put the command after --/);
  });
});

describe('help and version, generated from the declarations', () => {
  it("lab <command> --help shows that command's help", () => {
    for (const cmd of ['list', 'up', 'exec', 'check', 'grade', 'status', 'down', 'graph', 'validate', 'selftest', 'serve', 'completion']) {
      const h = printed([cmd, '--help']);
      expect(h.exitCode).toBe(0);
      expect(h.text).toMatch(new RegExp(`^Usage: lab ${cmd} `));
      expect(printed(['help', cmd]).text).toBe(h.text);
    }
    expect(printed(['image', 'build', '--help']).text).toMatch(/^Usage: lab image build /);
  });

  it("lists --version and every command in the general help, and prints package.json's version", () => {
    const h = printed(['--help']).text;
    expect(h).toMatch(/-V, --version/);
    for (const s of commandShapes().filter((x) => x.path.length === 1)) expect(h).toMatch(new RegExp(`^  ${s.path[0] ?? ''}\\b`, 'm'));
    expect(printed([]).text).toBe(h);
    expect(printed(['--version']).text).toMatch(/^toplab \d+\.\d+\.\d+/);
  });

  it('declares the options that were accepted but undocumented: --subnet-pool on check and grade, --user on exec', () => {
    const help = helpTexts();
    expect(help.check).toMatch(/--subnet-pool <cidr>/);
    expect(help.grade).toMatch(/--subnet-pool <cidr>/);
    expect(help.exec).toMatch(/--user <name>/);
    expect(help.list).toMatch(/--json/);
  });

  it('names each report format with its description, from the report registry', () => {
    expect(helpTexts().check).toMatch(/^ {2}junit +JUnit XML/m);
    for (const cmd of ['check', 'grade']) {
      const help = helpTexts()[cmd] ?? '';
      for (const f of REPORT_FORMATS) expect(help.replace(/\s+/g, ' ')).toContain(`${f.name} ${f.description}`);
    }
  });

  it('says what lab check grades (a workspace, --submission, else the reference) and how lab init makes a workspace', () => {
    const help = helpTexts();
    expect(help['']).toMatch(/^ {2}init <lab> \[dir\] /m);
    expect(help['']).toMatch(/^ {2}check \[lab\] /m);
    expect(help.check).toMatch(/^Usage: lab check \[options\] \[lab\]/);
    expect(help.check).toMatch(/--submission <dir>/);
    expect(help.check).toMatch(/workspace made by `lab init`/);
    expect(help.check?.replace(/\s+/g, ' ')).toMatch(/"reference": true/);
    expect(help.check?.replace(/\s+/g, ' ')).toMatch(
      /--results <dir> where captures and program output go \(default: results\/; in a workspace, the workspace's results\/\)/,
    );
    expect(help.init).toMatch(/^Usage: lab init \[options\] <lab> \[dir\]/);
    expect(help.init).toMatch(/Nothing is overwritten/);
  });

  it("shows grade's default --parallel: the rule, and what it comes to on this machine (defaultBatchParallel)", () => {
    const help = (helpTexts().grade ?? '').replace(/\s+/g, ' ');
    expect(help).toContain(`4 per CPU, 4 to 16, fewer when free memory is short: ${defaultBatchParallel()} here now`);
    // Not a declared default: without --submissions, --parallel is refused, and a pool of engines uses its capacities.
    expect(parsed(['grade', 'x', '--submissions', 'class'], CLEAN).options.parallel).toBeUndefined();
  });
});

describe('paper cuts', () => {
  it('the --privileged hint keeps --instance (and quotes the command for a shell)', () => {
    expect(privilegedCommand('tcp-handshake', 'second', 'server', ['tcpdump', '-i', 'any', 'tcp port 9000'])).toBe(
      "lab exec tcp-handshake --instance second --privileged server -- tcpdump -i any 'tcp port 9000'",
    );
    expect(privilegedCommand('tcp-handshake', 'default', 'server', ['ss', '-tlnp'])).toBe(
      'lab exec tcp-handshake --privileged server -- ss -tlnp',
    );
  });

  it('a mistyped lab name gets a "did you mean"', () => {
    expect(() => resolveLabFile('tcp-handshak')).toThrow(/no lab named 'tcp-handshak'; did you mean `tcp-handshake`\?/);
  });

  it("a lab's TypeScript file given for its lab file is not parsed as YAML", () => {
    const e = (() => {
      try {
        resolveLabFile(join(ROOT, 'labs/tcp-handshake/server.ts'));
      } catch (x) {
        return x;
      }
      return undefined;
    })();
    expect(e).toBeInstanceOf(UsageError);
    expect((e as UsageError).message).toMatch(/server\.ts is not a lab file/);
    expect((e as UsageError).hint).toMatch(/labs\/tcp-handshake/);
  });

  it('reads YAML merge keys (<<: *defaults) in a lab file', () => {
    const text = `name: merged
title: Merge keys
networks:
  lan: { subnet: 10.0.1.0/24 }
nodes:
  server: { interfaces: { lan: 10.0.1.10 } }
  client: { interfaces: { lan: 10.0.1.20 } }
programs:
  server: { node: server, source: server.ts, env: &env { PORT: "9000" } }
  client: { node: client, source: client.ts, env: { <<: *env, SERVER_HOST: server } }
exercise:
  - start: server
    ready: { tcp: 9000 }
  - run: client
checks:
  - { id: listen, points: 1, socket: { node: server, tcp: 9000, state: LISTEN } }
`;
    const def = parseLabText(text, join(ROOT, 'labs/tcp-handshake/lab.yaml'), 'merged.yaml');
    expect(def.programs?.server?.env).toEqual({ PORT: '9000' });
    expect(def.programs?.client?.env).toEqual({ PORT: '9000', SERVER_HOST: 'server' });
  });
});

describe('YAML merge keys in the other files toplab reads', () => {
  it('an engines file', () => {
    const text = `engines:
  - &base { name: a, address: "tcp://127.0.0.1:2375", capacity: 4 }
  - { <<: *base, name: b, address: "tcp://127.0.0.2:2375" }
`;
    const f = parseEnginesText(text, join(tmpdir(), 'engines.yaml'));
    expect(f.engines.map((e) => [e.name, e.address, e.capacity])).toEqual([
      ['a', 'tcp://127.0.0.1:2375', 4],
      ['b', 'tcp://127.0.0.2:2375', 4],
    ]);
  });
});

describe('lab completion', () => {
  // Made in beforeAll, not when the file is collected: a run filtered to other tests would leave it behind.
  let work = '';
  beforeAll(() => {
    work = mkdtempSync(join(tmpdir(), 'toplab-completion-'));
  });
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  /** What bash completes for `line` (the words typed so far, the last one being completed), with `lab` on PATH. */
  function complete(line: string[]): string[] {
    writeFileSync(join(work, 'lab'), `#!/bin/sh\nexec "${process.execPath}" "${join(ROOT, 'bin', 'lab.js')}" "$@"\n`);
    chmodSync(join(work, 'lab'), 0o755);
    writeFileSync(join(work, 'lab.bash'), completionScript('bash'));
    const words = line.map((w) => `'${w}'`).join(' ');
    const script = `source ${join(work, 'lab.bash')}\nCOMP_WORDS=(${words})\nCOMP_CWORD=${line.length - 1}\n_lab\nprintf '%s\\n' "\${COMPREPLY[@]}"\n`;
    const r = spawnSync('bash', ['--norc', '--noprofile', '-c', script], {
      cwd: ROOT,
      encoding: 'utf8',
      env: { ...process.env, PATH: `${work}:${process.env.PATH ?? ''}` },
      timeout: 30_000,
    });
    expect(r.stderr).toBe('');
    return r.stdout.split('\n').filter(Boolean);
  }

  it('bash completes the commands, a lab name, options and option values', () => {
    const commands = complete(['lab', '']);
    for (const c of ['list', 'up', 'exec', 'check', 'grade', 'completion', 'help']) expect(commands).toContain(c);
    expect(complete(['lab', 'u'])).toEqual(['up']);
    expect(complete(['lab', 'up', 'tcp-hand'])).toContain('tcp-handshake');
    expect(complete(['lab', 'up', '--instance', 'x', 'tcp-hand'])).toContain('tcp-handshake');
    expect(complete(['lab', 'check', '--lad'])).toEqual(['--ladder', '--ladder-format']);
    expect(complete(['lab', 'check', 'tcp-handshake', '--format', 'ju'])).toEqual(['junit']);
    expect(complete(['lab', 'image', ''])).toEqual(['build', 'prune']);
  });

  it('zsh and fish scripts are generated from the same declarations', () => {
    expect(completionScript('zsh')).toMatch(/bashcompinit[\s\S]*complete -F _lab lab/);
    const fish = completionScript('fish');
    expect(fish).toContain("complete -c lab -n __fish_use_subcommand -a 'up'");
    expect(fish).toContain("complete -c lab -n '__fish_seen_subcommand_from exec' -l user -r -F");
    expect(fish).toContain("-a '(lab list --names 2>/dev/null)'");
  });
});
