// `lab check --ladder` on a real lab: the JSON report carries the ladder of the captured exchange (endpoints named
// after the lab's nodes, RFC 9293 states after each segment), valid against schema/result.schema.json, and the
// terminal report draws it.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { afterAll, expect, it } from 'vitest';
import { removeInstance } from '../../src/deploy/down.js';
import { DockerRuntime } from '../../src/runtime/docker/docker-runtime.js';
import { lab, ROOT, uniqueInstance } from '../helpers/cli.js';

const runtime = await DockerRuntime.connect();
const instance = uniqueInstance('ladder');
afterAll(async () => {
  await removeInstance(runtime, 'tcp-handshake', instance).catch(() => undefined);
});

interface Arrow {
  from: 'a' | 'b';
  label: string;
  seq?: number;
  ack?: number;
  states?: { a: string; b: string };
}
interface Report {
  status: string;
  ladder?: {
    capture: string;
    protocol: string;
    a: { name?: string; port?: number };
    b: { name?: string; port?: number };
    arrows: Arrow[];
  }[];
}

it('lab check tcp-handshake --ladder: the handshake, the echo and the close, each side in its RFC 9293 state', async () => {
  const r = await lab(['check', 'tcp-handshake', '--instance', instance, '--ladder', '--format', 'json'], { timeoutMs: 170_000 });
  expect(r.code, r.stderr).toBe(0);
  const report = JSON.parse(r.stdout) as Report;
  const schema = JSON.parse(readFileSync(join(ROOT, 'schema/result.schema.json'), 'utf8')) as object;
  const ajv = new Ajv2020({ allErrors: true, strict: true });
  (addFormatsModule as unknown as { default: (a: Ajv2020) => void }).default(ajv);
  const validate = ajv.compile(schema);
  expect(validate(report), JSON.stringify(validate.errors)).toBe(true);
  expect(report.ladder?.length).toBe(1);
  const l = report.ladder?.[0];
  expect([l?.capture, l?.protocol, l?.a.name, l?.b.name, l?.b.port]).toEqual(['wire', 'tcp', 'client', 'server', 9000]);
  const arrows = l?.arrows ?? [];
  expect(arrows.slice(0, 3).map((x) => `${x.from} ${x.label} ${x.seq ?? ''}/${x.ack ?? ''} ${x.states?.a}/${x.states?.b}`)).toEqual([
    'a SYN 0/ SYN-SENT/SYN-RECEIVED',
    'b SYN, ACK 0/1 ESTABLISHED/SYN-RECEIVED',
    'a ACK 1/1 ESTABLISHED/ESTABLISHED',
  ]);
  // The close: the client's FIN, the server's (its ACK of the client's FIN may come alone first, through
  // FIN-WAIT-2), the last ACK.
  const walk = arrows.map((x) => `${x.from} ${x.label} ${x.states?.a}/${x.states?.b}`);
  expect(walk).toContain('a FIN, ACK FIN-WAIT-1/CLOSE-WAIT');
  expect(walk.filter((x) => x.startsWith('b FIN, ACK '))).toEqual(['b FIN, ACK TIME-WAIT/LAST-ACK']);
  expect(walk.at(-1)).toBe('a ACK TIME-WAIT/CLOSED');

  // The terminal draws it after the checks, in ASCII when asked.
  const text = await lab(['check', 'tcp-handshake', '--instance', instance, '--ladder', '--ladder-format', 'ascii'], {
    timeoutMs: 170_000,
  });
  expect(text.code, text.stderr).toBe(0);
  expect(text.stdout).toMatch(/ladder: capture wire, TCP client [\d.]+:\d+ <-> server [\d.]+:9000/);
  expect(text.stdout).toMatch(/SYN-SENT \|-+>\| SYN-RECEIVED/);
  expect(text.stdout).not.toContain('\x1b[');
});
