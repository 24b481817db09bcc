// The probe kinds, one module each (src/exercise/probe-kinds/): every kind the lab format offers has one, and
// each runs the command the docs' table names, with the options the step gives (defaults from resolveLab).
import { describe, expect, it } from 'vitest';
import { PROBE_KIND_MODULES } from '../../../src/exercise/probe-kinds/registry.js';
import { resolveProbe } from '../../../src/lab/resolve.js';
import { PROBE_KIND_INFO, PROBE_KINDS } from '../../../src/schema/steps.js';

const target = (): string => '10.0.1.10';

describe('probe kinds', () => {
  it('has one module for every kind of the lab format, under its own name', () => {
    expect(Object.keys(PROBE_KIND_MODULES).sort()).toEqual([...PROBE_KINDS].sort());
    for (const [name, m] of Object.entries(PROBE_KIND_MODULES)) expect(m.name).toBe(name);
  });

  it('runs the command the docs name for each kind', () => {
    for (const info of PROBE_KIND_INFO) {
      const p = resolveProbe({
        name: 'p',
        node: 'n',
        kind: info.name,
        ...(info.name === 'ping' || info.name === 'traceroute' ? { target: 's' } : {}),
      });
      const first = /`([a-z]+)/.exec(info.runs)?.[1];
      expect(PROBE_KIND_MODULES[info.name].command(p, target), info.name).toContain(first === 'ss' ? 'ss ' : `${first} `);
    }
  });

  it('gives ping its count and size (3 and 56 unless the step says), and IPv6 when asked', () => {
    expect(PROBE_KIND_MODULES.ping.command(resolveProbe({ name: 'p', node: 'n', kind: 'ping', target: 's' }), target)).toBe(
      "ping -c 3 -s 56 -i 0.2 -W 1 '10.0.1.10'; true",
    );
    expect(
      PROBE_KIND_MODULES.ping.command(
        resolveProbe({ name: 'p', node: 'n', kind: 'ping', target: 's', count: 5, size: 1400, family: 6 }),
        target,
      ),
    ).toBe("ping -6 -c 5 -s 1400 -i 0.2 -W 1 '10.0.1.10'; true");
    expect(PROBE_KIND_MODULES.lsof.command(resolveProbe({ name: 'p', node: 'n', kind: 'lsof', port: 9000 }), target)).toBe(
      'lsof -nP -i :9000; true',
    );
  });

  it('takes only the table-reading kinds side by side', () => {
    expect(
      Object.values(PROBE_KIND_MODULES)
        .filter((m) => m.readsOnly)
        .map((m) => m.name)
        .sort(),
    ).toEqual(['interfaces', 'lsof', 'routes', 'sockets']);
  });
});
