/**
 * "; did you mean `x`?" when a known name is close (a couple of edits, or the same ignoring case and
 * separators). Without a close one: the known names, unless `closeOnly`.
 */
export function suggestion(value: string, names: string[], closeOnly = false): string {
  const best = closest(value, names);
  if (best !== undefined) return `; did you mean \`${best}\`?`;
  if (closeOnly || names.length === 0) return '';
  return ` (known: ${names.map((n) => `\`${n}\``).join(', ')})`;
}

export function closest(value: string, names: string[]): string | undefined {
  const norm = (s: string): string => s.toLowerCase().replace(/[-_.\s]/g, '');
  let best: string | undefined;
  let bestD = Math.min(3, Math.max(1, Math.floor(value.length / 3)) + 1);
  for (const n of names) {
    if (n === value) continue;
    const d = norm(n) === norm(value) ? 0 : editDistance(value, n);
    if (d < bestD) {
      bestD = d;
      best = n;
    }
  }
  return best;
}

/** Levenshtein distance with adjacent transpositions counted as one edit. */
export function editDistance(a: string, b: string): number {
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d: number[] = new Array<number>(rows * cols).fill(0);
  const at = (i: number, j: number): number => d[i * cols + j] ?? 0;
  for (let i = 0; i < rows; i++) d[i * cols] = i;
  for (let j = 0; j < cols; j++) d[j] = j;
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, at(i - 2, j - 2) + 1);
      d[i * cols + j] = v;
    }
  }
  return at(a.length, b.length);
}
