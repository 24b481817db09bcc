import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { removeInstance } from '../../src/deploy/down.js';
import { DockerRuntime } from '../../src/runtime/docker/docker-runtime.js';
import { lab, ROOT, uniqueInstance } from '../helpers/cli.js';
import { readmeCommands, type ReadmeCommand } from '../helpers/readme-steps.js';

// Every lab README's hands-on commands, typed as written right after `lab up <lab>` (in an instance of our
// own), must work: exit 0, and show what the README says they show. A `lab check` line is run when a later
// command depends on it, outside a workspace: it grades the lab's reference (a student's workspace would hold
// their own files). Commands that run until stopped (tcpdump) must have started capturing.
const runtime = await DockerRuntime.connect();
const labs = readdirSync(join(ROOT, 'labs')).sort();
const made: [string, string][] = [];
const results = mkdtempSync(join(tmpdir(), 'toplab-readme-results-'));

afterAll(async () => {
  for (const [name, instance] of made) await removeInstance(runtime, name, instance).catch(() => undefined);
  rmSync(results, { recursive: true, force: true });
});

/** What a README says a command shows (its comment, or the text around it), as a pattern over its output. */
const SHOWS: Record<string, [string, RegExp][]> = {
  copies: [['/io', /rchar: \d+\nwchar: \d+/]],
  'socket-addresses': [['ss -tn', /ESTAB.*\[::ffff:[\d.]+\]:9000/]],
  'tcp-handshake': [['netstat -tln', /LISTEN/]],
  'tcp-echo-eof': [['nc -N', /^2 lines, 4 bytes\n$/]],
  'udp-echo': [['ss -uan', /:9000/]],
  ipv6: [
    ['ss -tln', /LISTEN.*:9000/],
    ['getent', /fd[0-9a-f:]+\s+STREAM server/],
  ],
  'netstat-lsof': [
    ['lsof', /nc\s+\d+.*8080 \(LISTEN\)/],
    ['netstat -tlnp', /:8080.*LISTEN\s+\d+\/nc/],
  ],
  'top-talker': [
    ['ss -tin', /bytes_received:\d+/],
    ['/proc/net/dev', /eth0:/],
    ['iftop', /Total send rate/],
  ],
  'unix-socket': [
    ['ss -xl', /echo\.sock/],
    ['netstat -xl', /echo\.sock/],
  ],
  'ping-icmp': [['ping -c 2', /2 received/]],
  traceroute: [['traceroute -n', /^\s*2\s+[\d.]+/m]],
  tcpdump: [
    ['ip -br addr', /eth\d/],
    ['client2.mjs', /^hello$/m],
  ],
};

/**
 * Runs a command that captures until stopped (tcpdump) until it says it is capturing ("listening on"), then
 * stops it as a student does, with Ctrl-C (SIGINT); at most 90 s.
 */
function untilListening(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['bin/lab.js', ...args], { cwd: ROOT, env: { ...process.env, NO_COLOR: '1' } });
    child.stdin.end();
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), 90_000);
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      if (/listening on/.test(stderr)) child.kill('SIGINT');
    });
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** The command in our instance; a check keeps its captures in our temporary folder. */
function withInstance(c: ReadmeCommand, instance: string): string[] {
  const [verb, name, ...rest] = c.argv;
  return [
    verb ?? '',
    name ?? '',
    '--instance',
    instance,
    ...(verb === 'exec' ? ['-T'] : []),
    ...(verb === 'check' ? ['--results', results] : []),
    ...rest,
  ];
}

describe('lab READMEs: the hands-on commands work right after lab up', () => {
  it.each(labs)(
    '%s',
    async (name) => {
      const instance = uniqueInstance('readme');
      made.push([name, instance]);
      const commands = readmeCommands(join(ROOT, 'labs', name, 'README.md'));
      const lastExec = commands.map((c) => c.argv[0]).lastIndexOf('exec');
      const seen = new Set<string>();
      const background: Promise<unknown>[] = [];
      let up = false;
      for (const [i, c] of commands.entries()) {
        const text = c.argv.join(' ');
        if (seen.has(text) || (c.argv[0] === 'check' && i > lastExec)) continue;
        seen.add(text);
        if (c.argv[0] === 'exec' && !up) continue; // prose before the steps
        // What runs in the node (for exec): the words after `--`.
        const inNode = c.argv[0] === 'exec' ? c.argv.slice(c.argv.indexOf('--') + 1).join(' ') : '';
        const endless = inNode.startsWith('tcpdump');
        if (c.background) {
          // Running while the next commands run, as `&` does; its end is awaited before the lab goes.
          const where = `README.md:${c.line}: lab ${text} &`;
          background.push(
            lab(withInstance(c, instance), { timeoutMs: 180_000 }).then((r) =>
              expect(r.code, `${where}\nexit ${r.code}\n${r.stdout}\n${r.stderr}`).toBe(0),
            ),
          );
          continue;
        }
        const r = endless ? await untilListening(withInstance(c, instance)) : await lab(withInstance(c, instance), { timeoutMs: 120_000 });
        const where = `README.md:${c.line}: lab ${text}\nexit ${r.code}\n${r.stdout}\n${r.stderr}`;
        if (endless) {
          expect(r.stderr, where).toMatch(/listening on/);
        } else {
          expect(r.code, where).toBe(0);
        }
        if (c.argv[0] === 'up') up = true;
        for (const [needle, shows] of SHOWS[name] ?? []) if (inNode.includes(needle)) expect(r.stdout, where).toMatch(shows);
      }
      await Promise.all(background);
      expect(up, 'the README brings the lab up').toBe(true);
      // What this test expects a command to show is about a command the README has: a README that lost (or never
      // had) the command a student needs, e.g. to make traffic for a live capture, fails here.
      for (const [needle] of SHOWS[name] ?? [])
        expect(
          commands.some(
            (c) =>
              c.argv[0] === 'exec' &&
              c.argv
                .slice(c.argv.indexOf('--') + 1)
                .join(' ')
                .includes(needle),
          ),
          `README.md has a lab exec … ${needle} command`,
        ).toBe(true);
      await removeInstance(runtime, name, instance);
    },
    400_000,
  );
});
