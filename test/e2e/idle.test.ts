// The idle countdown in a real Chromium: a server with a one-minute idle limit warns the student, and
// "I'm still here" keeps the instance (the idle timer starts again, nothing is stopped).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, newContext, shot, watchConsole } from './browser.js';
import { createWorkshop, endWorkshopAndStop, freePort, ServeProcess } from './server.js';

const TOKEN = `e2e-idle-${process.pid}-token`;
let server: ServeProcess;
let dataDir: string;
let browser: Browser;
let workshop: { id: string; code: string } | undefined;

describe('idle countdown', () => {
  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'toplab-e2e-idle-'));
    server = new ServeProcess(await freePort(), dataDir, TOKEN, ['--warm', '1', '--idle', '1']);
    await server.start();
    browser = await launchChromium();
    workshop = await createWorkshop(server, TOKEN, { labs: ['tcp-handshake'], capacity: 2, title: 'Idle test' });
  }, 180_000);

  afterAll(async () => {
    await browser?.close().catch(() => undefined);
    await endWorkshopAndStop(server, TOKEN, workshop?.id);
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  }, 180_000);

  it('warns before an idle stop, and "I\'m still here" keeps the instance', async () => {
    const ctx = await newContext(browser, server.url);
    const p = await ctx.newPage();
    const consoleErrors = watchConsole(p, 'idle student');
    await p.goto(`/join/${workshop?.code ?? ''}`);
    await p.locator('#join-name').fill('Idris');
    await p.getByRole('button', { name: 'Join' }).click();
    await expect.poll(() => p.locator('[data-testid=instance-state]').innerText(), { timeout: 150_000 }).toMatch(/ready/);
    expect(await p.locator('.countdown').innerText()).toMatch(/^Ends in \d+:\d\d:\d\d$/);
    const banner = p.locator('.banner', { hasText: 'stops for inactivity' });
    await banner.waitFor({ timeout: 75_000 });
    await shot(p, 'student-idle-warning');
    await banner.getByRole('button', { name: "I'm still here" }).click();
    await expect.poll(() => banner.count(), { timeout: 10_000 }).toBe(0);
    expect(await p.locator('[data-testid=instance-state]').innerText()).toMatch(/ready/);
    // The server agrees: the idle timer starts again from now.
    const cullAt = await p.evaluate(
      async () => ((await (await fetch('/api/me')).json()) as { student: { idleCullAt: string | null } }).student.idleCullAt,
    );
    expect(Date.parse(cullAt ?? '') - Date.now()).toBeGreaterThan(40_000);
    expect(consoleErrors.errors.filter((e) => !/ERR_NETWORK_CHANGED/.test(e))).toEqual([]);
    await ctx.close();
  }, 300_000);
});
