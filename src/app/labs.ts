import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { LabValidationError, type LabProblem } from '../errors.js';
import { selftestCases } from '../grade/selftest.js';
import { loadLab } from '../lab/load.js';
import { labsDir } from '../paths.js';

/** A lab of the labs folder: its folder name, its title, and its lab file; `title` is absent when the file is not valid. */
export interface LabEntry {
  name: string;
  title?: string;
  file: string;
  valid: boolean;
}

/** The names of the labs in `dir` (the folders holding a lab.yaml), sorted. Reads no lab file. */
export function labNames(dir: string = labsDir()): string[] {
  return existsSync(dir)
    ? readdirSync(dir)
        .filter((d) => existsSync(join(dir, d, 'lab.yaml')))
        .sort()
    : [];
}

/**
 * The labs in `dir` (default: labs/, or TOPLAB_LABS_DIR), each loaded to read its title. A lab file that does not
 * validate is listed with `valid: false`; any other error (an unreadable folder) is thrown.
 */
export function listLabs(dir: string = labsDir()): LabEntry[] {
  return labNames(dir).map((name) => {
    const file = join(dir, name, 'lab.yaml');
    try {
      return { name, title: loadLab(file).title, file, valid: true };
    } catch (e) {
      if (!(e instanceof LabValidationError)) throw e;
      return { name, file, valid: false };
    }
  });
}

/** What `lab validate` found for one lab reference: its file when it loaded, and the problems of the file or of its mistakes. */
export interface LabValidation {
  ref: string;
  file?: string;
  /** Problems of the lab file itself (schema, references), each with file:line:col. */
  problems: LabProblem[];
  /** Problems of its mistakes' expect.yaml files: the mistake's folder and what is wrong. */
  mistakeProblems: { dir: string; problem: string }[];
}

/**
 * Validates lab files without touching Docker: the schema and references of each, and each mistake's
 * expect.yaml (what `lab selftest` would only find after grading). A reference that leads to no lab file throws
 * a UsageError, as loadLab does.
 */
export function validateLabs(refs: string[]): LabValidation[] {
  return refs.map((ref) => {
    try {
      const lab = loadLab(ref);
      const mistakeProblems = selftestCases(lab).flatMap((c) =>
        c.problem === undefined ? [] : [{ dir: join(lab.dir, 'mistakes', c.name), problem: c.problem }],
      );
      return { ref, file: lab.file, problems: [], mistakeProblems };
    } catch (e) {
      if (!(e instanceof LabValidationError)) throw e;
      return { ref, problems: e.problems, mistakeProblems: [] };
    }
  });
}
