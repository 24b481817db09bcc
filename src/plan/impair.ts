import { EngineError } from '../errors.js';
import type { ImpairmentDef } from '../lab/model.js';
import { parseRate } from '../lab/impairment.js';

/** What the node's kernel can do, found out at deploy (see `detectTrafficControl`). */
export interface KernelTc {
  netem: boolean;
}

export interface ImpairmentCommands {
  /** argv lists to run, in order, as root in the node's network namespace. */
  commands: string[][];
  /** Set when the impairment cannot be made on this kernel; nothing is run then. */
  unsupported?: string;
}

export const NO_NETEM = 'this kernel has no netem (sch_netem)';

/** Marks the iptables rules toplab adds, so they can be recognised. */
export const IMPAIR_COMMENT = 'toplab-impair';

/**
 * The commands that impair what leaves a node through `dev`. Rate uses tbf; delay and jitter netem; loss
 * netem where the kernel has it, else iptables' statistic match (OUTPUT for the node's own packets,
 * FORWARD for what a router passes on), for IPv4 and, when the interface has IPv6, IPv6.
 */
export function impairmentCommands(dev: string, imp: ImpairmentDef, kernel: KernelTc, opts: { ipv6?: boolean } = {}): ImpairmentCommands {
  const wantsNetem = imp.delay !== undefined || imp.jitter !== undefined;
  if (wantsNetem && !kernel.netem) {
    return {
      commands: [],
      unsupported: `${NO_NETEM}: delay and jitter cannot be emulated here (loss and rate can); on a stock Debian or Ubuntu kernel they work`,
    };
  }
  const commands: string[][] = [];
  const netemLoss = imp.loss !== undefined && kernel.netem;
  const useNetem = wantsNetem || netemLoss;
  if (useNetem) {
    const args = ['tc', 'qdisc', 'replace', 'dev', dev, 'root', 'handle', '1:', 'netem'];
    if (imp.delay !== undefined) args.push('delay', imp.delay, ...(imp.jitter !== undefined ? [imp.jitter] : []));
    if (netemLoss && imp.loss !== undefined) args.push('loss', imp.loss);
    // netem's own queue would otherwise hold only 1000 packets: enough for a classroom link.
    commands.push(args);
  }
  if (imp.rate !== undefined) {
    const bps = parseRate(imp.rate);
    // Burst: at least one full frame, and about 10 ms at the rate so fast links are not starved.
    const burst = Math.max(1600, Math.ceil(bps / 8 / 100));
    const where = useNetem ? ['parent', '1:1', 'handle', '10:'] : ['root', 'handle', '1:'];
    commands.push([
      'tc',
      'qdisc',
      useNetem ? 'add' : 'replace',
      'dev',
      dev,
      ...where,
      'tbf',
      'rate',
      imp.rate,
      'burst',
      String(burst),
      'latency',
      '400ms',
    ]);
  }
  if (imp.loss !== undefined && !kernel.netem) {
    const p = (parseFloat(imp.loss) / 100).toFixed(4);
    for (const tool of opts.ipv6 ? ['iptables', 'ip6tables'] : ['iptables']) {
      for (const chain of ['OUTPUT', 'FORWARD']) {
        commands.push([
          tool,
          '-w',
          '-A',
          chain,
          '-o',
          dev,
          '-m',
          'statistic',
          '--mode',
          'random',
          '--probability',
          p,
          '-m',
          'comment',
          '--comment',
          IMPAIR_COMMENT,
          '-j',
          'DROP',
        ]);
      }
    }
  }
  return { commands };
}

/** A probe for netem: add it on the loopback of the node's namespace and take it away again. */
export const NETEM_PROBE = ['sh', '-c', 'tc qdisc add dev lo root handle 1: netem delay 0ms 2>&1 && tc qdisc del dev lo root 2>&1'];

export function netemFromProbe(exitCode: number | null, output: string): boolean {
  if (exitCode === 0) return true;
  if (/qdisc kind is unknown|unknown qdisc|No such file or directory/i.test(output)) return false;
  // The engine's host, not toplab: say so (exit 4 as an engine error) rather than call it a bug.
  throw new EngineError(`could not tell whether the engine's kernel has netem (tc said: ${output.trim()})`, {
    hint: 'the node could not add a qdisc on its loopback; check that the engine allows NET_ADMIN in containers and that `tc` works there',
  });
}
