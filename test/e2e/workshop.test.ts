// The workshop pages in a real Chromium against a real `lab serve` on the real engine: an instructor
// creates a workshop, two students work in it, the instructor watches; then the things that break pages
// (a foreign student's URLs, a terminal flood, a server restart) and an accessibility check of both pages.
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ARTIFACTS, launchChromium, newContext, seriousA11yViolations, shot, watchConsole } from './browser.js';
import { endWorkshopAndStop, freePort, ROOT, ServeProcess } from './server.js';

const LAB = 'tcp-handshake';
const TOKEN = `e2e-admin-${process.pid}-token`;
const REFERENCE = {
  'server.ts': readFileSync(join(ROOT, 'labs', LAB, 'server.ts'), 'utf8'),
  'client.ts': readFileSync(join(ROOT, 'labs', LAB, 'client.ts'), 'utf8'),
};
// A server that starts and prints, but never calls listen(): the `listen` check must fail for it.
const NEVER_LISTENS = `import * as net from 'node:net';\n// e2e: this server never listens\nconst server = net.createServer((s) => s.pipe(s));\nconsole.log('not listening', typeof server);\nsetInterval(() => {}, 1000);\n`;
/** The README's images come from this run when TOPLAB_DOCS_IMAGES=1. */
const DOCS_IMAGES = process.env['TOPLAB_DOCS_IMAGES'] === '1';

/**
 * Console errors a page may show here without being wrong: requests the network dropped while the server
 * was down on purpose or while lab containers changed the host's interfaces, and the 404s a foreign student
 * is meant to get.
 */
const EXPECTED_CONSOLE = [
  /net::ERR_CONNECTION_REFUSED/,
  /net::ERR_NETWORK_CHANGED/,
  /WebSocket connection to .* failed/,
  /status of 404 \(Not Found\)/,
];

let server: ServeProcess;
let dataDir: string;
let browser: Browser;
let workshopId = '';
let joinUrl = '';
const consoles: { errors: string[] }[] = [];
const pageBytes: Record<string, number> = {};
const contexts: BrowserContext[] = [];
let admin: Page;
let ada: Page;
let bob: Page;

async function page(label: string): Promise<Page> {
  const ctx = await newContext(browser, server.url);
  contexts.push(ctx);
  const p = await ctx.newPage();
  consoles.push(watchConsole(p, label));
  return p;
}

async function docsShot(p: Page, name: string): Promise<void> {
  const file = await shot(p, name);
  if (DOCS_IMAGES) {
    mkdirSync(join(ROOT, 'docs', 'images'), { recursive: true });
    copyFileSync(file, join(ROOT, 'docs', 'images', `workshop-${name}.png`));
  }
}

/** The visible rows of the active terminal (xterm's DOM renderer), as text. */
async function terminalText(p: Page, node: string): Promise<string> {
  return p.locator(`.term-host[data-node="${node}"] .xterm-rows`).innerText();
}

async function typeInTerminal(p: Page, node: string, line: string): Promise<void> {
  await p.locator(`.term-host[data-node="${node}"] .xterm-helper-textarea`).focus();
  await p.keyboard.type(line);
  await p.keyboard.press('Enter');
}

async function waitForTerminal(p: Page, node: string, re: RegExp, timeout = 60_000): Promise<string> {
  const started = Date.now();
  let last = '';
  while (Date.now() - started < timeout) {
    last = await terminalText(p, node).catch(() => '');
    if (re.test(last)) return last;
    await p.waitForTimeout(250);
  }
  throw new Error(`terminal of ${node} never showed ${re}; it shows:\n${last}`);
}

async function ready(p: Page, timeout = 150_000): Promise<void> {
  await expect.poll(() => p.locator('[data-testid=instance-state]').innerText(), { timeout, interval: 500 }).toMatch(/ready/);
}

/** Replaces a file's text in the student's editor as a paste would, then waits for the page to say saved. */
async function putFile(p: Page, name: string, text: string): Promise<void> {
  await p.getByRole('tab', { name: new RegExp(`^${name.replace('.', '\\.')}`) }).click();
  const content = p.locator(`.editor-host[data-file="${name}"] .cm-content`);
  await content.waitFor({ timeout: 60_000 });
  await content.click();
  await p.keyboard.press('Control+A');
  await p.keyboard.press('Delete');
  await p.keyboard.insertText(text);
  await expect.poll(() => p.locator('[data-testid=save-state]').getAttribute('data-state'), { timeout: 20_000 }).toBe('saved');
}

async function studentId(p: Page): Promise<string> {
  return p.evaluate(async () => ((await (await fetch('/api/me')).json()) as { student: { id: string } }).student.id);
}

async function check(p: Page): Promise<void> {
  await p.locator('[data-testid=check]').click();
  await expect.poll(() => p.locator('[data-testid=check]').innerText(), { timeout: 10_000 }).not.toBe('Check');
  await p
    .locator('[data-testid=check-progress]')
    .waitFor({ timeout: 10_000 })
    .catch(() => undefined);
  await expect.poll(() => p.locator('[data-testid=check]').innerText(), { timeout: 240_000, interval: 1000 }).toBe('Check');
  await p.locator('[data-testid=attempt-result]').waitFor();
}

describe('workshop pages in Chromium', () => {
  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'toplab-e2e-'));
    server = new ServeProcess(await freePort(), dataDir, TOKEN, ['--warm', '2', '--idle', '0']);
    await server.start();
    browser = await launchChromium();
  }, 180_000);

  afterAll(async () => {
    for (const c of contexts) await c.close().catch(() => undefined);
    await browser?.close().catch(() => undefined);
    // The workshop ends (its instances go), the server stops, and whatever it could not remove goes by label.
    await endWorkshopAndStop(server, TOKEN, workshopId || undefined);
    if (server) {
      mkdirSync(ARTIFACTS, { recursive: true });
      writeFileSync(join(ARTIFACTS, 'server.log'), server.log());
    }
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  }, 180_000);

  it('the instructor signs in and creates a workshop; the join code and link are shown big', async () => {
    admin = await page('instructor');
    await admin.goto('/admin');
    await admin.getByLabel('Admin token').fill(TOKEN);
    await admin.getByRole('button', { name: 'Sign in' }).click();
    await admin.getByRole('button', { name: 'New workshop' }).click();
    await admin.locator('#ws-lab').selectOption(LAB);
    await admin.getByLabel('Title (optional)').fill('Week 4: the TCP handshake');
    await admin.getByLabel('Capacity').fill('4');
    await admin.getByRole('button', { name: 'Create' }).click();
    const code = (await admin.locator('[data-testid=join-code]').innerText()).trim();
    expect(code).toMatch(/^[A-Z2-9]{6}$/);
    joinUrl = (await admin.locator('[data-testid=join-url]').innerText()).trim();
    expect(joinUrl).toContain(`/join/${code}`);
    workshopId = new URL(admin.url()).searchParams.get('workshop') ?? '';
    expect(workshopId).toMatch(/^[0-9a-f]{16}$/);
    await shot(admin, 'dashboard-created');
  });

  it('two students join in two browsers and get their own ready instance', async () => {
    ada = await page('student A');
    bob = await page('student B');
    // What the student's browser downloads of the pages (body bytes as served), for the README's size.
    ada.on('response', (r) => {
      const path = new URL(r.url()).pathname;
      if (path.startsWith('/assets/') || path === '/' || path.startsWith('/join/'))
        void r.body().then(
          (b) => (pageBytes[path] = b.length),
          () => undefined,
        );
    });
    for (const [p, name] of [
      [ada, 'Ada'],
      [bob, 'Bob'],
    ] as const) {
      await p.goto(new URL(joinUrl).pathname);
      await expect.poll(() => p.locator('#join-code').inputValue()).toMatch(/^[A-Z2-9]{6}$/);
      await p.locator('#join-name').fill(name);
      await p.getByRole('button', { name: 'Join' }).click();
    }
    await shot(ada, 'student-joining');
    await ready(ada);
    await ready(bob);
    expect(await studentId(ada)).not.toBe(await studentId(bob));
    // The topology is drawn, with a node for each of the lab's nodes.
    await expect.poll(() => ada.locator('[data-testid=topology] g.node[data-node]').count(), { timeout: 30_000 }).toBe(2);
    await shot(ada, 'student-ready');
    // The page's scripts come compressed (the build's .br copies) and cached by their content hash.
    const script = await ada.locator('script[type=module]').first().getAttribute('src');
    const res = await fetch(server.url + (script ?? ''), { headers: { 'accept-encoding': 'br, gzip' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-encoding')).toBe('br');
    expect(res.headers.get('cache-control')).toContain('immutable');
  });

  it('the language toggle switches the page and the exercise to Chinese (README.zh.md) and back', async () => {
    const readme = ada.locator('article.readme');
    const english = await readme.innerText();
    await ada.getByRole('button', { name: '中文' }).click();
    await expect.poll(() => readme.getAttribute('lang')).toBe('zh-CN');
    expect(await ada.locator('[data-testid=check]').innerText()).toBe('检查');
    const chinese = await readme.innerText();
    expect(chinese).not.toBe(english);
    expect(chinese).toMatch(/[\u4e00-\u9fff]{4}/);
    await docsShot(ada, 'student-zh');
    await ada.getByRole('button', { name: 'English' }).click();
    await expect.poll(() => readme.getAttribute('lang')).toBe('en');
    expect(await ada.locator('[data-testid=check]').innerText()).toBe('Check');
  });

  it("student A's reference saves, the programs restart, and the server's terminal shows LISTEN on 9000", async () => {
    await putFile(ada, 'server.ts', REFERENCE['server.ts']);
    await putFile(ada, 'client.ts', REFERENCE['client.ts']);
    // What the server holds is exactly what was typed: the save went through.
    const saved = await ada.evaluate(async () => {
      const me = ((await (await fetch('/api/me')).json()) as { student: { id: string } }).student.id;
      return ((await (await fetch(`/api/students/${me}/files/server.ts`)).json()) as { content: string }).content;
    });
    expect(saved).toBe(REFERENCE['server.ts']);
    await ada.getByRole('button', { name: 'Restart programs' }).click();
    await ready(ada);
    // A click on the server node in the graph opens its terminal.
    await ada.locator('[data-testid=topology] g.node[data-node="server"]').click();
    await expect(ada.getByRole('tab', { name: 'server', selected: true }).count()).resolves.toBe(1);
    await expect.poll(() => ada.locator('[data-testid=terminal-state]').innerText(), { timeout: 60_000 }).toBe('');
    await waitForTerminal(ada, 'server', /student@server/);
    // The page may still say `ready` from before the click when the restart has not begun: netstat is typed
    // again until the restarted server listens (or a minute has passed).
    const listen = /tcp6?\s+\d+\s+\d+\s+\S*:9000\s+\S+\s+LISTEN/;
    for (let i = 0; ; i++) {
      await typeInTerminal(ada, 'server', 'netstat -tln');
      try {
        await waitForTerminal(ada, 'server', listen, 5_000);
        break;
      } catch (e) {
        if (i >= 11) throw e;
      }
    }
    await shot(ada, 'student-terminal');
  });

  it('student A checks the reference and sees full marks, each check PASS, and a pcap to download', async () => {
    await check(ada);
    const total = await ada.locator('[data-testid=total]').innerText();
    expect(total).toMatch(/9\/9/);
    const statuses = await ada
      .locator('[data-testid=attempt-result] li.check')
      .evaluateAll((els) => els.map((e) => e.getAttribute('data-status')));
    expect(statuses).toHaveLength(6);
    expect(new Set(statuses)).toEqual(new Set(['passed']));
    const pcap = ada.locator('[data-testid=pcap-link]').first();
    const href = await pcap.getAttribute('href');
    expect(href).toMatch(/\.pcap$/);
    const bytes = await ada.evaluate(async (u) => new Uint8Array(await (await fetch(u)).arrayBuffer()).slice(0, 4).join(','), href ?? '');
    // pcap magic number, either byte order.
    expect(['212,195,178,161', '161,178,195,212']).toContain(bytes);
    await expect.poll(() => ada.locator('[data-testid=attempts] li').count()).toBe(1);
    await docsShot(ada, 'student-check-passed');
  });

  it("the dashboard's evidence bundle and a student's own download are .tar.gz files", async () => {
    // Each fetched by its page, with that page's credentials; the contents are tested in test/docker/workshop-server.test.ts.
    const gzipOf = (page: Page, testid: string): Promise<string> =>
      page.evaluate(async (id) => {
        const a = document.querySelector(`[data-testid=${id}]`);
        const r = await fetch(a?.getAttribute('href') ?? '/missing');
        return `${r.status} ${r.headers.get('content-type') ?? ''} ${new Uint8Array(await r.arrayBuffer()).slice(0, 2).join(',')}`;
      }, testid);
    await admin.locator('[data-testid=export-bundle]').waitFor();
    expect(await gzipOf(admin, 'export-bundle')).toBe('200 application/gzip 31,139');
    expect(await gzipOf(ada, 'download-mine')).toBe('200 application/gzip 31,139');
  });

  it("student B's server never listens: Check shows `listen` FAIL with its message", async () => {
    await putFile(bob, 'server.ts', NEVER_LISTENS);
    await check(bob);
    const listen = bob.locator('[data-testid=attempt-result] li.check[data-check="listen"]');
    expect(await listen.getAttribute('data-status')).toBe('failed');
    expect(await listen.locator('.badge').innerText()).toContain('FAIL');
    const message = (await listen.locator('.check-message').innerText()).trim();
    expect(message.length).toBeGreaterThan(10);
    expect(message).toMatch(/9000|listen/i);
    expect(await bob.locator('[data-testid=total]').innerText()).not.toMatch(/9\/9/);
    await docsShot(bob, 'student-check-failed');
  });

  it("the instructor's table shows both students' results without a reload", async () => {
    const row = (name: string) => admin.locator(`[data-testid=class-table] tr[data-student="${name}"]`);
    await expect.poll(() => row('Ada').locator('[data-testid=score]').innerText(), { timeout: 15_000 }).toBe('9/9');
    await expect.poll(() => row('Bob').locator('td[data-check="listen"]').getAttribute('data-cell'), { timeout: 15_000 }).toBe('fail');
    expect(await row('Ada').locator('td[data-check="listen"]').getAttribute('data-cell')).toBe('pass');
    // Colour and a symbol: the cell says it without colour too.
    expect(await row('Bob').locator('td[data-check="listen"]').innerText()).toContain('✘');
    expect(await admin.locator('td[data-count="listen"] .fail-n').innerText()).toBe('1');
    await docsShot(admin, 'dashboard-class');
    // "Who is stuck on listen?"
    await admin.getByLabel('Stuck on').selectOption('listen');
    await expect.poll(() => admin.locator('[data-testid=class-table] tbody tr').count()).toBe(1);
    expect(await admin.locator('[data-testid=class-table] tbody tr').getAttribute('data-student')).toBe('Bob');
    await admin.getByLabel('Stuck on').selectOption('');
    // The student's detail: attempts with the full result.
    await row('Bob').getByRole('button', { name: 'Bob' }).click();
    await admin
      .locator('.detail [data-testid=attempt-result] li.check[data-check="listen"][data-status="failed"]')
      .waitFor({ timeout: 15_000 });
  });

  it("student B cannot reach student A's files, attempts or terminal by editing URLs", async () => {
    const aid = await studentId(ada);
    for (const path of [
      `/api/students/${aid}/files/server.ts`,
      `/api/students/${aid}/files`,
      `/api/students/${aid}/attempts`,
      `/api/students/${aid}`,
    ]) {
      const res = await bob.goto(path);
      expect(res?.status(), path).toBe(404);
      expect(await bob.content()).not.toContain('createServer');
    }
    await bob.goto('/');
    await ready(bob);
    const ws = await bob.evaluate(
      (u) =>
        new Promise<string>((resolve) => {
          const s = new WebSocket(u);
          s.binaryType = 'arraybuffer';
          s.onopen = () => resolve('open');
          s.onmessage = () => resolve('message');
          s.onclose = (e) => resolve(`closed ${e.code}`);
        }),
      `ws://127.0.0.1:${server.port}/api/students/${aid}/terminals/server`,
    );
    expect(ws).toMatch(/^closed/);
  });

  it('a terminal flood does not freeze the page: a command typed after it shows its output', async () => {
    await typeInTerminal(ada, 'server', 'yes | head -c 20000000; echo flood-$((6*7))-done');
    // The page answers while the flood is drawn.
    expect(await ada.evaluate(() => document.title)).toBeTruthy();
    await waitForTerminal(ada, 'server', /flood-42-done/, 180_000);
    await typeInTerminal(ada, 'server', 'echo after-$((6*7))');
    await waitForTerminal(ada, 'server', /^after-42\s*$/m, 30_000);
  });

  it('the server restarts: both pages reconnect by themselves, and the files are intact', async () => {
    await server.stop();
    await expect.poll(() => ada.locator('.banner', { hasText: 'Connection to the server lost' }).count(), { timeout: 20_000 }).toBe(1);
    await shot(ada, 'student-server-down');
    await server.start();
    await expect.poll(() => ada.locator('.banner', { hasText: 'Connection to the server lost' }).count(), { timeout: 30_000 }).toBe(0);
    await ready(ada);
    await ready(bob);
    // The editor still shows the saved text, and so does the server's copy.
    expect(await ada.locator('.editor-host[data-file="server.ts"] .cm-content').innerText()).toContain('createServer');
    const files = await ada.evaluate(async () => {
      const me = ((await (await fetch('/api/me')).json()) as { student: { id: string } }).student.id;
      return ((await (await fetch(`/api/students/${me}/files/server.ts`)).json()) as { content: string }).content;
    });
    expect(files).toBe(REFERENCE['server.ts']);
    // The terminal reconnected by itself: a command runs again.
    await expect.poll(() => ada.locator('[data-testid=terminal-state]').innerText(), { timeout: 60_000 }).toBe('');
    await typeInTerminal(ada, 'server', 'echo back-$((6*7))');
    await waitForTerminal(ada, 'server', /^back-42\s*$/m, 60_000);
    // Bob's attempt survived too.
    await expect.poll(() => bob.locator('[data-testid=attempts] li').count(), { timeout: 20_000 }).toBe(1);
    await shot(ada, 'student-after-restart');
  });

  it('both pages have no serious or critical accessibility violations (axe-core)', async () => {
    const student = await seriousA11yViolations(ada);
    const dashboard = await seriousA11yViolations(admin);
    writeFileSync(join(ARTIFACTS, 'axe.json'), JSON.stringify({ student, dashboard }, null, 1));
    const total = Object.values(pageBytes).reduce((a, b) => a + b, 0);
    writeFileSync(join(ARTIFACTS, 'student-page-bytes.json'), JSON.stringify({ total, files: pageBytes }, null, 1));
    expect(student, JSON.stringify(student, null, 1)).toEqual([]);
    expect(dashboard, JSON.stringify(dashboard, null, 1)).toEqual([]);
  });

  it('works at 1024 px wide: the editor, Check and the terminal stay on screen', async () => {
    await ada.setViewportSize({ width: 1024, height: 768 });
    await ada.waitForTimeout(300);
    for (const sel of ['[data-testid=check]', '.editor-host:not([hidden])', '.term-host:not([hidden])']) {
      const box = await ada.locator(sel).boundingBox();
      expect(box, sel).not.toBeNull();
      expect((box?.x ?? 0) + (box?.width ?? 0), sel).toBeLessThanOrEqual(1024);
      expect(box?.width ?? 0, sel).toBeGreaterThan(100);
    }
    await shot(ada, 'student-1024');
  });

  it('no page logged an unexpected console error', () => {
    const unexpected = consoles.flatMap((c) => c.errors).filter((e) => !EXPECTED_CONSOLE.some((re) => re.test(e)));
    expect(unexpected).toEqual([]);
  });
});
