import { describe, it, expect, beforeEach, afterEach } from 'vitest';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync, appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  LAB_IMAGE_FILES,
  LAB_IMAGE_REPO,
  imageDefinitionHash,
  labImageDir,
  labImageTag,
  readLabPackages,
} from '../../../../src/runtime/lab-image.js';
import { debootstrapArgs, importChanges } from '../../../../src/runtime/docker/image-offline.js';

describe('lab image tag', () => {
  let copy: string;

  beforeEach(() => {
    copy = mkdtempSync(join(tmpdir(), 'toplab-image-test-'));
    for (const f of LAB_IMAGE_FILES) cpSync(join(labImageDir(), f), join(copy, f));
  });
  afterEach(() => rmSync(copy, { recursive: true, force: true }));

  it('is toplab/lab:<12 hex> and stable for the same definition', () => {
    const tag = labImageTag();
    expect(tag).toMatch(/^toplab\/lab:[0-9a-f]{12}$/);
    expect(tag.startsWith(LAB_IMAGE_REPO + ':')).toBe(true);
    expect(labImageTag()).toBe(tag);
    // A copy of the same files anywhere else gives the same tag.
    expect(labImageTag(copy)).toBe(tag);
    expect(imageDefinitionHash(copy)).toBe(tag.split(':')[1]);
  });

  it('changes when the package list changes', () => {
    const before = imageDefinitionHash(copy);
    appendFileSync(join(copy, 'packages.txt'), 'strace\n');
    const after = imageDefinitionHash(copy);
    expect(after).not.toBe(before);
    expect(readLabPackages(copy)).toContain('strace');
  });

  it('changes when setup.sh or the Dockerfile changes', () => {
    const before = imageDefinitionHash(copy);
    appendFileSync(join(copy, 'setup.sh'), '\ntrue\n');
    const afterSetup = imageDefinitionHash(copy);
    expect(afterSetup).not.toBe(before);
    appendFileSync(join(copy, 'Dockerfile'), '\n# comment\n');
    expect(imageDefinitionHash(copy)).not.toBe(afterSetup);
  });

  it('tells apart text moved from one file to the next', () => {
    // Moving text from the end of one file to the start of the next must change the hash.
    const a = imageDefinitionHash(copy);
    const docker = readFileSync(join(copy, 'Dockerfile'), 'utf8');
    const pkgs = readFileSync(join(copy, 'packages.txt'), 'utf8');
    writeFileSync(join(copy, 'Dockerfile'), docker + 'x');
    const b = imageDefinitionHash(copy);
    writeFileSync(join(copy, 'Dockerfile'), docker);
    writeFileSync(join(copy, 'packages.txt'), 'x' + pkgs);
    expect(new Set([a, b, imageDefinitionHash(copy)]).size).toBe(3);
  });
});

describe('both builders install the same packages', () => {
  const dir = labImageDir();
  const packages = readLabPackages(dir);
  const dockerfile = readFileSync(join(dir, 'Dockerfile'), 'utf8');

  it('lists the tools the labs rely on', () => {
    for (const p of [
      'nodejs',
      'tcpdump',
      'net-tools',
      'iproute2',
      'lsof',
      'iputils-ping',
      'traceroute',
      'procps',
      'iftop',
      'netcat-openbsd',
      'iptables',
    ]) {
      expect(packages).toContain(p);
    }
    expect(new Set(packages).size).toBe(packages.length);
  });

  it('the offline builder passes exactly packages.txt to debootstrap --include', () => {
    const args = debootstrapArgs('/tmp/rootfs', dir);
    const include = args.find((a) => a.startsWith('--include='));
    expect(include?.slice('--include='.length).split(',')).toEqual(packages);
    expect(args).toContain('--variant=minbase');
    expect(args).toContain('bookworm');
    expect(args).toContain('/tmp/rootfs');
  });

  it('the Dockerfile reads packages.txt and runs setup.sh instead of repeating them', () => {
    expect(dockerfile).toMatch(/^FROM debian:bookworm-slim\s*$/m);
    expect(dockerfile).toMatch(/^COPY packages\.txt setup\.sh /m);
    expect(dockerfile).toMatch(/packages\.txt \| xargs apt-get install -y --no-install-recommends/);
    expect(dockerfile).toMatch(/sh \/tmp\/toplab-image\/setup\.sh/);
    // No package name appears in the Dockerfile's instructions (comments aside).
    const instructions = dockerfile
      .split('\n')
      .filter((l) => !l.trimStart().startsWith('#'))
      .join('\n');
    for (const p of packages) {
      expect(instructions, `Dockerfile names package ${p}`).not.toMatch(new RegExp(`(^|[\\s,])${p.replace(/[.+]/g, '\\$&')}($|[\\s,])`));
    }
  });

  it('the Dockerfile strips comments from packages.txt the way readLabPackages does', () => {
    expect(dockerfile).toContain("sed -e 's/#.*//' /tmp/toplab-image/packages.txt");
  });

  it('both builders set the same PATH and command', () => {
    const changes = importChanges('abcdef012345');
    const envLine = changes.find((c) => c.startsWith('ENV PATH='));
    expect(envLine).toBeDefined();
    expect(dockerfile).toContain(envLine as string);
    expect(changes).toContain('CMD ["/bin/sh"]');
    expect(dockerfile).toContain('CMD ["/bin/sh"]');
    expect(changes).toContain('LABEL org.toplab.managed=true');
    expect(changes).toContain('LABEL org.toplab.image-hash=abcdef012345');
  });
});
