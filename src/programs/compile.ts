import type { BuildOptions, Message, Plugin } from 'esbuild';
import { createHash } from 'node:crypto';
import { readFileSync, realpathSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { isAbsolute, relative, sep } from 'node:path';
import { readCompiled, writeCompiled } from './compile-cache.js';

export interface CompiledProgram {
  name: string;
  /**
   * JavaScript for Node 18, one self-contained ES module, ending with its inline source map (see
   * withStudentSourceMap): run with `node --enable-source-maps`, a stack trace names the program's own `.ts`
   * file and line.
   */
  code: string;
  /** Content hash of the compiled code. */
  hash: string;
}

export class CompileError extends Error {
  constructor(
    readonly program: string,
    readonly source: string,
    readonly diagnostics: string[],
  ) {
    super(`${source} does not compile:\n` + diagnostics.map((d) => '  ' + d).join('\n'));
  }
}

/**
 * Programs are ES modules (top-level `await` works, as the lab READMEs show). Modules bundled from npm that
 * are CommonJS call `require` for Node's built-ins; the banner gives them one. The source map is inline, with
 * the sources' text: Node (`--enable-source-maps`, see programLaunch) then names `server.ts:4` in a stack trace
 * and quotes the TypeScript line, in the node, where the `.ts` files are not.
 */
const BUILD_OPTIONS = {
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node18',
  write: false,
  logLevel: 'silent',
  sourcemap: 'inline',
  sourcesContent: true,
  // No tsconfig.json is read (not the lab's, not the checkout's own up the tree): every program compiles the
  // same way in a checkout (`lab check`) and in a grading folder (`lab grade`).
  tsconfigRaw: {},
  banner: {
    js: "import { createRequire as __toplabCreateRequire } from 'node:module'; globalThis.require ??= __toplabCreateRequire(import.meta.url);",
  },
} as const satisfies BuildOptions;

/**
 * Bumped whenever what a program may read, or what is done to esbuild's output, changes: part of the compile
 * cache's key (with BUILD_OPTIONS), so no entry compiled before the change is used after it.
 */
const RULES_VERSION = 'imports-3+sourcemap-1';

export interface CompileOptions {
  /** npm packages (besides Node's built-ins) the lab allows its programs to import: the lab's `modules`. */
  modules?: readonly string[];
  /** Where the allowed packages are resolved from (the lab's own folder), so a checkout and a grade agree. */
  modulesFrom?: string;
}

const BUILTINS = new Set(builtinModules);

/** `node:net`, `net`, `fs/promises`: a module every Node program may import. */
export function isBuiltin(spec: string): boolean {
  return spec.startsWith('node:') || BUILTINS.has(spec) || BUILTINS.has(spec.split('/')[0] ?? '');
}

/** The package a bare import names: `yaml` for `yaml/util`, `@scope/pkg` for `@scope/pkg/x`. */
export function packageOf(spec: string): string {
  const parts = spec.split('/');
  return spec.startsWith('@') ? parts.slice(0, 2).join('/') : (parts[0] ?? spec);
}

function within(dir: string, file: string): boolean {
  const r = relative(dir, file);
  return r === '' || (!r.startsWith('..') && !isAbsolute(r));
}

/**
 * The esbuild plugin that decides what a program may read: files under `root` (the submission laid over the
 * lab, or the lab folder), Node's built-ins (left as imports), and the packages the lab lists, resolved from
 * the lab folder. Everything else (another file of the grading machine, an npm package the lab does not list,
 * a symbolic link leading out of the folder) is refused with a message saying what is allowed.
 */
function confine(root: string, opts: CompileOptions): Plugin {
  const realRoot = realpathSync(root);
  const allowed = new Set(opts.modules ?? []);
  const modulesFrom = opts.modulesFrom ?? root;
  const allowedText = `Node's built-in modules (node:net, node:dgram, node:fs, …)${allowed.size ? ` and ${[...allowed].join(', ')}` : ''}`;
  return {
    name: 'toplab-confine',
    setup(build) {
      build.onResolve({ filter: /.*/ }, async (args) => {
        if (args.kind === 'entry-point' || (args.pluginData as { inner?: boolean } | undefined)?.inner) return undefined;
        if (isBuiltin(args.path)) return { path: args.path, external: true };
        // Code of an allowed package imports what it needs, as it would when installed.
        if (args.importer.split(sep).includes('node_modules')) return undefined;
        const bare = !args.path.startsWith('.') && !isAbsolute(args.path);
        if (bare) {
          const pkg = packageOf(args.path);
          if (!allowed.has(pkg)) {
            return {
              errors: [
                {
                  text: `"${args.path}" may not be imported: a lab program may import ${allowedText}${allowed.size ? '' : ' only'}. A lab that needs an npm package lists it under \`modules\` in lab.yaml.`,
                },
              ],
            };
          }
          const r = await build.resolve(args.path, {
            kind: args.kind,
            resolveDir: modulesFrom,
            importer: args.importer,
            pluginData: { inner: true },
            with: args.with,
          });
          if (r.errors.length > 0)
            return {
              errors: r.errors.map((e) => ({ text: `${e.text} (the lab allows it: install it next to the lab with npm install ${pkg})` })),
            };
          return { path: r.path, external: r.external, namespace: r.namespace, sideEffects: r.sideEffects };
        }
        const r = await build.resolve(args.path, {
          kind: args.kind,
          resolveDir: args.resolveDir,
          importer: args.importer,
          pluginData: { inner: true },
          with: args.with,
        });
        if (r.errors.length > 0 || r.path === '') return undefined; // esbuild's own "Could not resolve" follows
        let real: string;
        try {
          real = realpathSync(r.path);
        } catch {
          return undefined;
        }
        if (!within(realRoot, real)) {
          return {
            errors: [
              {
                text: `"${args.path}" is outside the program's folder: a lab program may import only its own folder's files and ${allowedText}.`,
              },
            ],
          };
        }
        return { path: r.path, namespace: r.namespace, sideEffects: r.sideEffects };
      });
    },
  };
}

/**
 * Compiles a TypeScript program with esbuild (type annotations stripped, imports bundled) into one ES module.
 * It only transforms text: no student code runs on the host. It reads only files under `baseDir` and the
 * packages `opts.modules` names (see `confine`). Results are kept on disk by content hash of every input file
 * (compile-cache.ts): unchanged sources are not compiled again, and esbuild is not even loaded.
 * Throws CompileError (diagnostics as `file:line:column: text`, the file relative to `baseDir`).
 */
export async function compileProgram(name: string, entry: string, baseDir: string, opts: CompileOptions = {}): Promise<CompiledProgram> {
  const source = readFileSync(entry);
  const fingerprint = JSON.stringify({ ...BUILD_OPTIONS, rules: RULES_VERSION, modules: [...(opts.modules ?? [])].sort() });
  const stored = readCompiled({ entry, source, baseDir, fingerprint });
  if (stored) return { name, code: stored.code, hash: stored.hash };
  try {
    const { build } = await import('esbuild');
    const result = await build({
      ...BUILD_OPTIONS,
      entryPoints: [entry],
      absWorkingDir: baseDir,
      metafile: true,
      plugins: [confine(baseDir, opts)],
    });
    const code = withStudentSourceMap(result.outputFiles[0]?.text ?? '');
    const compiled = { name, code, hash: createHash('sha256').update(code).digest('hex').slice(0, 16) };
    writeCompiled({ entry, source, baseDir, fingerprint }, Object.keys(result.metafile.inputs), compiled);
    return compiled;
  } catch (e) {
    const errors = (e as { errors?: Message[] }).errors;
    if (!errors) throw e;
    throw new CompileError(
      name,
      relative(baseDir, entry) || entry,
      errors.map((m) => formatMessage(m, baseDir)),
    );
  }
}

/**
 * `server.ts:6:1: message`. esbuild gives locations relative to its working directory (baseDir), so they are
 * the submission's own names as they are; only an absolute one is made relative, and one in an allowed
 * package starts at `node_modules/`.
 */
export function formatMessage(m: Message, baseDir: string): string {
  if (!m.location) return m.text;
  const rel = isAbsolute(m.location.file) ? relative(baseDir, m.location.file) || m.location.file : m.location.file;
  // A file of an allowed package is named from its node_modules folder: the grader's own path stays out.
  const file = rel.replace(/^(?:\.\.\/)+(?:.*\/)?(node_modules\/)/, '$1');
  return `${file}:${m.location.line}:${m.location.column + 1}: ${m.text}`;
}

const INLINE_MAP = /\n\/\/# sourceMappingURL=data:application\/json;base64,([A-Za-z0-9+/=]+)\n?$/;

interface SourceMap {
  sources: string[];
  sourcesContent?: (string | null)[];
}

/**
 * esbuild's output with its inline source map made fit for the node: the program's own files keep their names
 * relative to the program's folder (`server.ts`, `lib/util.ts`, which Node resolves against the compiled file,
 * /opt/toplab/programs/server.mjs: /opt/toplab/programs/server.ts) and their text (Node quotes the failing
 * line from it). A file of an allowed npm package is named from its `node_modules/` folder (the grading
 * machine's path stays out, as in formatMessage) and its text is left out: the map stays about the size of
 * the student's code. Code without an inline map is returned as it is.
 */
export function withStudentSourceMap(code: string): string {
  const m = INLINE_MAP.exec(code);
  if (!m?.[1]) return code;
  let map: SourceMap;
  try {
    map = JSON.parse(Buffer.from(m[1], 'base64').toString('utf8')) as SourceMap;
  } catch {
    return code;
  }
  const sources = map.sources.map((s) => s.replace(/^(?:.*?\/)?(node_modules\/)/, '$1'));
  const fixed: SourceMap = {
    ...map,
    sources,
    ...(map.sourcesContent
      ? { sourcesContent: map.sourcesContent.map((c, i) => (sources[i]?.startsWith('node_modules/') ? null : c)) }
      : {}),
  };
  const encoded = Buffer.from(JSON.stringify(fixed), 'utf8').toString('base64');
  return `${code.slice(0, m.index)}\n//# sourceMappingURL=data:application/json;base64,${encoded}\n`;
}
