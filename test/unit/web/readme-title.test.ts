// A lab README's "Lab N" in a workshop: the workshop's own order, or no number in a one-lab workshop; the
// labs' own READMEs (their course order) are read as they are.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { workshopTitle } from '../../../web/src/shared/readme-title.js';
import { ROOT } from '../../helpers/cli.js';

const readme = (lab: string, file = 'README.md'): string => readFileSync(join(ROOT, 'labs', lab, file), 'utf8');
const title = (md: string): string => md.split('\n').find((l) => l.startsWith('# ')) ?? '';

describe("a lab README's title in a workshop", () => {
  it('udp-echo (Lab 4 of the course) second in a workshop is Lab 2, in English and in Chinese', () => {
    expect(title(readme('udp-echo'))).toBe('# Lab 4 — UDP echo: recvfrom, sendto and message boundaries');
    expect(title(workshopTitle(readme('udp-echo'), 2))).toBe('# Lab 2 — UDP echo: recvfrom, sendto and message boundaries');
    expect(title(workshopTitle(readme('udp-echo', 'README.zh.md'), 2))).toBe('# 实验 2 —— UDP 回显：recvfrom、sendto 与消息边界');
  });

  it('in a workshop of one lab the number is left out', () => {
    expect(title(workshopTitle(readme('unix-socket')))).toBe('# Local (AF_UNIX) stream sockets: a path instead of an address');
    expect(title(workshopTitle(readme('unix-socket', 'README.zh.md')))).toBe('# 本地（AF_UNIX）字节流套接字：用路径代替地址');
  });

  it('only the title changes; a README without a number, and the rest of the text, are as written', () => {
    const md = readme('tcp-handshake');
    const out = workshopTitle(md, 3);
    expect(out.split('\n').slice(1)).toEqual(md.split('\n').slice(1));
    expect(workshopTitle(readme('tcpdump'), 2)).toBe(readme('tcpdump'));
    expect(workshopTitle('Intro\n\n# Lab 7 — X\n\n# Lab 8 — Y\n', 1)).toBe('Intro\n\n# Lab 1 — X\n\n# Lab 8 — Y\n');
    expect(workshopTitle('## Lab 7 — not a title\n', 1)).toBe('## Lab 7 — not a title\n');
  });

  it("every numbered lab README is renumbered (the labs' numbers are found, whatever they are)", () => {
    for (const lab of ['tcp-handshake', 'tcp-echo-eof', 'send-buffer', 'udp-echo', 'unix-socket'])
      for (const f of ['README.md', 'README.zh.md']) {
        expect(title(readme(lab, f))).toMatch(/^# (Lab|实验) \d/);
        expect(title(workshopTitle(readme(lab, f), 9))).toMatch(/^# (Lab 9 — |实验 9 —— )\S/);
        expect(title(workshopTitle(readme(lab, f)))).not.toMatch(/\d+ —/);
      }
  });
});
