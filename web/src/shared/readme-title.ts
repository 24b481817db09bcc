/**
 * A lab README's title as a workshop shows it. The READMEs number themselves in the course's order
 * (`# Lab 4 — UDP echo: …`, `# 实验 4 —— UDP 回显：…`), which is right where they are read on their own (the
 * repository, a `lab init` workspace); a workshop has its own ordered list of labs. So the number becomes the
 * lab's place in the workshop's list (`position`, from 1), and a workshop of one lab (no `position`) shows no
 * number at all: `# UDP echo: …`. Only the first level-one heading's leading "Lab N —" / "实验 N ——" changes;
 * a README without one is returned as it is.
 */
export function workshopTitle(markdown: string, position?: number): string {
  const lines = markdown.split('\n');
  const i = lines.findIndex((l) => /^#[ \t]/.test(l));
  const m = i >= 0 ? NUMBERED.exec(lines[i] ?? '') : null;
  if (!m) return markdown;
  const [all, hash = '# ', word = 'Lab', dash = '—'] = m;
  lines[i] = (position === undefined ? hash : `${hash}${word} ${position} ${dash} `) + (lines[i] ?? '').slice(all.length);
  return lines.join('\n');
}

/** `# Lab 4 — `, `# 实验 4 —— `: the heading's hashes, the word, its number, the dash (or colon) after it. */
const NUMBERED = /^(#[ \t]+)(Lab|实验)[ \t]*\d+[ \t]*(—+|–|-|:|：)[ \t]*/i;
