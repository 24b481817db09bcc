import { UsageError } from '../errors.js';
import { labImageTag } from '../runtime/lab-image.js';
import type { EngineHealth } from './pool.js';
import { enginePool } from './use.js';

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

/**
 * `lab engines list|drain|undrain`: every engine's health, version, image and load; `drain`/`undrain` stop or
 * resume new placements. `opts.engines` is the engines file (--engines, or TOPLAB_ENGINES).
 */
export async function enginesCommand(sub: string, name: string | undefined, opts: { format?: string; engines?: string }): Promise<number> {
  const pool = enginePool(opts.engines);
  if (!pool)
    throw new UsageError('no engines file: give --engines FILE or set TOPLAB_ENGINES (see docs/scale.md)', {
      hint: 'without one, toplab uses the local engine alone',
    });
  if (sub === 'drain' || sub === 'undrain') {
    if (name === undefined)
      throw new UsageError(`which engine? lab engines ${sub} NAME`, {
        hint: `engines: ${pool.engines.map((e) => e.spec.name).join(', ')}`,
      });
    await pool.setDraining(name, sub === 'drain');
    process.stdout.write(
      sub === 'drain'
        ? `engine ${name} is draining: its instances stay, new ones go elsewhere\n`
        : `engine ${name} takes new instances again\n`,
    );
    return 0;
  }
  const image = labImageTag();
  const list = await pool.probe({ image, version: true });
  process.stdout.write(opts.format === 'json' ? JSON.stringify(list, null, 2) + '\n' : renderEngines(list, image));
  return list.some((h) => !h.up) ? 4 : 0;
}
