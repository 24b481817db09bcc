import type Docker from 'dockerode';
import { EngineError, errorMessage } from '../../errors.js';
import { script } from '../../sh/scripts.js';
import { LABEL } from '../labels.js';
import { demuxedText } from './demux.js';
import type { HostRulesNeeded } from '../runtime.js';

/**
 * Rules in the engine host's packet filter, for lab bridges only (their names all start with `tl-`).
 *
 * - Routed IPv4 labs: Docker's isolation chain drops frames bridged on an internal network whose
 *   destination lies outside its subnet, which is every packet a client sends to a router node. Accepting
 *   frames that are *bridged* between ports of one lab bridge (before Docker's rules, in DOCKER-USER) lets
 *   them reach the router, while traffic *routed by the host* between bridges stays dropped.
 * - IPv6: Docker 20.10 neither isolates IPv6 nor lets the bridge go without an address, and the host
 *   forwards IPv6. So the host drops IPv6 it would route to or from a lab bridge, and IPv6 (and IPv4)
 *   addressed to itself arriving on one.
 *
 * Every rule carries the comment `toplab`; nothing else is touched, and adding twice changes nothing. The
 * shell that applies them is src/sh/host-rules.sh (its RULE_COMMENT and ISOLATION_CHAIN are these).
 */
export const RULE_COMMENT = 'toplab';
export const ISOLATION_CHAIN = 'TOPLAB-ISOLATION';
const HOST_LOCK_DIR = '/run/toplab-host-rules';

type Rule = {
  table: 'ip' | 'ip6';
  chain: string;
  spec: string[];
  position?: number;
  /** Must stay the chain's first rule: moved back to the top when others were inserted above it. */
  onTop?: boolean;
};

const comment = ['-m', 'comment', '--comment', RULE_COMMENT];

/** The rules a plan needs, in the order they are added. Pure. */
export function hostRules(needs: HostRulesNeeded): Rule[] {
  const rules: Rule[] = [];
  if (needs.bridgedForwarding) {
    const accept = ['-m', 'physdev', '--physdev-is-bridged', '-i', 'tl-+', '-o', 'tl-+', ...comment, '-j', 'ACCEPT'];
    rules.push({ table: 'ip', chain: 'DOCKER-USER', position: 1, spec: accept });
    // Each time Docker creates a network it takes the FORWARD jump to DOCKER-USER out and puts it back;
    // frames bridged in between meet the isolation chain. The same rule on top of that chain covers them.
    rules.push({ table: 'ip', chain: 'DOCKER-ISOLATION-STAGE-1', position: 1, spec: accept, onTop: true });
  }
  if (needs.bridgedForwarding || needs.ipv6Isolation) {
    rules.push({ table: 'ip', chain: 'INPUT', position: 1, spec: ['-i', 'tl-+', ...comment, '-j', 'DROP'] });
  }
  if (needs.ipv6Isolation) {
    rules.push(
      { table: 'ip6', chain: ISOLATION_CHAIN, spec: ['-m', 'physdev', '--physdev-is-bridged', ...comment, '-j', 'RETURN'] },
      { table: 'ip6', chain: ISOLATION_CHAIN, spec: ['-i', 'tl-+', ...comment, '-j', 'DROP'] },
      { table: 'ip6', chain: ISOLATION_CHAIN, spec: ['-o', 'tl-+', ...comment, '-j', 'DROP'] },
      { table: 'ip6', chain: 'FORWARD', position: 1, spec: [...comment, '-j', ISOLATION_CHAIN] },
      { table: 'ip6', chain: 'INPUT', position: 1, spec: ['-i', 'tl-+', ...comment, '-j', 'DROP'] },
    );
  }
  return rules;
}

/**
 * A rule as src/sh/host-rules.sh takes it, one word list: `TABLE CHAIN POSITION|- top|- SPEC...`. Pure.
 * The spec's words hold no spaces or glob characters (the script splits the list with globbing off).
 */
export function ruleWords(r: Rule): string {
  return [r.table, r.chain, r.position ?? '-', r.onTop ? 'top' : '-', ...r.spec].join(' ');
}

/** The arguments of host-rules.sh that add the rules a lab needs (idempotently), in order. Pure. */
export function addRulesArgs(needs: HostRulesNeeded): string[] {
  return ['add', ...hostRules(needs).map(ruleWords)];
}

/** The arguments that take away exactly what addRulesArgs adds (every copy of each rule, last first), and the chain. */
export function removeRulesArgs(needs: HostRulesNeeded): string[] {
  return ['remove', ...hostRules(needs).reverse().map(ruleWords)];
}

const done = new Map<string, Promise<void>>();

/** Adds the rules once per process (the script itself is idempotent across processes). */
export function ensureHostRules(docker: Docker, needs: HostRulesNeeded, image: string): Promise<void> {
  if (!needs.bridgedForwarding && !needs.ipv6Isolation) return Promise.resolve();
  // Rules that must stay on top are checked every time: Docker inserts its own above them.
  if (needs.bridgedForwarding) return runHostHelper(docker, image, addRulesArgs(needs)).then(() => undefined);
  const key = JSON.stringify(needs);
  let p = done.get(key);
  if (!p) {
    p = runHostHelper(docker, image, addRulesArgs(needs)).then(() => undefined);
    done.set(key, p);
    p.catch(() => done.delete(key));
  }
  return p;
}

export async function removeHostRules(docker: Docker, needs: HostRulesNeeded, image: string): Promise<void> {
  done.clear();
  await runHostHelper(docker, image, removeRulesArgs(needs));
}

/** Lists the toplab rules now in the host's filter (iptables -S lines carrying our comment). */
export async function listHostRules(docker: Docker, image: string): Promise<string[]> {
  const out = await runHostHelper(docker, image, ['list']);
  return out.split('\n').filter((l) => l.trim() !== '');
}

/**
 * Runs src/sh/host-rules.sh with `args` in a short-lived container on the host's network namespace with
 * NET_ADMIN: it works the same on a local and a remote engine, and needs no root on the machine running toplab.
 */
export async function runHostHelper(docker: Docker, image: string, args: string[]): Promise<string> {
  const container = await docker.createContainer({
    name: `tl-host-helper-${process.pid}-${Math.random().toString(36).slice(2, 8)}`,
    Image: image,
    // One helper at a time per engine host: two labs coming up together would otherwise both find a rule
    // missing and both add it. The lock file lives in the host's /run (a tmpfs, gone at reboot).
    Cmd: ['flock', `${HOST_LOCK_DIR}/lock`, 'sh', '-c', script('host-rules'), 'host-rules', ...args],
    Labels: { [LABEL.managed]: 'true', [LABEL.role]: 'helper' },
    HostConfig: {
      NetworkMode: 'host',
      CapDrop: ['ALL'],
      CapAdd: ['NET_ADMIN', 'NET_RAW'],
      SecurityOpt: ['no-new-privileges'],
      Binds: [`${HOST_LOCK_DIR}:${HOST_LOCK_DIR}`],
    },
  });
  try {
    await container.start();
    const result = (await container.wait()) as { StatusCode: number };
    const logs = (await container.logs({ stdout: true, stderr: true, follow: false })) as Buffer;
    const text = await demuxedText(docker.modem, logs);
    if (result.StatusCode !== 0)
      throw new EngineError(`could not set the host's packet filter for lab bridges (exit ${result.StatusCode}): ${text.trim()}`);
    return text;
  } catch (e) {
    if (e instanceof EngineError) throw e;
    throw new EngineError(`could not run the host helper container: ${errorMessage(e)}`, { cause: e });
  } finally {
    await container.remove({ force: true }).catch(() => undefined);
  }
}
