import type { BuildOptions, Message } from 'esbuild';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { readCompiled, writeCompiled } from './compile-cache.js';

export interface CompiledProgram {
  name: string;
  /** JavaScript for Node 18, one self-contained file. */
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

/** How every program is built; part of the compile cache's key, so changing it invalidates the cache. */
const BUILD_OPTIONS = {
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node18',
  write: false,
  logLevel: 'silent',
  sourcemap: false,
} as const satisfies BuildOptions;

/**
 * Compiles a TypeScript program with esbuild (type annotations stripped, imports bundled). It only
 * transforms text: no student code runs on the host. Results are kept on disk by content hash of every
 * input file (compile-cache.ts): unchanged sources are not compiled again, and esbuild is not even loaded.
 */
export async function compileProgram(name: string, entry: string, baseDir: string): Promise<CompiledProgram> {
  const source = readFileSync(entry);
  const fingerprint = JSON.stringify(BUILD_OPTIONS);
  const stored = readCompiled({ entry, source, baseDir, fingerprint });
  if (stored) return { name, code: stored.code, hash: stored.hash };
  try {
    const { build } = await import('esbuild');
    const result = await build({ ...BUILD_OPTIONS, entryPoints: [entry], absWorkingDir: baseDir, metafile: true });
    const code = result.outputFiles[0]?.text ?? '';
    const compiled = { name, code, hash: createHash('sha256').update(code).digest('hex').slice(0, 16) };
    writeCompiled({ entry, source, baseDir, fingerprint }, Object.keys(result.metafile.inputs), compiled);
    return compiled;
  } catch (e) {
    const errors = (e as { errors?: Message[] }).errors;
    if (!errors) throw e;
    throw new CompileError(name, relative(baseDir, entry) || entry, errors.map((m) => formatMessage(m, baseDir)));
  }
}

function formatMessage(m: Message, baseDir: string): string {
  if (!m.location) return m.text;
  const file = relative(baseDir, m.location.file) || m.location.file;
  return `${file}:${m.location.line}:${m.location.column + 1}: ${m.text}`;
}
