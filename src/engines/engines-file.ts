import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { LabValidationError, UsageError, type LabProblem } from '../errors.js';
import { explainSchemaErrors } from '../lab/schema-errors.js';
import { compileValidator, type Validate } from '../lab/schema-validator.js';
import { yamlModule, yamlPosition } from '../lab/yaml-source.js';
import { projectRoot } from '../paths.js';

/** One Docker engine of the pool, as the engines file describes it (paths made absolute). */
export interface EngineSpec {
  name: string;
  /** unix:///path, tcp://host:port or ssh://user@host[:port]. */
  address: string;
  /** Lab instances it may hold at once. */
  capacity: number;
  labels: Record<string, string>;
  tls?: { ca: string; cert: string; key: string };
  /** hostKey: the host's SSH key fingerprint (SHA256:..., as ssh-keygen -lf prints it); without it the host key is not verified. */
  ssh?: { key?: string; hostKey?: string };
}

export interface EnginesFile {
  file: string;
  engines: EngineSpec[];
}

const MAX_BYTES = 64 * 1024;

/** Problems in an engines file, each at file:line:col (exit code 3, like a lab file's). */
export class EnginesFileError extends LabValidationError {
  override readonly subject = 'engines file';
}

let validator: Validate | undefined;
let schema: object | undefined;

/** The engines file's JSON Schema (schema/engines.schema.json). */
export function enginesSchema(): object {
  return (schema ??= JSON.parse(readFileSync(join(projectRoot(), 'schema', 'engines.schema.json'), 'utf8')) as object);
}

/** Loopback addresses: the only ones where a plain (unencrypted, unauthenticated) tcp:// engine is allowed. */
export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}

/** Host and port of a tcp:// or ssh:// address (ssh: also the user). */
export function parseAddress(address: string): {
  scheme: 'unix' | 'tcp' | 'ssh';
  path?: string;
  host?: string;
  port?: number;
  user?: string;
} {
  if (address.startsWith('unix://')) return { scheme: 'unix', path: address.slice('unix://'.length) };
  const scheme = address.startsWith('ssh://') ? 'ssh' : 'tcp';
  const rest = address.slice(`${scheme}://`.length).replace(/\/+$/, '');
  const at = rest.lastIndexOf('@');
  const user = at >= 0 ? rest.slice(0, at) : undefined;
  const hostPort = at >= 0 ? rest.slice(at + 1) : rest;
  const m = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(hostPort);
  const host = m?.[1] ?? hostPort;
  const port = m?.[2] !== undefined ? Number(m[2]) : scheme === 'ssh' ? 22 : undefined;
  return { scheme, host, ...(port !== undefined ? { port } : {}), ...(user !== undefined ? { user } : {}) };
}

/** Problems of meaning the schema cannot say: names twice, plain tcp:// off loopback, options for the wrong scheme. */
export function enginesSemanticProblems(
  engines: EngineSpec[],
  baseDir: string,
): { path: (string | number)[]; message: string; key?: string }[] {
  const problems: { path: (string | number)[]; message: string; key?: string }[] = [];
  const seen = new Map<string, number>();
  engines.forEach((e, i) => {
    const first = seen.get(e.name);
    if (first !== undefined)
      problems.push({
        path: ['engines', i, 'name'],
        message: `the name '${e.name}' is already used by engine ${first + 1}; each engine needs its own name`,
      });
    else seen.set(e.name, i);
    const a = parseAddress(e.address);
    if (a.scheme !== 'unix' && (a.port === undefined || a.port < 1 || a.port > 65535)) {
      const example = a.scheme === 'ssh' ? 'ssh://user@host:22' : 'tcp://host:2376';
      problems.push({ path: ['engines', i, 'address'], message: `'${e.address}' needs a port from 1 to 65535, e.g. ${example}` });
    }
    if (a.scheme === 'tcp') {
      if (e.tls === undefined && !isLoopbackHost(a.host ?? '')) {
        problems.push({
          path: ['engines', i, 'address'],
          message: `plain tcp:// to ${a.host ?? e.address} would let anyone on the network run containers on that host: add tls (ca, cert, key; see docs/scale.md) or use ssh://user@${a.host ?? 'host'}`,
        });
      }
    } else if (e.tls !== undefined) {
      problems.push({
        path: ['engines', i],
        key: 'tls',
        message: `tls applies to tcp:// engines only; ${e.address} is reached ${a.scheme === 'ssh' ? 'over ssh' : 'through a local socket'}`,
      });
    }
    if (a.scheme !== 'ssh' && e.ssh !== undefined)
      problems.push({ path: ['engines', i], key: 'ssh', message: `ssh applies to ssh:// engines only, not ${e.address}` });
    for (const k of ['ca', 'cert', 'key'] as const) {
      const p = e.tls?.[k];
      if (p !== undefined && !existsSync(resolve(baseDir, p)))
        problems.push({ path: ['engines', i, 'tls', k], message: `no file ${resolve(baseDir, p)}` });
    }
    if (e.ssh?.key !== undefined && !existsSync(resolve(baseDir, e.ssh.key)))
      problems.push({ path: ['engines', i, 'ssh', 'key'], message: `no file ${resolve(baseDir, e.ssh.key)}` });
  });
  return problems;
}

/** Reads and validates an engines file; throws LabValidationError (exit code 3) with every problem at file:line:col. */
export function loadEnginesFile(path: string): EnginesFile {
  if (!existsSync(path) || !statSync(path).isFile()) {
    throw new UsageError(`no engines file at ${path}`, {
      hint: 'give --engines FILE or TOPLAB_ENGINES the path of an engines.yaml (see docs/scale.md), or unset it to use the local engine',
    });
  }
  const size = statSync(path).size;
  if (size > MAX_BYTES)
    throw new EnginesFileError([
      {
        file: path,
        line: 1,
        col: 1,
        path: '',
        message: `the file is ${size} bytes; an engines file may be at most ${MAX_BYTES / 1024} KiB`,
      },
    ]);
  return parseEnginesText(readFileSync(path, 'utf8'), path);
}

/** Parses engines-file text; relative certificate and key paths are taken from `file`'s folder. */
export function parseEnginesText(text: string, file: string): EnginesFile {
  const yaml = yamlModule();
  const lc = new yaml.LineCounter();
  // merge: YAML merge keys (`<<: *defaults`), e.g. one TLS block shared by several engines.
  const doc = yaml.parseDocument(text, { lineCounter: lc, prettyErrors: false, uniqueKeys: true, merge: true });
  const problems: LabProblem[] = doc.errors.map((e) => {
    const pos = lc.linePos(e.pos[0]);
    return {
      file,
      line: pos.line,
      col: pos.col,
      path: '',
      message: `YAML: ${(e.message.split('\n')[0] ?? '').replace(/ at line \d+, column \d+$/, '')}`,
    };
  });
  if (problems.length > 0) throw new EnginesFileError(problems);
  const data: unknown = doc.toJS({ maxAliasCount: 100 });
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    throw new EnginesFileError([
      { file, line: 1, col: 1, path: '', message: 'an engines file is a map with one key, engines: a list of {name, address, capacity}' },
    ]);
  }
  validator ??= compileValidator(enginesSchema());
  if (!validator(data)) {
    for (const p of explainSchemaErrors(validator.errors ?? [], enginesSchema())) {
      // The schema explainer speaks of lab files; at the top level, this is the engines file.
      // The explainer names the top level "the lab": "unknown key `x` in the lab" (maybe followed by "; did you
      // mean `engines`?") and "the lab needs `engines`". Here the top level is the engines file.
      const message =
        p.path.length === 0
          ? p.message.replace(/ in the lab(?=;|$)/, ' at the top of the engines file').replace(/^the lab\b/, 'the engines file')
          : p.message;
      problems.push({ file, ...yamlPosition(doc, lc, p.path, p.key), path: p.path.join('.'), message });
    }
    throw new EnginesFileError(problems.sort((a, b) => (a.line ?? 0) - (b.line ?? 0) || (a.col ?? 0) - (b.col ?? 0)));
  }
  const baseDir = dirname(file);
  const raw = (data as { engines: EngineSpec[] }).engines;
  for (const p of enginesSemanticProblems(raw, baseDir))
    problems.push({ file, ...yamlPosition(doc, lc, p.path, p.key), path: p.path.join('.'), message: p.message });
  if (problems.length > 0) throw new EnginesFileError(problems.sort((a, b) => (a.line ?? 0) - (b.line ?? 0)));
  const abs = (p: string): string => (isAbsolute(p) ? p : resolve(baseDir, p));
  return {
    file,
    engines: raw.map((e) => ({
      name: e.name,
      address: e.address,
      capacity: e.capacity,
      labels: e.labels ?? {},
      ...(e.tls ? { tls: { ca: abs(e.tls.ca), cert: abs(e.tls.cert), key: abs(e.tls.key) } } : {}),
      ...(e.ssh
        ? {
            ssh: {
              ...(e.ssh.key !== undefined ? { key: abs(e.ssh.key) } : {}),
              ...(e.ssh.hostKey !== undefined ? { hostKey: e.ssh.hostKey } : {}),
            },
          }
        : {}),
    })),
  };
}
