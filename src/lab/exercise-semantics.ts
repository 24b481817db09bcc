import { existsSync, realpathSync } from 'node:fs';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import type { CheckDef, LabDefinition, ProbeKind, StepDef } from './model.js';
import type { SemanticProblem } from './semantic-problem.js';
import { suggestion as suggest } from './suggest.js';

/** Names the exercise defines, in the order steps define them; checks resolve their references against these. */
export interface ExerciseNames {
  /** Runs of programs and commands whose output, exit code and pid are kept: name → step index. */
  outputs: Map<string, { step: number; kind: 'start' | 'run' | 'command'; node: string }>;
  captures: Map<string, { step: number; node: string }>;
  probes: Map<string, { step: number; node: string; kind: ProbeKind }>;
}

function regexProblem(value: string): string | undefined {
  try {
    new RegExp(value, 'm');
    return undefined;
  } catch (e) {
    return `not a valid regular expression: ${(e as Error).message}`;
  }
}

/** The name a start or run step keeps its observations under. */
export function runName(step: StepDef): string | undefined {
  if ('start' in step) return step.name ?? step.start;
  if ('run' in step) return step.name ?? step.run;
  if ('command' in step) return step.command.name;
  return undefined;
}

/** A file named by the lab (a command file, an answer file): inside the lab folder and present. */
export function labFileProblem(labDir: string, file: string): string | undefined {
  const full = resolve(labDir, file);
  const rel = relative(labDir, full);
  if (isAbsolute(file) || rel.startsWith('..' + sep) || rel === '..') return `\`${file}\` is outside the lab folder`;
  if (!existsSync(full)) return `\`${file}\` does not exist in ${labDir} (the lab folder holds the reference version)`;
  if (relative(realpathSync(labDir), realpathSync(full)).startsWith('..')) return `\`${file}\` is a link to a file outside the lab folder`;
  return undefined;
}

/** Step and check references: what the schema cannot say. */
export function exerciseProblems(def: LabDefinition, labDir: string): SemanticProblem[] {
  const out: SemanticProblem[] = [];
  const nodes = Object.keys(def.nodes);
  const programs = Object.keys(def.programs ?? {});
  const names: ExerciseNames = { outputs: new Map(), captures: new Map(), probes: new Map() };
  const started = new Set<string>();
  const problem = (path: (string | number)[], message: string): void => {
    out.push({ path, message });
  };
  const node = (path: (string | number)[], value: string | undefined): void => {
    if (value !== undefined && !nodes.includes(value)) problem(path, `unknown node \`${value}\`${suggest(value, nodes)}`);
  };
  const networksOf = (n: string): string[] => Object.keys(def.nodes[n]?.interfaces ?? {});

  def.exercise.forEach((step, i) => {
    const at = (...p: (string | number)[]): (string | number)[] => ['exercise', i, ...p];
    const addOutput = (name: string, kind: 'start' | 'run' | 'command', onNode: string, path: (string | number)[]): void => {
      const prev = names.outputs.get(name);
      if (prev) problem(path, `the name \`${name}\` is already used by step ${prev.step + 1}; give each run its own \`name\``);
      else if (names.captures.has(name)) problem(path, `the name \`${name}\` is already a capture's name`);
      names.outputs.set(name, { step: i, kind, node: onNode });
    };
    if ('start' in step || 'run' in step) {
      const program = 'start' in step ? step.start : step.run;
      const field = 'start' in step ? 'start' : 'run';
      if (!programs.includes(program)) problem(at(field), `unknown program \`${program}\`${suggest(program, programs)}`);
      const name = runName(step) ?? program;
      const onNode = def.programs?.[program]?.node ?? '';
      addOutput(name, 'start' in step ? 'start' : 'run', onNode, at(step.name !== undefined ? 'name' : field));
      if ('start' in step) {
        started.add(name);
        if (step.ready?.stdout !== undefined) {
          const bad = regexProblem(step.ready.stdout);
          if (bad) problem(at('ready', 'stdout'), bad);
        }
      }
    } else if ('command' in step) {
      const c = step.command;
      node(at('command', 'node'), c.node);
      addOutput(c.name, 'command', c.node, at('command', 'name'));
      if (c.file !== undefined) {
        const bad = labFileProblem(labDir, c.file);
        if (bad) problem(at('command', 'file'), bad);
      }
    } else if ('capture' in step) {
      const c = step.capture;
      node(at('capture', 'node'), c.node);
      if (names.captures.has(c.name)) problem(at('capture', 'name'), `a capture named \`${c.name}\` is already started at step ${(names.captures.get(c.name)?.step ?? 0) + 1}`);
      if (names.outputs.has(c.name)) problem(at('capture', 'name'), `the name \`${c.name}\` is already a program's or command's name`);
      names.captures.set(c.name, { step: i, node: c.node });
      if (c.command !== undefined) {
        for (const k of ['filter', 'interface', 'snaplen'] as const) if (c[k] !== undefined) problem(at('capture', k), `\`${k}\` comes from the command file \`${c.command}\`; leave it out`);
        if (!(def.submission?.files ?? []).includes(c.command)) problem(at('capture', 'command'), `\`${c.command}\` is not listed under \`submission.files\`, so a student could not submit it`);
        const bad = labFileProblem(labDir, c.command);
        if (bad) problem(at('capture', 'command'), bad);
      }
    } else if ('probe' in step) {
      const p = step.probe;
      const kind = p.kind ?? 'sockets';
      node(at('probe', 'node'), p.node);
      if (names.probes.has(p.name)) problem(at('probe', 'name'), `a probe named \`${p.name}\` is already taken at step ${(names.probes.get(p.name)?.step ?? 0) + 1}`);
      names.probes.set(p.name, { step: i, node: p.node, kind });
      const needsTarget = kind === 'ping' || kind === 'traceroute';
      if (needsTarget && p.target === undefined) problem(at('probe'), `a ${kind} probe needs \`target\`: the node to reach`);
      if (!needsTarget) {
        for (const k of ['target', 'network', 'family', 'count', 'size'] as const) {
          if (p[k] !== undefined) problem(at('probe', k), `\`${k}\` is only for ping and traceroute probes`);
        }
      }
      if (p.port !== undefined && kind !== 'lsof') problem(at('probe', 'port'), '`port` is only for lsof probes');
      if (kind !== 'ping' && (p.count !== undefined || p.size !== undefined) && needsTarget) problem(at('probe'), '`count` and `size` are only for ping probes');
      node(at('probe', 'target'), p.target);
      if (p.target !== undefined && p.network !== undefined && nodes.includes(p.target) && !networksOf(p.target).includes(p.network)) {
        problem(at('probe', 'network'), `node \`${p.target}\` is not on network \`${p.network}\`${suggest(p.network, networksOf(p.target))}`);
      }
    } else if ('wait' in step) {
      const w = step.wait;
      const socket = w.tcp !== undefined || w.udp !== undefined || w.unix !== undefined;
      const kinds = [socket, w.exit !== undefined, w.output !== undefined].filter(Boolean).length;
      if (kinds !== 1) problem(at('wait'), 'wait for exactly one thing: a socket (`node` with `tcp`, `udp` or `unix`), a program ending (`exit`), or its output (`output` with `matches`)');
      if (socket) {
        if ([w.tcp, w.udp, w.unix].filter((x) => x !== undefined).length > 1) problem(at('wait'), 'give one of `tcp`, `udp` or `unix`');
        if (w.node === undefined) problem(at('wait'), 'say in which node: `node: <name>`');
        node(at('wait', 'node'), w.node);
      } else if (w.node !== undefined || w.state !== undefined) {
        problem(at('wait'), '`node` and `state` go with a socket condition (`tcp`, `udp` or `unix`)');
      }
      for (const k of ['exit', 'output'] as const) {
        const v = w[k];
        if (v !== undefined && !started.has(v)) problem(at('wait', k), `\`${v}\` is not a program started (and still running) at an earlier step${suggest(v, [...started])}`);
      }
      if (w.output !== undefined && w.matches === undefined) problem(at('wait'), 'say what to wait for: `matches: <regular expression>`');
      if (w.matches !== undefined) {
        if (w.output === undefined) problem(at('wait', 'matches'), '`matches` goes with `output: <program>`');
        const bad = regexProblem(w.matches);
        if (bad) problem(at('wait', 'matches'), bad);
      }
    } else if ('stop' in step) {
      const isProgram = started.has(step.stop);
      const isCapture = names.captures.has(step.stop);
      if (!isProgram && !isCapture) {
        problem(at('stop'), `\`${step.stop}\` is neither a running program nor a capture started at an earlier step${suggest(step.stop, [...started, ...names.captures.keys()])}`);
      }
      if (isCapture && step.signal !== undefined) problem(at('signal'), '`signal` is for programs; a capture is stopped with SIGINT so it flushes');
      started.delete(step.stop);
    }
  });

  const ids = new Set<string>();
  def.checks.forEach((c, i) => {
    if (ids.has(c.id)) problem(['checks', i, 'id'], `duplicate check id \`${c.id}\``);
    ids.add(c.id);
    checkProblems(c, ['checks', i], def, labDir, names, nodes, problem);
  });
  // What a student submits: the lab folder holds the reference of each (what `lab check` runs).
  (def.submission?.files ?? []).forEach((f, i) => {
    const bad = existsSync(resolve(labDir, f)) ? labFileProblem(labDir, f) : `\`${f}\` is not in the lab folder: it holds the reference version of every file a student submits (and \`starter/\` the student's starting point)`;
    if (bad) problem(['submission', 'files', i], bad);
  });
  return out;
}

function checkProblems(
  c: CheckDef,
  base: (string | number)[],
  def: LabDefinition,
  labDir: string,
  names: ExerciseNames,
  nodes: string[],
  problem: (path: (string | number)[], message: string) => void,
): void {
  const ref = (path: (string | number)[], value: string | undefined, known: string[], what: string): void => {
    if (value !== undefined && !known.includes(value)) problem([...base, ...path], `unknown ${what} \`${value}\`${suggest(value, known)}`);
  };
  const node = (path: (string | number)[], value: string | undefined): void => ref(path, value, nodes, 'node');
  const captures = [...names.captures.keys()];
  const outputs = [...names.outputs.keys()];
  const probesOf = (kinds: ProbeKind[]): string[] => [...names.probes].filter(([, p]) => kinds.includes(p.kind)).map(([n]) => n);
  const probeOn = (path: (string | number)[], probe: string | undefined, onNode: string, kinds: ProbeKind[], what: string): void => {
    if (probe === undefined) return;
    const p = names.probes.get(probe);
    if (!p || !kinds.includes(p.kind)) problem([...base, ...path], `unknown ${what} probe \`${probe}\`${suggest(probe, probesOf(kinds))}`);
    else if (p.node !== onNode) problem([...base, ...path], `the probe \`${probe}\` reads node \`${p.node}\`, not \`${onNode}\``);
  };
  const regex = (path: (string | number)[], value: string | undefined): void => {
    if (value === undefined) return;
    const bad = regexProblem(value);
    if (bad) problem([...base, ...path], bad);
  };
  const networkOf = (path: (string | number)[], n: string, network: string | undefined): void => {
    const nets = Object.keys(def.nodes[n]?.interfaces ?? {});
    if (network !== undefined && def.nodes[n] && !nets.includes(network)) problem([...base, ...path], `node \`${n}\` is not on network \`${network}\`${suggest(network, nets)}`);
  };
  const submitted = (path: (string | number)[], file: string): void => {
    if (!(def.submission?.files ?? []).includes(file)) problem([...base, ...path], `\`${file}\` is not listed under \`submission.files\`, so a student could not submit it`);
    const bad = labFileProblem(labDir, file);
    if (bad) problem([...base, ...path], bad);
  };
  const portRef = (path: (string | number)[], r: { node: string; tcp?: number; udp?: number; probe?: string }): void => {
    node([...path, 'node'], r.node);
    if ((r.tcp === undefined) === (r.udp === undefined)) problem([...base, ...path], 'say which port: `tcp: <port>` or `udp: <port>`');
    probeOn([...path, 'probe'], r.probe, r.node, ['sockets', 'lsof'], 'sockets or lsof');
  };

  if ('socket' in c) {
    const s = c.socket;
    node(['socket', 'node'], s.node);
    if ([s.tcp, s.udp, s.unix].filter((x) => x !== undefined).length !== 1) problem([...base, 'socket'], 'say which socket: `tcp: <port>`, `udp: <port>` or `unix: <path>`');
    probeOn(['socket', 'probe'], s.probe, s.node, ['sockets'], 'sockets');
    node(['socket', 'peer'], s.peer);
    if (s.program !== undefined) {
      const o = names.outputs.get(s.program);
      if (!o || o.kind !== 'start') problem([...base, 'socket', 'program'], `\`${s.program}\` is not a program started in the background${suggest(s.program, [...names.outputs].filter(([, v]) => v.kind === 'start').map(([k]) => k))}`);
    }
  } else if ('handshake' in c) {
    ref(['handshake', 'capture'], c.handshake.capture, captures, 'capture');
    node(['handshake', 'client'], c.handshake.client);
    node(['handshake', 'server'], c.handshake.server);
  } else if ('teardown' in c) {
    ref(['teardown', 'capture'], c.teardown.capture, captures, 'capture');
    node(['teardown', 'initiator'], c.teardown.initiator);
    if (c.teardown.halfClose !== undefined && c.teardown.initiator === undefined) problem([...base, 'teardown'], '`halfClose` needs `initiator`: the side that half-closes');
    if (c.teardown.reset === 'required' && c.teardown.halfClose === true) problem([...base, 'teardown'], 'a reset connection cannot also be required to half-close cleanly');
  } else if ('tcp-data' in c) {
    const t = c['tcp-data'];
    ref(['tcp-data', 'capture'], t.capture, captures, 'capture');
    node(['tcp-data', 'client'], t.client);
    node(['tcp-data', 'server'], t.server);
    if (!t.toServer && !t.toClient && !t.echo) problem([...base, 'tcp-data'], 'say what to check: `toServer`, `toClient` or `echo: true`');
  } else if ('udp' in c) {
    const u = c.udp;
    ref(['udp', 'capture'], u.capture, captures, 'capture');
    node(['udp', 'from'], u.from);
    node(['udp', 'to'], u.to);
    if (u.count !== undefined && u.minCount !== undefined) problem([...base, 'udp'], 'give `count` or `minCount`, not both');
    if (u.count !== undefined && u.payloads !== undefined && u.payloads.length !== u.count) problem([...base, 'udp', 'count'], `\`count\` is ${u.count} but ${u.payloads.length} payloads are listed`);
  } else if ('icmp' in c) {
    const m = c.icmp;
    ref(['icmp', 'capture'], m.capture, captures, 'capture');
    if (m.echo) {
      node(['icmp', 'echo', 'from'], m.echo.from);
      node(['icmp', 'echo', 'to'], m.echo.to);
      if (m.echo.count !== undefined && m.echo.minCount !== undefined) problem([...base, 'icmp', 'echo'], 'give `count` or `minCount`, not both');
    }
    if (m.timeExceeded) {
      m.timeExceeded.from.forEach((n, j) => node(['icmp', 'timeExceeded', 'from', j], n));
      node(['icmp', 'timeExceeded', 'to'], m.timeExceeded.to);
    }
  } else if ('route' in c) {
    const known = [...probesOf(['traceroute']), ...outputs.filter((o) => names.outputs.get(o)?.kind === 'command')];
    ref(['route', 'traceroute'], c.route.traceroute, known, 'traceroute probe or command');
    c.route.hops.forEach((n, j) => node(['route', 'hops', j], n));
  } else if ('output' in c) {
    const o = c.output;
    ref(['output', 'program'], o.program, outputs, 'program run or command');
    const n = [o.equals, o.contains, o.matches].filter((x) => x !== undefined).length;
    if (n !== 1) problem([...base, 'output'], 'give exactly one of `equals`, `contains` or `matches`');
    regex(['output', 'matches'], o.matches);
  } else if ('exit' in c) {
    ref(['exit', 'program'], c.exit.program, outputs, 'program run or command');
    if ((c.exit.code === undefined) === (c.exit.nonzero === undefined)) problem([...base, 'exit'], 'give `code: <n>` or `nonzero: true`');
  } else if ('error' in c) {
    ref(['error', 'program'], c.error.program, outputs, 'program run or command');
  } else if ('interface' in c) {
    const f = c.interface;
    node(['interface', 'node'], f.node);
    if ((f.network === undefined) === (f.interface === undefined)) problem([...base, 'interface'], 'say which interface: `network: <name>` (the one on that network) or `interface: <name>`');
    networkOf(['interface', 'network'], f.node, f.network);
    probeOn(['interface', 'probe'], f.probe, f.node, ['interfaces'], 'interfaces');
    if (f.mtu === undefined && f.address === undefined && f.flags === undefined) problem([...base, 'interface'], 'say what to check: `mtu`, `address` or `flags`');
  } else if ('window' in c) {
    ref(['window', 'capture'], c.window.capture, captures, 'capture');
    node(['window', 'from'], c.window.from);
  } else if ('sockaddr' in c) {
    const a = c.sockaddr;
    ref(['sockaddr', 'report'], a.report, outputs, 'program run or command');
    ref(['sockaddr', 'capture'], a.capture, captures, 'capture');
    node(['sockaddr', 'client'], a.client);
    node(['sockaddr', 'server'], a.server);
    if (!names.probes.has(a.probe)) problem([...base, 'sockaddr', 'probe'], `unknown sockets probe \`${a.probe}\`${suggest(a.probe, probesOf(['sockets']))}`);
    else probeOn(['sockaddr', 'probe'], a.probe, a.server, ['sockets'], 'sockets');
  } else if ('capture-match' in c) {
    const m = c['capture-match'];
    ref(['capture-match', 'capture'], m.capture, captures, 'capture');
    ref(['capture-match', 'reference'], m.reference, captures, 'capture');
    node(['capture-match', 'client'], m.client);
    node(['capture-match', 'server'], m.server);
  } else if ('capture-answer' in c) {
    const a = c['capture-answer'];
    submitted(['capture-answer', 'file'], a.file);
    ref(['capture-answer', 'capture'], a.capture, captures, 'capture');
    node(['capture-answer', 'client'], a.client);
    node(['capture-answer', 'server'], a.server);
    if (a.value !== 'packets' && (a.client === undefined || a.server === undefined || a.port === undefined)) problem([...base, 'capture-answer'], `\`value: ${a.value}\` needs \`client\`, \`server\` and \`port\`: the connection to read it from`);
  } else if ('proc-io' in c) {
    const io = c['proc-io'];
    submitted(['proc-io', 'file'], io.file);
    ref(['proc-io', 'before'], io.before, outputs, 'program run or command');
    ref(['proc-io', 'after'], io.after, outputs, 'program run or command');
  } else if ('top-talker' in c) {
    const t = c['top-talker'];
    ref(['top-talker', 'from'], t.from, outputs, 'program run or command');
    ref(['top-talker', 'capture'], t.capture, captures, 'capture');
    node(['top-talker', 'server'], t.server);
    t.clients.forEach((n, j) => node(['top-talker', 'clients', j], n));
  } else if ('tcpdump-command' in c) {
    submitted(['tcpdump-command', 'file'], c['tcpdump-command'].file);
    if (!c['tcpdump-command'].numeric && !c['tcpdump-command'].absoluteSeq) problem([...base, 'tcpdump-command'], 'say what to check: `numeric: true` or `absoluteSeq: true`');
  } else if ('answer' in c) {
    const a = c.answer;
    if ((a.file === undefined) === (a.from === undefined)) problem([...base, 'answer'], 'say where the answer is: `file: <answer file>` or `from: <command>`');
    if (a.file !== undefined) {
      const listed = def.submission?.files ?? [];
      if (!listed.includes(a.file)) problem([...base, 'answer', 'file'], `\`${a.file}\` is not listed under \`submission.files\`, so a student could not submit it`);
      const bad = labFileProblem(labDir, a.file);
      if (bad) problem([...base, 'answer', 'file'], bad);
    }
    ref(['answer', 'from'], a.from, outputs, 'program run or command');
    const e = a.expect;
    if ('hops' in e) ref(['answer', 'expect', 'hops'], e.hops, [...probesOf(['traceroute']), ...outputs.filter((o) => names.outputs.get(o)?.kind === 'command')], 'traceroute probe or command');
    if ('pid' in e) portRef(['answer', 'expect', 'pid'], e.pid);
    if ('command' in e) portRef(['answer', 'expect', 'command'], e.command);
    if ('mtu' in e) {
      node(['answer', 'expect', 'mtu', 'node'], e.mtu.node);
      if ((e.mtu.network === undefined) === (e.mtu.interface === undefined)) problem([...base, 'answer', 'expect', 'mtu'], 'say which interface: `network: <name>` or `interface: <name>`');
      networkOf(['answer', 'expect', 'mtu', 'network'], e.mtu.node, e.mtu.network);
      probeOn(['answer', 'expect', 'mtu', 'probe'], e.mtu.probe, e.mtu.node, ['interfaces'], 'interfaces');
    }
    if ('address' in e) {
      node(['answer', 'expect', 'address', 'node'], e.address.node);
      networkOf(['answer', 'expect', 'address', 'network'], e.address.node, e.address.network);
    }
  }
}
