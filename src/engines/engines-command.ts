import type { EngineHealth } from './pool.js';

/** The table `lab engines` prints: one line per engine. Pure. */
export function renderEngines(list: EngineHealth[], image: string): string {
  const rows = list.map((h) => [
    h.name,
    h.address,
    h.up ? (h.draining ? 'draining' : 'up') : 'unreachable',
    h.version ?? '-',
    h.up ? (h.hasImage ? 'yes' : 'no') : '-',
    h.up ? `${h.instances}/${h.capacity}` : `?/${h.capacity}`,
    Object.entries(h.labels)
      .map(([k, v]) => `${k}=${v}`)
      .join(',') || '-',
  ]);
  const head = ['ENGINE', 'ADDRESS', 'STATE', 'VERSION', 'IMAGE', 'INSTANCES', 'LABELS'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]): string =>
    r
      .map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  const out = [line(head), ...rows.map(line)];
  for (const h of list) if (!h.up && h.error) out.push(`  ${h.error}`);
  out.push(`(IMAGE: whether the engine holds ${image})`);
  return out.join('\n') + '\n';
}
