// The probe kinds, one module each (src/exercise/probe-kinds/): each runs the command its row of the docs'
// table names, with the options the step gives (defaults from resolveLab), and the schema offers every kind.
import { describe, expect, it } from 'vitest';
import { PROBE_KIND_MODULES, PROBE_KINDS, PROBE_KINDS_LIST } from '../../../src/exercise/probe-kinds/registry.js';
import { labSchemaJson } from '../../../src/lab/lab-schema.js';
import { resolveProbe } from '../../../src/lab/resolve.js';

const target = (): string => '10.0.1.10';

describe('probe kinds', () => {
  it('are offered by the lab schema, each under its own name, the first the default', () => {
    const schema = JSON.parse(labSchemaJson()) as {
      $defs: { step: { properties: { probe: { properties: { kind: { enum: string[]; description: string } } } } } };
    };
    const kind = schema.$defs.step.properties.probe.properties.kind;
    expect(kind.enum).toEqual(PROBE_KINDS);
    expect(kind.description).toContain(`${PROBE_KINDS[0]}: `);
    for (const [name, m] of Object.entries(PROBE_KIND_MODULES)) expect(m.name).toBe(name);
  });

  it('runs the command the docs name for each kind', () => {
    for (const m of PROBE_KINDS_LIST) {
      const p = resolveProbe({
        name: 'p',
        node: 'n',
        kind: m.name,
        ...(m.name === 'ping' || m.name === 'traceroute' ? { target: 's' } : {}),
      });
      const first = /`([a-z]+)/.exec(m.runs)?.[1];
      expect(m.command(p, target), m.name).toContain(first === 'ss' ? 'ss ' : `${first} `);
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

  it("gives traceroute its own timeout (30 s) and every other kind the probe step's (10 s)", () => {
    for (const m of PROBE_KINDS_LIST)
      expect(resolveProbe({ name: 'p', node: 'n', kind: m.name }).timeoutS, m.name).toBe(m.name === 'traceroute' ? 30 : 10);
  });

  it('takes only the table-reading kinds side by side', () => {
    expect(
      Object.values(PROBE_KIND_MODULES)
        .filter((m) => m.readsOnly)
        .map((m) => m.name)
        .sort(),
    ).toEqual(['interfaces', 'lsof', 'neighbours', 'routes', 'sockets']);
  });
});
