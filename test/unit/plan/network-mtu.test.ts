// A network's `mtu` reaches the plan (and from there Docker's com.docker.network.driver.mtu option);
// IPv6 networks refuse an MTU below 1280.
import { describe, expect, it } from 'vitest';
import { loadLab, parseLabText } from '../../../src/lab/load.js';
import { planLab } from '../../../src/plan/plan.js';
import { LabValidationError } from '../../../src/errors.js';

describe('network mtu', () => {
  it('is planned for the network that declares it, and only for it', () => {
    const plan = planLab(loadLab('ifconfig-mtu'), { image: 'toplab/lab:test', instance: 'mtu-test' });
    expect(plan.networks.find((n) => n.name === 'slim')?.mtu).toBe(1000);
    expect(plan.networks.find((n) => n.name === 'lan')?.mtu).toBeUndefined();
  });

  it('is refused below 1280 on a dual-stack network, and outside 576..9000', () => {
    const lab = (mtu: number, v6: boolean): string =>
      `name: m\ntitle: MTU\nnetworks:\n  lan: { subnet: 10.0.1.0/24, mtu: ${mtu}${v6 ? ', subnet6: "fd00:0:0:1::/64"' : ''} }\nnodes:\n  a: { interfaces: { lan: 10.0.1.10 } }\nexercise: []\nchecks:\n  - { id: x, points: 1, socket: { node: a, tcp: 1 } }\n`;
    const problems = (text: string): string[] => {
      try {
        parseLabText(text, '/tmp/lab.yaml');
        return [];
      } catch (e) {
        if (!(e instanceof LabValidationError)) throw e;
        return e.problems.map((p) => `${p.path}: ${p.message}`);
      }
    };
    expect(problems(lab(1000, false))).toEqual([]);
    expect(problems(lab(1000, true)).join('\n')).toMatch(/networks\.lan\.mtu: .*1280/);
    expect(problems(lab(100, false)).join('\n')).toMatch(/networks\.lan\.mtu/);
  });
});
