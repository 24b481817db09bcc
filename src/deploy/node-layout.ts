/** What a node container holds and lets its programs do: the program user, where compiled programs go, the writable places. */
import type { CompiledProgram } from '../programs/compile.js';

/** Programs run as this unprivileged user (created in the lab image), never as root. */
export const PROGRAM_USER = '1000:1000';
export const PROGRAMS_DIR = '/opt/toplab/programs';

export function programFile(name: string): string {
  return `${PROGRAMS_DIR}/${name}.mjs`;
}

export function programFiles(programs: CompiledProgram[]): { path: string; content?: string; mode?: number }[] {
  return [
    { path: 'toplab/' },
    { path: 'toplab/programs/' },
    ...programs.map((p) => ({ path: `toplab/programs/${p.name}.mjs`, content: p.code, mode: 0o644 })),
  ];
}

/**
 * The writable places of a node, each a tmpfs with a size limit (the rest of its file system is read-only):
 * a submission that fills one gets "No space left on device" and can fill nothing else, the host's disk
 * least of all. Sizes in MiB. tmpfs pages count against the node's memory limit too.
 */
export const NODE_TMPFS: { path: string; mib: number; options: string }[] = [
  // /run stays root's (a student's bind there is refused with EACCES, as on any Linux host; the unix-socket
  // lab teaches that error), /run/toplab inside it is the programs' run folder.
  { path: '/run', mib: 1, options: 'mode=0755' },
  { path: '/run/toplab', mib: 64, options: 'mode=1777' },
  { path: '/tmp', mib: 64, options: 'mode=1777' },
  { path: '/home/student', mib: 64, options: 'uid=1000,gid=1000,mode=0755' },
  { path: '/opt', mib: 32, options: 'mode=0755' },
  { path: '/var/tmp', mib: 16, options: 'mode=1777' },
];

/** Docker's HostConfig.Tmpfs for a node. */
export function nodeTmpfs(): Record<string, string> {
  return Object.fromEntries(NODE_TMPFS.map((t) => [t.path, `rw,nosuid,nodev,size=${t.mib}m,${t.options}`]));
}
