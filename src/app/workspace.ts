import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { UsageError } from '../errors.js';
import { loadLab } from '../lab/load.js';
import type { Lab } from '../lab/model.js';
import { editableFiles, starterContent } from './lab-files.js';

/**
 * A student workspace: a folder of the student's own files for one lab, made by `lab init <lab> [DIR]`, that
 * `lab check` grades. It holds the lab's starter files (the programs, command and answer files the student
 * writes), the lab's READMEs to read, and this marker file naming the lab.
 */
export const WORKSPACE_FILE = '.toplab.json';

/** What the marker file holds. */
export interface WorkspaceMarker {
  /** The lab's name (as `lab list` shows it). */
  lab: string;
  /** The lab folder it was made from (absolute): found again even when the lab is not under labs/. */
  labDir: string;
}

export interface InitResult {
  dir: string;
  /** The files written, relative to dir, the marker included. */
  files: string[];
}

/**
 * Makes a workspace for `lab` in `dir` (created when missing): the starter files, README.md and README.zh.md,
 * and the marker. Never overwrites: a file already there is a UsageError naming it (a student's work is not
 * replaced by the starter).
 */
export function initWorkspace(lab: Lab, dir: string): InitResult {
  const target = resolve(dir);
  if (existsSync(target) && !statSync(target).isDirectory()) throw new UsageError(`${dir} exists and is not a folder`);
  const files = new Map<string, string | Buffer>();
  for (const f of editableFiles(lab)) files.set(f, starterContent(lab, f));
  for (const f of ['README.md', 'README.zh.md']) if (existsSync(join(lab.dir, f))) files.set(f, readFileSync(join(lab.dir, f)));
  const marker: WorkspaceMarker = { lab: lab.name, labDir: lab.dir };
  files.set(WORKSPACE_FILE, JSON.stringify(marker, null, 2) + '\n');
  const taken = [...files.keys()].filter((f) => existsSync(join(target, f)));
  if (taken.length > 0) {
    throw new UsageError(`${dir} already holds ${taken.join(', ')}: nothing was written`, {
      hint: existsSync(join(target, WORKSPACE_FILE))
        ? `it is a workspace already: run \`lab check\` in it`
        : `choose another folder: lab init ${lab.name} <folder>`,
    });
  }
  mkdirSync(target, { recursive: true });
  for (const [f, content] of files) writeFileSync(join(target, f), content);
  return { dir: target, files: [...files.keys()] };
}

/** The workspace holding `from` (it, or a folder above it), or undefined when there is none. */
export function findWorkspace(from: string): { dir: string; marker: WorkspaceMarker } | undefined {
  let dir = resolve(from);
  for (;;) {
    const file = join(dir, WORKSPACE_FILE);
    if (existsSync(file)) {
      let marker: WorkspaceMarker;
      try {
        marker = JSON.parse(readFileSync(file, 'utf8')) as WorkspaceMarker;
      } catch {
        throw new UsageError(`${file} is not a workspace file toplab can read`, {
          hint: 'remove it, or make the workspace again with `lab init <lab> <folder>`',
        });
      }
      if (typeof marker.lab !== 'string' || marker.lab === '')
        throw new UsageError(`${file} names no lab`, { hint: 'make the workspace again with `lab init <lab> <folder>`' });
      return { dir, marker };
    }
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

/** The lab a workspace was made for: from the folder it names when that still holds it, else by name. */
export function workspaceLab(marker: WorkspaceMarker): Lab {
  return typeof marker.labDir === 'string' && existsSync(join(marker.labDir, 'lab.yaml')) ? loadLab(marker.labDir) : loadLab(marker.lab);
}

/** What `lab check` grades: a student's files (a workspace, or --submission), or the lab's own reference. */
export type CheckTarget =
  | { kind: 'workspace' | 'submission'; lab: Lab; dir: string }
  /** No workspace and no --submission: the reference programs and files in the lab folder. */
  | { kind: 'reference'; lab: Lab; dir: string };

/**
 * Decides what `lab check [lab] [--submission DIR]` grades, run in `cwd`:
 * - `--submission DIR`: those files (the lab is the one named, or the one of DIR's workspace);
 * - inside a workspace (cwd or a folder above it has WORKSPACE_FILE): the workspace's files, for its lab; a lab
 *   named that is not the workspace's is a UsageError (the student would be graded on the wrong lab);
 * - otherwise the lab's own reference files in labs/<lab>/ (`kind: reference`; the caller says so).
 */
export function checkTarget(labRef: string | undefined, opts: { submission?: string; cwd?: string } = {}): CheckTarget {
  const cwd = opts.cwd ?? process.cwd();
  if (opts.submission !== undefined) {
    const dir = resolve(cwd, opts.submission);
    if (!existsSync(dir))
      throw new UsageError(`no submission at ${opts.submission}`, {
        hint: "give a folder holding the student's files (`lab init <lab>` makes one)",
      });
    const ws = statSync(dir).isDirectory() ? findWorkspace(dir) : undefined;
    const lab = labRef !== undefined ? loadLab(labRef) : ws ? workspaceLab(ws.marker) : undefined;
    if (!lab)
      throw new UsageError('which lab? e.g. lab check tcp-handshake --submission my-folder', { hint: 'run `lab list` to see the labs' });
    return { kind: 'submission', lab, dir };
  }
  const ws = findWorkspace(cwd);
  if (ws) {
    const lab = workspaceLab(ws.marker);
    if (labRef !== undefined) {
      const named = loadLab(labRef);
      if (named.name !== lab.name) {
        throw new UsageError(`this folder is a workspace for ${lab.name}, not ${named.name}`, {
          hint: `run \`lab check\` here for ${lab.name}, or \`lab init ${named.name}\` for a workspace of ${named.name} elsewhere (${relative(cwd, ws.dir) || '.'} is this one)`,
        });
      }
    }
    return { kind: 'workspace', lab, dir: ws.dir };
  }
  if (labRef === undefined)
    throw new UsageError('which lab? e.g. lab check tcp-handshake', {
      hint: 'run it inside a workspace made by `lab init <lab>`, or name the lab; `lab list` shows them',
    });
  const lab = loadLab(labRef);
  return { kind: 'reference', lab, dir: lab.dir };
}
