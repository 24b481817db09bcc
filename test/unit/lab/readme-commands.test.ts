import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadLab } from '../../../src/lab/load.js';
import { labsDir } from '../../../src/paths.js';
import { labReadmeCommands } from '../../helpers/readme-steps.js';

// What a lab README tells a student to type must be typeable: both languages give the same commands, and
// each names this lab and one of its nodes. test/docker/readme-steps.test.ts runs them in a running lab.
describe('lab README commands', () => {
  const labs = readdirSync(labsDir()).sort();
  it.each(labs)('%s: README.md and README.zh.md give the same commands, each about this lab and its nodes', (name) => {
    const lab = loadLab(name);
    const { en, zh } = labReadmeCommands(join(labsDir(), name));
    // The same commands (prose may mention `lab up` at another place in the other language).
    const distinct = (list: typeof en): string[] => [...new Set(list.map((c) => JSON.stringify(c.argv)))].sort();
    expect(distinct(en)).toEqual(distinct(zh));
    expect(en.some((c) => c.argv[0] === 'up')).toBe(true);
    for (const c of en) {
      expect(c.argv[1], `README.md:${c.line}`).toBe(name);
      if (c.argv[0] !== 'exec') continue;
      const node = c.argv.slice(2, c.argv.indexOf('--')).find((a) => !a.startsWith('-'));
      expect(Object.keys(lab.def.nodes), `README.md:${c.line}`).toContain(node);
    }
  });
});
