import { createRequire } from 'node:module';
import type { Document, LineCounter } from 'yaml';

/** The yaml package, loaded on first use: commands that read no YAML file (down, status) do not pay for it. */
export function yamlModule(): typeof import('yaml') {
  return createRequire(import.meta.url)('yaml') as typeof import('yaml');
}

/**
 * Where a problem at `path` (and, when given, at its map key `key`) stands in a parsed YAML document, as a
 * 1-based line and column: the key itself when there is one, else the nearest node that exists along `path`,
 * else the document's start. Used for the `file:line:col` of lab-file and engines-file errors.
 */
export function yamlPosition(
  doc: Document,
  lc: LineCounter,
  path: (string | number)[],
  key: string | undefined,
): { line: number; col: number } {
  const { isMap, isNode, isScalar } = yamlModule();
  let target: unknown = path.length === 0 ? doc.contents : doc.getIn(path, true);
  // Point at the offending key itself, not at its parent map.
  if (key !== undefined && isMap(target)) {
    const pair = target.items.find((it) => isScalar(it.key) && String(it.key.value) === key);
    if (pair && isNode(pair.key)) target = pair.key;
  }
  for (let p = path; !isNode(target) && p.length > 0;) {
    p = p.slice(0, -1);
    target = p.length === 0 ? doc.contents : doc.getIn(p, true);
  }
  if (isNode(target) && target.range) {
    const pos = lc.linePos(target.range[0]);
    return { line: pos.line, col: pos.col };
  }
  return { line: 1, col: 1 };
}
