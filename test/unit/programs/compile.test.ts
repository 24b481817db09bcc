// What a lab program may read when it is compiled: its own folder, Node's built-ins and the packages the lab
// lists, the same way for `lab check` (the lab folder) and `lab grade` (a submission laid over a copy of it).
// Compile errors name the submission's own file; programs are ES modules (top-level await works).
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileAll, overlaySubmission } from '../../../src/grade/session.js';
import { loadLab } from '../../../src/lab/load.js';
import { CompileError, compileProgram, formatMessage } from '../../../src/programs/compile.js';
import { NODE_FLAGS } from '../../../src/exercise/programs.js';
import { ROOT } from '../../helpers/cli.js';

const work = mkdtempSync(join(tmpdir(), 'toplab-compile-rules-'));
const before = process.env.TOPLAB_CACHE_DIR;
beforeAll(() => {
  process.env.TOPLAB_CACHE_DIR = join(work, 'cache');
});
afterAll(() => {
  if (before === undefined) delete process.env.TOPLAB_CACHE_DIR;
  else process.env.TOPLAB_CACHE_DIR = before;
  rmSync(work, { recursive: true, force: true });
});

/** A folder with these files, inside the checkout (so toplab's own node_modules are on the way up). */
function folder(name: string, files: Record<string, string>): string {
  const dir = join(ROOT, 'test', '.tmp', `${name}-${process.pid}`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  for (const [f, text] of Object.entries(files)) writeFileSync(join(dir, f), text);
  return dir;
}
afterAll(() => rmSync(join(ROOT, 'test', '.tmp'), { recursive: true, force: true }));

async function compileError(p: Promise<unknown>): Promise<CompileError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof CompileError) return e;
    throw e;
  }
  throw new Error('it compiled');
}

describe('what a program may import', () => {
  it('refuses a file of the grading machine, even as text (the hostname never reaches the report)', async () => {
    const dir = folder('etc', { 'server.ts': "import x from '/etc/hostname' with { type: 'text' };\nconsole.log(x);\n" });
    const e = await compileError(compileProgram('server', join(dir, 'server.ts'), dir));
    expect(e.message).toContain('server.ts:1:15: "/etc/hostname" is outside the program\'s folder');
    expect(e.message).not.toContain(hostname());
  });

  it('refuses a relative path out of the folder, and a symbolic link that leads out of it', async () => {
    const dir = folder('rel', {
      'server.ts': "import x from '../../../package.json' with { type: 'json' };\nconsole.log(x);\n",
      'client.ts': "import x from './link.txt' with { type: 'text' };\nconsole.log(x);\n",
    });
    symlinkSync('/etc/hostname', join(dir, 'link.txt'));
    expect((await compileError(compileProgram('server', join(dir, 'server.ts'), dir))).message).toContain(
      "is outside the program's folder",
    );
    expect((await compileError(compileProgram('client', join(dir, 'client.ts'), dir))).message).toContain(
      '"./link.txt" is outside the program\'s folder',
    );
  });

  it('refuses an npm package the lab does not list, though toplab has it installed, and says what is allowed', async () => {
    const dir = folder('npm', { 'server.ts': "import YAML from 'yaml';\nconsole.log(YAML.stringify({ a: 1 }));\n" });
    const e = await compileError(compileProgram('server', join(dir, 'server.ts'), dir));
    expect(e.message).toContain('server.ts:1:18: "yaml" may not be imported: a lab program may import Node\'s built-in modules');
    expect(e.message).toContain('`modules` in lab.yaml');
  });

  it('lets a program import what the lab lists, resolved from the lab folder, and it runs as an ES module', async () => {
    const lab = folder('npm-ok', {});
    const sub = mkdtempSync(join(work, 'sub-'));
    writeFileSync(
      join(sub, 'server.ts'),
      "import YAML from 'yaml';\nimport { createServer } from 'node:net';\nimport dgram from 'dgram';\nawait Promise.resolve();\nconsole.log(YAML.stringify({ ok: typeof createServer === 'function' && typeof dgram.createSocket === 'function' }).trim());\n",
    );
    const c = await compileProgram('server', join(sub, 'server.ts'), sub, { modules: ['yaml'], modulesFrom: lab });
    const file = join(work, 'server.mjs');
    writeFileSync(file, c.code);
    expect(execFileSync(process.execPath, [file], { encoding: 'utf8' })).toBe('ok: true\n');
  });
});

describe('compile errors and module format', () => {
  it("names the submission's own file and line, never the grader's path", async () => {
    const lab = loadLab(join(ROOT, 'labs', 'udp-echo'));
    const sub = mkdtempSync(join(work, 'broken-'));
    writeFileSync(join(sub, 'server.ts'), 'const a = 1;\n\n\n\n\nlet = ;\n');
    writeFileSync(join(sub, 'client.ts'), "console.log('hi');\n");
    const o = overlaySubmission(lab, sub);
    try {
      const c = await compileAll(lab, o.dir, o.problems);
      expect(c.unavailable.server).toMatch(/^server\.ts does not compile:\n {2}server\.ts:6:7: Unexpected ";"/);
      expect(c.unavailable.server).not.toContain('..');
      expect(c.unavailable.server).not.toContain(o.dir);
    } finally {
      o.cleanup();
    }
  });

  it("names a file of an allowed package from node_modules/, not by the grader's path", () => {
    const at = (file: string): string =>
      formatMessage(
        {
          id: '',
          pluginName: '',
          text: 'oops',
          location: { file, namespace: 'file', line: 2, column: 0, length: 1, lineText: '', suggestion: '' },
          notes: [],
          detail: undefined,
        },
        '/tmp/toplab-submission-x',
      );
    expect(at('../../work/checkout/node_modules/yaml/dist/index.js')).toBe('node_modules/yaml/dist/index.js:2:1: oops');
    expect(at('server.ts')).toBe('server.ts:2:1: oops');
    expect(at('/tmp/toplab-submission-x/lib/util.ts')).toBe('lib/util.ts:2:1: oops');
  });

  it("reads no tsconfig.json (a checkout's own would change what lab check compiles)", async () => {
    const dir = folder('tsconfig', {
      'tsconfig.json': '{"compilerOptions":{"useDefineForClassFields":false}}',
      'main.ts': 'class A { x = 1 }\nconsole.log(new A());\n',
    });
    const c = await compileProgram('main', join(dir, 'main.ts'), dir);
    expect(c.code).toMatch(/class \{\n\s+x = 1;/);
    expect(c.code).not.toContain('this.x = 1');
  });

  it('compiles top-level await (the lab READMEs use it)', async () => {
    const dir = folder('tla', { 'client.ts': 'const v = await Promise.resolve(42);\nconsole.log(v);\n' });
    const c = await compileProgram('client', join(dir, 'client.ts'), dir);
    const file = join(work, 'tla.mjs');
    writeFileSync(file, c.code);
    expect(execFileSync(process.execPath, [file], { encoding: 'utf8' })).toBe('42\n');
  });
});

describe('lab check and lab grade resolve imports the same way', () => {
  /** A copy of udp-echo inside the checkout (toplab's node_modules up the tree), its server importing yaml. */
  function yamlLab(modules: string[]): { lab: ReturnType<typeof loadLab>; submission: string } {
    const dir = join(ROOT, 'test', '.tmp', `udp-echo-${modules.length}-${process.pid}`, 'udp-echo');
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(join(dir, '..'), { recursive: true });
    execFileSync('cp', ['-r', join(ROOT, 'labs', 'udp-echo'), dir]);
    const server =
      "import YAML from 'yaml';\nimport dgram from 'node:dgram';\nconsole.log(YAML.stringify({ port: 9000 }).trim(), typeof dgram.createSocket);\n";
    writeFileSync(join(dir, 'server.ts'), server);
    if (modules.length > 0)
      writeFileSync(join(dir, 'lab.yaml'), readFileSync(join(dir, 'lab.yaml'), 'utf8') + `modules: [${modules.join(', ')}]\n`);
    const submission = mkdtempSync(join(work, 'yaml-sub-'));
    writeFileSync(join(submission, 'server.ts'), server);
    writeFileSync(join(submission, 'client.ts'), readFileSync(join(ROOT, 'labs', 'udp-echo', 'client.ts')));
    return { lab: loadLab(dir), submission };
  }

  async function both(modules: string[]): Promise<{ check: string | undefined; grade: string | undefined }> {
    const { lab, submission } = yamlLab(modules);
    const check = await compileAll(lab);
    const o = overlaySubmission(lab, submission);
    try {
      const grade = await compileAll(lab, o.dir, o.problems);
      return { check: check.unavailable.server, grade: grade.unavailable.server };
    } finally {
      o.cleanup();
    }
  }

  it('an npm package the lab does not list: the same clear message in both', async () => {
    const r = await both([]);
    expect(r.check).toMatch(/^server\.ts does not compile:\n {2}server\.ts:1:18: "yaml" may not be imported/);
    expect(r.grade).toBe(r.check);
  });

  it('a package the lab lists under `modules`: compiles in both', async () => {
    expect(await both(['yaml'])).toEqual({ check: undefined, grade: undefined });
  });
});

describe("a crash names the student's .ts file and line (inline source map, node --enable-source-maps)", () => {
  /** The inline source map at the end of compiled code. */
  function mapOf(code: string): { sources: string[]; sourcesContent?: (string | null)[] } {
    const m = /\/\/# sourceMappingURL=data:application\/json;base64,([A-Za-z0-9+/=]+)\n?$/.exec(code);
    if (!m?.[1]) throw new Error('no inline source map');
    return JSON.parse(Buffer.from(m[1], 'base64').toString('utf8')) as { sources: string[]; sourcesContent?: (string | null)[] };
  }

  it('a TypeError thrown at lib/util.ts:3 is reported there, with the TypeScript line quoted, run as toplab runs programs', async () => {
    const dir = folder('sourcemap', {
      'server.ts': "import { greet } from './lib/util.js';\n\nconsole.log('starting');\ngreet({});\n",
    });
    mkdirSync(join(dir, 'lib'));
    writeFileSync(
      join(dir, 'lib', 'util.ts'),
      'export function greet(config: { name?: { text: string } }): void {\n  const who: string = "x";\n  console.log(who, config.name!.text);\n}\n',
    );
    const c = await compileProgram('server', join(dir, 'server.ts'), dir);
    expect(mapOf(c.code).sources).toEqual(['lib/util.ts', 'server.ts']);
    // In the node the program is /opt/toplab/programs/server.mjs; here a folder of its own, the same way.
    const out = join(work, 'programs');
    mkdirSync(out, { recursive: true });
    writeFileSync(join(out, 'server.mjs'), c.code);
    let stderr = '';
    try {
      execFileSync(process.execPath, [...NODE_FLAGS, join(out, 'server.mjs')], { encoding: 'utf8', stdio: 'pipe' });
    } catch (e) {
      stderr = (e as { stderr: string }).stderr;
    }
    expect(stderr).toContain(`${join(out, 'lib', 'util.ts')}:3`);
    expect(stderr).toContain('  console.log(who, config.name!.text);');
    expect(stderr).toMatch(/at greet \(.*\/programs\/lib\/util\.ts:3:\d+\)/);
    expect(stderr).toMatch(/at .*\/programs\/server\.ts:4:1/);
    expect(stderr).not.toContain('server.mjs');
  });

  it("an allowed npm package's files are named from node_modules/, without their text; the grader's paths stay out", async () => {
    const lab = folder('sourcemap-npm', {});
    const sub = mkdtempSync(join(work, 'sub-map-'));
    writeFileSync(join(sub, 'server.ts'), "import YAML from 'yaml';\nconsole.log(YAML.stringify({ a: 1 }));\n");
    const c = await compileProgram('server', join(sub, 'server.ts'), sub, { modules: ['yaml'], modulesFrom: lab });
    const map = mapOf(c.code);
    const own = map.sources.indexOf('server.ts');
    expect(own).toBeGreaterThanOrEqual(0);
    expect(map.sourcesContent?.[own]).toContain("import YAML from 'yaml';");
    const pkg = map.sources.filter((s) => s !== 'server.ts');
    expect(pkg.length).toBeGreaterThan(0);
    for (const s of pkg) expect(s).toMatch(/^node_modules\/yaml\//);
    expect(map.sources.join('\n')).not.toContain(ROOT);
    expect(map.sourcesContent?.filter((t, i) => i !== own && t !== null)).toEqual([]);
  });
});
