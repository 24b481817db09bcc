// The end of a workshop as a student's open page sees it in a real Chromium: told that it ended, no countdown,
// nothing that would start a lab again, and no terminal that keeps knocking on a door that stays closed.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, newContext, shot, watchConsole } from './browser.js';
import { createWorkshop, endWorkshopAndStop, freePort, ServeProcess } from './server.js';

const TOKEN = `e2e-ended-${process.pid}-token`;
let server: ServeProcess;
let dataDir: string;
let browser: Browser;
let workshop: { id: string; code: string } | undefined;

describe('a workshop ends while a student has the page open', () => {
  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'toplab-e2e-ended-'));
    server = new ServeProcess(await freePort(), dataDir, TOKEN, ['--warm', '1']);
    await server.start();
    browser = await launchChromium();
    workshop = await createWorkshop(server, TOKEN, { labs: ['tcp-handshake'], capacity: 2, title: 'Ending test' });
  }, 180_000);

  afterAll(async () => {
    await browser?.close().catch(() => undefined);
    await endWorkshopAndStop(server, TOKEN, workshop?.id);
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  }, 180_000);

  it('says so, stops the countdown, the reset and the terminals, and keeps "Download my files"', async () => {
    const ctx = await newContext(browser, server.url);
    const p = await ctx.newPage();
    const consoleErrors = watchConsole(p, 'student');
    await p.goto(`/join/${workshop?.code ?? ''}`);
    await p.locator('#join-name').fill('Edda');
    await p.getByRole('button', { name: 'Join' }).click();
    await expect.poll(() => p.locator('[data-testid=instance-state]').innerText(), { timeout: 150_000 }).toMatch(/ready/);
    await p.locator('.term-host[data-node="server"] .xterm-rows').waitFor({ timeout: 60_000 });
    const ended = await fetch(`${server.url}/api/workshops/${workshop?.id ?? ''}/end`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    expect(ended.status).toBe(200);
    await expect.poll(() => p.locator('[data-testid=instance-state]').innerText(), { timeout: 30_000 }).toMatch(/removed/);
    await expect.poll(() => p.locator('[data-testid=ended-banner]').count(), { timeout: 10_000 }).toBe(1);
    expect(await p.locator('[data-testid=ended-banner]').innerText()).toContain('The workshop has ended');
    expect(await p.locator('.countdown').count()).toBe(0);
    expect(await p.getByRole('button', { name: 'Reset instance' }).isDisabled()).toBe(true);
    expect(await p.getByRole('button', { name: 'Restart programs' }).isDisabled()).toBe(true);
    expect(await p.locator('.term-host').count()).toBe(0);
    // The terminal's reconnects (refused with 403 once the workshop ended) would show here within their 5 s backoff.
    await p.waitForTimeout(8_000);
    expect(consoleErrors.errors.filter((e) => !/ERR_NETWORK_CHANGED/.test(e))).toEqual([]);
    // What stays: the student's own files, downloadable.
    const bundle = await p.evaluate(
      async (href) => (await fetch(href)).status,
      (await p.locator('[data-testid=download-mine]').getAttribute('href')) ?? '',
    );
    expect(bundle).toBe(200);
    await shot(p, 'student-workshop-ended');
    await ctx.close();
  }, 300_000);
});
