import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { LabValidationError, UsageError } from '../errors.js';
import { loadLab } from '../lab/load.js';
import { LAB_NAME_PATTERN, scaffoldLab } from '../lab/scaffold.js';
import { labsDir, projectRoot } from '../paths.js';

/** `lab new`: writes a new lab's files, refusing to touch a folder that exists. */
export async function newLabCommand(name: string, values: { title?: string; dir?: string }): Promise<number> {
  if (name === undefined || name === '') throw new UsageError('which name? e.g. lab new my-lab');
  if (!LAB_NAME_PATTERN.test(name)) scaffoldLab(name, { schemaPath: '' }); // throws the UsageError that says why
  const dir = resolve(values.dir ?? labsDir(), name);
  if (existsSync(dir)) throw new UsageError(`${dir} already exists`, { hint: 'choose another name, or remove that folder first' });
  const schemaPath = relative(dir, join(projectRoot(), 'schema', 'lab.schema.json'));
  const files = scaffoldLab(name, { schemaPath, ...(values.title !== undefined ? { title: values.title } : {}) });
  try {
    for (const [path, text] of Object.entries(files)) {
      const file = join(dir, path);
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, text);
    }
    // What was written must load; a failure here is a bug in the scaffold, and leaves no half-made lab behind.
    loadLab(dir);
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    // The name is checked above; what is left to make an invalid lab is what the user gave (--title).
    if (e instanceof LabValidationError)
      throw new UsageError(
        `that would make an invalid lab, so nothing was written: ${e.problems.map((p) => `${p.path}: ${p.message}`).join('; ')}`,
        { hint: 'give --title some text' },
      );
    throw e;
  }
  const rel = relative(process.cwd(), dir);
  const shown = rel === '' ? '.' : rel.startsWith('..') ? dir : rel;
  process.stdout.write(
    `made ${shown}/\n${Object.keys(files)
      .map((f) => `  ${f}\n`)
      .join('')}` + `next: lab validate ${shown}; lab check ${shown} --ladder; edit it; lab selftest ${shown}\n`,
  );
  return 0;
}
