// A workshop of two labs in a real Chromium, driven from the keyboard: the student's lab steps, the instructor
// moving a student to the next lab (a new instance, that lab's files), the tabs of both pages by arrow keys,
// Home and End (WAI-ARIA tabs pattern), and the student page's focus order with no keyboard trap.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ARTIFACTS, launchChromium, newContext, seriousA11yViolations, shot, watchConsole } from './browser.js';
import { createWorkshop, endWorkshopAndStop, freePort, ROOT, ServeProcess } from './server.js';

const TOKEN = `e2e-labs-${process.pid}-token`;
const FIRST = 'tcp-handshake';
const SECOND = 'udp-echo';
const EXPECTED_CONSOLE = [/net::ERR_NETWORK_CHANGED/, /WebSocket connection to .* failed/];
let server: ServeProcess;
let dataDir: string;
let browser: Browser;
let workshop: { id: string; code: string } | undefined;
let ada: Page;
let admin: Page;
const consoles: { errors: string[] }[] = [];

async function ready(p: Page, timeout = 150_000): Promise<void> {
  await expect.poll(() => p.locator('[data-testid=instance-state]').innerText(), { timeout, interval: 500 }).toMatch(/ready/);
}

/** What has the keyboard focus: its role (or tag), its accessible name or text, and which tab list holds it. */
function focused(
  p: Page,
): Promise<{ tag: string; role: string | null; text: string; list: string | null; selected: string | null; region: string | null }> {
  return p.evaluate(() => {
    const el = document.activeElement as HTMLElement | null;
    const region =
      el?.closest('header, nav, section[aria-label], .detail')?.getAttribute('aria-label') ?? (el?.closest('header') ? 'header' : null);
    return {
      tag: el?.tagName.toLowerCase() ?? '',
      role: el?.getAttribute('role') ?? null,
      text: (el?.getAttribute('aria-label') ?? el?.textContent ?? '').trim().slice(0, 60),
      list: el?.closest('[role=tablist]')?.getAttribute('aria-label') ?? null,
      selected: el?.getAttribute('aria-selected') ?? null,
      region,
    };
  });
}

/** Arrow keys, Home and End on a tab list: focus and selection move together, one tab has tabindex 0. */
async function driveTabs(p: Page, list: Locator, names: string[]): Promise<void> {
  const tab = (name: string): Locator => list.getByRole('tab', { name: new RegExp(`^${name}`) });
  const state = async (): Promise<{ focus: string; selected: string[]; tabbable: string[] }> => ({
    focus: (await focused(p)).text,
    selected: await list.locator('[role=tab][aria-selected=true]').allInnerTexts(),
    tabbable: await list.locator('[role=tab][tabindex="0"]').allInnerTexts(),
  });
  const first = names[0] as string;
  const last = names[names.length - 1] as string;
  await tab(first).click();
  await tab(first).focus();
  for (const [key, want] of [
    ['ArrowRight', names[1] as string],
    ['End', last],
    ['ArrowRight', first], // wraps
    ['ArrowLeft', last], // wraps back
    ['Home', first],
  ] as const) {
    await p.keyboard.press(key);
    const s = await state();
    expect(s.focus, `${key} focuses ${want}`).toMatch(new RegExp(`^${want}`));
    expect(
      s.selected.map((x) => x.trim()),
      `${key} selects ${want}`,
    ).toEqual([expect.stringMatching(new RegExp(`^${want}`))]);
    expect(s.tabbable.map((x) => x.trim())).toEqual([expect.stringMatching(new RegExp(`^${want}`))]);
    const pane = await list.locator('[role=tab][aria-selected=true]').getAttribute('aria-controls');
    if (pane !== null) expect(await p.locator(`[id="${pane}"]`).isVisible(), `${want}'s panel shows`).toBe(true);
  }
}

describe('several labs, and the keyboard, in Chromium', () => {
  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'toplab-e2e-labs-'));
    server = new ServeProcess(await freePort(), dataDir, TOKEN, ['--warm', '1', '--idle', '0']);
    await server.start();
    browser = await launchChromium();
    workshop = await createWorkshop(server, TOKEN, { labs: [FIRST, SECOND], capacity: 2, title: 'Two labs' });
  }, 180_000);

  afterAll(async () => {
    await browser?.close().catch(() => undefined);
    await endWorkshopAndStop(server, TOKEN, workshop?.id);
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  }, 180_000);

  it('a student joins and sees the labs in order: on the first, the second locked', async () => {
    const ctx = await newContext(browser, server.url);
    ada = await ctx.newPage();
    consoles.push(watchConsole(ada, 'student'));
    await ada.goto(`/join/${workshop?.code ?? ''}`);
    await ada.locator('#join-name').fill('Ada');
    await ada.getByRole('button', { name: 'Join' }).click();
    await ready(ada);
    const steps = ada.locator('[data-testid=lab-steps]');
    await expect.poll(() => steps.locator(`button[data-lab="${FIRST}"]`).getAttribute('aria-current')).toBe('step');
    expect(await steps.locator(`button[data-lab="${SECOND}"]`).isDisabled()).toBe(true);
    expect(await steps.locator(`button[data-lab="${SECOND}"]`).innerText()).toMatch(new RegExp(SECOND));
    await shot(ada, 'labs-student-first');
  });

  it('the file tabs and the terminal tabs move with arrows, Home and End', async () => {
    await driveTabs(ada, ada.getByRole('tablist', { name: 'Files' }), ['client.ts', 'server.ts']);
    // A second terminal from the menu, then the terminal tabs by keyboard; the focus stays on the tabs.
    await ada.locator('.open-node select').selectOption({ index: 1 });
    await expect.poll(() => ada.getByRole('tablist', { name: 'Terminals' }).getByRole('tab').count()).toBe(2);
    const names = await ada.getByRole('tablist', { name: 'Terminals' }).getByRole('tab').allInnerTexts();
    await driveTabs(
      ada,
      ada.getByRole('tablist', { name: 'Terminals' }),
      names.map((n) => n.trim()),
    );
  });

  it("the student page's focus order follows the layout, one stop per tab list, and nothing traps the keyboard", async () => {
    await ada.locator('header.bar h1').click();
    const seen: Awaited<ReturnType<typeof focused>>[] = [];
    for (let i = 0; i < 60; i++) {
      await ada.keyboard.press('Tab');
      const f = await focused(ada);
      seen.push(f);
      if (f.tag === 'textarea' && f.text.startsWith('Terminal')) break;
      // The editor takes Tab for indenting: Escape then Tab leaves it (CodeMirror's rule).
      if (f.text.startsWith('Editor:')) await ada.keyboard.press('Escape');
    }
    mkdirSync(ARTIFACTS, { recursive: true });
    writeFileSync(join(ARTIFACTS, 'student-focus-order.json'), JSON.stringify(seen, null, 1));
    const regions = seen.map((f) => f.region ?? 'header');
    const order = ['header', 'Labs', 'Exercise', 'Files', 'Check', 'Terminals'];
    const ranks = regions.map((r) => order.indexOf(r));
    expect(
      ranks.every((r) => r >= 0),
      regions.join(' > '),
    ).toBe(true);
    // Never back to an earlier part of the page.
    expect(
      ranks.every((r, i) => i === 0 || r >= (ranks[i - 1] as number)),
      regions.join(' > '),
    ).toBe(true);
    for (const part of order) expect(regions, `${part} is reached by Tab`).toContain(part);
    // Each tab list is one stop: its selected tab.
    for (const list of ['Files', 'Terminals']) {
      const tabs = seen.filter((f) => f.list === list);
      expect(tabs.length, `${list} tabs in the Tab order`).toBe(1);
      expect(tabs[0]?.selected).toBe('true');
    }
    // The terminal was reached, and Escape then Tab leaves it for the next control.
    expect(seen.at(-1)?.text).toMatch(/^Terminal/);
    await ada.keyboard.press('Escape');
    await ada.keyboard.press('Tab');
    const after = await focused(ada);
    expect(after.tag === 'textarea' && after.text.startsWith('Terminal')).toBe(false);
  });

  it("the instructor's lab and detail tabs move with the keyboard; moving Ada to the next lab gives her its instance and files", async () => {
    const ctx = await newContext(browser, server.url);
    admin = await ctx.newPage();
    consoles.push(watchConsole(admin, 'instructor'));
    admin.on('dialog', (d) => void d.accept());
    await admin.goto('/admin');
    await admin.getByLabel('Admin token').fill(TOKEN);
    await admin.getByRole('button', { name: 'Sign in' }).click();
    const labs = admin.getByRole('tablist', { name: 'Labs of this workshop' });
    await labs.waitFor();
    await driveTabs(admin, labs, [`1. ${FIRST}`, `2. ${SECOND}`]);
    await expect.poll(() => admin.locator('[data-testid=class-table]').getAttribute('data-lab')).toBe(FIRST);
    await admin.keyboard.press('ArrowRight');
    await expect.poll(() => admin.locator('[data-testid=class-table]').getAttribute('data-lab')).toBe(SECOND);
    await expect.poll(() => admin.locator('[data-testid=class-table] thead th').allInnerTexts()).toContain('On lab');
    // Export links follow the lab shown.
    expect(await admin.locator('.exports a[data-format=csv]').getAttribute('href')).toContain(`lab=${SECOND}`);
    await admin.locator('tr[data-student=Ada] th button').click();
    await driveTabs(admin, admin.getByRole('tablist', { name: 'Student details' }), ['Attempts', 'Files', 'Terminal']);
    await admin.locator('#move-lab').selectOption(SECOND);
    await admin.getByRole('button', { name: 'Move', exact: true }).click();
    // The student's page follows without a reload: the second lab, its starter files, a ready instance.
    const steps = ada.locator('[data-testid=lab-steps]');
    await expect.poll(() => steps.locator(`button[data-lab="${SECOND}"]`).getAttribute('aria-current'), { timeout: 30_000 }).toBe('step');
    await ready(ada);
    const starter = readFileSync(join(ROOT, 'labs', SECOND, 'starter', 'server.ts'), 'utf8');
    await ada.getByRole('tab', { name: /^server\.ts/ }).click();
    await expect
      .poll(() => ada.locator('.editor-host[data-file="server.ts"] .cm-content').innerText(), { timeout: 30_000 })
      .toContain(
        starter
          .split('\n')
          .find((l) => l.trim().length > 20)
          ?.trim() ?? 'x',
      );
    expect(await ada.locator('header.bar h1').innerText()).toMatch(/UDP|udp/);
    // udp-echo's README says "Lab 4" (the course's order); second in this workshop, it is Lab 2 here.
    await expect
      .poll(() => ada.locator('article.readme h1').first().innerText(), { timeout: 20_000 })
      .toBe('Lab 2 — UDP echo: recvfrom, sendto and message boundaries');
    // Moved there, the first lab is open to go back to.
    expect(await steps.locator(`button[data-lab="${FIRST}"]`).isDisabled()).toBe(false);
    await expect.poll(() => admin.locator('tr[data-student=Ada] [data-testid=on-lab]').innerText(), { timeout: 20_000 }).toContain(SECOND);
    await shot(ada, 'labs-student-second');
    await shot(admin, 'labs-dashboard');
  });

  it('both pages of a two-lab workshop have no serious or critical accessibility violations (axe-core)', async () => {
    const student = await seriousA11yViolations(ada);
    const dashboard = await seriousA11yViolations(admin);
    expect(student, JSON.stringify(student, null, 1)).toEqual([]);
    expect(dashboard, JSON.stringify(dashboard, null, 1)).toEqual([]);
  });

  it('no page logged an unexpected console error', () => {
    const unexpected = consoles.flatMap((c) => c.errors).filter((e) => !EXPECTED_CONSOLE.some((re) => re.test(e)));
    expect(unexpected).toEqual([]);
  });
});
